"""Typha mutual TLS in the rendered manifest, in process (the tests in tests/unit/security make
real certificates through ansible-playbook, too slow for mutation testing). The customiser only
base64-encodes what the render context holds, so distinct marker texts stand in for the PEM files.

Expected names come from Calico's configuration references, not from the code: Typha reads
TYPHA_CAFILE, TYPHA_SERVERCERTFILE, TYPHA_SERVERKEYFILE and TYPHA_CLIENTCN (the CN it demands
of Felix); Felix reads FELIX_TYPHACAFILE, FELIX_TYPHACERTFILE, FELIX_TYPHAKEYFILE and
FELIX_TYPHACN (the CN it demands of Typha). The workloads and containers are the upstream
calico-typha.yaml's: Deployment calico-typha (container calico-typha) and DaemonSet calico-node
(container calico-node), both in kube-system."""

from __future__ import annotations

import base64
import copy

import pytest
from manifest_plans import plan_for, upstream_path

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog, manifest
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderError

MOUNT = "/etc/calico/typha-tls"
# Deliberately not the defaults, so the test sees the CNs come from the plan.
SERVER_CN = "typha.lab.example"
CLIENT_CN = "felix.lab.example"
SECRETS = {
    "typha_ca": "CA CERTIFICATE\n",
    "typha_server_cert": "TYPHA SERVER CERTIFICATE\n",
    "typha_server_key": b"TYPHA SERVER KEY\n",  # bytes as well as text reach the render
    "typha_client_cert": "FELIX CLIENT CERTIFICATE\n",
    "typha_client_key": "FELIX CLIENT KEY\n",
}


def tls_plan(version="3.31.7"):
    plan = copy.deepcopy(plan_for(version, catalog.VARIANT_TYPHA))
    plan["manifest"]["typha"]["tls"] = {"enabled": True, "pki_dir": "/nowhere", "server_name": SERVER_CN, "client_name": CLIENT_CN}
    return plan


@pytest.fixture(scope="module")
def parsed_upstream():
    with open(upstream_path("3.31.7", catalog.VARIANT_TYPHA), "rb") as handle:
        return manifest.parse_documents(handle.read())


@pytest.fixture
def upstream_docs(parsed_upstream):
    """A fresh copy per test: the customiser edits the documents in place."""
    return copy.deepcopy(parsed_upstream)


@pytest.fixture(scope="module")
def rendered(parsed_upstream):
    result = manifest.customise(copy.deepcopy(parsed_upstream), tls_plan(), dict(SECRETS))
    return result, manifest.index_documents(result.docs)


def pod_and_container(index, kind, name, container_name):
    pod = index[(kind, name)]["spec"]["template"]["spec"]
    return pod, [c for c in pod["containers"] if c["name"] == container_name][0]


def decoded(secret):
    return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


SIDES = [
    # workload, container, its Secret, the files it gets, the settings that point at them
    (("Deployment", "calico-typha"), "calico-typha", "calico-typha-tls",
     {"ca.crt": "CA CERTIFICATE\n", "tls.crt": "TYPHA SERVER CERTIFICATE\n", "tls.key": "TYPHA SERVER KEY\n"},
     {"TYPHA_CAFILE": MOUNT + "/ca.crt", "TYPHA_SERVERCERTFILE": MOUNT + "/tls.crt", "TYPHA_SERVERKEYFILE": MOUNT + "/tls.key",
      "TYPHA_CLIENTCN": CLIENT_CN}),
    (("DaemonSet", "calico-node"), "calico-node", "calico-node-typha-tls",
     {"ca.crt": "CA CERTIFICATE\n", "tls.crt": "FELIX CLIENT CERTIFICATE\n", "tls.key": "FELIX CLIENT KEY\n"},
     {"FELIX_TYPHACAFILE": MOUNT + "/ca.crt", "FELIX_TYPHACERTFILE": MOUNT + "/tls.crt", "FELIX_TYPHAKEYFILE": MOUNT + "/tls.key",
      "FELIX_TYPHACN": SERVER_CN}),
]


@pytest.mark.parametrize("workload, container_name, secret_name, files, env", SIDES)
def test_each_side_gets_its_own_certificate_secret(rendered, workload, container_name, secret_name, files, env):
    _result, index = rendered
    secret = index[("Secret", secret_name)]
    assert secret["apiVersion"] == "v1" and secret["kind"] == "Secret" and secret["type"] == "Opaque"
    assert secret["metadata"] == {"name": secret_name, "namespace": "kube-system"}
    assert decoded(secret) == files


