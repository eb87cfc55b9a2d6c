"""Locating and verifying the upstream manifest: the checksum gate comes before any parsing."""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import shutil
import socket
import threading

import pytest
from manifest_plans import RELEASES, upstream_path

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog, manifest
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext, RenderError
from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import InventoryInput
from ansible_collections.onprem.calico.plugins.plugin_utils.manifest_source import (
    ManifestSource,
    ManifestSourceError,
    fetch_verified,
    locate,
    source_from_plan,
)
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan


def sha256_of(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@pytest.mark.parametrize("version", RELEASES)
@pytest.mark.parametrize("variant", catalog.VARIANTS)
def test_catalog_matches_shared_upstream_files(upstream_dir, version, variant):
    assert catalog.manifest_sha256(version, variant) == sha256_of(upstream_path(version, variant))


def test_locate_prefers_context_dir_then_mirror_then_upstream_url(make_plan, tmp_path):
    manifest_plan = make_plan()["manifest"]
    assert locate(manifest_plan, "3.31.7") == "https://raw.githubusercontent.com/projectcalico/calico/v3.31.7/manifests/calico.yaml"
    manifest_plan["mirror"] = str(tmp_path)
    assert locate(manifest_plan, "3.31.7") == str(tmp_path / "v3.31.7" / "calico.yaml")
    manifest_plan["mirror"] = "https://mirror.example.internal/calico/"
    assert locate(manifest_plan, "3.31.7") == "https://mirror.example.internal/calico/v3.31.7/calico.yaml"
    assert locate(manifest_plan, "3.31.7", upstream_dir="/srv/up") == "/srv/up/v3.31.7/calico.yaml"


def test_verified_read_from_directory_mirror(make_plan, upstream_dir):
    plan = make_plan("3.32.1", catalog.VARIANT_TYPHA)
    plan["manifest"]["mirror"] = upstream_dir
    verified = fetch_verified(source_from_plan(plan))
    assert verified.sha256 == catalog.manifest_sha256("3.32.1", catalog.VARIANT_TYPHA)
    assert verified.source.location == upstream_path("3.32.1", catalog.VARIANT_TYPHA)


@pytest.fixture
def http_mirror(upstream_dir):
    """A real HTTP server on 127.0.0.1 serving the shared upstream tree as a mirror base URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=upstream_dir)
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/" % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_verified_read_from_url_mirror(make_plan, http_mirror):
    plan = make_plan("3.30.7", catalog.VARIANT_ETCD)
    plan["manifest"]["mirror"] = http_mirror
    verified = fetch_verified(source_from_plan(plan))
    assert verified.source.location == http_mirror + "v3.30.7/calico-etcd.yaml"
    assert verified.sha256 == catalog.manifest_sha256("3.30.7", catalog.VARIANT_ETCD)


def test_url_mirror_missing_file_names_file_and_sums(make_plan, http_mirror):
    plan = make_plan("3.31.7")
    plan["cluster"]["version"] = "3.29.0"  # not on the mirror: HTTP 404
    with pytest.raises(ManifestSourceError) as err:
        fetch_verified(source_from_plan(plan))
    message = str(err.value)
    assert "v3.29.0/calico.yaml" in message
    assert plan["manifest"]["sha256"] in message
    assert "actual sha256 none" in message


def test_unreachable_source_fails_with_file_and_sums(make_plan):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    plan = make_plan()
    plan["manifest"]["mirror"] = "http://127.0.0.1:%d/calico" % port
    with pytest.raises(ManifestSourceError) as err:
        fetch_verified(source_from_plan(plan), timeout=5)
    assert "v3.31.7/calico.yaml" in str(err.value)
    assert "expected sha256 %s" % plan["manifest"]["sha256"] in str(err.value)
    assert "actual sha256 none" in str(err.value)


def test_missing_file_in_directory_mirror(make_plan, tmp_path):
    plan = make_plan()
    plan["manifest"]["mirror"] = str(tmp_path)
    with pytest.raises(ManifestSourceError, match="cannot read Calico manifest v3.31.7/calico.yaml"):
        fetch_verified(source_from_plan(plan))


def test_checksum_mismatch_names_file_expected_and_actual(make_plan, tmp_path):
    (tmp_path / "v3.31.7").mkdir()
    tampered = tmp_path / "v3.31.7" / "calico.yaml"
    tampered.write_bytes(open(upstream_path("3.31.7", "calico.yaml"), "rb").read() + b"# extra\n")
    plan = make_plan()
    with pytest.raises(ManifestSourceError) as err:
        fetch_verified(source_from_plan(plan, upstream_dir=str(tmp_path)))
    message = str(err.value)
    assert "checksum mismatch" in message and "v3.31.7/calico.yaml" in message
    assert "expected sha256 %s" % plan["manifest"]["sha256"] in message
    assert "actual sha256 %s" % sha256_of(tampered) in message


def test_checksum_is_checked_before_parsing(make_plan, tmp_path, monkeypatch):
    """Bytes that are not even YAML fail on the checksum, and the parser is never called."""
    (tmp_path / "v3.31.7").mkdir()
    (tmp_path / "v3.31.7" / "calico.yaml").write_bytes(b"{{{ not yaml: [")
    parsed = []
    monkeypatch.setattr(manifest, "parse_documents", lambda data: parsed.append(data) or [])
    with pytest.raises(RenderError) as err:
        manifest.render(make_plan(), RenderContext(upstream_dir=str(tmp_path)))
    assert "checksum mismatch" in str(err.value)
    assert parsed == []


def _plan_from_inventory(**cluster_vars):
    """A real plan from build_plan() for a two-node cluster with the given variables."""
    inventory = InventoryInput(
        # Only manifests are rendered from these plans: no BGP stage, so no calicoctl checksum.
        cluster={"calico_node_subnets": ["10.20.0.0/24"], "calico_bgp_skip_api": True, **cluster_vars},
        groups={"k8s_cluster": ["n1", "n2"], "kube_control_plane": ["n1"], "kube_node": ["n2"]},
        hosts={"n1": {"ansible_host": "10.20.0.11"}, "n2": {"ansible_host": "10.20.0.12"}},
    )
    return build_plan(inventory)


def test_unknown_version_without_sha256_gets_no_plan():
    result = _plan_from_inventory(calico_version="3.29.9")
    assert result.plan is None
    assert any(e.subject == "calico_version" and "calico_manifest_sha256" in e.fix for e in result.errors)


def test_plan_without_sha256_is_refused(make_plan):
    plan = make_plan()
    plan["manifest"]["sha256"] = None
    with pytest.raises(ManifestSourceError, match="set calico_manifest_sha256"):
        source_from_plan(plan)


def test_unknown_version_with_explicit_sha256_renders(tmp_path):
    """A release outside the catalog, served by a mirror, passes with its explicit sha256."""
    (tmp_path / "v3.99.0").mkdir()
    shutil.copy(upstream_path("3.32.1", "calico.yaml"), tmp_path / "v3.99.0" / "calico.yaml")
    digest = sha256_of(tmp_path / "v3.99.0" / "calico.yaml")
    result = _plan_from_inventory(calico_version="3.99.0", calico_manifest_sha256=digest.upper(), calico_manifest_mirror=str(tmp_path))
    assert result.errors == []
    assert (result.plan["manifest"]["sha256"], result.plan["manifest"]["sha256_source"]) == (digest, "calico_manifest_sha256")
    artifacts = {a.path: a for a in manifest.render(result.plan, RenderContext())}
    assert "CALICO_IPV4POOL_CIDR" in artifacts["calico.yaml"].content
    assert "(calico_manifest_sha256)" in artifacts["calico-manifest-changes.md"].content


def test_explicit_sha256_that_does_not_match_fails(tmp_path):
    (tmp_path / "v3.99.0").mkdir()
    shutil.copy(upstream_path("3.32.1", "calico.yaml"), tmp_path / "v3.99.0" / "calico.yaml")
    result = _plan_from_inventory(calico_version="3.99.0", calico_manifest_sha256="0" * 64, calico_manifest_mirror=str(tmp_path))
    with pytest.raises(RenderError) as err:
        manifest.render(result.plan, RenderContext())
    assert "expected sha256 %s (calico_manifest_sha256)" % ("0" * 64) in str(err.value)
    assert "actual sha256 %s" % sha256_of(tmp_path / "v3.99.0" / "calico.yaml") in str(err.value)


def test_source_label_and_fields():
    source = ManifestSource("3.31.7", "calico.yaml", "ab" * 32, "catalog", os.path.join("/x", "calico.yaml"))
    assert source.label == "v3.31.7/calico.yaml"


def test_verified_read_from_file_url_mirror(make_plan, upstream_dir):
    plan = make_plan("3.31.7", catalog.VARIANT_ETCD)
    plan["manifest"]["mirror"] = "file://" + upstream_dir + "/"
    verified = fetch_verified(source_from_plan(plan))
    assert verified.source.location == "file://%s/v3.31.7/calico-etcd.yaml" % upstream_dir
    assert verified.sha256 == catalog.manifest_sha256("3.31.7", catalog.VARIANT_ETCD)


def test_unreachable_upstream_names_the_mirror_variable(make_plan):
    """No mirror and no upstream_dir: the plan's URL is read; when it fails the fix is a mirror."""
    plan = make_plan("3.31.7", catalog.VARIANT_KDD)
    plan["manifest"]["mirror"] = None
    # A port nothing listens on: the read fails at once, as it does on a site without internet.
    plan["manifest"]["url"] = "http://127.0.0.1:9/projectcalico/calico/v3.31.7/manifests/calico.yaml"
    with pytest.raises(ManifestSourceError) as err:
        fetch_verified(source_from_plan(plan), timeout=5)
    message = str(err.value)
    assert message.startswith("cannot read Calico manifest v3.31.7/calico.yaml from http://127.0.0.1:9/")
    assert "Fix: set calico_manifest_mirror to a directory or URL holding v3.31.7/calico.yaml" in message
    assert "e.g. calico_manifest_mirror: /srv/mirror/calico" in message


def test_unreadable_mirror_is_not_told_to_set_a_mirror(make_plan, tmp_path):
    plan = make_plan("3.31.7", catalog.VARIANT_KDD)
    plan["manifest"]["mirror"] = str(tmp_path)
    with pytest.raises(ManifestSourceError) as err:
        fetch_verified(source_from_plan(plan))
    assert "calico_manifest_mirror" not in str(err.value)
