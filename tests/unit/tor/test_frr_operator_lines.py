"""An operator's own lines inside ``router bgp`` are not the collection's: the merge keeps them
where they are, and the foreign-change safety net names any change to them (issue 18).

FRR's own commands, written as ``show running-config`` prints them (FRR 8.4 user guide, "BGP"):
best-path tie-breakers, keepalive/hold timers, neighbour logging, redistribution and networks.
"""

from __future__ import annotations

import itertools

import pytest
from sample_plan import make_plan

from ansible_collections.onprem.calico.plugins.module_utils.frr_tor_config import (
    FrrConfigError,
    foreign_changes,
    merge,
    owned_neighbors,
    owned_router_line,
    router_wide_additions,
    split_chunks,
)
from ansible_collections.onprem.calico.plugins.plugin_utils import tor
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext

OPERATOR_BODY = [
    " bgp log-neighbor-changes",
    " bgp bestpath compare-routerid",
    " bgp bestpath as-path confed",
    " bgp bestpath med missing-as-worst",
    " timers bgp 3 9",
    " bgp graceful-restart",
    " no bgp default ipv4-unicast",
    " bgp listen range 10.9.0.0/24 peer-group SPINES",
    " neighbor SPINES peer-group",
    " neighbor SPINES remote-as external",
    " neighbor 172.31.0.1 remote-as 65002",
]
OPERATOR_IPV4 = [
    "  redistribute connected route-map SPINE-POLICY",
    "  redistribute static",
    "  network 10.255.0.1/32",
    "  aggregate-address 10.1.0.0/16 summary-only",
    "  neighbor SPINES activate",
]
RUNNING = "\n".join(
    ["frr version 8.4.4", "frr defaults traditional", "hostname tor1", "!",
     "route-map SPINE-POLICY permit 10", "exit", "!",
     "router bgp 65001", " bgp router-id 10.255.0.1"] + OPERATOR_BODY
    + [" !", " address-family ipv4 unicast"] + OPERATOR_IPV4 + [" exit-address-family", "exit", "!", "end", ""])


def owned_config(**kwargs):
    plan = make_plan(**kwargs)
    return tor.render(plan, RenderContext(secrets={"bgp_password": "s3cret"}))[0].content


def router_of(text):
    (router,) = [c for c in split_chunks(text) if c[0] == "router bgp 65001"]
    return router


def ipv4_family_of(router):
    start = router.index(" address-family ipv4 unicast")
    return router[start + 1:router.index(" exit-address-family", start)]


@pytest.mark.parametrize("design", ["as_per_rack", "as_per_node"])
def test_operator_lines_inside_router_bgp_survive_in_order(design):
    owned = owned_config(design=design).replace("router bgp 65101", "router bgp 65001")
    merged = merge(RUNNING, owned, "CALICO-")
    router = router_of(merged)
    assert [line for line in router if line in OPERATOR_BODY] == OPERATOR_BODY
    assert [line for line in ipv4_family_of(router) if line in OPERATOR_IPV4] == OPERATOR_IPV4
    # The router's identity stays its own: its router id once, no graceful-restart timers added.
    assert router.count(" bgp router-id 10.255.0.1") == 1
    assert not [line for line in router if "graceful-restart restart-time" in line or "stalepath-time" in line]
    # Merging again changes no line (the design line may move within the block: FRR prints the
    # router's lines in its own order, and frr-reload.py compares lines, not their order).
    assert sorted(merge(merged, owned, "CALICO-").splitlines()) == sorted(merged.splitlines())


def test_another_router_id_on_the_router_stops_the_merge():
    owned = owned_config().replace("router bgp 65101", "router bgp 65001")
    with pytest.raises(FrrConfigError, match="bgp router-id is 10.255.0.9 but the plan says 10.255.0.1"):
        merge(RUNNING.replace("bgp router-id 10.255.0.1", "bgp router-id 10.255.0.9"), owned, "CALICO-")


def test_a_design_line_next_to_operator_bestpath_lines_is_added_not_swapped():
    as_per_node = owned_config(design="as_per_node").replace("router bgp 65101", "router bgp 65001")
    assert router_wide_additions(RUNNING, as_per_node) == ["bgp bestpath as-path multipath-relax"]
    router = router_of(merge(RUNNING, as_per_node, "CALICO-"))
    assert router.count(" bgp bestpath as-path multipath-relax") == 1
    assert " bgp bestpath compare-routerid" in router and " bgp bestpath as-path confed" in router


