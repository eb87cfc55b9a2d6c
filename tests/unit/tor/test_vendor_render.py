"""EOS / NX-OS / Junos artifacts, rendered in process from the same model as FRR.

Each artifact is compared line by line with a reviewed fixture, then read back by the vendor
collections' own parsers (``state: parsed``, called in process by ``vendor_parsers``): the
independent check that the text says what the plan means. Fields the parsers keep and the
tests compare:

- arista.eos: bgp_global (AS, peer-group membership, remote AS, route-reflector-client,
  maximum-routes, node descriptions), route_maps (entries, actions, matched prefix lists and
  AS-path list). Its prefix_lists parser drops entries with both ``ge`` and ``le``, and its
  route_maps parser misreads ``set ip next-hop peer-address``: those are checked on the text.
- cisco.nxos: bgp_global (AS, multipath-relax, node neighbours with template, remote AS,
  description; under a prefix neighbour only the remote-AS route map), bgp_templates (remote AS, timers, per-family route-reflector-client, route
  maps, maximum-prefix), route_maps (entries, matched prefix lists and AS-path lists).
- junipernetworks.junos: bgp_global (groups: type, import/export, hold time, multipath,
  allow, neighbours with peer AS, authentication key). It splits ``import`` into characters.
"""

from __future__ import annotations

import os

import pytest
from sample_plan import make_plan
from vendor_parsers import parsed

from ansible_collections.onprem.calico.plugins.plugin_utils import tor
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
PASSWORD = "s3cret-bgp"

SCENARIOS = {
    # the same rack layout and design on all four platforms, with a BGP password
    "as_per_rack": dict(design="as_per_rack", platforms=("frr", "eos", "nxos", "junos"), password=True, racks=4,
                        send_default=True),
    # eBGP per node with listen ranges, dual stack and GTSM, vendors only
    "as_per_node_listen": dict(design="as_per_node", platforms=("eos", "nxos", "junos"), neighbor_mode="listen_range",
                               pool_v6="fd00:10:244::/56", racks=3, ttl_security=True),
}


def render_scenario(name):
    plan = make_plan(**SCENARIOS[name])
    secrets = {"bgp_password": PASSWORD} if SCENARIOS[name].get("password") else {}
    return plan, {os.path.basename(a.path)[:-5]: a for a in tor.render(plan, RenderContext(secrets=secrets))}


def assert_matches_fixture(name, text, fixture_name):
    expected = open(os.path.join(FIXTURES, fixture_name), encoding="utf-8").read().splitlines()
    actual = text.splitlines()
    for number, (want, got) in enumerate(zip(expected, actual), start=1):
        assert got == want, f"{name} line {number}: {got!r} != fixture {want!r}"
    assert len(actual) == len(expected), f"{name}: {len(actual)} lines, fixture has {len(expected)}"


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_artifacts_match_reviewed_fixtures(scenario):
    plan, artifacts = render_scenario(scenario)
    for name, router in plan["tor_routers"].items():
        assert_matches_fixture(name, artifacts[name].content, f"{scenario}-{router['platform']}.conf")


def test_same_plan_on_all_four_platforms():
    plan, artifacts = render_scenario("as_per_rack")
    assert sorted(r["platform"] for r in plan["tor_routers"].values()) == ["eos", "frr", "junos", "nxos"]
    for name, router in plan["tor_routers"].items():
        text = artifacts[name].content
        # Every platform carries the same decisions: AS, node addresses, filters, password
        # (Junos names no AS: its groups live inside the router's own, never changed).
        assert router["platform"] == "junos" or f"router bgp {router['asn']}\n" in text
        for neighbor in router["neighbors"]:
            assert neighbor["ip"] in text and neighbor["node"] in text
        assert "192.168.0.0/16" in text and "10.96.0.0/12" in text and PASSWORD in text
        assert "allowas" not in text.lower()
        # Secret: mode 0600.
        assert artifacts[name].secret and artifacts[name].mode == "0600"


