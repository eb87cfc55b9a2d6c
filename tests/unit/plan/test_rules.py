"""Rules added with the plan package (issue 12): each refuses a design that breaks a real install."""

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from plan_inputs import base, tor_base


def errors_of(inv):
    result = build_plan(inv)
    assert (result.plan is None) == bool(result.errors)
    return [str(e) for e in result.errors]


def warnings_of(inv):
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    return [str(w) for w in result.warnings]


def shared_asn_racks(**cluster):
    inv = tor_base(**cluster)
    inv.cluster["calico_racks"]["r2"]["asn"] = 65001
    inv.hosts["tor2"]["calico_tor_asn"] = 65001
    return inv


def test_racks_sharing_an_as_are_refused_once():
    (err,) = errors_of(shared_asn_racks())
    assert err.startswith("calico_racks: racks r1, r2 share AS 65001")
    assert "their ToRs drop it (BGP loop prevention)" in err
    assert "set calico_tor_allow_duplicate_rack_asn: true" in err and "allowas-in" in err and "as-override" in err


def test_racks_sharing_an_as_pass_with_the_opt_out():
    assert warnings_of(shared_asn_racks(calico_tor_allow_duplicate_rack_asn=True)) == []


def test_shared_as_only_matters_for_as_per_rack():
    inv = tor_base("downward_default")
    for rack in inv.cluster["calico_racks"].values():
        rack["asn"] = 65001
    assert build_plan(inv).ok


def test_tor_as_is_the_racks_when_unset():
    inv = tor_base()
    del inv.hosts["tor1"]["calico_tor_asn"]
    plan = build_plan(inv).plan
    assert plan["tor_routers"]["tor1"]["asn"] == 65001
    assert {n["asn"] for n in plan["tor_routers"]["tor1"]["neighbors"]} == {65001}


def test_ipip_always_with_tor_is_refused_with_none_as_fix():
    (err,) = errors_of(tor_base(calico_encapsulation="ipip"))
    assert err.startswith("calico_encapsulation: IP-in-IP Always with calico_bgp_mode: tor")
    assert "Fix: set calico_encapsulation: none" in err


def test_ipip_always_is_the_default_so_a_tor_design_must_say_none():
    inv = tor_base()
    del inv.cluster["calico_encapsulation"]
    assert any("IP-in-IP Always with calico_bgp_mode: tor" in e for e in errors_of(inv))


def test_ipip_always_on_an_explicit_pool_with_tor():
    pools = [{"name": "rack-pool", "cidr": "192.168.0.0/18", "ipip_mode": "Always"}]
    errs = errors_of(tor_base(calico_ip_pools=pools))
    assert any(e.startswith("calico_ip_pools[rack-pool].encapsulation: IP-in-IP Always") for e in errs), errs


def test_ipip_cross_subnet_with_tor_is_accepted():
    assert build_plan(tor_base(calico_encapsulation="ipip_cross_subnet")).ok


def two_subnet_mesh(**cluster):
    inv = base(calico_node_subnets=["10.10.0.0/24", "10.10.1.0/24"], **cluster)
    inv.hosts["n04"]["ansible_host"] = "10.10.1.13"
    return inv


def test_no_encapsulation_across_subnets_is_refused():
    for mode in ("full_mesh", "route_reflectors"):
        inv = two_subnet_mesh(calico_encapsulation="none", calico_bgp_mode=mode)
        if mode == "route_reflectors":
            inv.groups["calico_route_reflectors"] = ["n01"]
            inv.hosts["n01"]["calico_route_reflector_cluster_id"] = "244.0.0.1"
        errs = errors_of(inv)
        assert errs == [
            "calico_encapsulation: is none with calico_bgp_mode: %s while the nodes sit in 2 subnets (10.10.0.0/24, 10.10.1.0/24): "
            "the routers between them know no pod routes and drop pod traffic that crosses subnets. Fix: set calico_encapsulation to "
            "ipip_cross_subnet or vxlan_cross_subnet, or peer the nodes with their routers (calico_bgp_mode: tor)." % mode
        ]


def test_no_encapsulation_in_one_subnet_or_cross_subnet_modes_pass():
    assert build_plan(base(calico_encapsulation="none")).ok
    assert build_plan(two_subnet_mesh(calico_encapsulation="vxlan_cross_subnet")).ok
    assert build_plan(two_subnet_mesh(calico_encapsulation="ipip_cross_subnet")).ok


def test_empty_rack_is_an_error():
    inv = tor_base()
    inv.hosts["a1"]["calico_rack"] = ""
    errs = errors_of(inv)
    assert "a1: calico_rack is empty. Fix: set the name of the node's rack (a key of calico_racks) or remove calico_rack." in errs


def test_production_auto_typha_below_three_warns():
    inv = base(nodes=3, calico_production=True, calico_typha_node_threshold=1)
    (warning,) = warnings_of(inv)
    assert warning.startswith("calico_typha_replicas: auto gives 2 replica(s) for 3 nodes (fewer than the nodes), below 3")
    assert build_plan(inv).plan["manifest"]["typha"]["replicas"] == 2
    assert warnings_of(base(nodes=3, calico_typha_node_threshold=1)) == []


def test_tor_model_takes_the_plans_timer_defaults():
    """One set of BGP timer defaults: the plan's, carried into every router's model."""
    from ansible_collections.onprem.calico.plugins.plugin_utils.input_schema import DEFAULT_BGP_TIMERS, DEFAULT_GRACEFUL_RESTART
    from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import build_model

    plan = build_plan(tor_base()).plan
    model = build_model(plan["tor_routers"]["tor1"])
    assert (model.keepalive, model.hold, model.connect_retry) == tuple(DEFAULT_BGP_TIMERS[k] for k in ("keepalive", "hold", "connect_retry"))
    assert (model.restart_time, model.stalepath_time) == (DEFAULT_GRACEFUL_RESTART["restart_time"], DEFAULT_GRACEFUL_RESTART["stalepath_time"])
