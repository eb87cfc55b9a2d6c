"""Filters the calico_bgp role uses for the Kubernetes side (Node patches, prune of password objects)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from plans import DESIGNS, make_plan

from ansible_collections.onprem.calico.plugins.filter.calico_bgp import calico_node_patches, calico_owned_leftovers
from ansible_collections.onprem.calico.plugins.plugin_utils import resources

MANAGED = {"app.kubernetes.io/managed-by": "onprem.calico"}


def live_node(name, **labels):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": dict(labels), "annotations": {}}}


def test_node_patches_only_for_nodes_that_differ(ctx):
    rendered = resources.build(make_plan(**DESIGNS["tor_as_per_rack"]), ctx).kubernetes
    live = [live_node(n) for n in ("node01", "node02", "node03", "node04")]
    patches = calico_node_patches(live, rendered)
    assert [p["name"] for p in patches] == ["node01", "node02", "node03", "node04"]
    node03 = patches[2]["patch"]["metadata"]
    assert node03["labels"] == {"onprem.calico/rack": "r2"}
    assert node03["annotations"]["projectcalico.org/ASNumber"] == "65002"
    # Apply node01's patch by hand: it then needs none.
    live[0]["metadata"]["labels"].update(patches[0]["patch"]["metadata"]["labels"])
    live[0]["metadata"]["annotations"].update(patches[0]["patch"]["metadata"]["annotations"])
    assert [p["name"] for p in calico_node_patches(live, rendered)] == ["node02", "node03", "node04"]


def test_node_patches_name_nodes_missing_from_the_cluster(ctx):
    rendered = resources.build(make_plan(**DESIGNS["tor_as_per_rack"]), ctx).kubernetes
    with pytest.raises(AnsibleFilterError) as err:
        calico_node_patches([live_node("node01")], rendered)
    assert "node02, node03, node04 do not exist" in str(err.value)


def test_leftovers_are_labelled_objects_the_plan_dropped(ctx):
    rendered = resources.build(make_plan(password=True, **DESIGNS["tor_as_per_rack"]), ctx).kubernetes
    role_name = [o for o in rendered if o["kind"] == "Role"][0]["metadata"]["name"]
    results = [
        {"item": "Role", "resources": [
            {"metadata": {"name": role_name, "namespace": "kube-system", "labels": MANAGED}},
            {"metadata": {"name": "old-reader", "namespace": "kube-system", "labels": MANAGED}},
            {"metadata": {"name": "not-ours", "namespace": "kube-system", "labels": {}}}]},
        {"item": "RoleBinding", "skipped": True},
    ]
    assert calico_owned_leftovers(results, rendered) == [
        {"kind": "Role", "name": "old-reader", "namespace": "kube-system"}]
    # Passwords switched off: the plan has no Role any more, so ours goes too.
    no_password = resources.build(make_plan(**DESIGNS["tor_as_per_rack"]), ctx).kubernetes
    assert [o["name"] for o in calico_owned_leftovers(results, no_password)] == [role_name, "old-reader"]
