"""What a rack-pool ToR advertises to its uplinks: each platform's answer, the uplinks, the check.

The answers are written in each platform's documented JSON shape (FRR 8 ``advertised-routes
json``, EOS eAPI ``bgpRouteEntries``, NX-OS ``TABLE_*``/``ROW_*`` rows, Junos ``display json``
with ``data`` leaves); the FRR one is also read from a real FRR in
tests/integration/tor/test_frr_rack_pools.py.
"""

from __future__ import annotations

import ipaddress
import json

import pytest

from ansible_collections.onprem.calico.plugins.module_utils.tor_bgp_sessions import parse_summary
from ansible_collections.onprem.calico.plugins.module_utils.tor_uplink_routes import (
    advertised_command,
    check_router,
    check_uplink,
    parse_advertised,
    uplink_peers,
    wait_for_uplinks,
)
from ansible_collections.onprem.calico.plugins.modules import frr_uplink_routes

AGGREGATE = "10.244.0.0/22"
BLOCK = "10.244.0.64/26"


def net(text):
    return ipaddress.ip_network(text)


FRR = {"bgpLocalRouterId": "10.255.1.1", "localAS": 65001, "advertisedRoutes": {
    "0.0.0.0/0": {"addrPrefix": "0.0.0.0", "prefixLen": 0, "network": "0.0.0.0/0", "path": "65000"},
    AGGREGATE: {"addrPrefix": "10.244.0.0", "prefixLen": 22, "network": AGGREGATE, "path": ""},
    BLOCK: {"addrPrefix": "10.244.0.64", "prefixLen": 26, "network": BLOCK, "path": ""}},
    "totalPrefixCounter": 3, "filteredPrefixCounter": 0}
EOS = {"vrfs": {
    "default": {"routerId": "10.255.1.1", "asn": "65001", "bgpRouteEntries": {
        AGGREGATE: {"address": "10.244.0.0", "maskLength": 22, "bgpRoutePaths": [{"nextHop": ""}]},
        BLOCK: {"address": "10.244.0.64", "maskLength": 26, "bgpRoutePaths": [{"nextHop": "10.0.1.12"}]}}},
    "blue": {"bgpRouteEntries": {"10.244.1.0/26": {"address": "10.244.1.0", "maskLength": 26}}}}}
NXOS = {"TABLE_vrf": {"ROW_vrf": [
    {"vrf-name-out": "default", "TABLE_afi": {"ROW_afi": {"afi": 1, "TABLE_safi": {"ROW_safi": {
        "safi": 1, "af-name": "IPv4 Unicast", "TABLE_rd": {"ROW_rd": {"TABLE_prefix": {"ROW_prefix": [
            {"ipprefix": AGGREGATE, "TABLE_path": {"ROW_path": {"ipnexthop": "0.0.0.0"}}},
            {"ipprefix": BLOCK, "TABLE_path": {"ROW_path": {"ipnexthop": "10.0.1.12"}}}]}}}}}}}},
    {"vrf-name-out": "blue", "TABLE_afi": {"ROW_afi": {"TABLE_safi": {"ROW_safi": {"TABLE_rd": {"ROW_rd": {
        "TABLE_prefix": {"ROW_prefix": {"ipprefix": "10.244.1.0/26"}}}}}}}}}]}}
# A single prefix is an object, not a list (NX-OS drops the list for one row).
NXOS_ONE = {"TABLE_vrf": {"ROW_vrf": {"vrf-name-out": "default", "TABLE_afi": {"ROW_afi": {"TABLE_safi": {"ROW_safi": {
    "TABLE_rd": {"ROW_rd": {"TABLE_prefix": {"ROW_prefix": {"ipprefix": AGGREGATE}}}}}}}}}}}
JUNOS = {"route-information": [{"route-table": [
    {"table-name": [{"data": "inet.0"}], "rt": [
        {"rt-destination": [{"data": AGGREGATE}], "rt-entry": [{"as-path": [{"data": "I"}]}]},
        {"rt-destination": [{"data": "10.244.0.64"}], "rt-prefix-length": [{"data": "26"}]}]},
    {"table-name": [{"data": "inet6.0"}], "rt": {"rt-destination": [{"data": "fd00:244::/56"}]}}]}]}

