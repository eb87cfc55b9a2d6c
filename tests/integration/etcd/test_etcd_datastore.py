"""The etcd settings rendered into calico-etcd.yaml reach a real etcd 3.4 over mutual TLS.

A throw-away CA, server and client certificate are made with openssl; etcd listens on
127.0.0.1 and requires client certificates. The plan is built for that etcd, the manifest is
rendered from the real upstream file, and the endpoint list, CA, certificate and key are read
back out of the rendered ConfigMap and Secret and used with etcdctl, as calico-node would.
"""

import base64
import os
import shutil
import socket
import subprocess
import time

import pytest
import yaml

from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext
from ansible_collections.onprem.calico.plugins.plugin_utils.manifest import render
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from plan_inputs import base
from testpaths import UPSTREAM_DIR

pytestmark = pytest.mark.skipif(not shutil.which("etcd") or not shutil.which("openssl"), reason="needs etcd-server and openssl (make apt)")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl("req", "-x509", *ec, "-days", "2", "-subj", "/CN=test-etcd-ca", "-keyout", "ca-key.pem", "-out", "ca.pem", cwd=d)
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name in ("server", "client"):
        _openssl("req", *ec, "-subj", "/CN=%s" % name, "-keyout", "%s-key.pem" % name, "-out", "%s.csr" % name, cwd=d)
        _openssl(
            "x509",
            "-req",
            "-in",
            "%s.csr" % name,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "%s.ext" % name,
            "-out",
            "%s.pem" % name,
            cwd=d,
        )
    return d


@pytest.fixture(scope="module")
def etcd(pki, tmp_path_factory):
    data = tmp_path_factory.mktemp("etcd-data")
    client, peer = _free_port(), _free_port()
    url = "https://127.0.0.1:%d" % client
    proc = subprocess.Popen(
        [
            "etcd",
            "--name",
            "test",
            "--data-dir",
            str(data),
            "--listen-client-urls",
            url,
            "--advertise-client-urls",
            url,
            "--listen-peer-urls",
            "http://127.0.0.1:%d" % peer,
            "--initial-advertise-peer-urls",
            "http://127.0.0.1:%d" % peer,
            "--initial-cluster",
            "test=http://127.0.0.1:%d" % peer,
            "--client-cert-auth",
            "--trusted-ca-file",
            str(pki / "ca.pem"),
            "--cert-file",
            str(pki / "server.pem"),
            "--key-file",
            str(pki / "server-key.pem"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 20
    while time.time() < deadline:
        ok = subprocess.run(
            [
                "etcdctl",
                "--endpoints",
                url,
                "--cacert",
                str(pki / "ca.pem"),
                "--cert",
                str(pki / "client.pem"),
                "--key",
                str(pki / "client-key.pem"),
                "endpoint",
                "health",
            ],
            capture_output=True,
            text=True,
            check=False,
            env=dict(os.environ, ETCDCTL_API="3"),
        )
        if ok.returncode == 0:
            break
        time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("etcd did not become healthy: " + proc.stderr.read().decode()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _etcdctl(url, ca, cert, key, *args):
    cmd = ["etcdctl", "--endpoints", url, "--cacert", ca]
    if cert:
        cmd += ["--cert", cert, "--key", key]
    return subprocess.run(cmd + ["--dial-timeout", "3s", *args], capture_output=True, text=True, check=False, env=dict(os.environ, ETCDCTL_API="3"))


def test_rendered_etcd_settings_work_against_real_etcd(pki, etcd, tmp_path):
    inv = base(
        calico_datastore="etcd",
        calico_etcd_endpoints=[etcd],
        calico_etcd_ca_file=str(pki / "ca.pem"),
        calico_etcd_cert_file=str(pki / "client.pem"),
        calico_etcd_key_file=str(pki / "client-key.pem"),
        calico_manifest_mirror=UPSTREAM_DIR,
    )
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    plan = result.plan
    secrets = {"etcd_" + k: (pki / f).read_text() for k, f in (("ca", "ca.pem"), ("cert", "client.pem"), ("key", "client-key.pem"))}
    artifacts = {a.path: a for a in render(plan, RenderContext(secrets=secrets))}
    manifest = artifacts["calico.yaml"]
    assert manifest.mode == "0600" and manifest.secret
    docs = [d for d in yaml.safe_load_all(manifest.content) if d]
    config = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "calico-config")["data"]
    secret = next(d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"] == "calico-etcd-secrets")["data"]
    assert config["etcd_endpoints"] == etcd

    # Write the Secret's files where the ConfigMap says calico-node finds them (below tmp).
    paths = {}
    for key, field in (("etcd_ca", "etcd-ca"), ("etcd_cert", "etcd-cert"), ("etcd_key", "etcd-key")):
        target = tmp_path / config[key].lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(secret[field]))
        paths[key] = str(target)
    put = _etcdctl(config["etcd_endpoints"], paths["etcd_ca"], paths["etcd_cert"], paths["etcd_key"], "put", "/calico/onprem-test", "ok")
    assert put.returncode == 0, put.stderr
    got = _etcdctl(
        config["etcd_endpoints"], paths["etcd_ca"], paths["etcd_cert"], paths["etcd_key"], "get", "/calico/onprem-test", "--print-value-only"
    )
    assert got.stdout.strip() == "ok"
    # The client certificate is what lets it in: without it the same etcd refuses.
    refused = _etcdctl(config["etcd_endpoints"], paths["etcd_ca"], None, None, "get", "/calico/onprem-test")
    assert refused.returncode != 0
    # Secrets stay out of the change summary.
    summary = artifacts["calico-manifest-changes.md"].content
    assert "BEGIN" not in summary and base64.b64encode(secrets["etcd_key"].encode()).decode()[:40] not in summary
