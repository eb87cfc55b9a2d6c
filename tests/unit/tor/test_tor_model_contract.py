"""The platform-neutral ToR model: what it takes from plan.tor_routers, what it refuses.

docs/plan.md describes ``tor_routers.<router>``; docs/tor.md lists the owned object names
(all starting with ``object_prefix``) and says the render stops, naming every problem, when a
router cannot be rendered.
"""

from __future__ import annotations

import pytest
from design_render import PASSWORD, POOL_V6, one_rack_plan
from sample_plan import make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils import tor
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext, RenderError
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import (
    ListenRange,
    NodeNeighbor,
    ObjectNames,
    PrefixRule,
    build_model,
    build_models,
)


def router(design="as_per_rack", platform="eos", **options):
    return one_rack_plan(design, platform, **options)["tor_routers"]["tor1"]


def test_every_owned_object_is_named_with_the_prefix():
    names = ObjectNames.with_prefix("DC1-")
    assert names == ObjectNames(
        peer_group="DC1-NODES", peer_group_v6="DC1-NODES-V6",
        import_policy="DC1-FROM-NODES", export_policy="DC1-TO-NODES",
        accept_v4="DC1-NODE-PREFIXES-V4", accept_v6="DC1-NODE-PREFIXES-V6",
        pool_v4="DC1-POOL-BLOCKS-V4", pool_v6="DC1-POOL-BLOCKS-V6",
        default_v4="DC1-DEFAULT-V4", default_v6="DC1-DEFAULT-V6",
        rack_local="DC1-RACK-LOCAL", node_asns="DC1-NODES-ASNS",
        aggregate_v4="DC1-RACK-AGGREGATE-V4", aggregate_v6="DC1-RACK-AGGREGATE-V6",
        specifics_v4="DC1-RACK-SPECIFICS-V4", specifics_v6="DC1-RACK-SPECIFICS-V6",
        uplink_export="DC1-TO-UPLINKS", aggregate_attributes="DC1-RACK-AGGREGATE",
    )
    assert names.group(4) == "DC1-NODES" and names.group(6) == "DC1-NODES-V6"


def test_the_router_object_prefix_names_everything_rendered():
    entry = router("as_per_rack", "nxos")
    entry["object_prefix"] = "K8S-"
    model = build_model(entry)
    assert model.object_prefix == "K8S-" and model.names == ObjectNames.with_prefix("K8S-")
    text = tor.render_model(model)
    assert "CALICO-" not in text and "template peer K8S-NODES" in text


def test_model_carries_the_plan_values():
    entry = router("as_per_node", "junos", neighbor_mode="listen_range", pool_v6=POOL_V6, ttl_security=True,
                   timers={"keepalive": 7, "hold": 21, "connect_retry": 11})
    model = build_model(entry)
    assert (model.name, model.platform, model.asn, model.router_id) == ("tor1", "junos", 65101, "10.255.0.1")
    assert (model.peer_ip, model.peer_ip6, model.rack, model.design) == ("10.0.1.1", "fd00:0:1::1", "r1", "as_per_node")
    assert (model.keepalive, model.hold, model.connect_retry) == (7, 21, 11)
    assert (model.restart_time, model.stalepath_time) == (120, 360)
    assert (model.maximum_prefix, model.ttl_security_hops, model.listen_limit) == (12000, 1, 64)
    assert model.session_type == "ebgp" and not model.ibgp
    assert model.multipath_relax and model.send_pool_blocks
    assert not (model.route_reflector_client or model.next_hop_self or model.send_default)
    assert model.cluster_id is None and model.neighbor_mode == "listen_range"
    assert model.families == (4, 6)
    assert model.listen_ranges == (ListenRange("10.0.1.0/24", 4), ListenRange("fd00:0:1::/64", 6))
    assert model.listen_ranges_of(6) == (ListenRange("fd00:0:1::/64", 6),)
    # One session per node and family, each with the node's AS.
    assert model.neighbors == (NodeNeighbor("node11", "10.0.1.11", 65011, 4), NodeNeighbor("node11", "fd00:0:1::b", 65011, 6),
                               NodeNeighbor("node12", "10.0.1.12", 65012, 4), NodeNeighbor("node12", "fd00:0:1::c", 65012, 6))
    assert [n.ip for n in model.neighbors_of(6)] == ["fd00:0:1::b", "fd00:0:1::c"]