def test_vendor_artifacts_without_password_are_not_secret():
    _plan, artifacts = render_scenario("as_per_node_listen")
    assert {a.mode for a in artifacts.values()} == {"0644"}


# --- issue 14 defects: each assertion fails on the resource-module renderers it replaces ---

def test_junos_changes_nothing_outside_its_objects():
    # Defects 1 and 5: no discard default, no AS / router id / global graceful restart.
    for scenario in SCENARIOS:
        plan, artifacts = render_scenario(scenario)
        for name, router in plan["tor_routers"].items():
            if router["platform"] != "junos":
                continue
            text = artifacts[name].content
            assert "routing-options" not in text and "discard" not in text and "<static>" not in text
            assert "autonomous-system" not in text and "router-id" not in text
            assert "graceful-restart" not in text


def test_no_blanket_next_hop_self_and_no_originated_default_anywhere():
    # Defects 3, 4, 6: next hop self only in the uplink terms, the default only passed through.
    for design in ("as_per_rack", "downward_default"):
        plan = make_plan(design, platforms=("frr", "eos", "nxos", "junos"), racks=4, send_default=True)
        for artifact in tor.render(plan, RenderContext()):
            text = artifact.content
            assert "next-hop-self" not in text and "default-originate" not in text and "default_originate" not in text
            assert "maximum-paths" not in text  # ECMP limits are the router's own (defect 5)
    plan = make_plan("as_per_rack", platforms=("junos",), racks=1)
    text = tor.render(plan, RenderContext())[0].content
    rack_term = text.split("<name>RACK-POOL-BLOCKS-V4</name>")[1].split("</term>")[0]
    uplink_term = text.split("<name>POOL-BLOCKS-V4</name>")[1].split("</term>")[0]
    assert "<as-path>CALICO-RACK-LOCAL</as-path>" in rack_term and "<self/>" not in rack_term
    assert "<self/>" in uplink_term


# --- the vendors' parsers read our text back ---

def test_eos_parsed_back_by_arista_eos():
    plan, artifacts = render_scenario("as_per_rack")
    text = artifacts["tor2"].content
    bgp = parsed("eos", "bgp_global", text)
    assert bgp["as_number"] == "65002"
    group = [n for n in bgp["neighbor"] if n["neighbor_address"] == "CALICO-NODES"][0]
    assert group["remote_as"] == "65002" and group["route_reflector_client"] is True
    assert group["maximum_received_routes"] == {"count": 12000}
    assert "next_hop_self" not in group and "default_originate" not in group
    members = {n["neighbor_address"]: n for n in bgp["neighbor"] if n["neighbor_address"] != "CALICO-NODES"}
    assert {ip: (n["peer_group"], n["description"]) for ip, n in members.items()} == {
        n["ip"]: ("CALICO-NODES", n["node"]) for n in plan["tor_routers"]["tor2"]["neighbors"]}
    maps = {m["route_map"]: m["entries"] for m in parsed("eos", "route_maps", text)}
    to_nodes = [(e["action"], e["sequence"], e.get("match", {}).get("ip", {}).get("address", {}).get("prefix_list"),
                 e.get("match", {}).get("as_path", {}).get("path_list")) for e in maps["CALICO-TO-NODES"]]
    assert to_nodes == [("permit", 10, "CALICO-POOL-BLOCKS-V4", "CALICO-RACK-LOCAL"),
                        ("permit", 20, "CALICO-POOL-BLOCKS-V4", None),
                        ("permit", 30, "CALICO-DEFAULT-V4", None),
                        ("deny", 1000, None, None)]
    lists = {p["name"]: p for family in parsed("eos", "prefix_lists", text) for p in family["prefix_lists"]}
    assert set(lists) == {"CALICO-NODE-PREFIXES-V4", "CALICO-POOL-BLOCKS-V4", "CALICO-DEFAULT-V4"}
    assert {"sequence": 10, "action": "permit", "address": "0.0.0.0/0"} in lists["CALICO-DEFAULT-V4"]["entries"]