@pytest.mark.parametrize("workload, container_name, secret_name, files, env", SIDES)
def test_each_side_mounts_its_secret_read_only_and_points_calico_at_it(rendered, workload, container_name, secret_name, files, env):
    _result, index = rendered
    pod, container = pod_and_container(index, workload[0], workload[1], container_name)
    tls_volumes = [v for v in pod["volumes"] if v["name"] == "typha-tls"]
    # 0400: only the container's user reads the private key.
    assert tls_volumes == [{"name": "typha-tls", "secret": {"secretName": secret_name, "defaultMode": 0o400}}]
    assert [m for m in container["volumeMounts"] if m["name"] == "typha-tls"] == [{"name": "typha-tls", "mountPath": MOUNT, "readOnly": True}]
    live = {e["name"]: e for e in container["env"]}
    for name, value in env.items():
        assert live[name] == {"name": name, "value": value}


def test_the_change_summary_lists_every_tls_edit_and_hides_the_material(rendered):
    result, _index = rendered
    assert result.embeds_secret
    changes = {(c.obj, c.field): c for c in result.changes}
    for workload, container_name, secret_name, _files, env in SIDES:
        label = "%s kube-system/%s" % workload
        data = changes[("Secret kube-system/%s" % secret_name, "data")]
        assert data.secret and data.old == manifest.ABSENT and data.new == "ca.crt, tls.crt, tls.key"
        volume = changes[(label, "spec.template.spec.volumes[typha-tls]")]
        assert (volume.old, volume.new, volume.secret) == (manifest.ABSENT, "secret %s" % secret_name, False)
        mount = changes[(label, "spec.template.spec.containers[%s].volumeMounts[typha-tls]" % container_name)]
        assert (mount.old, mount.new) == (manifest.ABSENT, MOUNT)
        for name, value in env.items():
            setting = changes[(label, "spec.template.spec.containers[%s].env[%s]" % (container_name, name))]
            assert (setting.old, setting.new) == (manifest.ABSENT, value)
    text = manifest.summary(tls_plan(), result)
    assert "calico-typha-tls" in text and "calico-node-typha-tls" in text
    for material in SECRETS.values():
        plain = material.decode() if isinstance(material, bytes) else material
        assert plain.strip() not in text


def test_the_secrets_follow_their_workloads_namespace(upstream_docs):
    docs = upstream_docs
    index = manifest.index_documents(docs)
    for key in (("Deployment", "calico-typha"), ("DaemonSet", "calico-node")):
        index[key]["metadata"]["namespace"] = "calico-system"
    manifest.customise(docs, tls_plan(), dict(SECRETS))
    index = manifest.index_documents(docs)
    assert index[("Secret", "calico-typha-tls")]["metadata"]["namespace"] == "calico-system"
    assert index[("Secret", "calico-node-typha-tls")]["metadata"]["namespace"] == "calico-system"


@pytest.mark.parametrize("absent", sorted(SECRETS))
def test_a_missing_certificate_or_key_is_named_with_the_step_that_makes_it(upstream_docs, absent):
    secrets = {key: value for key, value in SECRETS.items() if key != absent}
    with pytest.raises(RenderError) as raised:
        manifest.customise(upstream_docs, tls_plan(), secrets)
    assert raised.value.messages == [
        "Typha TLS is on but the render context lacks %s: the certificates are made by the calico_manifest role's "
        "typha_pki step into plan.manifest.typha.tls.pki_dir" % absent]


def test_every_missing_piece_is_named_at_once_in_order(upstream_docs):
    with pytest.raises(RenderError) as raised:
        manifest.customise(upstream_docs, tls_plan(), {"typha_ca": "CA", "typha_server_key": ""})
    assert "lacks typha_client_cert, typha_client_key, typha_server_cert, typha_server_key:" in raised.value.messages[0]
    assert len(raised.value.messages) == 1


def test_a_renamed_container_is_reported_not_skipped(upstream_docs):
    docs = upstream_docs
    pod = manifest.index_documents(docs)[("Deployment", "calico-typha")]["spec"]["template"]["spec"]
    [c for c in pod["containers"] if c["name"] == "calico-typha"][0]["name"] = "typha"
    with pytest.raises(RenderError) as raised:
        manifest.customise(docs, tls_plan(), dict(SECRETS))
    assert raised.value.messages == ["Deployment kube-system/calico-typha has no container named calico-typha"]
    assert not [d for d in docs if d.get("kind") == "Secret" and d["metadata"]["name"].endswith("typha-tls")]
