"""Typha over mutual TLS: the certificates the calico_manifest role makes with community.crypto
(made once, chain, names and key usages checked with `openssl verify`), a certificate test with
an `openssl s_server -Verify` stand-in that refuses a client without a certificate, and the
rendered Typha Deployment and calico-node DaemonSet with their Secrets, volumes and settings,
validated with kubernetes-validate --strict."""

from __future__ import annotations

import base64
import copy
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog, manifest
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext

from testpaths import REPO

sys.path.insert(0, os.path.join(REPO, "tests", "unit", "manifest"))
from manifest_plans import UPSTREAM_DIR, plan_for  # noqa: E402

PKI_PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: onprem.calico.calico_manifest
        tasks_from: typha_pki.yml
"""


def typha_plan(pki_dir):
    plan = copy.deepcopy(plan_for("3.31.7", catalog.VARIANT_TYPHA))
    plan["manifest"]["typha"]["tls"] = {"enabled": True, "pki_dir": str(pki_dir), "server_name": "calico-typha",
                                        "client_name": "calico-node"}
    return plan


def run_pki(tmp_path, plan):
    (tmp_path / "pki.yml").write_text(PKI_PLAY)
    (tmp_path / "vars.json").write_text(json.dumps({"calico_plan": plan}))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-e", "@%s" % (tmp_path / "vars.json"),
                           str(tmp_path / "pki.yml")], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "BEGIN" not in proc.stdout, "key material in the output"
    return proc.stdout


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    work = tmp_path_factory.mktemp("typha-pki")
    plan = typha_plan(work / "pki")
    first = run_pki(work, plan)
    return work / "pki", plan, first, work


def openssl(*args, check=True):
    proc = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
    if check:
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc


def test_made_once_and_never_reissued(pki):
    directory, plan, first, work = pki
    assert "changed=" in first and "changed=0" not in first
    before = {name: (directory / name).read_bytes() for name in os.listdir(directory)}
    again = run_pki(work, plan)
    assert "changed=0" in again, again[-2000:]
    assert {name: (directory / name).read_bytes() for name in os.listdir(directory)} == before
    assert oct(directory.stat().st_mode & 0o777) == "0o700"
    for key in ("ca.key", "typha.key", "felix.key"):
        assert oct((directory / key).stat().st_mode & 0o777) == "0o600"


def test_chain_names_and_key_usages(pki):
    directory = pki[0]
    ca, typha, felix = (str(directory / n) for n in ("ca.crt", "typha.crt", "felix.crt"))
    openssl("verify", "-CAfile", ca, "-purpose", "sslserver", typha)
    openssl("verify", "-CAfile", ca, "-purpose", "sslclient", felix)
    # Each leaf is good for its own side only.
    assert openssl("verify", "-CAfile", ca, "-purpose", "sslclient", typha, check=False).returncode != 0
    assert openssl("verify", "-CAfile", ca, "-purpose", "sslserver", felix, check=False).returncode != 0
    assert "CN = calico-typha" in openssl("x509", "-noout", "-subject", "-in", typha).stdout.replace("CN=", "CN = ")
    assert "CN = calico-node" in openssl("x509", "-noout", "-subject", "-in", felix).stdout.replace("CN=", "CN = ")
    ca_text = openssl("x509", "-noout", "-text", "-in", ca).stdout
    assert "CA:TRUE" in ca_text and "Certificate Sign" in ca_text
    assert "CA:FALSE" in openssl("x509", "-noout", "-text", "-in", typha).stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_certificate_handshake_with_an_s_server_stand_in(pki):
    """A certificate test, not a Typha test: a TLS server with Typha's certificate that demands a
    client certificate from the CA accepts Felix's and refuses a client without one."""
    directory = pki[0]
    port = free_port()
    server = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", str(directory / "typha.crt"),
                               "-key", str(directory / "typha.key"), "-CAfile", str(directory / "ca.crt"), "-Verify", "1",
                               "-verify_return_error", "-www"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _attempt in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)

        def client(*extra):
            return subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-CAfile", str(directory / "ca.crt"),
                                   "-verify_return_error", "-verify_hostname", "calico-typha", "-ign_eof", *extra],
                                  input="GET / HTTP/1.0\r\n\r\n", capture_output=True, text=True, timeout=20, check=False)

        good = client("-cert", str(directory / "felix.crt"), "-key", str(directory / "felix.key"))
        assert good.returncode == 0 and "Verify return code: 0" in good.stdout, good.stdout[-1500:] + good.stderr[-1500:]
        assert "HTTP/1.0 200" in good.stdout
        anonymous = client()
        assert "HTTP/1.0 200" not in anonymous.stdout, "a client without a certificate was served"
    finally:
        server.kill()
        server.wait()