def test_nxos_parsed_back_by_cisco_nxos():
    plan, artifacts = render_scenario("as_per_node_listen")
    text = artifacts["tor2"].content
    bgp = parsed("nxos", "bgp_global", text)
    assert bgp["as_number"] == "65102" and bgp["bestpath"] == {"as_path": {"multipath_relax": True}}
    prefixes = {n["neighbor_address"]: n for n in bgp["neighbors"]}
    assert set(prefixes) == {"10.0.2.0/24", "fd00:0:2::/64"}
    # The parser keeps no inherit / maximum-peers under a prefix neighbour: checked on the text.
    assert {p["remote_as_route_map"] for p in prefixes.values()} == {"CALICO-NODES-ASNS"}
    assert "  neighbor 10.0.2.0/24 remote-as route-map CALICO-NODES-ASNS\n    inherit peer CALICO-NODES\n" in text
    assert "  neighbor fd00:0:2::/64 remote-as route-map CALICO-NODES-ASNS\n    inherit peer CALICO-NODES-V6\n" in text
    templates = {t["name"]: t for t in parsed("nxos", "bgp_templates", text)["neighbor"]}
    for name, afi in (("CALICO-NODES", "ipv4"), ("CALICO-NODES-V6", "ipv6")):
        assert templates[name]["timers"] == {"keepalive": 3, "holdtime": 9}
        assert templates[name]["ttl_security"] == {"hops": 1}
        family = templates[name]["address_family"]
        assert [(f["afi"], f["route_map"], f["maximum_prefix"]) for f in family] == [
            (afi, {"inbound": "CALICO-FROM-NODES", "outbound": "CALICO-TO-NODES"}, {"max_prefix_limit": 12000})]
    maps = {m["route_map"]: m["entries"] for m in parsed("nxos", "route_maps", text)}
    assert [(e["action"], e["sequence"]) for e in maps["CALICO-TO-NODES"]] == [("permit", 10), ("permit", 20), ("deny", 1000)]
    assert maps["CALICO-TO-NODES"][1]["match"]["ipv6"]["address"]["prefix_lists"] == ["CALICO-POOL-BLOCKS-V6"]


def test_junos_parsed_back_by_junipernetworks_junos():
    plan, artifacts = render_scenario("as_per_rack")
    text = artifacts["tor4"].content
    groups = {g["name"]: g for g in parsed("junos", "bgp_global", text)["groups"]}
    group = groups["CALICO-NODES"]
    assert group["type"] == "internal" and "".join(group["import"]) == "CALICO-FROM-NODES"
    assert group["export"] == "CALICO-TO-NODES" and group["hold_time"] == 9
    assert group["authentication_key"] == PASSWORD
    assert {n["neighbor_address"] for n in group["neighbors"]} == {n["ip"] for n in plan["tor_routers"]["tor4"]["neighbors"]}
    _plan, listen = render_scenario("as_per_node_listen")
    groups = {g["name"]: g for g in parsed("junos", "bgp_global", listen["tor3"].content)["groups"]}
    assert groups["CALICO-NODES"]["allow"] == ["10.0.3.0/24"] and groups["CALICO-NODES-V6"]["allow"] == ["fd00:0:3::/64"]
    assert groups["CALICO-NODES"]["multipath"] == {"multiple_as": True} and groups["CALICO-NODES"]["type"] == "external"


def test_junos_replaces_only_owned_objects_whole():
    # load replace swaps elements marked replace="replace": exactly the owned objects.
    _plan, artifacts = render_scenario("as_per_node_listen")
    text = artifacts["tor3"].content
    marked = [line.strip().split(">")[0] for line in text.splitlines() if 'replace="replace"' in line]
    assert marked == ['<policy-statement replace="replace"', '<policy-statement replace="replace"',
                      '<as-list replace="replace"', '<group replace="replace"', '<group replace="replace"']
    assert "<protocols>\n    <bgp>\n" in text  # the bgp container itself is merged, not replaced
