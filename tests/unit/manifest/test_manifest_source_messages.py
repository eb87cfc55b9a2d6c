"""The manifest source as the operator meets it: which file is read from where, and the whole
message when it cannot be read or is not the expected file (expected and actual sums, the fix)."""

from __future__ import annotations

import hashlib
import io
import os
import urllib.request

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils.manifest_source import (
    ManifestSource,
    ManifestSourceError,
    VerifiedManifest,
    fetch_verified,
    locate,
    source_from_plan,
)

UPSTREAM_URL = "https://raw.githubusercontent.com/projectcalico/calico/v3.31.7/manifests/calico.yaml"
CONTENT = b"kind: DaemonSet\n"
CONTENT_SHA = hashlib.sha256(CONTENT).hexdigest()


def plan(**manifest):
    return {"cluster": {"version": "3.31.7"},
            "manifest": dict({"variant": "calico.yaml", "url": UPSTREAM_URL, "sha256": CONTENT_SHA, "mirror": None}, **manifest)}


def test_straight_from_upstream_the_fix_is_a_mirror_holding_that_file():
    assert source_from_plan(plan(sha256_source="catalog")) == ManifestSource(
        version="3.31.7", variant="calico.yaml", expected_sha256=CONTENT_SHA, sha256_source="catalog", location=UPSTREAM_URL,
        fix="set calico_manifest_mirror to a directory or URL holding v3.31.7/calico.yaml, e.g. calico_manifest_mirror: "
            "/srv/mirror/calico with the file copied there from %s" % UPSTREAM_URL)


def test_from_a_mirror_there_is_no_mirror_to_suggest_and_the_checksum_is_compared_in_lower_case(tmp_path):
    source = source_from_plan(plan(mirror=str(tmp_path), sha256=CONTENT_SHA.upper(), sha256_source="calico_manifest_sha256"))
    assert source == ManifestSource("3.31.7", "calico.yaml", CONTENT_SHA, "calico_manifest_sha256",
                                    str(tmp_path / "v3.31.7" / "calico.yaml"), "")


def test_a_checksum_without_a_recorded_source_comes_from_the_catalog():
    assert source_from_plan(plan()).sha256_source == "catalog"
    assert source_from_plan(plan(sha256_source=None)).sha256_source == "catalog"


@pytest.mark.parametrize("empty", [None, ""])
def test_a_plan_without_a_checksum_names_the_file_and_the_variable(empty):
    with pytest.raises(ManifestSourceError) as error:
        source_from_plan(plan(sha256=empty))
    assert str(error.value) == "plan.manifest.sha256 is empty for v3.31.7/calico.yaml: set calico_manifest_sha256"


def test_relative_directories_become_absolute_and_a_url_mirror_loses_its_trailing_slashes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    manifest = plan()["manifest"]
    assert locate(manifest, "3.31.7", upstream_dir="up") == str(tmp_path / "up" / "v3.31.7" / "calico.yaml")
    assert locate(dict(manifest, mirror="mirror"), "3.31.7") == str(tmp_path / "mirror" / "v3.31.7" / "calico.yaml")
    assert locate(dict(manifest, mirror="HTTPS://m.example/calico-LINUX//"), "3.31.7") == "HTTPS://m.example/calico-LINUX/v3.31.7/calico.yaml"


def test_a_verified_read_returns_the_bytes_and_their_sum(tmp_path):
    (tmp_path / "v3.31.7").mkdir()
    (tmp_path / "v3.31.7" / "calico.yaml").write_bytes(CONTENT)
    source = source_from_plan(plan(mirror="file://%s" % tmp_path))
    assert fetch_verified(source) == VerifiedManifest(source=source, data=CONTENT, sha256=CONTENT_SHA)


def test_a_missing_file_names_it_both_sums_and_no_fix_when_there_is_none(tmp_path):
    source = source_from_plan(plan(mirror=str(tmp_path)))
    path = str(tmp_path / "v3.31.7" / "calico.yaml")
    with pytest.raises(ManifestSourceError) as error:
        fetch_verified(source)
    assert str(error.value) == ("cannot read Calico manifest v3.31.7/calico.yaml from %s: [Errno 2] No such file or directory: '%s' "
                                "(expected sha256 %s, actual sha256 none)" % (path, path, CONTENT_SHA))


def test_an_unreadable_url_gives_the_reason_and_the_fix(tmp_path):
    missing = "file://%s/v3.31.7/calico.yaml" % tmp_path
    source = ManifestSource("3.31.7", "calico.yaml", CONTENT_SHA, "catalog", missing, "copy the file")
    with pytest.raises(ManifestSourceError) as error:
        fetch_verified(source)
    message = str(error.value)
    assert message.startswith("cannot read Calico manifest v3.31.7/calico.yaml from %s: " % missing)
    # urllib's URLError carries the OS error as its reason; the message shows that, not "<urlopen error ...>".
    assert "<urlopen error" not in message and "No such file or directory" in message
    assert message.endswith("(expected sha256 %s, actual sha256 none). Fix: copy the file" % CONTENT_SHA)


def test_a_different_file_names_both_sums_and_where_the_expected_one_came_from(tmp_path):
    (tmp_path / "v3.31.7").mkdir()
    (tmp_path / "v3.31.7" / "calico.yaml").write_bytes(b"tampered\n")
    source = source_from_plan(plan(mirror=str(tmp_path), sha256_source="calico_manifest_sha256"))
    with pytest.raises(ManifestSourceError) as error:
        fetch_verified(source)
    assert str(error.value) == (
        "checksum mismatch for Calico manifest v3.31.7/calico.yaml read from %s: expected sha256 %s (calico_manifest_sha256), "
        "actual sha256 %s; nothing was parsed or applied"
        % (os.path.join(str(tmp_path), "v3.31.7", "calico.yaml"), CONTENT_SHA, hashlib.sha256(b"tampered\n").hexdigest()))


class RecordingOpener:
    """Stands in for urllib's opener: records how long a read of a URL may take."""

    def __init__(self):
        self.timeouts = []

    def open(self, location, timeout):
        self.timeouts.append(timeout)
        return io.BytesIO(CONTENT)


@pytest.mark.parametrize("kwargs,expected", [({}, 60), ({"timeout": 7}, 7)])
def test_a_url_read_is_bounded_by_the_timeout(monkeypatch, kwargs, expected):
    # An unreachable mirror must fail the render, not hang it: 60 s unless the caller says otherwise.
    opener = RecordingOpener()
    monkeypatch.setattr(urllib.request, "build_opener", lambda: opener)
    source = ManifestSource("3.31.7", "calico.yaml", CONTENT_SHA, "catalog", "https://mirror.example/v3.31.7/calico.yaml")
    assert fetch_verified(source, **kwargs).data == CONTENT
    assert opener.timeouts == [expected]
