"""The FRR merge: only collection-owned objects change, everything else stays byte for byte."""

from __future__ import annotations

import pytest
from sample_plan import make_plan

from ansible_collections.onprem.calico.plugins.module_utils.frr_tor_config import (
    FrrConfigError,
    foreign_changes,
    merge,
    parse_reload_test,
    redact,
    split_chunks,
)
from ansible_collections.onprem.calico.plugins.plugin_utils import tor
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext

RUNNING = """Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
hostname tor1
service integrated-vtysh-config
!
ip prefix-list SPINE-ANY seq 5 permit any
ip prefix-list CALICO-OLD seq 5 permit 10.0.0.0/8
!
route-map SPINE-POLICY permit 10
 match ip address prefix-list SPINE-ANY
exit
!
route-map CALICO-FROM-NODES permit 10
 match ip address prefix-list CALICO-OLD
exit
!
router bgp 65001
 bgp router-id 10.255.0.1
 bgp graceful-restart stalepath-time 300
 neighbor CALICO-NODES peer-group
 neighbor CALICO-NODES remote-as internal
 neighbor 10.0.1.99 peer-group CALICO-NODES
 neighbor 10.0.1.99 description removed-node
 neighbor 172.31.0.1 remote-as 65002
 neighbor 172.31.0.1 description spine uplink
 !
 address-family ipv4 unicast
  network 10.255.0.1/32
  neighbor CALICO-NODES route-reflector-client
  neighbor 172.31.0.1 route-map SPINE-POLICY in
  neighbor 172.31.0.1 route-map SPINE-POLICY out
  maximum-paths ibgp 4
 exit-address-family
exit
!
router bgp 65001 vrf mgmt
 neighbor 192.0.2.1 remote-as 65100
exit
!
line vty
 exec-timeout 0 0
exit
!
end
"""


def owned_config(**kwargs):
    plan = make_plan(**kwargs)
    return tor.render(plan, RenderContext(secrets={"bgp_password": "s3cret"}))[0].content


def foreign(text):
    """Lines not owned by the collection, in order, separators dropped."""
    out = []
    for chunk in split_chunks(text):
        if "CALICO-" in chunk[0]:
            continue
        out += [line for line in chunk if "CALICO-" not in line and "10.0.1.1" not in line and "10.0.1.99" not in line
                and "router-id" not in line and "maximum-paths" not in line]
    return out


def test_foreign_lines_survive_in_order():
    merged = merge(RUNNING, owned_config(), "CALICO-")
    assert foreign(merged) == foreign(RUNNING.split("Current configuration:")[1])
    assert "router bgp 65001 vrf mgmt\n neighbor 192.0.2.1 remote-as 65100\nexit" in merged
    assert "line vty\n exec-timeout 0 0\nexit" in merged
    assert "  network 10.255.0.1/32" in merged


def test_owned_objects_are_replaced_and_stale_members_dropped():
    merged = merge(RUNNING, owned_config(), "CALICO-")
    assert "CALICO-OLD" not in merged
    assert "10.0.1.99" not in merged  # a node no longer in the plan leaves with its group
    # ECMP limits govern the uplinks too: the router's own value stays.
    assert "  maximum-paths ibgp 4" in merged and "maximum-paths ibgp 8" not in merged
    assert merged.count("router bgp 65001\n") == 1
    assert " neighbor 10.0.1.11 peer-group CALICO-NODES" in merged
    assert "ip prefix-list CALICO-NODE-PREFIXES-V4 seq 10 permit 192.168.0.0/16 ge 26 le 32" in merged


def test_merge_is_stable():
    once = merge(RUNNING, owned_config(), "CALICO-")
    assert merge(once, owned_config(), "CALICO-") == once


def test_fresh_router_gets_the_whole_router_block():
    running = "frr version 8.4.4\nfrr defaults traditional\nhostname tor1\n!\nend\n"
    merged = merge(running, owned_config(), "CALICO-")
    assert merged.startswith("frr version 8.4.4\nfrr defaults traditional\nhostname tor1\nrouter bgp 65001\n")


def test_router_id_and_graceful_restart_are_the_routers_own():
    gr_plan = make_plan()
    gr_plan["tor_routers"]["tor1"]["graceful_restart"] = {"restart_time": 90, "stalepath_time": 400}
    planned_timers = tor.render(gr_plan, RenderContext(secrets={"bgp_password": "s3cret"}))[0].content
    assert " bgp graceful-restart restart-time 90" in planned_timers  # what a fresh router would get
    merged = merge(RUNNING, planned_timers, "CALICO-")
    assert " bgp graceful-restart stalepath-time 300\n" in merged
    assert "restart-time 90" not in merged and "stalepath-time 400" not in merged
    assert merged.count(" bgp router-id 10.255.0.1\n") == 1
    # A router that picks its id itself is not given one (that would reset every session).
    no_id = merge(RUNNING.replace(" bgp router-id 10.255.0.1\n", ""), planned_timers, "CALICO-")
    assert "bgp router-id" not in no_id
    fresh = merge("hostname tor1\n!\nend\n", planned_timers, "CALICO-")
    assert " bgp router-id 10.255.0.1\n" in fresh and " bgp graceful-restart restart-time 90\n" in fresh


