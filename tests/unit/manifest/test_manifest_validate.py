"""Offline validation of the rendered calico.yaml with kubernetes-validate --strict."""

from __future__ import annotations

import copy
import os
import subprocess
import sys

import pytest
from manifest_plans import ETCD_SECRETS, RELEASES, default_pool

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog, manifest
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext, RenderError


def _fully_customised(plan):
    """Switch on every customisation at once so each changed field meets the schema."""
    plan["manifest"].update(
        veth_mtu=1450,
        image_registry="registry.corp:5000",
        image_pull_secrets=["corp-pull"],
        felix_env={"FELIX_PROMETHEUSMETRICSENABLED": "true"},
        ip6_autodetection_method="cidr=fd00:1::/64",
    )
    plan["cluster"].update(dual_stack=True, pod_cidr_v6="fd00:10:244::/56")
    plan["ip_pools"].append(default_pool(family=6, cidr="fd00:10:244::/56", block_size=122, ipip="Never", nat=False))
    return plan


@pytest.mark.parametrize("version", RELEASES)
@pytest.mark.parametrize("variant", catalog.VARIANTS)
def test_rendered_manifest_passes_strict_validation(make_plan, upstream_dir, version, variant):
    plan = _fully_customised(make_plan(version, variant))
    result = manifest.build(plan, RenderContext(secrets=ETCD_SECRETS, upstream_dir=upstream_dir), validate=False)
    docs = manifest.parse_documents(manifest.dump_documents(result.docs))
    assert manifest.validate_documents(docs, plan["cluster"]["kubernetes_version"]) == []


def test_cli_strict_accepts_rendered_file(make_plan, upstream_dir, tmp_path):
    """The kubernetes-validate command line, as a person would run it, agrees."""
    artifact = manifest.render(make_plan("3.31.7", catalog.VARIANT_TYPHA), RenderContext(upstream_dir=upstream_dir))[0]
    target = tmp_path / "calico.yaml"
    target.write_text(artifact.content)
    cli = os.path.join(os.path.dirname(sys.executable), "kubernetes-validate")
    run = subprocess.run([cli, "--strict", "-k", "1.33", "--quiet", str(target)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_validation_reports_a_broken_object(make_plan, upstream_dir):
    plan = make_plan()
    result = manifest.build(plan, RenderContext(upstream_dir=upstream_dir), validate=False)
    ds = manifest.index_documents(result.docs)[("DaemonSet", "calico-node")]
    ds["spec"]["template"]["spec"]["containers"][0]["unknownField"] = 1
    ds["spec"]["minReadySeconds"] = "soon"
    problems = manifest.validate_documents(result.docs, "1.33")
    assert len(problems) == 1 and problems[0].startswith("DaemonSet kube-system/calico-node")


def test_render_refuses_output_that_fails_validation(make_plan, upstream_dir, monkeypatch):
    """If customisation ever produced an invalid object, render stops before writing anything."""
    real_customise = manifest.customise

    def customise_then_break(docs, plan, secrets=None):
        result = real_customise(docs, plan, secrets)
        manifest.index_documents(result.docs)[("Deployment", "calico-typha")]["spec"]["replicas"] = "three"
        return result

    monkeypatch.setattr(manifest, "customise", customise_then_break)
    with pytest.raises(RenderError, match="fails offline validation: Deployment kube-system/calico-typha: spec.replicas"):
        manifest.render(make_plan("3.31.7", catalog.VARIANT_TYPHA), RenderContext(upstream_dir=upstream_dir))


def test_unsupported_kubernetes_version(make_plan, upstream_dir):
    plan = make_plan()
    plan["cluster"]["kubernetes_version"] = "9.99"
    with pytest.raises(RenderError, match="no schemas for Kubernetes 9.99"):
        manifest.render(plan, RenderContext(upstream_dir=upstream_dir))


def test_cached_validation_agrees_with_kubernetes_validate(make_plan, upstream_dir):
    """validate_documents caches kubernetes-validate's schemas; its verdicts must equal the library's."""
    import kubernetes_validate

    result = manifest.build(make_plan("3.32.1", catalog.VARIANT_TYPHA), RenderContext(upstream_dir=upstream_dir), validate=False)
    index = manifest.index_documents(result.docs)
    broken = [
        (("Deployment", "calico-typha"), lambda d: d["spec"].__setitem__("replicas", "3")),
        (("ConfigMap", "calico-config"), lambda d: d["data"].__setitem__("veth_mtu", 1440)),
        (("DaemonSet", "calico-node"), lambda d: d["spec"]["template"]["spec"].__setitem__("hostNetwork", "yes")),
        (("ClusterRole", "calico-node"), lambda d: d.__setitem__("extra", True)),
    ]
    for key, breaker in broken:
        doc = copy.deepcopy(index[key])
        breaker(doc)
        with pytest.raises(kubernetes_validate.ValidationError) as err:
            kubernetes_validate.validate(doc, "1.33", strict=True)
        ours = manifest.validate_documents([doc], "1.33")
        assert len(ours) == 1 and ours[0].startswith(manifest.object_label(doc))
        assert ".".join(str(p) for p in err.value.path) in ours[0]
    for doc in result.docs:
        kubernetes_validate.validate(doc, "1.33", strict=True)  # raises if the library disagrees


def test_missing_kubernetes_validate_is_a_clear_render_error(make_plan, upstream_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "kubernetes_validate", None)  # import fails as if not installed
    with pytest.raises(RenderError, match="needs the Python package kubernetes-validate on the controller"):
        manifest.render(make_plan(), RenderContext(upstream_dir=upstream_dir))
