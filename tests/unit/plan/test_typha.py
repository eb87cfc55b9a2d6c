"""Typha sizing from 1 to 5,000 nodes, checked against the documented rules."""

import math

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import Findings, check_typha_replicas, typha_auto_replicas

from plan_inputs import base


def test_auto_table_follows_the_rules():
    for production in (False, True):
        floor = 3 if production else 1
        for nodes in range(1, 5001):
            got = typha_auto_replicas(nodes, production)
            # caps: at most 20, always fewer than the nodes
            assert got <= 20
            assert got <= max(0, nodes - 1)
            # floors, unless a cap is lower
            wanted = max(math.ceil(nodes / 200), floor)
            assert got == wanted or got == 20 or got == nodes - 1, (nodes, production, got)
            assert got >= min(wanted, 20, nodes - 1)


def test_auto_table_known_points():
    table = {1: 0, 2: 1, 3: 2, 51: 3, 200: 3, 601: 4, 1000: 5, 3800: 19, 4000: 20, 5000: 20}
    assert {n: typha_auto_replicas(n, True) for n in table} == table
    assert [typha_auto_replicas(n, False) for n in (2, 51, 200, 201, 4001)] == [1, 1, 1, 2, 20]


def test_explicit_counts_against_rules_across_sizes():
    for nodes in (51, 120, 400, 1000, 5000):
        for replicas in (1, 2, 3, 5, 20, 21):
            f = Findings()
            check_typha_replicas(f, replicas, nodes, production=True)
            texts = [str(x) for x in f.warnings]
            assert (replicas > 20) == any("above 20" in t for t in texts)
            assert (replicas < math.ceil(nodes / 200)) == any("below ceil" in t for t in texts)
            assert (replicas < 3) == any("below 3 with calico_production" in t for t in texts)
            assert f.errors == []


def test_plan_uses_auto_count():
    plan = build_plan(base(nodes=420, calico_bgp_mode="route_reflectors", calico_production=True)).plan
    assert plan is None  # no reflectors given: still an error, but not about Typha
    result = build_plan(base(nodes=420, calico_production=False))
    typha = {k: v for k, v in result.plan["manifest"]["typha"].items() if k != "tls"}
    assert typha == {"enabled": True, "replicas": 3, "node_threshold": 50}
