"""artifacts.json as the approval's contract: what it records, when its digests move, and how a
tampered or foreign set is refused (docs/awx.md, section 5)."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import bundle

PLAN = {
    "cluster": {"name": "dc1", "version": "3.31.7", "artifacts_dir": "/runner/artifacts/1"},
    "manifest": {"mirror": "/srv/mirror", "etcd": {"ca_file": "/tmp/a/ca", "cert_file": "/tmp/a/crt", "key_file": "/tmp/a/key",
                                                   "endpoints": ["https://10.0.0.1:2379"]}},
    "nodes": {"n1": {"ip": "10.0.0.11"}},
}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_set(directory, files, plan=None, modes=None):
    """A rendered set: the files, plan.json (PLAN unless given) and artifacts.json; returns (manifest, artifacts.json text)."""
    plan = PLAN if plan is None else plan
    os.makedirs(directory, exist_ok=True)
    for rel, content in files.items():
        path = os.path.join(directory, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.chmod(path, int((modes or {}).get(rel, "0644"), 8))
    with open(os.path.join(directory, bundle.PLAN_FILE), "w", encoding="utf-8") as handle:
        json.dump(plan, handle)
    manifest = bundle.record(plan, str(directory), [bundle.PLAN_FILE, bundle.REVIEW_FILE, *files], "1.2.3")
    text = bundle.dumps(manifest)
    with open(os.path.join(directory, bundle.MANIFEST_FILE), "w", encoding="utf-8") as handle:
        handle.write(text)
    return manifest, text


def test_every_machine_path_is_left_out_of_the_plan_digest_and_nothing_else():
    moved = json.loads(json.dumps(PLAN))
    moved["cluster"]["artifacts_dir"] = "/elsewhere"
    moved["manifest"]["mirror"] = "/other/mirror"
    for key in ("ca_file", "cert_file", "key_file"):
        moved["manifest"]["etcd"][key] = "/runner/env/tmp%s" % key
    assert bundle.plan_digest(moved) == bundle.plan_digest(PLAN)
    for change in (("cluster", "version", "3.31.8"), ("manifest", "etcd", {"endpoints": ["https://10.0.0.2:2379"]}),
                   ("nodes", "n1", {"ip": "10.0.0.12"})):
        other = json.loads(json.dumps(PLAN))
        other[change[0]][change[1]] = change[2]
        assert bundle.plan_digest(other) != bundle.plan_digest(PLAN), change


def test_the_portable_plan_is_a_copy_and_copes_with_plans_without_those_sections():
    portable = bundle.portable_plan(PLAN)
    assert portable == {"cluster": {"name": "dc1", "version": "3.31.7"},
                        "manifest": {"etcd": {"endpoints": ["https://10.0.0.1:2379"]}},
                        "nodes": {"n1": {"ip": "10.0.0.11"}}}
    assert PLAN["manifest"]["etcd"]["key_file"] == "/tmp/a/key"  # the plan itself keeps its paths
    assert bundle.portable_plan({"cluster": {"name": "x"}, "manifest": {"etcd": None}}) == {"cluster": {"name": "x"}, "manifest": {"etcd": None}}
    assert bundle.portable_plan({"manifest": "none"}) == {"manifest": "none"}


def test_the_plan_digest_is_the_sha256_of_canonical_json_whatever_the_key_order():
    plan = {"b": [1, 2], "a": {"y": "é", "x": None}}
    canonical = '{"a":{"x":null,"y":"\\u00e9"},"b":[1,2]}'
    assert bundle.plan_digest(plan) == "sha256:" + sha256_hex(canonical.encode())
    assert bundle.plan_digest({"a": {"y": "é", "x": None}, "b": [1, 2]}) == bundle.plan_digest(plan)


def test_file_sha256_hashes_large_files_whole(tmp_path):
    data = os.urandom(3 * (1 << 20) + 7)  # more than one read block
    (tmp_path / "big").write_bytes(data)
    assert bundle.file_sha256(str(tmp_path / "big")) == sha256_hex(data)


def test_an_installed_collection_reports_the_version_of_its_manifest_json(tmp_path):
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"collection_info": {"version": "2.0.1"}}))
    (tmp_path / "galaxy.yml").write_text("version: 9.9.9\n")
    assert bundle.collection_version(str(tmp_path)) == "2.0.1"


@pytest.mark.parametrize("line", ["version: 1.4.0", "version: '1.4.0'", 'version: "1.4.0"  ', "version:1.4.0"])
def test_a_checkout_reports_the_version_of_galaxy_yml(tmp_path, line):
    (tmp_path / "galaxy.yml").write_text("namespace: onprem\n# version: 0.0.1 in a comment\n%s\nname: calico\n" % line)
    assert bundle.collection_version(str(tmp_path)) == "1.4.0"


def test_no_version_anywhere_names_the_directory(tmp_path):
    (tmp_path / "galaxy.yml").write_text("namespace: onprem\n")
    with pytest.raises(bundle.BundleError) as error:
        bundle.collection_version(str(tmp_path))
    assert str(error.value) == "%s: no MANIFEST.json and no version in galaxy.yml" % tmp_path


def test_the_record_holds_version_cluster_plan_digest_and_each_artifacts_hash_and_mode(tmp_path):
    files = {"calico.yaml": "kind: X\n", "secrets/calico-bgp-password.yaml": "p\n", "review.md": "# Review\n"}
    manifest, text = make_set(tmp_path, files, modes={"secrets/calico-bgp-password.yaml": "0600"})
    assert manifest == {
        "format": 1,
        "collection": {"name": "onprem.calico", "version": "1.2.3"},
        "cluster": "dc1",
        "calico_version": "3.31.7",
        "plan_digest": bundle.plan_digest(PLAN),
        # plan.json goes through the plan digest; the review and artifacts.json are about the set, not in it.
        "artifacts": {"calico.yaml": {"sha256": sha256_hex(b"kind: X\n"), "mode": "0644"},
                      "secrets/calico-bgp-password.yaml": {"sha256": sha256_hex(b"p\n"), "mode": "0600"}},
    }
    assert text == json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    assert text.index('"artifacts"') < text.index('"calico_version"') < text.index('"cluster"')
    assert bundle.manifest_digest(text) == "sha256:" + sha256_hex(text.encode())
    assert bundle.published_paths(manifest) == ["plan.json", "artifacts.json", "calico.yaml", "secrets/calico-bgp-password.yaml"]


def test_a_rendered_file_that_is_not_on_disk_cannot_be_recorded(tmp_path):
    with pytest.raises(bundle.BundleError) as error:
        bundle.record(PLAN, str(tmp_path), ["tor/r1.conf"], "1.2.3")
    assert str(error.value) == "tor/r1.conf was rendered but is missing from %s" % tmp_path


def test_differences_are_one_line_each_as_docs_awx_md_shows(tmp_path):
    approved = make_set(tmp_path / "a", {"calico.yaml": "a\n", "gone.yaml": "g\n", "same.yaml": "s\n"})[0]
    current = json.loads(json.dumps(approved))
    current["collection"]["version"] = "1.3.0"
    current["plan_digest"] = "sha256:" + "1" * 64
    current["artifacts"]["calico.yaml"]["sha256"] = "4f8d80d029c8" + "0" * 52
    del current["artifacts"]["gone.yaml"]
    current["artifacts"]["new.yaml"] = {"sha256": "0" * 64, "mode": "0644"}
    assert bundle.differences(approved, current) == [
        "collection version: approved 1.2.3, this run 1.3.0",
        "plan: approved %s, current inventory gives sha256:%s" % (approved["plan_digest"], "1" * 64),
        "calico.yaml: content differs (approved sha256 %s, now 4f8d80d029c8)" % sha256_hex(b"a\n")[:12],
        "gone.yaml: approved, but the current inventory no longer renders it",
        "new.yaml: rendered now, but not in the approved set",
    ]
    assert bundle.differences(approved, json.loads(json.dumps(approved))) == []


def test_an_intact_set_loads_with_and_without_the_expected_digest(tmp_path):
    manifest, text = make_set(tmp_path, {"calico.yaml": "a\n"})
    assert bundle.load(str(tmp_path), bundle.manifest_digest(text)) == manifest
    assert bundle.load(str(tmp_path)) == manifest
    assert bundle.load(str(tmp_path), "") == manifest


def test_a_set_without_artifacts_json_says_what_calico_apply_from_must_name(tmp_path):
    with pytest.raises(bundle.BundleError) as error:
        bundle.load(str(tmp_path))
    assert str(error.value) == ("%s has no artifacts.json; calico_apply_from must name the artifacts of a render run "
                                "(what calico_artifacts_publish returned)" % tmp_path)


def test_a_swapped_artifacts_json_names_both_digests(tmp_path):
    text = make_set(tmp_path, {"calico.yaml": "a\n"})[1]
    wanted = "sha256:" + "0" * 64
    with pytest.raises(bundle.BundleError) as error:
        bundle.load(str(tmp_path), wanted)
    assert str(error.value) == "%s is not the approved set: its digest is %s, calico_apply_digest is %s" % (
        tmp_path / "artifacts.json", bundle.manifest_digest(text), wanted)


def test_a_set_of_another_format_is_refused(tmp_path):
    manifest = make_set(tmp_path, {"calico.yaml": "a\n"})[0]
    (tmp_path / "artifacts.json").write_text(json.dumps(dict(manifest, format=2)))
    with pytest.raises(bundle.BundleError) as error:
        bundle.load(str(tmp_path))
    assert str(error.value) == "%s has format 2; this collection reads format 1" % (tmp_path / "artifacts.json")


def test_every_tampering_is_listed_at_once(tmp_path):
    make_set(tmp_path, {"calico.yaml": "a\n", "tor/r1.conf": "router bgp 1\n", "tor/r2.conf": "router bgp 2\n"})
    (tmp_path / "tor" / "r1.conf").write_text("router bgp 666\n")
    os.unlink(tmp_path / "tor" / "r2.conf")
    plan = json.loads((tmp_path / "plan.json").read_text())
    plan["nodes"]["n2"] = {"ip": "10.0.0.66"}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    with pytest.raises(bundle.BundleError) as error:
        bundle.load(str(tmp_path))
    assert str(error.value) == ("the artifacts in %s do not match their artifacts.json: tor/r1.conf was modified after the render; "
                                "tor/r2.conf is missing; plan.json was modified after the render" % tmp_path)


def test_a_set_without_plan_json_is_refused(tmp_path):
    make_set(tmp_path, {"calico.yaml": "a\n"})
    os.unlink(tmp_path / "plan.json")
    with pytest.raises(bundle.BundleError) as error:
        bundle.load(str(tmp_path))
    assert str(error.value) == "the artifacts in %s do not match their artifacts.json: plan.json is missing" % tmp_path


def test_moving_plan_json_to_another_machine_keeps_the_set_intact(tmp_path):
    make_set(tmp_path, {"calico.yaml": "a\n"})
    plan = json.loads((tmp_path / "plan.json").read_text())
    plan["cluster"]["artifacts_dir"] = "/runner/artifacts/2"
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    assert bundle.load(str(tmp_path))["cluster"] == "dc1"
