"""The verify stage's uplink check with rack pools (design rack_pools): the EOS / NX-OS / Junos
filters, and the report's section and decision."""

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
from ansible_collections.onprem.calico.plugins.plugin_utils.report import build_report, headline, render_markdown, render_text


def rack_pools_plan():
    with open(os.path.join(REPO, "inventory", "lab-designs", "rack_pools.yml"), encoding="utf-8") as handle:
        extra = yaml.safe_load(handle)
    extra["calico_manifest_mirror"] = UPSTREAM_DIR
    result = build_plan(load_inventory(os.path.join(REPO, "inventory", "lab"), extra_vars=extra))
    assert result.ok, [str(i) for i in result.errors]
    return result.plan


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