def test_rendered_workloads_mount_the_secrets_and_validate(pki):
    directory, plan, _first, _work = pki
    secrets = {key: (directory / name).read_text() for key, name in (
        ("typha_ca", "ca.crt"), ("typha_server_cert", "typha.crt"), ("typha_server_key", "typha.key"),
        ("typha_client_cert", "felix.crt"), ("typha_client_key", "felix.key"))}
    result = manifest.build(plan, RenderContext(secrets=secrets, upstream_dir=UPSTREAM_DIR), validate=False)
    docs = manifest.parse_documents(manifest.dump_documents(result.docs))
    assert manifest.validate_documents(docs, plan["cluster"]["kubernetes_version"]) == []
    assert result.embeds_secret
    index = manifest.index_documents(docs)
    ca_key = (directory / "ca.key").read_text()
    text = manifest.dump_documents(result.docs)
    assert ca_key.strip().splitlines()[1] not in text, "the CA key left the controller"
    expect = {
        ("Deployment", "calico-typha"): ("calico-typha", "calico-typha-tls", {
            "TYPHA_CAFILE": "/etc/calico/typha-tls/ca.crt", "TYPHA_SERVERCERTFILE": "/etc/calico/typha-tls/tls.crt",
            "TYPHA_SERVERKEYFILE": "/etc/calico/typha-tls/tls.key", "TYPHA_CLIENTCN": "calico-node"}),
        ("DaemonSet", "calico-node"): ("calico-node", "calico-node-typha-tls", {
            "FELIX_TYPHACAFILE": "/etc/calico/typha-tls/ca.crt", "FELIX_TYPHACERTFILE": "/etc/calico/typha-tls/tls.crt",
            "FELIX_TYPHAKEYFILE": "/etc/calico/typha-tls/tls.key", "FELIX_TYPHACN": "calico-typha"}),
    }
    for key, (container_name, secret_name, env) in expect.items():
        pod = index[key]["spec"]["template"]["spec"]
        assert {"name": "typha-tls", "secret": {"secretName": secret_name, "defaultMode": 0o400}} in pod["volumes"]
        container = [c for c in pod["containers"] if c["name"] == container_name][0]
        assert {"name": "typha-tls", "mountPath": "/etc/calico/typha-tls", "readOnly": True} in container["volumeMounts"]
        live = {e["name"]: e.get("value") for e in container["env"]}
        for name, value in env.items():
            assert live[name] == value
        secret = index[("Secret", secret_name)]
        assert sorted(secret["data"]) == ["ca.crt", "tls.crt", "tls.key"]
    summary = manifest.summary(plan, result)
    assert "BEGIN" not in summary and "calico-typha-tls" in summary


def test_render_without_certificates_names_the_step(tmp_path):
    plan = typha_plan(tmp_path / "nowhere")
    with pytest.raises(Exception) as raised:
        manifest.build(plan, RenderContext(upstream_dir=UPSTREAM_DIR), validate=False)
    assert "typha_pki" in str(raised.value)


def test_ca_bundle_is_read_during_a_rotation_and_keys_stay_placeholders(tmp_path):
    from ansible_collections.onprem.calico.plugins.plugin_utils.placeholders import placeholder, render_secrets, secret_values

    for name in ("ca.crt", "typha.crt", "typha.key", "felix.crt", "felix.key"):
        (tmp_path / name).write_text(name)
    (tmp_path / "ca.key").write_text("CA-PRIVATE-KEY")
    plan = typha_plan(tmp_path)
    assert render_secrets(plan)["typha_ca"] == "ca.crt"
    (tmp_path / "ca-bundle.crt").write_text("new+old")
    secrets = render_secrets(plan)
    assert secrets["typha_ca"] == "new+old" and "CA-PRIVATE-KEY" not in json.dumps(secrets)
    # The private keys never reach a rendered artifact: the render gets placeholders, the apply the files.
    assert secrets["typha_server_key"] == placeholder("typha_server_key") and secrets["typha_client_key"] == placeholder("typha_client_key")
    values = secret_values(plan, None)
    assert values == {"typha_server_key": "typha.key", "typha_client_key": "felix.key"}


def test_published_manifest_holds_no_typha_key_and_apply_puts_them_back(pki):
    from ansible_collections.onprem.calico.plugins.plugin_utils.placeholders import fill_objects, render_secrets, secret_values

    directory, plan, _first, _work = pki
    result = manifest.build(plan, RenderContext(secrets=render_secrets(plan), upstream_dir=UPSTREAM_DIR), validate=False)
    text = manifest.dump_documents(result.docs)
    for key_file in ("typha.key", "felix.key", "ca.key"):
        body = (directory / key_file).read_text().strip().splitlines()[1]
        assert body not in text, "%s is at rest in the rendered manifest" % key_file
    filled = fill_objects(manifest.parse_documents(text), secret_values(plan, None), "calico.yaml")
    index = manifest.index_documents(filled)
    for secret_name, key_file in (("calico-typha-tls", "typha.key"), ("calico-node-typha-tls", "felix.key")):
        data = index[("Secret", secret_name)]["data"]
        assert base64.b64decode(data["tls.key"]).decode() == (directory / key_file).read_text()
