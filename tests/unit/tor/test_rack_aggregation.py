"""Rack pools towards the spine: each rack's ToRs aggregate the rack's pool (issue 17, item 2).

The plans come from the real plan core (two racks, rack pools of /22 at indexes 0 and 3); the
FRR text is checked by the real ``vtysh -C -f`` and merged by the FRR push code.
"""

from __future__ import annotations

import copy
import shutil
import subprocess

import pytest

from ansible_collections.onprem.calico.plugins.module_utils.frr_tor_config import merge
from ansible_collections.onprem.calico.plugins.plugin_utils import tor
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from plan_inputs import tor_base

VTYSH = shutil.which("vtysh")


def rack_pool_plan(**cluster):
    inv = tor_base(calico_pod_cidr="10.244.0.0/16", calico_rack_pool_prefix_length=22, **cluster)
    inv.cluster["calico_racks"] = copy.deepcopy(inv.cluster["calico_racks"])
    inv.cluster["calico_racks"]["r1"]["index"] = 0
    inv.cluster["calico_racks"]["r2"]["index"] = 3
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    return result.plan


def rendered(plan, router):
    return {a.path: a.content for a in tor.render(plan, RenderContext(secrets={}))}["tor/%s.conf" % router]


def test_each_router_aggregates_only_its_own_rack():
    plan = rack_pool_plan()
    tor1 = plan["tor_routers"]["tor1"]
    assert tor1["aggregates"] == [{"prefix": "10.244.0.0/22", "family": 4}]
    assert plan["tor_routers"]["tor2"]["aggregates"] == [{"prefix": "10.244.12.0/22", "family": 4}]
    # Nodes may announce only their own rack's blocks...
    assert [a["prefix"] for a in tor1["accept_prefixes"] if a["family"] == 4 and a["prefix"].startswith("10.244.")] == ["10.244.0.0/22"]
    # ...and get their rack's blocks plus the other rack's pool whole (its aggregate comes from the spine).
    assert tor1["pool_blocks"] == [
        {"prefix": "10.244.0.0/22", "ge": 26, "le": 32, "family": 4},
        {"prefix": "10.244.12.0/22", "ge": None, "le": 32, "family": 4},
    ]


def test_without_rack_pools_nothing_is_aggregated():
    plan = build_plan(tor_base(calico_pod_cidr="10.244.0.0/16")).plan
    assert all(t["aggregates"] == [] for t in plan["tor_routers"].values())
    text = rendered(plan, "tor1")
    assert "aggregate-address" not in text and "TO-UPLINKS" not in text and "RACK-AGGREGATE" not in text


def test_frr_aggregate_without_summary_only_and_the_uplink_route_map():
    text = rendered(rack_pool_plan(), "tor1")
    lines = text.splitlines()
    assert "  aggregate-address 10.244.0.0/22 route-map CALICO-RACK-AGGREGATE" in lines
    assert not any("summary-only" in line for line in lines)
    assert "ip prefix-list CALICO-RACK-AGGREGATE-V4 seq 10 permit 10.244.0.0/22" in lines
    assert "ip prefix-list CALICO-RACK-SPECIFICS-V4 seq 10 permit 10.244.0.0/22 ge 23 le 32" in lines
    start = lines.index("route-map CALICO-TO-UPLINKS permit 10")
    assert lines[start:start + 9] == [
        "route-map CALICO-TO-UPLINKS permit 10", " match ip address prefix-list CALICO-RACK-AGGREGATE-V4", "exit",
        "route-map CALICO-TO-UPLINKS deny 20", " match ip address prefix-list CALICO-RACK-SPECIFICS-V4", "exit",
        "route-map CALICO-TO-UPLINKS permit 1000", "exit",
        "route-map CALICO-RACK-AGGREGATE permit 10",
    ]
    # The other rack's aggregate goes down to the nodes with the router as next hop.
    assert "ip prefix-list CALICO-POOL-BLOCKS-V4 seq 20 permit 10.244.12.0/22 le 32" in lines