def test_router_with_another_router_id_is_refused():
    with pytest.raises(FrrConfigError, match="router-id is 10.255.0.9 but the plan says 10.255.0.1; the collection never"):
        merge(RUNNING.replace("bgp router-id 10.255.0.1", "bgp router-id 10.255.0.9"), owned_config(), "CALICO-")


def test_new_address_family_is_added_when_missing():
    merged = merge(RUNNING, owned_config(pool_v6="fd00:10:244::/56"), "CALICO-")
    assert " address-family ipv6 unicast\n  neighbor CALICO-NODES-V6 activate" in merged


def test_multipath_relax_is_added_once_and_never_removed():
    from ansible_collections.onprem.calico.plugins.module_utils.frr_tor_config import router_wide_additions

    # as_per_node on a router of AS 65001 (the sample plan gives the ToR AS 65101).
    as_per_node = owned_config(design="as_per_node").replace("router bgp 65101", "router bgp 65001")
    assert router_wide_additions(RUNNING, as_per_node) == ["bgp bestpath as-path multipath-relax"]
    merged = merge(RUNNING, as_per_node, "CALICO-")
    assert merged.count(" bgp bestpath as-path multipath-relax\n") == 1
    # Present already: not added again, not reported.
    assert router_wide_additions(merged, as_per_node) == []
    assert merge(merged, as_per_node, "CALICO-").count("multipath-relax") == 1
    # A design that does not need it leaves the router's line alone.
    assert merge(merged, owned_config(), "CALICO-").count(" bgp bestpath as-path multipath-relax\n") == 1
    adds = [(("router bgp 65001",), "bgp bestpath as-path multipath-relax")]
    assert foreign_changes(adds, "CALICO-", set(), "65001") == []
    removal = [(("router bgp 65001",), "no bgp bestpath as-path multipath-relax")]
    assert foreign_changes(removal, "CALICO-", set(), "65001") == removal


def test_as_path_lists_with_the_prefix_are_owned():
    merged = merge(RUNNING.replace("line vty", "bgp as-path access-list CALICO-STALE seq 5 permit ^1$\n"
                                   "bgp as-path access-list SPINE-PATHS seq 5 permit ^65002$\nline vty"),
                   owned_config(), "CALICO-")
    assert "CALICO-STALE" not in merged and "bgp as-path access-list SPINE-PATHS seq 5 permit ^65002$" in merged
    assert "bgp as-path access-list CALICO-RACK-LOCAL seq 5 permit ^$" in merged


def test_router_with_another_as_is_refused():
    with pytest.raises(FrrConfigError, match="never changes a router's AS"):
        merge(RUNNING.replace("router bgp 65001\n", "router bgp 65099\n"), owned_config(), "CALICO-")


def test_rendered_text_with_foreign_objects_is_refused():
    with pytest.raises(FrrConfigError, match="is not a CALICO-"):
        merge(RUNNING, owned_config() + "ip prefix-list OTHER seq 5 permit any\n", "CALICO-")


def test_empty_prefix_is_refused():
    with pytest.raises(FrrConfigError, match="object_prefix is empty"):
        merge(RUNNING, owned_config(), "")


RELOAD_TEST = """
Lines To Delete
===============
router bgp 65001
 no neighbor 10.0.1.99 peer-group CALICO-NODES
no ip prefix-list CALICO-OLD seq 5 permit 10.0.0.0/8
router bgp 65001
 address-family ipv4 unicast
  no neighbor CALICO-NODES maximum-prefix 10

Lines To Add
============
route-map CALICO-TO-NODES permit 10
router bgp 65001
 neighbor 10.0.1.11 peer-group CALICO-NODES
router bgp 65001
 neighbor CALICO-NODES password s3cret
"""


def test_reload_test_output_is_parsed_into_changes():
    deletes, adds = parse_reload_test(RELOAD_TEST)
    assert deletes == [
        (("router bgp 65001",), "no neighbor 10.0.1.99 peer-group CALICO-NODES"),
        ((), "no ip prefix-list CALICO-OLD seq 5 permit 10.0.0.0/8"),
        (("router bgp 65001", "address-family ipv4 unicast"), "no neighbor CALICO-NODES maximum-prefix 10"),
    ]
    assert adds[0] == ((), "route-map CALICO-TO-NODES permit 10")
    assert len(adds) == 3


def test_owned_changes_pass_and_foreign_ones_are_named():
    deletes, adds = parse_reload_test(RELOAD_TEST)
    neighbors = {"10.0.1.99", "10.0.1.11", "CALICO-NODES"}
    assert foreign_changes(deletes + adds, "CALICO-", neighbors, "65001") == []
    spine = [(("router bgp 65001",), "no neighbor 172.31.0.1 remote-as 65002"),
             ((), "no route-map SPINE-POLICY permit 10"),
             (("router bgp 65001", "address-family ipv4 unicast"), "no network 10.255.0.1/32"),
             (("router bgp 65001", "address-family ipv4 unicast"), "no maximum-paths ibgp 4")]
    assert foreign_changes(spine, "CALICO-", neighbors, "65001") == spine


def test_passwords_never_leave_the_module():
    assert redact(" neighbor CALICO-NODES password s3cret\n") == " neighbor CALICO-NODES password ********\n"
    adds = parse_reload_test(RELOAD_TEST)[1]
    from ansible_collections.onprem.calico.plugins.module_utils.frr_tor_config import format_changes

    assert "s3cret" not in " ".join(format_changes(adds))