def test_as_per_rack_model_is_an_ibgp_reflector_with_next_hop_self():
    model = build_model(router("as_per_rack", "eos", send_default=True))
    assert model.ibgp and model.route_reflector_client and model.next_hop_self and model.send_default
    assert model.cluster_id == "10.255.0.1" and not model.multipath_relax
    assert model.families == (4,) and model.peer_ip6 is None
    assert model.listen_ranges == () and model.listen_limit is None


def test_prefix_rules_are_numbered_by_ten_per_family_and_normalised():
    entry = router("as_per_rack", "frr", pool_v6=POOL_V6)
    entry["accept_prefixes"] = [
        {"prefix": "192.168.0.0/16", "ge": 26, "le": 32, "family": 4},
        {"prefix": "FD00:10:244:0::/56", "ge": 122, "le": 128, "family": 6},
        {"prefix": "10.96.0.0/12", "le": 32, "family": 4},
    ]
    entry["aggregates"] = [{"prefix": "fd00:10:244::/60", "family": 6}, {"prefix": "192.168.0.0/22", "family": 4}]
    model = build_model(entry)
    assert model.accept_v4 == (PrefixRule(10, "192.168.0.0/16", 26, 32, 4), PrefixRule(20, "10.96.0.0/12", None, 32, 4))
    assert model.accept_v6 == (PrefixRule(10, "fd00:10:244::/56", 122, 128, 6),)
    assert model.accept_rules(6) == model.accept_v6 and model.accept_rules(4) == model.accept_v4
    assert model.pool_rules(4) == (PrefixRule(10, "192.168.0.0/16", 26, 32, 4),)
    assert model.pool_rules(6) == (PrefixRule(10, "fd00:10:244::/56", 122, 128, 6),)
    # Aggregates are exact prefixes, IPv4 ones first.
    assert model.aggregates == (PrefixRule(10, "192.168.0.0/22", None, None, 4), PrefixRule(10, "fd00:10:244::/60", None, None, 6))
    assert model.aggregates_of(6) == (PrefixRule(10, "fd00:10:244::/60", None, None, 6),)


def test_password_comes_from_the_render_secrets_and_never_shows_in_the_model_repr():
    entry = router("as_per_rack", "eos", password=True)
    model = build_model(entry, {"bgp_password": PASSWORD})
    assert model.password == PASSWORD and PASSWORD not in repr(model)
    # Without password_enabled the secret is not used at all.
    assert build_model(router("as_per_rack", "eos"), {"bgp_password": PASSWORD}).password is None


def test_rack_label_is_a_dash_for_a_router_without_rack():
    entry = router("as_per_rack", "eos")
    entry["rack"] = None
    assert build_model(entry).rack_label == "-"
    assert build_model(router("as_per_rack", "eos")).rack_label == "r1"


def test_every_problem_of_a_router_is_named_at_once():
    entry = router("as_per_rack", "eos", password=True, neighbor_mode="listen_range")
    entry.update(platform="vyos", design="spine_leaf", object_prefix="", listen_ranges=[])
    with pytest.raises(RenderError) as err:
        build_model(entry, {})
    assert err.value.messages == [
        "tor1: calico_tor_platform 'vyos' is not one of frr, eos, nxos, junos",
        "tor1: design 'spine_leaf' is not one of as_per_rack, as_per_node, downward_default",
        "tor1: the plan enables the BGP password but calico_bgp_password is not available at render time; "
        "pass it (vault) to the render",
        "tor1: object_prefix is empty; the collection needs it to tell its objects apart",
        "tor1: neighbor_mode listen_range without listen_ranges in the plan",
    ]


def test_explicit_neighbours_are_required_and_the_password_needs_secrets():
    entry = router("as_per_rack", "nxos", password=True)
    entry["neighbors"] = []
    with pytest.raises(RenderError) as err:
        build_model(entry)
    assert err.value.messages == [
        "tor1: the plan enables the BGP password but calico_bgp_password is not available at render time; "
        "pass it (vault) to the render",
        "tor1: no node neighbours for rack 'r1'",
    ]


