"""What preflight tells a user whose calico_typha_replicas cannot work or is off the rule.

Calico's manifests (calico-typha.yaml, v3.30-v3.32): "Use one replica for every 100-200 nodes.
In production, we recommend running at least 3 replicas to reduce the impact of rolling
upgrade." Typha's pods repel each other, so as many replicas as nodes leaves a rolling upgrade
no node to start the new pod on; with no replica Felix waits for a Typha forever.
"""

from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import Findings, check_typha_replicas

RULE = "rule: one replica per 200 nodes, at most 20, at least 3 in production"


def findings_for(replicas, nodes, production):
    found = Findings()
    check_typha_replicas(found, replicas, nodes, production)
    return found


def test_no_replica_is_an_error_that_recommends_a_count():
    found = findings_for(0, 10, production=True)
    assert [(e.subject, e.message, e.fix) for e in found.errors] == [(
        "calico_typha_replicas",
        "is 0 but Typha is enabled: Felix will not start, it waits for a Typha to connect to.",
        "set it to 'auto' or to at least 1 (recommended: 3 for 10 nodes).")]
    assert found.warnings == []


def test_the_recommendation_for_a_single_node_is_still_one_replica():
    (error,) = findings_for(-1, 1, production=False).errors
    assert error.message.startswith("is -1 but Typha is enabled")
    assert error.fix == "set it to 'auto' or to at least 1 (recommended: 1 for 1 nodes)."


def test_a_replica_on_every_node_is_an_error():
    found = findings_for(5, 5, production=True)
    assert [(e.subject, e.message, e.fix) for e in found.errors] == [(
        "calico_typha_replicas",
        "is 5 for 5 nodes: with a replica on every node a rolling upgrade of Typha stalls "
        "(anti-affinity leaves no node to schedule the new pod).",
        "use fewer replicas than nodes, or 'auto' (3).")]


def test_counts_off_the_rule_are_warnings_that_state_the_rule():
    assert [w.message for w in findings_for(21, 4000, production=True).warnings] == [
        "is 21, above 20 replicas (%s)." % RULE]
    assert [w.message for w in findings_for(2, 1000, production=True).warnings] == [
        "is 2, below ceil(1000 / 200) = 5 (%s)." % RULE,
        "is 2, below 3 with calico_production: true (%s)." % RULE]
    assert [(w.subject, w.fix) for w in findings_for(2, 10, production=True).warnings] == [("calico_typha_replicas", "")]
    assert findings_for(2, 10, production=False).warnings == []
