"""How a preflight finding reads: the subjects (the first 10 and a count, as the plan module's
documentation says), the message, and "Fix:" only when the finding has one."""

from __future__ import annotations

from plan_inputs import base

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import subject_list


def test_ten_subjects_are_all_named_and_the_eleventh_is_counted():
    names = ["n%02d" % i for i in range(1, 12)]
    assert subject_list(names[:10]) == "n01, n02, n03, n04, n05, n06, n07, n08, n09, n10"
    assert subject_list(names) == "n01, n02, n03, n04, n05, n06, n07, n08, n09, n10 and 1 more (11 in all)"


def test_a_warning_without_a_fix_ends_with_its_message():
    # An etcd endpoint is meaningless with the kubernetes datastore: said once, nothing to fix.
    result = build_plan(base(calico_etcd_endpoints=["https://10.10.0.5:2379"]))
    assert result.ok
    assert [str(w) for w in result.warnings] == ["calico_etcd_endpoints: is set but calico_datastore is kubernetes; it is ignored."]