@pytest.mark.parametrize("line", [line.strip() for line in OPERATOR_BODY])
def test_a_change_to_an_operator_router_line_is_foreign(line):
    neighbors = owned_neighbors(router_of(RUNNING), "CALICO-", {"10.0.1.11", "CALICO-NODES"})
    assert not owned_router_line(line, "", "CALICO-", neighbors)
    for change in ((("router bgp 65001",), "no " + line), (("router bgp 65001",), line)):
        assert foreign_changes([change], "CALICO-", neighbors, "65001") == [change]


@pytest.mark.parametrize("line", [line.strip() for line in OPERATOR_IPV4])
def test_a_change_to_an_operator_address_family_line_is_foreign(line):
    neighbors = owned_neighbors(router_of(RUNNING), "CALICO-", {"10.0.1.11", "CALICO-NODES"})
    context = ("router bgp 65001", "address-family ipv4 unicast")
    assert not owned_router_line(line, context[1], "CALICO-", neighbors)
    change = (context, "no " + line)
    assert foreign_changes([change], "CALICO-", neighbors, "65001") == [change]


def test_the_collection_router_wide_lines_are_owned_and_pass_the_safety_net():
    """The counterpart: the lines the collection does own are not reported as foreign."""
    owned_lines = ["bgp listen limit 200", "bgp listen range 10.1.1.0/24 peer-group CALICO-NODES"]
    changes = [(("router bgp 65001",), prefix + line) for line in owned_lines for prefix in ("", "no ")]
    changes.append((("router bgp 65001",), "bgp bestpath as-path multipath-relax"))
    assert foreign_changes(changes, "CALICO-", set(), "65001") == []


def test_the_router_identity_is_owned_only_in_a_router_the_collection_creates():
    identity = [(("router bgp 65001",), line) for line in
                ("bgp router-id 10.255.0.1", "bgp graceful-restart restart-time 120", "bgp graceful-restart stalepath-time 360")]
    assert foreign_changes(identity, "CALICO-", set(), "65001") == identity
    assert foreign_changes([((), "router bgp 65001")] + identity, "CALICO-", set(), "65001", router_created=True) == []
    # Taking an identity line away is never the collection's, even from a router it created.
    removal = [(("router bgp 65001",), "no bgp router-id 10.255.0.9")]
    assert foreign_changes(removal, "CALICO-", set(), "65001", router_created=True) == removal


def test_the_safety_net_reads_every_change_of_a_mixed_list():
    """Owned and foreign changes interleaved, as frr-reload.py --test prints them: every foreign
    one is named, in order, whatever comes before it."""
    router, ipv4 = ("router bgp 65001",), ("router bgp 65001", "address-family ipv4 unicast")
    owned = [
        ((), "no ip prefix-list CALICO-OLD seq 5 permit 10.0.0.0/8"),
        ((), "route-map CALICO-TO-NODES permit 10"),
        (("route-map CALICO-TO-NODES permit 10",), "match ip address prefix-list CALICO-NODE-PREFIXES-V4"),
        (router, "neighbor 10.0.1.11 peer-group CALICO-NODES"),
        (router, "address-family ipv6 unicast"),
        (router, "bgp bestpath as-path multipath-relax"),
        (ipv4, "neighbor CALICO-NODES route-map CALICO-FROM-NODES in"),
    ]
    foreign = [
        ((), "no route-map SPINE-POLICY permit 10"),
        (("route-map SPINE-POLICY permit 10",), "no match ip address prefix-list SPINE-ANY"),
        (router, "no bgp bestpath compare-routerid"),
        (router, "no bgp router-id 10.255.0.9"),
        (router, "no timers bgp 3 9"),
        (router, "no bgp bestpath as-path multipath-relax"),
        (ipv4, "no redistribute connected route-map SPINE-POLICY"),
        (("router bgp 65001", "address-family l2vpn evpn", "vni 10"), "neighbor CALICO-NODES activate"),
        (("router bgp 65001 vrf mgmt",), "no neighbor 192.0.2.1 remote-as 65100"),
        ((), "no router bgp 65001"),
    ]
    changes = [change for pair in itertools.zip_longest(owned, foreign) for change in pair if change]
    assert len(changes) == len(owned) + len(foreign)
    neighbors = {"10.0.1.11", "CALICO-NODES"}
    assert foreign_changes(changes, "CALICO-", neighbors, "65001") == foreign