ROUTER = {"aggregates": [{"prefix": AGGREGATE, "family": 4}],
          "neighbors": [{"node": "r1-cp", "ip": "10.77.1.11", "ip6": None, "asn": 65001},
                        {"node": "r1-w1", "ip": "10.77.1.12", "ip6": None, "asn": 65001}],
          "listen_ranges": []}
SUMMARY = {"ipv4Unicast": {"peers": {
    "10.77.1.11": {"remoteAs": 65001, "state": "Established"},
    "10.77.1.12": {"remoteAs": 65001, "state": "Established"},
    "10.77.0.1": {"remoteAs": 65000, "state": "Established"}}},
    "ipv6Unicast": {"peers": {"fd00:77::1": {"remoteAs": 65000, "state": "Established"}}}}


@pytest.mark.parametrize("platform, answer", [("frr", FRR), ("eos", EOS), ("nxos", NXOS), ("junos", JUNOS)])
def test_every_platform_reads_the_same_advertised_set(platform, answer):
    # The other VRF's prefix (EOS, NX-OS) is not the uplink's; the IPv6 row is another family.
    expected = {net(AGGREGATE), net(BLOCK)} | ({net("0.0.0.0/0")} if platform == "frr" else set())
    assert parse_advertised(platform, answer, 4) == expected


def test_one_row_answers_and_the_other_family():
    assert parse_advertised("nxos", NXOS_ONE, 4) == {net(AGGREGATE)}
    assert parse_advertised("junos", JUNOS, 6) == {net("fd00:244::/56")}
    assert parse_advertised("frr", {}, 4) == set()  # nothing advertised: an empty answer
    with pytest.raises(ValueError):
        parse_advertised("ios", {}, 4)


def test_commands_per_platform():
    assert advertised_command("frr", "10.77.0.1", 4) == "show bgp ipv4 unicast neighbors 10.77.0.1 advertised-routes json"
    assert advertised_command("frr", "fd00:77::1", 6) == "show bgp ipv6 unicast neighbors fd00:77::1 advertised-routes json"
    assert advertised_command("eos", "10.77.0.1", 4) == "show ip bgp neighbors 10.77.0.1 advertised-routes | json"
    assert advertised_command("nxos", "10.77.0.1", 4) == "show ip bgp neighbors 10.77.0.1 advertised-routes | json"
    assert advertised_command("nxos", "fd00:77::1", 6) == "show bgp ipv6 unicast neighbors fd00:77::1 advertised-routes | json"
    assert advertised_command("eos", "fd00:77::1", 6) == "show ipv6 bgp neighbors fd00:77::1 advertised-routes | json"
    assert advertised_command("junos", "10.77.0.1", 4) == "show route advertising-protocol bgp 10.77.0.1"


def test_uplinks_are_the_neighbours_that_are_not_node_sessions():
    observed = parse_summary("frr", SUMMARY)
    assert uplink_peers(ROUTER, observed, 4) == [("10.77.0.1", "Established")]
    assert uplink_peers(ROUTER, observed, 6) == [("fd00:77::1", "Established")]
    # A dynamic node peer (listen range) is not an uplink either, whether or not it is planned.
    observed["10.77.1.99"] = {"state": "Established", "asn": 65001}
    with_range = dict(ROUTER, listen_ranges=[{"prefix": "10.77.1.0/24", "family": 4}])
    assert uplink_peers(with_range, observed, 4) == [("10.77.0.1", "Established")]
    assert ("10.77.1.99", "Established") in uplink_peers(ROUTER, observed, 4)


def test_the_aggregate_alone_passes():
    problems, row = check_uplink([net(AGGREGATE)], {net(AGGREGATE), net("0.0.0.0/0"), net("198.51.100.0/24")})
    assert problems == []
    assert row == {"aggregates": [AGGREGATE], "missing": [], "specifics": []}


def test_a_leaked_block_and_a_missing_aggregate_are_named():
    problems, row = check_uplink([net(AGGREGATE)], {net(BLOCK), net("10.244.4.0/26")})
    assert row == {"aggregates": [], "missing": [AGGREGATE], "specifics": [BLOCK]}
    assert problems[0] == "aggregate %s not advertised" % AGGREGATE
    assert "1 more-specific prefix(es) of the rack aggregate advertised: %s" % BLOCK in problems[1]
    assert "CALICO-TO-UPLINKS" in problems[1]
    # Another rack's block is not this rack's concern.
    assert "10.244.4.0" not in " ".join(problems)


