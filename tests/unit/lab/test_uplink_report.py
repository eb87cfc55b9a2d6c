"""The verify stage's uplink check with rack pools (design rack_pools): the EOS / NX-OS / Junos
filters, and the report's section and decision."""

import copy
import functools
import os

import yaml

from inventory_loader import load_inventory
from testpaths import REPO, UPSTREAM_DIR

from ansible_collections.onprem.calico.plugins.filter.uplinks import (
    calico_verify_uplink_check,
    calico_verify_uplink_queries,
    calico_verify_uplink_summary_commands,
)
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from ansible_collections.onprem.calico.plugins.plugin_utils.report import build_report, headline, render_markdown, render_text, uplink_checks


@functools.lru_cache(maxsize=None)
def _rack_pools_plan():
    with open(os.path.join(REPO, "inventory", "lab-designs", "rack_pools.yml"), encoding="utf-8") as handle:
        extra = yaml.safe_load(handle)
    extra["calico_manifest_mirror"] = UPSTREAM_DIR
    result = build_plan(load_inventory(os.path.join(REPO, "inventory", "lab"), extra_vars=extra))
    assert result.ok, [str(i) for i in result.errors]
    return result.plan


def rack_pools_plan():
    """The lab's rack_pools design, built once per process (mutmut reruns these tests per mutant)."""
    return copy.deepcopy(_rack_pools_plan())


# tor2a as EOS would answer (eAPI JSON): its three nodes, the spine over IPv4 and IPv6.
EOS_SUMMARY = {"vrfs": {"default": {"peers": {
    "10.77.2.11": {"peerState": "Established", "asn": "65002"}, "10.77.2.12": {"peerState": "Established", "asn": "65002"},
    "10.77.2.13": {"peerState": "Established", "asn": "65002"}, "10.77.0.1": {"peerState": "Established", "asn": "65000"}}}}}
EOS_ADVERTISED = '{"vrfs": {"default": {"bgpRouteEntries": {"10.244.4.0/22": {"address": "10.244.4.0", "maskLength": 22}, ' \
                 '"10.244.5.0/26": {"address": "10.244.5.0", "maskLength": 26}}}}}'


def uplink(peer, family, state, aggregates, specifics, problems, router="tor2a"):
    return {"router": router, "peer": peer, "family": family, "state": state, "aggregates": aggregates, "missing": [],
            "specifics": specifics, "problems": problems}


def test_the_cli_platforms_ask_each_established_uplink_once():
    router = rack_pools_plan()["tor_routers"]["tor2a"]
    assert calico_verify_uplink_summary_commands(router) == ["show ip bgp summary | json"]
    assert calico_verify_uplink_queries([EOS_SUMMARY], "eos", router) == [
        {"peer": "10.77.0.1", "family": 4, "command": "show ip bgp neighbors 10.77.0.1 advertised-routes | json"}]


def test_a_leaked_block_fails_the_report_naming_router_and_uplink():
    plan = rack_pools_plan()
    router = plan["tor_routers"]["tor2a"]
    results = [{"item": q, "stdout": [EOS_ADVERTISED]} for q in calico_verify_uplink_queries([EOS_SUMMARY], "eos", router)]
    checked = calico_verify_uplink_check([EOS_SUMMARY], "eos", router, results)
    assert checked["error"] is None and checked["uplinks"][0]["specifics"] == ["10.244.5.0/26"]
    clean = {"uplinks": [uplink("10.77.0.1", 4, "Established", ["10.244.0.0/22"], [], [])], "problems": [], "error": None}
    # Sessions unchecked and accepted: only the uplinks decide here.
    report = build_report(plan, uplinks={"tor1a": clean, "tor1b": clean, "tor2a": checked}, allow_unverified=True)
    assert not report.ok
    assert report.uplink_problems == ["tor2a: uplink 10.77.0.1: 1 more-specific prefix(es) of the rack aggregate advertised: "
                                      "10.244.5.0/26 (the uplink export policy must call CALICO-TO-UPLINKS, docs/tor.md)"]
    assert report.problems[-1] == report.uplink_problems[0] and report.affected_nodes == []
    markdown = render_markdown(report)
    assert "## What the uplinks receive (rack aggregates)" in markdown
    assert "| tor1a | 10.77.0.1 | IPv4 | Established | 10.244.0.0/22 | - | ok |" in markdown
    assert "| tor2a | 10.77.0.1 | IPv4 | Established | 10.244.4.0/22 | 10.244.5.0/26 | " in markdown
    assert "1 uplink problem(s) with the rack aggregates" in headline(report)
    assert "  tor1b -> uplink 10.77.0.1 (IPv4): 10.244.0.0/22; ok" in render_text(report)


