"""Session state from each platform's JSON summary, and the messages naming nodes."""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.module_utils.tor_bgp_sessions import (
    parse_summary,
    session_problems,
    wait_for_sessions,
)

EXPECTED = [{"node": "node01", "ip": "10.0.1.11", "asn": 65001},
            {"node": "node02", "ip": "10.0.1.12", "asn": 65001},
            {"node": "node03", "ip": "10.0.1.13", "asn": 65001}]

FRR = {"ipv4Unicast": {"peers": {
    "10.0.1.11": {"remoteAs": 65001, "state": "Established"},
    "*10.0.1.12": {"remoteAs": 65001, "state": "Active"},
    "172.31.0.1": {"remoteAs": 65002, "state": "Established"}}},
    "ipv6Unicast": {"peers": {"10.0.1.11": {"remoteAs": 65001, "state": "Established"}}}}
EOS = {"vrfs": {"default": {"peers": {
    "10.0.1.11": {"peerState": "Established", "asn": "65001"},
    "10.0.1.12": {"peerState": "Idle", "asn": "65001"}}},
    "mgmt": {"peers": {"10.0.1.13": {"peerState": "Established", "asn": "65001"}}}}}
NXOS = {"TABLE_vrf": {"ROW_vrf": {"vrf-name-out": "default", "TABLE_af": {"ROW_af": [{"TABLE_saf": {"ROW_saf": {
    "TABLE_neighbor": {"ROW_neighbor": [
        {"neighborid": "10.0.1.11", "neighboras": "65001", "state": "3"},
        {"neighborid": "10.0.1.12", "neighboras": "65001", "state": "Active"}]}}}}]}}}}
JUNOS = {"bgp-information": [{"bgp-peer": [
    {"peer-address": [{"data": "10.0.1.11+179"}], "peer-as": [{"data": "65001"}], "peer-state": [{"data": "Established"}]},
    {"peer-address": [{"data": "10.0.1.12"}], "peer-as": [{"data": "65001"}], "peer-state": [{"data": "Connect"}]}]}]}


def test_every_platform_reads_the_same_picture():
    for platform, summary in (("frr", FRR), ("eos", EOS), ("nxos", NXOS), ("junos", JUNOS)):
        peers = parse_summary(platform, summary)
        assert peers["10.0.1.11"]["state"] == "Established", platform
        assert peers["10.0.1.11"]["asn"] == 65001, platform
        assert peers["10.0.1.12"]["state"] != "Established", platform
        assert "10.0.1.13" not in peers, platform


def test_problems_name_node_address_and_state():
    problems = session_problems(EXPECTED, parse_summary("eos", EOS))
    assert problems == [
        "node02 (10.0.1.12, AS 65001): session is Idle, not Established",
        "node03 (10.0.1.13, AS 65001): no BGP session configured on the router",
    ]


def test_wrong_as_is_reported():
    summary = {"ipv4Unicast": {"peers": {"10.0.1.11": {"remoteAs": 65099, "state": "Established"}}}}
    problems = session_problems(EXPECTED[:1], parse_summary("frr", summary))
    assert problems == ["node01 (10.0.1.11, AS 65001): peer reports AS 65099, the plan expects AS 65001"]


def test_frr_failed_family_wins_over_established_one():
    summary = {"ipv4Unicast": {"peers": {"10.0.1.11": {"remoteAs": 65001, "state": "Established"}}},
               "ipv6Unicast": {"peers": {"10.0.1.11": {"remoteAs": 65001, "state": "Idle"}}}}
    assert parse_summary("frr", summary)["10.0.1.11"]["state"] == "Idle"


def test_wait_returns_once_sessions_come_up_and_gives_up_at_timeout():
    polls = iter([{"ipv4Unicast": {"peers": {}}},
                  {"ipv4Unicast": {"peers": {"10.0.1.11": {"remoteAs": 65001, "state": "Established"}}}}])
    now = [0.0]
    problems, report, waited = wait_for_sessions(
        lambda: next(polls), "frr", EXPECTED[:1], timeout=30, interval=2,
        clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert problems == [] and report[0]["state"] == "Established" and waited == 2.0

    now[0] = 0.0
    problems, report, waited = wait_for_sessions(
        lambda: {}, "frr", EXPECTED[:1], timeout=5, interval=2,
        clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert problems == ["node01 (10.0.1.11, AS 65001): no BGP session configured on the router"]
    assert report == [{"node": "node01", "ip": "10.0.1.11", "asn": 65001, "family": 4, "state": "missing"}]
    assert waited >= 5


def test_dual_stack_nodes_have_an_ipv6_session_each():
    expected = [{"node": "node01", "ip": "10.0.1.11", "ip6": "fd00:1::11", "asn": 65001}]
    summary = {"ipv4Unicast": {"peers": {"10.0.1.11": {"remoteAs": 65001, "state": "Established"}}},
               "ipv6Unicast": {"peers": {"fd00:1::11": {"remoteAs": 65001, "state": "Connect"}}}}
    assert session_problems(expected, parse_summary("frr", summary)) == [
        "node01 (fd00:1::11, AS 65001): session is Connect, not Established"]
    summary["ipv6Unicast"]["peers"]["fd00:1::11"]["state"] = "Established"
    assert session_problems(expected, parse_summary("frr", summary)) == []
    # EOS and NX-OS summarise each family in its own command: the filter merges them.
    from ansible_collections.onprem.calico.plugins.filter.tor import tor_session_problems

    ipv4 = {"vrfs": {"default": {"peers": {"10.0.1.11": {"peerState": "Established", "asn": "65001"}}}}}
    ipv6 = {"vrfs": {"default": {"peers": {"fd00:1::11": {"peerState": "Active", "asn": "65001"}}}}}
    assert tor_session_problems([ipv4, ipv6], "eos", expected) == [
        "node01 (fd00:1::11, AS 65001): session is Active, not Established"]
    assert tor_session_problems([ipv4], "eos", expected) == [
        "node01 (fd00:1::11, AS 65001): no BGP session configured on the router"]
