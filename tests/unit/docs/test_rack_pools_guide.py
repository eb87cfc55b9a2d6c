"""docs/guides/rack-pools.md: its address plan builds the plan the page describes."""

from __future__ import annotations

import os
import re

import yaml

from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import InventoryInput
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from ansible_collections.onprem.calico.plugins.plugin_utils.report import pool_forecast_lines

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
GUIDE = os.path.join(REPO, "docs", "guides", "rack-pools.md")


def guide_plan():
    text = open(GUIDE, encoding="utf-8").read()
    cluster = yaml.safe_load(re.search(r"```yaml\n# file: group_vars/all.yml\n(.*?)```", text, re.S).group(1))
    nodes = {"r1n01": ("rack1", "10.0.1.11"), "r1n02": ("rack1", "10.0.1.12"), "r2n01": ("rack2", "10.0.2.11"), "r2n02": ("rack2", "10.0.2.12")}
    hosts = {n: {"ansible_host": ip, "calico_rack": rack} for n, (rack, ip) in nodes.items()}
    for tor, peer, asn in (("tor1a", "10.0.1.2", 65001), ("tor1b", "10.0.1.3", 65001), ("tor2a", "10.0.2.2", 65002)):
        hosts[tor] = {"calico_tor_platform": "frr", "calico_tor_asn": asn, "calico_tor_router_id": "10.255.0.%s" % peer[-1], "calico_tor_peer_ip": peer}
    inv = InventoryInput(cluster=cluster, groups={"k8s_cluster": list(nodes), "kube_control_plane": ["r1n01"],
                                                  "kube_node": ["r1n02", "r2n01", "r2n02"], "tor_routers": ["tor1a", "tor1b", "tor2a"]},
                         hosts=hosts)
    result = build_plan(inv)
    assert result.ok and result.warnings == [], [str(e) for e in result.errors + result.warnings]
    return text, result.plan


def test_the_guides_table_and_preflight_lines_are_the_plans():
    text, plan = guide_plan()
    for pool in plan["ip_pools"]:
        assert "| `%s` | %s (index %d) | `%s` |" % (pool["name"], pool["cidr"], plan["racks"][pool["racks"][0]]["index"], pool["node_selector"]) in text
    lines = pool_forecast_lines(plan)
    assert "preflight: " + lines[0] in text and "preflight: " + lines[-1] in text
    assert plan["tor_routers"]["tor2a"]["aggregates"] == [{"prefix": "10.244.4.0/22", "family": 4}]