def test_a_rack_pool_router_nobody_asked_is_a_problem_unless_accepted():
    plan = rack_pools_plan()
    asked = {t: {"uplinks": [uplink("10.77.0.1", 4, "Established", [plan["tor_routers"][t]["aggregates"][0]["prefix"]], [], [])],
                 "problems": [], "error": None} for t in ("tor1a", "tor1b")}
    report = build_report(plan, uplinks=asked)
    assert report.uplink_problems == ["tor2a: what its uplinks receive was not checked (router not asked)"]
    accepted = build_report(plan, uplinks=asked, allow_unverified=True)
    assert accepted.uplink_problems == []
    assert "| tor2a | - | - | not verified | - | - | router not asked |" in render_markdown(accepted)
    # A summary nobody could read is reported with its reason.
    unread = calico_verify_uplink_check([], "nxos", plan["tor_routers"]["tor2a"], [])
    assert build_report(plan, uplinks=dict(asked, tor2a=unread)).uplink_problems == [
        "tor2a: what its uplinks receive was not checked (the router's BGP summary could not be read)"]


def test_without_rack_pools_there_is_no_uplink_section(lab_plan):
    report = build_report(lab_plan)
    assert report.uplinks == [] and report.uplink_problems == []
    assert "What the uplinks receive" not in render_markdown(report)


def sessions_all_up(plan):
    """Both ends of every planned node-ToR session report Established."""
    tors = {t: {"sessions": [dict(n, state="Established") for n in r["neighbors"]], "error": None, "routes": None}
            for t, r in plan["tor_routers"].items()}
    nodes = {n: {"sessions": {p["ip"]: "Established" for p in node["peers"]}, "error": None, "routes": None}
             for n, node in plan["nodes"].items()}
    return tors, nodes


def clean_uplinks(plan):
    return {t: {"uplinks": [uplink("10.77.0.1", 4, "Established", [r["aggregates"][0]["prefix"]], [], [], router=t)],
                "problems": [], "error": None} for t, r in plan["tor_routers"].items()}


def test_all_sessions_up_and_clean_uplinks_say_so_in_the_headline():
    plan = rack_pools_plan()
    report = build_report(plan, *sessions_all_up(plan), uplinks=clean_uplinks(plan))
    assert report.ok
    assert headline(report) == "All 9 BGP sessions Established; the uplinks get each rack aggregate alone."
    # An uplink session that is not up checks nothing: no claim about what the uplinks get.
    uplinks = clean_uplinks(plan)
    uplinks["tor2a"]["uplinks"][0]["state"] = "Active"
    assert headline(build_report(plan, *sessions_all_up(plan), uplinks=uplinks)) == "All 9 BGP sessions Established."


def test_uplink_rows_name_the_router_and_a_router_that_failed_is_a_row_and_a_problem():
    plan = rack_pools_plan()
    gathered = clean_uplinks(plan)
    gathered["tor1b"] = {"uplinks": [], "problems": [], "error": "ssh: connect to host tor1b port 22: No route to host"}
    gathered["tor2a"]["problems"] = ["uplink 10.77.0.1: the rack aggregate 10.244.4.0/22 is not advertised"]
    rows, problems = uplink_checks(plan, gathered, allow_unverified=False)
    assert [r["router"] for r in rows] == ["tor1a", "tor1b", "tor2a"]
    assert rows[1] == {"router": "tor1b", "peer": "-", "family": "-", "state": "not verified", "aggregates": [], "missing": [],
                       "specifics": [], "problems": ["ssh: connect to host tor1b port 22: No route to host"]}
    assert problems == ["tor1b: what its uplinks receive was not checked (ssh: connect to host tor1b port 22: No route to host)",
                        "tor2a: uplink 10.77.0.1: the rack aggregate 10.244.4.0/22 is not advertised"]
    accepted_rows, accepted = uplink_checks(plan, gathered, allow_unverified=True)
    assert accepted_rows == rows and accepted == ["tor2a: uplink 10.77.0.1: the rack aggregate 10.244.4.0/22 is not advertised"]
    # Without rack aggregates a router has nothing to check.
    for router in plan["tor_routers"].values():
        router["aggregates"] = []
    assert uplink_checks(plan, gathered, allow_unverified=False) == ([], [])