def test_build_models_lists_routers_by_name_and_filters_platforms():
    plan = make_plan("as_per_rack", platforms=("junos", "frr", "eos"), racks=3)
    plan["tor_routers"] = dict(reversed(list(plan["tor_routers"].items())))
    assert [m.name for m in build_models(plan)] == ["tor1", "tor2", "tor3"]
    assert [(m.name, m.platform) for m in build_models(plan, platforms=("frr", "eos"))] == [("tor2", "frr"), ("tor3", "eos")]
    assert build_models({"tor_routers": {}}) == [] and build_models({}) == []


def test_build_models_collects_the_problems_of_every_router():
    plan = make_plan("as_per_rack", platforms=("eos", "nxos"), racks=2)
    plan["tor_routers"]["tor1"]["platform"] = "ios"
    plan["tor_routers"]["tor2"]["object_prefix"] = None
    with pytest.raises(RenderError) as err:
        build_models(plan, platforms=("frr",))
    assert err.value.messages == [
        "tor1: calico_tor_platform 'ios' is not one of frr, eos, nxos, junos",
        "tor2: object_prefix is empty; the collection needs it to tell its objects apart",
    ]


def test_render_gives_one_artifact_per_router_secret_only_with_the_password():
    plan = make_plan("as_per_rack", platforms=("frr", "eos", "nxos", "junos"), racks=4, password=True)
    artifacts = tor.render(plan, RenderContext(secrets={"bgp_password": PASSWORD}))
    assert [(a.path, a.mode, a.secret) for a in artifacts] == [(f"tor/tor{r}.conf", "0600", True) for r in range(1, 5)]
    for artifact, name in zip(artifacts, ("tor1", "tor2", "tor3", "tor4")):
        assert artifact.content == tor.router_config(plan, name, PASSWORD)
    plain = tor.render(make_plan("as_per_node", platforms=("eos",), racks=1), None)
    assert [(a.path, a.mode, a.secret) for a in plain] == [("tor/tor1.conf", "0644", False)]
    assert tor.artifact_path("leaf-7") == "tor/leaf-7.conf"


def test_render_without_context_refuses_a_password_plan():
    plan = make_plan("as_per_rack", platforms=("eos",), racks=1, password=True)
    with pytest.raises(RenderError, match="calico_bgp_password is not available"):
        tor.render(plan, None)


def test_router_config_renders_each_platform_with_its_renderer():
    plan = make_plan("as_per_rack", platforms=("frr", "eos", "nxos", "junos"), racks=4, password=True)
    texts = {name: tor.router_config(plan, name, PASSWORD) for name in ("tor1", "tor2", "tor3", "tor4")}
    assert "router bgp 65001\n bgp router-id 10.255.0.1\n neighbor CALICO-NODES peer-group\n" in texts["tor1"]  # FRR
    assert "router bgp 65002\n   neighbor CALICO-NODES peer group\n" in texts["tor2"]  # EOS: three spaces
    assert "router bgp 65003\n  template peer CALICO-NODES\n" in texts["tor3"]  # NX-OS template
    assert texts["tor4"].startswith("<configuration>\n")
    assert f"<authentication-key>{PASSWORD}</authentication-key>" in texts["tor4"]


def test_a_router_entry_without_a_name_is_still_reported():
    entry = router("as_per_rack", "eos")
    del entry["name"]
    entry["platform"] = None
    with pytest.raises(RenderError) as err:
        build_model(entry)
    assert err.value.messages == ["?: calico_tor_platform None is not one of frr, eos, nxos, junos"]


def test_a_filter_prefix_with_host_bits_is_refused_not_widened():
    # 192.168.1.0/16 is no network: rendering it as 192.168.0.0/16 would let nodes announce
    # (or receive) a range the plan never named.
    entry = router("as_per_rack", "eos")
    entry["accept_prefixes"] = [{"prefix": "192.168.1.0/16", "ge": 26, "le": 32, "family": 4}]
    with pytest.raises(ValueError, match="host bits set"):
        build_model(entry)