@pytest.mark.skipif(VTYSH is None, reason="vtysh (Debian package frr) not installed")
def test_frr_text_is_valid_for_vtysh(tmp_path):
    for router in ("tor1", "tor2"):
        path = tmp_path / ("%s.conf" % router)
        path.write_text(rendered(rack_pool_plan(), router))
        proc = subprocess.run([VTYSH, "-C", "-f", str(path)], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


RUNNING = """frr version 8.4.4
frr defaults traditional
hostname tor1
!
route-map SPINE-POLICY permit 10
 call CALICO-TO-UPLINKS
exit
!
router bgp 65001
 neighbor 172.31.0.1 remote-as 65002
 !
 address-family ipv4 unicast
  aggregate-address 10.99.0.0/16 summary-only
  aggregate-address 10.244.8.0/22 route-map CALICO-RACK-AGGREGATE
  neighbor 172.31.0.1 route-map SPINE-POLICY out
 exit-address-family
exit
!
end
"""


def test_frr_push_owns_its_aggregates_and_keeps_the_sites():
    owned = rendered(rack_pool_plan(), "tor1")
    merged = merge(RUNNING, owned, "CALICO-")
    assert "  aggregate-address 10.99.0.0/16 summary-only" in merged  # the site's own
    assert "10.244.8.0/22" not in merged  # an aggregate of ours the plan no longer has
    assert merged.count("  aggregate-address 10.244.0.0/22 route-map CALICO-RACK-AGGREGATE") == 1
    assert " call CALICO-TO-UPLINKS" in merged
    assert merge(merged, owned, "CALICO-") == merged


# --- EOS, NX-OS, Junos: the same decisions, read back by the vendors' parsers ---------------

CONNECTIONS = {
    "eos": ("arista.eos.eos", "ansible.netcommon.httpapi"),
    "nxos": ("cisco.nxos.nxos", "ansible.netcommon.httpapi"),
    "junos": ("junipernetworks.junos.junos", "ansible.netcommon.netconf"),
}


def vendor_text(platform, **cluster):
    inv = tor_base(calico_pod_cidr="10.244.0.0/16", calico_rack_pool_prefix_length=22, **cluster)
    inv.cluster["calico_racks"] = copy.deepcopy(inv.cluster["calico_racks"])
    inv.cluster["calico_racks"]["r1"]["index"] = 0
    inv.cluster["calico_racks"]["r2"]["index"] = 3
    network_os, connection = CONNECTIONS[platform]
    inv.hosts["tor1"].update(calico_tor_platform=platform, ansible_network_os=network_os, ansible_connection=connection)
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    return next(a.content for a in tor.render(result.plan, RenderContext()) if a.path.startswith("tor/tor1."))


def uplink_entries(maps, key="prefix_list"):
    return [(e["action"], e["sequence"], (e.get("match", {}).get("ip", {}).get("address", {}) or {}).get(key)) for e in maps["CALICO-TO-UPLINKS"]]


def test_eos_aggregate_and_uplink_map_parsed_back_by_arista_eos():
    from vendor_parsers import parsed

    text = vendor_text("eos")
    assert parsed("eos", "bgp_global", text)["aggregate_address"] == [{"address": "10.244.0.0/22", "attribute_map": "CALICO-RACK-AGGREGATE"}]
    maps = {m["route_map"]: m["entries"] for m in parsed("eos", "route_maps", text)}
    assert uplink_entries(maps) == [("permit", 10, "CALICO-RACK-AGGREGATE-V4"), ("deny", 20, "CALICO-RACK-SPECIFICS-V4"), ("permit", 1000, None)]
    # arista.eos's prefix-list parser drops entries with both ge and le: those are checked on the text.
    assert "ip prefix-list CALICO-RACK-SPECIFICS-V4\n   seq 10 permit 10.244.0.0/22 ge 23 le 32\n" in text


def test_nxos_aggregate_and_uplink_map_parsed_back_by_cisco_nxos():
    from vendor_parsers import parsed

    text = vendor_text("nxos")
    (family,) = parsed("nxos", "bgp_address_family", text)["address_family"]
    assert family["afi"] == "ipv4" and family["aggregate_address"] == [{"prefix": "10.244.0.0/22", "attribute_map": "CALICO-RACK-AGGREGATE"}]
    maps = {m["route_map"]: m["entries"] for m in parsed("nxos", "route_maps", text)}
    assert [(a, s, (p or [None])[0]) for a, s, p in uplink_entries(maps, "prefix_lists")] == [
        ("permit", 10, "CALICO-RACK-AGGREGATE-V4"), ("deny", 20, "CALICO-RACK-SPECIFICS-V4"), ("permit", 1000, None)]
    lists = {p["name"]: p["entries"] for family in parsed("nxos", "prefix_lists", text) for p in family["prefix_lists"]}
    assert lists["CALICO-RACK-SPECIFICS-V4"] == [{"sequence": 10, "action": "permit", "prefix": "10.244.0.0/22", "ge": 23, "le": 32}]


def test_junos_aggregate_route_and_uplink_policy():
    # junipernetworks.junos has no parser for aggregates or policy statements: read as XML.
    import xml.etree.ElementTree as ET

    root = ET.fromstring(vendor_text("junos"))
    (route,) = root.findall("./routing-options/aggregate/route")
    assert (route.findtext("name"), route.findtext("policy"), route.get("replace")) == ("10.244.0.0/22", "CALICO-RACK-AGGREGATE", "replace")
    policies = {p.findtext("name"): p for p in root.findall("./policy-options/policy-statement")}
    terms = [(t.findtext("name"), t.findtext("from/protocol"), t.findtext("from/route-filter/address"),
              t.find("from/route-filter/exact") is not None, t.findtext("from/route-filter/prefix-length-range"), t.find("then")[0].tag)
             for t in policies["CALICO-TO-UPLINKS"].findall("term")]
    # No final term: routes outside the rack pool fall through to the site's next export policy.
    assert terms == [("RACK-AGGREGATE-V4-10", "aggregate", "10.244.0.0/22", True, None, "accept"),
                     ("RACK-SPECIFICS-V4-10", None, "10.244.0.0/22", False, "/23-/32", "reject")]
    contributors = [t.findtext("name") for t in policies["CALICO-RACK-AGGREGATE"].findall("term")]
    assert contributors == ["CONTRIBUTORS-V4-10", "REJECT-REST"]


def test_cli_push_owns_its_aggregates_and_keeps_the_sites():
    from ansible_collections.onprem.calico.plugins.module_utils.cli_tor_config import changes

    text = vendor_text("nxos")
    running = ("router bgp 65001\n  address-family ipv4 unicast\n    aggregate-address 10.99.0.0/16 summary-only\n"
               "    aggregate-address 10.244.8.0/22 attribute-map CALICO-RACK-AGGREGATE\n")
    sent = changes(running, text, "CALICO-", "nxos")["commands"]
    assert "no aggregate-address 10.244.8.0/22 attribute-map CALICO-RACK-AGGREGATE" in sent
    assert "aggregate-address 10.244.0.0/22 attribute-map CALICO-RACK-AGGREGATE" in sent
    assert "10.99.0.0/16" not in sent