def test_creating_the_router_is_owned_only_when_the_collection_creates_it():
    created = [((), "router bgp 65001")]
    assert foreign_changes(created, "CALICO-", set(), "65001", router_created=True) == []
    assert foreign_changes(created, "CALICO-", set(), "65001") == created
    spine = (("router bgp 65001",), "neighbor 172.31.0.1 remote-as 65002")
    assert foreign_changes(created + [spine], "CALICO-", set(), "65001", router_created=True) == [spine]
    # Deleting a router, or creating one of another AS, is never the collection's.
    for change in (((), "no router bgp 65001"), ((), "router bgp 65099")):
        assert foreign_changes([change], "CALICO-", set(), "65001", router_created=True) == [change]


@pytest.mark.parametrize(
    ("header", "owned"),
    [
        ("ip prefix-list CALICO-NODE-PREFIXES-V4 seq 10 permit 192.168.0.0/16 ge 26 le 32", True),
        ("no ip prefix-list CALICO-OLD", True),
        ("no ipv6 prefix-list CALICO-OLD-V6 seq 5 permit ::/0", True),
        ("no route-map CALICO-TO-NODES permit 10", True),
        ("no bgp as-path access-list CALICO-RACK-LOCAL seq 5 permit ^$", True),
        # The short forms that delete a whole list or route-map.
        ("no route-map CALICO-OLD", True),
        ("no bgp as-path access-list CALICO-OLD", True),
        # Only prefix-lists, route-maps and AS-path lists are the collection's, whatever their name.
        ("bgp community-list standard CALICO-COMMUNITY permit 65001:1", False),
        ("no ip prefix-list SPINE-ANY", False),
        ("route-map SPINE-POLICY permit 10", False),
        ("agentx", False),
        ("no agentx", False),
    ],
)
def test_top_level_objects_owned_by_their_name(header, owned):
    from ansible_collections.onprem.calico.plugins.module_utils.frr_tor_config import _owned_top_level

    assert _owned_top_level(header, "CALICO-") is owned


def test_owned_neighbors_are_the_prefixed_groups_and_their_members():
    chunk = ["router bgp 65001", " neighbor 10.0.1.5 peer-group CALICO-NODES", " neighbor CALICO-NODES peer-group",
             " neighbor 172.31.0.1 remote-as 65002", " neighbor 172.31.0.2 peer-group SPINES", " bgp listen range 10.9.0.0/24 peer-group SPINES"]
    assert owned_neighbors(chunk, "CALICO-") == {"10.0.1.5", "CALICO-NODES"}
    assert owned_neighbors(chunk, "CALICO-", {"10.0.1.6"}) == {"10.0.1.5", "10.0.1.6", "CALICO-NODES"}


@pytest.mark.parametrize(
    ("line", "context", "owned"),
    [
        ("no bgp router-id 10.255.0.9", "", False),
        ("bgp listen limit 200", "", True),
        ("no neighbor 10.0.1.5 peer-group CALICO-NODES", "", True),
        ("neighbor CALICO-NEW peer-group", "", True),
        ("no neighbor 172.31.0.1 remote-as 65002", "", False),
        ("bgp listen range 10.1.1.0/24 peer-group CALICO-NODES", "", True),
        ("bgp listen range 10.9.0.0/24 peer-group SPINES", "", False),
        ("   ", "", False),
    ],
)
def test_router_lines_owned_with_and_without_no(line, context, owned):
    assert owned_router_line(line, context, "CALICO-", {"10.0.1.5"}) is owned


def test_the_collection_adds_and_removes_its_address_families():
    router = ("router bgp 65001",)
    changes = [(router, "address-family ipv6 unicast"), (router, "no address-family ipv6 unicast")]
    assert foreign_changes(changes, "CALICO-", set(), "65001") == []
    other = [(router, "no address-family l2vpn evpn")]
    assert foreign_changes(other, "CALICO-", set(), "65001") == other
