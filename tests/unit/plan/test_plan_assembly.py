"""How build_plan assembles the sections into one plan (docs/plan.md): the top-level layout, sorted
maps, per-node and per-router composition, plan=None with every error, warnings as text, the
schema refusal, and a build that leaves the garbage collector and the address caches as it found them."""

from __future__ import annotations

import copy
import gc

import pytest
from plan_inputs import base, tor_base

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import SCHEMA_VERSION, PlanResult, build_plan, schema
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.context import _addr


def test_plan_layout():
    result = build_plan(tor_base())
    assert isinstance(result, PlanResult) and result.ok and result.errors == [] and result.warnings == []
    plan = result.plan
    assert list(plan) == ["schema_version", "cluster", "manifest", "ip_pools", "rack_pools", "bgp", "racks", "nodes", "retired_nodes",
                          "tor_routers", "host_preparation", "warnings"]
    assert plan["schema_version"] == SCHEMA_VERSION == 1
    assert plan["retired_nodes"] == [] and plan["warnings"] == []


def test_maps_are_sorted_by_name_whatever_the_inventory_order():
    inv = tor_base()
    inv.groups["k8s_cluster"] = ["b2", "a2", "b1", "a1"]
    inv.groups["tor_routers"] = ["tor2", "tor1"]
    inv.cluster["calico_racks"] = dict(reversed(list(inv.cluster["calico_racks"].items())))
    plan = build_plan(inv).plan
    assert list(plan["nodes"]) == ["a1", "a2", "b1", "b2"]
    assert list(plan["tor_routers"]) == ["tor1", "tor2"] and list(plan["racks"]) == ["r1", "r2"]


def test_nodes_and_routers_carry_topology_and_bgp_fields_together():
    plan = build_plan(tor_base()).plan
    a1 = plan["nodes"]["a1"]
    assert (a1["ip"], a1["rack"], a1["asn"], a1["asn_source"]) == ("10.1.1.11", "r1", 65001, "rack")
    assert [p["name"] for p in a1["peers"]] == ["tor1"]
    tor1 = plan["tor_routers"]["tor1"]
    assert (tor1["router_id"], tor1["rack"], tor1["session_type"]) == ("10.255.0.1", "r1", "ibgp")
    assert [n["node"] for n in tor1["neighbors"]] == ["a1", "a2"]


def test_errors_give_no_plan_but_keep_the_warnings():
    result = build_plan(base(calico_asn=1, calico_bgp_listen_port=0))
    assert result.plan is None and not result.ok
    assert [e.subject for e in result.errors] == ["calico_bgp_listen_port"]
    assert [w.subject for w in result.warnings] == ["calico_asn"]


def test_warnings_are_in_the_plan_as_text():
    result = build_plan(base(calico_asn=1))
    assert result.ok and result.plan["warnings"] == [str(w) for w in result.warnings] and len(result.warnings) == 1
    assert result.plan["warnings"][0].startswith("calico_asn: AS 1 is not a private AS number")


def test_same_cause_on_many_hosts_is_one_error():
    inv = base()
    for node in ("n02", "n03"):
        inv.hosts[node]["calico_interface_mtu"] = 100
    (error,) = build_plan(inv).errors
    assert error.subjects == ("n02", "n03")


@pytest.mark.parametrize("enabled", [True, False])
def test_build_leaves_the_garbage_collector_as_it_found_it(enabled):
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        build_plan(base())
        assert gc.isenabled() is enabled
        build_plan(base(calico_asn=0))
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_address_cache_holds_only_the_last_builds_addresses():
    build_plan(base(nodes=60))
    big = _addr.cache_info().currsize
    build_plan(base(nodes=2))
    assert 0 < _addr.cache_info().currsize < big


def test_schema_refusal_names_the_field_and_keeps_the_validator_message():
    plan = copy.deepcopy(build_plan(tor_base()).plan)
    plan["cluster"]["node_count"] = "4"
    with pytest.raises(schema.PlanSchemaError) as err:
        schema.check(plan)
    cause = err.value.__cause__
    assert cause is not None and cause.name == "data.cluster.node_count"
    assert str(err.value) == "the plan does not match plan.schema.json: %s (at data.cluster.node_count)" % cause.message


def test_unencapsulated_full_mesh_is_checked_against_the_subnets_as_declared():
    # Two adjacent /24s collapse to one /23 in the plan, but they are two L2 segments with a router between them.
    inv = base(calico_encapsulation="none", calico_node_subnets=["10.10.0.0/24", "10.10.1.0/24"])
    assert build_plan(inv).ok
    inv.hosts["n04"]["calico_node_ip"] = "10.10.1.5"
    assert [str(e) for e in build_plan(inv).errors] == [
        "calico_encapsulation: is none with calico_bgp_mode: full_mesh while the nodes sit in 2 subnets (10.10.0.0/24, 10.10.1.0/24): "
        "the routers between them know no pod routes and drop pod traffic that crosses subnets. Fix: set calico_encapsulation to "
        "ipip_cross_subnet or vxlan_cross_subnet, or peer the nodes with their routers (calico_bgp_mode: tor)."
    ]
