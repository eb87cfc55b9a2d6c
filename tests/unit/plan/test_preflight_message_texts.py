"""How a preflight finding reads: the subjects (the first 10 and a count, as the plan module's
documentation says), the message, and "Fix:" only when the finding has one."""

from __future__ import annotations

from plan_inputs import base, tor_base

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import subject_list, summary


def test_ten_subjects_are_all_named_and_the_eleventh_is_counted():
    names = ["n%02d" % i for i in range(1, 12)]
    assert subject_list(names[:10]) == "n01, n02, n03, n04, n05, n06, n07, n08, n09, n10"
    assert subject_list(names) == "n01, n02, n03, n04, n05, n06, n07, n08, n09, n10 and 1 more (11 in all)"


def test_a_warning_without_a_fix_ends_with_its_message():
    # An etcd endpoint is meaningless with the kubernetes datastore: said once, nothing to fix.
    result = build_plan(base(calico_etcd_endpoints=["https://10.10.0.5:2379"]))
    assert result.ok
    assert [str(w) for w in result.warnings] == ["calico_etcd_endpoints: is set but calico_datastore is kubernetes; it is ignored."]


def test_the_closing_line_counts_the_hosts_a_variable_error_names():
    # The subject is a variable; the four nodes inside the pod CIDR are the hosts it affects.
    inv = base(calico_pod_cidr="10.10.0.0/16")
    errors = build_plan(inv).errors
    assert [e.subject for e in errors] == ["calico_pod_cidr"]
    assert summary(errors, inv.hosts) == "1 cause(s) found, affecting 4 host(s); nothing was changed."


def test_two_nodes_with_one_cause_are_one_finding_naming_both():
    inv = tor_base()
    for node in ("a1", "a2"):
        inv.hosts[node]["calico_rack"] = "r9"
    errors = build_plan(inv).errors
    assert "a1, a2: calico_rack 'r9' is not defined in calico_racks. Fix: add rack r9 to calico_racks or fix the node's calico_rack." in [
        str(e) for e in errors]
    # Two causes on the same two nodes: each host counted once.
    assert summary(errors, inv.hosts) == "%d cause(s) found, affecting 2 host(s); nothing was changed." % len(errors)
