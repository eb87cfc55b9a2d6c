"""What offline validation tells the user: the object, the field path (or (root)) and the
schema's complaint; which Kubernetes schemas are used for calico_kubernetes_version; and the
summary's provenance line. Expected wording of the type errors is the JSON Schema validator's."""

from __future__ import annotations

import copy
import sys

import pytest
from manifest_plans import UPSTREAM_DIR, plan_for

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog, manifest
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext, RenderError

pytest.importorskip("kubernetes_validate")


@pytest.fixture(scope="module")
def built():
    plan = copy.deepcopy(plan_for("3.31.7", catalog.VARIANT_TYPHA))
    return plan, manifest.build(plan, RenderContext(upstream_dir=UPSTREAM_DIR), validate=False)


def broken(result, key, breaker):
    doc = copy.deepcopy(manifest.index_documents(result.docs)[key])
    breaker(doc)
    return doc


def test_a_nested_field_is_named_by_its_path(built):
    doc = broken(built[1], ("DaemonSet", "calico-node"), lambda d: d["spec"]["template"]["spec"].__setitem__("hostNetwork", "yes"))
    assert manifest.validate_documents([doc], "1.33") == [
        "DaemonSet kube-system/calico-node: spec.template.spec.hostNetwork: 'yes' is not of type 'boolean', 'null'"]


def test_a_list_index_is_part_of_the_path(built):
    def breaker(d):
        d["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": "http"}]
    doc = broken(built[1], ("Deployment", "calico-typha"), breaker)
    assert manifest.validate_documents([doc], "1.33") == [
        "Deployment kube-system/calico-typha: spec.template.spec.containers.0.ports.0.containerPort: 'http' is not of type 'integer'"]


@pytest.mark.parametrize("key", [("ClusterRole", "calico-node"), ("ConfigMap", "calico-config"),
                                 ("CustomResourceDefinition", "ippools.crd.projectcalico.org")])
def test_a_top_level_problem_is_at_the_root(built, key):
    # cluster-scoped, core and apiextensions objects each have their own schema file
    doc = broken(built[1], key, lambda d: d.__setitem__("extra", True))
    (problem,) = manifest.validate_documents([doc], "1.33")
    assert problem.startswith("%s: (root): " % manifest.object_label(doc)) and "'extra'" in problem


def test_every_broken_object_is_reported(built):
    typha = broken(built[1], ("Deployment", "calico-typha"), lambda d: d["spec"].__setitem__("replicas", "3"))
    config = broken(built[1], ("ConfigMap", "calico-config"), lambda d: d["data"].__setitem__("veth_mtu", 1440))
    problems = manifest.validate_documents([typha, config], "v1.33")
    assert problems == ["Deployment kube-system/calico-typha: spec.replicas: '3' is not of type 'integer', 'null'",
                        "ConfigMap kube-system/calico-config: data.veth_mtu: 1440 is not of type 'string', 'null'"]


def test_a_kind_kubernetes_does_not_know_is_named():
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert manifest.validate_documents([widget], "1.33") == [
        "Widget w: Couldn't find schema for kind Widget with api version example.com/v1 for kubernetes version 1.33"]


@pytest.mark.parametrize("version", ["1.0", "9.99"])
def test_kubernetes_versions_without_schemas(built, version):
    assert manifest.validate_documents(built[1].docs[:1], version) == [
        "kubernetes-validate has no schemas for Kubernetes %s (calico_kubernetes_version)" % version]


def test_valid_objects_have_no_problems_for_an_older_kubernetes(built):
    index = manifest.index_documents(built[1].docs)
    docs = [index[("DaemonSet", "calico-node")], index[("ConfigMap", "calico-config")]]
    assert manifest.validate_documents(docs, "1.31") == []


def test_the_summary_says_where_the_manifest_was_read(built):
    plan, result = built
    text = manifest.summary(plan, result)
    assert "- read from: %s/v3.31.7/calico-typha.yaml\n" % UPSTREAM_DIR in text
    assert "- variant: calico-typha.yaml (test)\n" in text


def test_an_unreadable_upstream_is_a_render_error(tmp_path):
    plan = copy.deepcopy(plan_for("3.31.7", catalog.VARIANT_KDD))
    with pytest.raises(RenderError) as raised:
        manifest.build(plan, RenderContext(upstream_dir=str(tmp_path)))
    (message,) = raised.value.messages
    assert str(tmp_path / "v3.31.7" / "calico.yaml") in message


def _minor(version, step):
    major, minor = version.split(".")[:2]
    return "%s.%d" % (major, int(minor) + step)


def test_the_oldest_and_newest_kubernetes_with_schemas_are_usable(built):
    """The range is kubernetes-validate's own (pinned in requirements.txt): both ends work, one
    minor release beyond either end does not."""
    from kubernetes_validate import utils as kv_utils

    oldest, newest = kv_utils.all_versions()[0], kv_utils.latest_version()
    config = [manifest.index_documents(built[1].docs)[("ConfigMap", "calico-config")]]
    for version in (_minor(oldest, 0), _minor(newest, 0)):
        assert manifest.validate_documents(config, version) == []
    for version in (_minor(oldest, -1), _minor(newest, 1)):
        assert manifest.validate_documents(config, version) == [
            "kubernetes-validate has no schemas for Kubernetes %s (calico_kubernetes_version)" % version]


def test_without_kubernetes_validate_the_user_is_told_what_to_install(built, monkeypatch):
    monkeypatch.setitem(sys.modules, "kubernetes_validate", None)  # import fails as if not installed
    (message,) = manifest.validate_documents(built[1].docs[:1], "1.33")
    assert message.startswith("offline validation needs the Python package kubernetes-validate on the controller (")
    assert message.endswith("): pip install -r requirements.txt")
