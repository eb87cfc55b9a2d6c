"""artifacts.json, secret placeholders, publishing (directory and git) and the review summary."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess

import pytest
import yaml

from ansible_collections.onprem.calico.plugins.plugin_utils import bundle, placeholders, publish, review
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext
from ansible_collections.onprem.calico.plugins.plugin_utils.tor import render as render_tor

from testpaths import REPO

SECRET = "bgp-S3cret/with:odd'chars"


def write_set(directory, plan, files):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, bundle.PLAN_FILE), "w", encoding="utf-8") as handle:
        json.dump(plan, handle)
    for rel, content in files.items():
        path = os.path.join(directory, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content)
    manifest = bundle.record(plan, directory, list(files), "0.1.0")
    with open(os.path.join(directory, bundle.MANIFEST_FILE), "w", encoding="utf-8") as handle:
        handle.write(bundle.dumps(manifest))
    return manifest


def test_plan_digest_ignores_machine_paths_only(example_plan):
    plan = example_plan("etcd")
    moved = json.loads(json.dumps(plan))
    moved["cluster"]["artifacts_dir"] = "/runner/artifacts/42"
    moved["manifest"]["etcd"]["key_file"] = "/runner/env/tmpabc"
    assert bundle.plan_digest(moved) == bundle.plan_digest(plan)
    moved["cluster"]["name"] = "other"
    assert bundle.plan_digest(moved) != bundle.plan_digest(plan)


def test_collection_version_comes_from_galaxy_yml():
    with open(os.path.join(REPO, "galaxy.yml"), encoding="utf-8") as handle:
        assert bundle.collection_version(REPO) == yaml.safe_load(handle)["version"]


def test_differences_name_every_changed_added_and_removed_artifact(tmp_path, example_plan):
    plan = example_plan("kdd-small")
    approved = write_set(tmp_path / "a", plan, {"calico.yaml": "a\n", "tor/x.conf": "x\n", "gone.yaml": "g\n"})
    changed = dict(plan, cluster=dict(plan["cluster"], name="renamed"))
    current = write_set(tmp_path / "b", changed, {"calico.yaml": "b\n", "tor/x.conf": "x\n", "new.yaml": "n\n"})
    found = bundle.differences(approved, current)
    assert found[0].startswith("plan: approved sha256:")
    assert [line.split(":")[0] for line in found[1:]] == ["calico.yaml", "gone.yaml", "new.yaml"]
    assert bundle.differences(approved, approved) == []


def test_load_refuses_a_tampered_set_and_a_swapped_digest(tmp_path, example_plan):
    plan = example_plan("kdd-small")
    write_set(tmp_path, plan, {"calico.yaml": "a\n"})
    with open(tmp_path / bundle.MANIFEST_FILE, encoding="utf-8") as handle:
        digest = bundle.manifest_digest(handle.read())
    assert bundle.load(str(tmp_path), digest)["plan_digest"] == bundle.plan_digest(plan)
    with pytest.raises(bundle.BundleError, match="is not the approved set"):
        bundle.load(str(tmp_path), "sha256:" + "0" * 64)
    (tmp_path / "calico.yaml").write_text("edited\n")
    with pytest.raises(bundle.BundleError, match="calico.yaml was modified after the render"):
        bundle.load(str(tmp_path))


def test_placeholders_round_trip_plain_and_base64():
    values = {"bgp_password": SECRET, "etcd_key": "-----BEGIN KEY-----\nabc\n"}
    text = "neighbor X password %s\n" % placeholders.placeholder("bgp_password")
    assert placeholders.fill_text(text, values) == "neighbor X password %s\n" % SECRET
    token_b64 = base64.b64encode(placeholders.placeholder("etcd_key").encode()).decode()
    docs = [{"kind": "Secret", "data": {"etcd-key": token_b64}, "stringData": {"p": placeholders.placeholder("bgp_password")}}]
    filled = placeholders.fill_objects(docs, values)
    assert base64.b64decode(filled[0]["data"]["etcd-key"]).decode() == values["etcd_key"]
    assert filled[0]["stringData"]["p"] == SECRET
    assert docs[0]["stringData"]["p"] != SECRET  # the artifact's objects are left as they were


def test_a_missing_secret_names_the_variable():
    with pytest.raises(placeholders.MissingSecret, match="calico_bgp_password"):
        placeholders.fill_text(placeholders.placeholder("bgp_password"), {})


def test_rendered_router_configs_hold_the_placeholder_not_the_password(example_plan):
    plan = example_plan("tor-as-per-rack")
    for router in plan["tor_routers"].values():
        router["password_enabled"] = True
    arts = render_tor(plan, RenderContext(secrets=placeholders.render_secrets(plan)))
    assert arts and all(placeholders.placeholder("bgp_password") in a.content for a in arts)
    assert all(SECRET not in a.content for a in arts)
    filled = placeholders.fill_text(arts[0].content, {"bgp_password": SECRET})
    assert "password %s\n" % SECRET in filled


def test_publish_to_a_directory_twice_keeps_both_runs_and_points_at_the_newest(tmp_path, example_plan):
    plan = example_plan("kdd-small")
    manifest = write_set(tmp_path / "run", plan, {"calico.yaml": "a\n"})
    paths = bundle.published_paths(manifest)
    assert publish.latest(str(tmp_path / "pub"), str(tmp_path)) is None
    first = publish.publish(str(tmp_path / "run"), paths, str(tmp_path / "pub"), "sha256:aaaa", "m")
    second = publish.publish(str(tmp_path / "run"), paths, str(tmp_path / "pub"), "sha256:bbbb", "m")
    assert first != second and os.path.isdir(first)
    assert publish.latest(str(tmp_path / "pub"), str(tmp_path)) == second
    assert bundle.load(publish.fetch(second, str(tmp_path)))["artifacts"]["calico.yaml"]


@pytest.mark.skipif(not shutil.which("git"), reason="needs git")
def test_publish_to_a_git_repository_one_commit_per_run(tmp_path, example_plan):
    bare = tmp_path / "artifacts.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    target = "git+file://%s" % bare
    plan = example_plan("kdd-small")
    assert publish.latest(target, str(tmp_path / "w0")) is None  # empty repository: first run
    first_set = write_set(tmp_path / "r1", plan, {"calico.yaml": "a\n", "tor/x.conf": "x\n"})
    loc1 = publish.publish(str(tmp_path / "r1"), bundle.published_paths(first_set), target, "sha256:1", "run 1")
    second_set = write_set(tmp_path / "r2", plan, {"calico.yaml": "b\n"})
    loc2 = publish.publish(str(tmp_path / "r2"), bundle.published_paths(second_set), target, "sha256:2", "run 2")
    log = subprocess.run(["git", "-C", str(bare), "log", "--format=%s"], capture_output=True, text=True, check=True).stdout
    assert log.split() == ["run", "2", "run", "1"]
    # Each location is one commit, and fetching it gives exactly that run's tree.
    old = publish.fetch(loc1, str(tmp_path / "f1"))
    assert os.path.exists(os.path.join(old, "tor", "x.conf"))
    new = publish.fetch(loc2, str(tmp_path / "f2"))
    assert not os.path.exists(os.path.join(new, "tor", "x.conf"))
    assert bundle.load(new)["artifacts"].keys() == {"calico.yaml"}
    with pytest.raises(publish.PublishError, match="names no commit"):
        publish.fetch(target, str(tmp_path / "f3"))


def test_review_lists_changes_per_stage_and_redacts_secret_lines(tmp_path, example_plan):
    plan = example_plan("kdd-small")
    token = placeholders.placeholder("bgp_password")
    old = {"calico.yaml": "---\nkind: ConfigMap\nmetadata: {name: c, namespace: kube-system}\ndata: {a: '1'}\n"
                          "---\nkind: ServiceAccount\nmetadata: {name: gone, namespace: kube-system}\n",
           "calico-resources.yaml": "---\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.0.0.0/16}\n",
           "tor/t1.conf": "router bgp 1\n neighbor N password %s\n" % token}
    new = {"calico.yaml": "---\nkind: ConfigMap\nmetadata: {name: c, namespace: kube-system}\ndata: {a: '2'}\n",
           "calico-resources.yaml": "---\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.0.0.0/16}\n"
                                    "---\nkind: BGPPeer\nmetadata: {name: tor}\n",
           "tor/t1.conf": "router bgp 1\n neighbor N password %s\n neighbor 10.0.0.9 peer-group N\n" % token}
    new_plan = json.loads(json.dumps(plan))
    removed_node = sorted(new_plan["nodes"])[0]
    del new_plan["nodes"][removed_node]
    write_set(tmp_path / "old", plan, old)
    write_set(tmp_path / "new", new_plan, new)
    text = review.summary(str(tmp_path / "old"), str(tmp_path / "new"), list(new))
    assert "- nodes removed (1): %s" % removed_node in text
    assert "- changed (1): ConfigMap kube-system/c" in text
    assert "- removed (1): ServiceAccount kube-system/gone" in text
    assert "- added (1): BGPPeer tor" in text
    assert "- t1: 1 line(s) added, 0 removed" in text and "+ neighbor 10.0.0.9 peer-group N" in text
    assert token not in text
    first = review.summary(None, str(tmp_path / "new"), list(new))
    assert "Nothing to compare against" in first