def test_uplink_section_and_console_lines_read_per_uplink():
    plan = rack_pools_plan()
    specifics = ["10.244.4.%d/26" % (64 * i) for i in range(4)] + ["10.244.5.0/26", "10.244.5.64/26", "10.244.5.128/26"]
    gathered = {
        "tor1a": {"uplinks": [uplink("fd00:77::1", 6, "Established", ["fd00:244::/56"], [], [], router="tor1a")], "problems": [], "error": None},
        "tor1b": {"uplinks": [uplink("10.77.0.1", 4, "Active", [], [], [], router="tor1b")], "problems": [], "error": None},
        "tor2a": {"uplinks": [uplink("10.77.0.1", 4, "Established", ["10.244.4.0/22"], specifics,
                                     ["7 more-specific prefix(es)", "aggregate late"])], "problems": [], "error": None},
    }
    report = build_report(plan, uplinks=gathered, allow_unverified=True)
    section = render_markdown(report).split("## What the uplinks receive (rack aggregates)\n\n", 1)[1].split("\n## ", 1)[0]
    assert section.split("\n") == [
        "Read on each ToR: the routes it advertises to every BGP neighbour that is not a node session. "
        "Each rack aggregate must be there, and no prefix inside it.",
        "",
        "| router | uplink | family | state | aggregates advertised | more-specifics advertised | result |",
        "|---|---|---|---|---|---|---|",
        "| tor1a | fd00:77::1 | IPv6 | Established | fd00:244::/56 | - | ok |",
        "| tor1b | 10.77.0.1 | IPv4 | Active | - | - | uplink Active, not checked |",
        "| tor2a | 10.77.0.1 | IPv4 | Established | 10.244.4.0/22 | "
        "10.244.4.0/26, 10.244.4.64/26, 10.244.4.128/26, 10.244.4.192/26, 10.244.5.0/26 (7 in all) | 7 more-specific prefix(es); aggregate late |",
        "",
    ]
    lines = render_text(report)
    assert "  tor1b -> uplink 10.77.0.1 (IPv4): no aggregate; uplink Active, not checked" in lines
    assert "  tor1a -> uplink fd00:77::1 (IPv6): fd00:244::/56; ok" in lines
    five = uplink("10.77.0.1", 4, "Established", ["10.244.4.0/22"], specifics[:5], ["5 more-specific prefix(es)"])
    report = build_report(plan, uplinks=dict(gathered, tor2a={"uplinks": [five], "problems": [], "error": None}), allow_unverified=True)
    assert "| 10.244.4.0/26, 10.244.4.64/26, 10.244.4.128/26, 10.244.4.192/26, 10.244.5.0/26 | 5 more" in render_markdown(report)


def test_several_aggregates_are_listed_and_six_leaked_blocks_are_counted():
    # A router whose rack has two rack pools advertises two aggregates; six more-specifics leak.
    plan = rack_pools_plan()
    specifics = ["10.244.4.%d/26" % (64 * i) for i in range(4)] + ["10.244.5.0/26", "10.244.5.64/26"]
    gathered = clean_uplinks(plan)
    gathered["tor2a"] = {"uplinks": [uplink("10.77.0.1", 4, "Established", ["10.244.4.0/22", "10.244.8.0/22"], specifics,
                                            ["6 more-specific prefix(es)"])],
                         "problems": ["uplink 10.77.0.1: 6 more-specific prefix(es) of the rack aggregate advertised"], "error": None}
    report = build_report(plan, *sessions_all_up(plan), uplinks=gathered)
    assert ("| tor2a | 10.77.0.1 | IPv4 | Established | 10.244.4.0/22, 10.244.8.0/22 | 10.244.4.0/26, 10.244.4.64/26, "
            "10.244.4.128/26, 10.244.4.192/26, 10.244.5.0/26 (6 in all) | 6 more-specific prefix(es) |") in render_markdown(report)
    assert "  tor2a -> uplink 10.77.0.1 (IPv4): 10.244.4.0/22, 10.244.8.0/22; 6 more-specific prefix(es)" in render_text(report)
    assert headline(report) == "9 Established; 1 uplink problem(s) with the rack aggregates."


def test_a_router_without_aggregates_does_not_stop_the_check_of_the_next_ones():
    # tor1a sorts first; a router whose rack has no enabled rack pool advertises no aggregate.
    plan = rack_pools_plan()
    plan["tor_routers"]["tor1a"]["aggregates"] = []
    rows, problems = uplink_checks(plan, {}, allow_unverified=False)
    assert [r["router"] for r in rows] == ["tor1b", "tor2a"]
    assert problems == ["tor1b: what its uplinks receive was not checked (router not asked)",
                        "tor2a: what its uplinks receive was not checked (router not asked)"]