def test_many_leaks_are_counted_and_shortened():
    blocks = set(net(AGGREGATE).subnets(new_prefix=26))
    problems, row = check_uplink([net(AGGREGATE)], blocks | {net(AGGREGATE)})
    assert len(row["specifics"]) == 16 and row["specifics"][0] == "10.244.0.0/26"
    assert problems == [problems[0]] and "16 more-specific" in problems[0] and "and 11 more" in problems[0]


def test_check_router_per_uplink_and_family():
    answers = {("10.77.0.1", 4): {net(AGGREGATE)}}
    result = check_router(ROUTER, parse_summary("frr", SUMMARY), lambda peer, family: answers[(peer, family)])
    assert result == {"problems": [], "uplinks": [
        {"peer": "10.77.0.1", "family": 4, "state": "Established", "aggregates": [AGGREGATE], "missing": [], "specifics": [],
         "problems": []}]}
    # No IPv6 aggregate: the IPv6 uplink is not asked.


def test_a_down_uplink_is_listed_and_no_established_uplink_is_a_problem():
    summary = json.loads(json.dumps(SUMMARY))
    summary["ipv4Unicast"]["peers"]["10.77.0.1"]["state"] = "Active"
    result = check_router(ROUTER, parse_summary("frr", summary), lambda peer, family: pytest.fail("a down uplink is not asked"))
    assert result["uplinks"] == [{"peer": "10.77.0.1", "family": 4, "state": "Active", "aggregates": [], "missing": [],
                                  "specifics": [], "problems": []}]
    assert result["problems"] == ["no Established IPv4 uplink (BGP neighbours other than the rack's nodes: 10.77.0.1 Active): "
                                  "the rack aggregate 10.244.0.0/22 reaches no spine"]


def test_a_router_without_aggregates_checks_nothing():
    result = check_router(dict(ROUTER, aggregates=[]), parse_summary("frr", SUMMARY), lambda *a: pytest.fail("asked"))
    assert result == {"uplinks": [], "problems": []}


def test_waits_until_the_aggregate_replaces_the_blocks():
    answers = iter([{net(BLOCK)}, {net(BLOCK), net(AGGREGATE)}, {net(AGGREGATE)}])
    now = [0.0]
    result, waited = wait_for_uplinks(lambda: SUMMARY, lambda peer, family: next(answers), "frr", ROUTER, timeout=30,
                                      interval=2, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert result["problems"] == [] and waited == 4.0


def test_gives_up_after_the_timeout_with_the_last_reading():
    now = [0.0]
    result, waited = wait_for_uplinks(lambda: SUMMARY, lambda peer, family: {net(BLOCK)}, "frr", ROUTER, timeout=5,
                                      interval=2, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert waited == 5.0
    assert result["uplinks"][0]["specifics"] == [BLOCK] and result["uplinks"][0]["missing"] == [AGGREGATE]


def fake_vtysh(answers, calls):
    def run(argv):
        command = argv[-1]
        calls.append(argv)
        return 0, json.dumps(answers[command]), ""
    return run


def test_frr_module_reads_summary_then_each_uplink():
    calls = []
    run = fake_vtysh({"show bgp summary json": SUMMARY,
                      "show bgp ipv4 unicast neighbors 10.77.0.1 advertised-routes json": FRR}, calls)
    params = {"router": ROUTER, "timeout": 0, "interval": 1, "vtysh": "vtysh", "vty_socket": "/run/frr-x"}
    ok, result = frr_uplink_routes.run_module(params, run, sleep=lambda s: None)
    assert not ok and result["changed"] is False
    assert result["problems"] == ["uplink 10.77.0.1: 1 more-specific prefix(es) of the rack aggregate advertised: %s "
                                  "(the uplink export policy must call CALICO-TO-UPLINKS, docs/tor.md)" % BLOCK]
    assert calls[0] == ["vtysh", "--vty_socket", "/run/frr-x", "-c", "show bgp summary json"]


def test_frr_module_fails_clearly_when_vtysh_fails():
    params = {"router": ROUTER, "timeout": 0, "interval": 1, "vtysh": "vtysh", "vty_socket": None}
    with pytest.raises(RuntimeError, match="show bgp summary json.*rc=1.*bgpd is not running"):
        frr_uplink_routes.run_module(params, lambda argv: (1, "", "bgpd is not running"))
