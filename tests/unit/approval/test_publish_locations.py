"""Publishing a set where it outlives the job, and getting it back by its location string:
a directory with LATEST, or one git commit per run (docs/awx.md, section 5, "Publishing")."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import publish

DIGEST = "sha256:3f2a9c01d7e4aabbccddeeff00112233445566778899aabbccddeeff00112233"
FILES = {"plan.json": "{}\n", "artifacts.json": "{}\n", "calico.yaml": "kind: X\n", "tor/r1.conf": "router bgp 1\n"}

needs_git = pytest.mark.skipif(not shutil.which("git"), reason="needs git")


@pytest.fixture
def rendered(tmp_path):
    src = tmp_path / "render"
    for rel, content in FILES.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(content)
        (src / rel).chmod(0o600)  # a render writes some files owner-only
    return str(src)


def tree(directory):
    out = {}
    for folder, _dirs, files in os.walk(directory):
        if ".git" in folder.split(os.sep):
            continue
        for name in files:
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as handle:
                out[os.path.relpath(path, directory)] = handle.read()
    return out


def test_a_directory_run_is_named_by_utc_time_and_digest_and_readable_for_review(tmp_path, rendered):
    root = tmp_path / "pub"
    location = publish.publish(rendered, sorted(FILES), str(root), DIGEST, "unused for directories")
    name = os.path.basename(location)
    assert os.path.dirname(location) == str(root)
    assert re.fullmatch(r"20\d{6}T\d{6}Z-3f2a9c01d7e4", name), name
    assert tree(location) == FILES
    assert all(os.stat(os.path.join(location, rel)).st_mode & 0o777 == 0o644 for rel in FILES)
    assert os.stat(location).st_mode & 0o777 == 0o755
    assert (root / "LATEST").read_text() == name + "\n"
    assert sorted(os.listdir(root)) == sorted(["LATEST", name])  # no staging directory, no LATEST.tmp left
    assert publish.latest(str(root), str(tmp_path)) == location
    assert publish.fetch(location, str(tmp_path)) == location


def test_a_failed_directory_publish_leaves_nothing_half_written(tmp_path, rendered):
    root = tmp_path / "pub"
    first = publish.publish(rendered, ["calico.yaml"], str(root), DIGEST, "m")
    with pytest.raises(FileNotFoundError):
        publish.publish(rendered, ["calico.yaml", "missing.yaml"], str(root), "sha256:ffff", "m")
    assert sorted(os.listdir(root)) == sorted(["LATEST", os.path.basename(first)])
    assert publish.latest(str(root), str(tmp_path)) == first


def test_fetching_a_directory_that_does_not_exist_names_the_variable(tmp_path):
    with pytest.raises(publish.PublishError) as error:
        publish.fetch(str(tmp_path / "nope"), str(tmp_path))
    assert str(error.value) == "calico_apply_from: %s is not a directory" % (tmp_path / "nope")


@pytest.mark.parametrize("location", ["git+file:///srv/a.git", "git+file:///srv/a.git#"])
def test_a_git_location_without_a_commit_is_refused_before_any_clone(tmp_path, location):
    with pytest.raises(publish.PublishError) as error:
        publish.fetch(location, str(tmp_path))
    assert str(error.value) == "calico_apply_from: %s names no commit; a git location is git+<url>#<commit>" % location
    assert os.listdir(tmp_path) == []


@needs_git
def test_a_git_run_is_one_commit_with_the_message_and_exactly_the_run_tree(tmp_path, rendered, monkeypatch):
    scratch = tmp_path / "scratch"  # where the publish clones: nothing may be left there
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    bare = tmp_path / "artifacts.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    url = "file://%s" % bare
    location = publish.publish(rendered, sorted(FILES), "git+" + url, DIGEST, "calico render dc1")
    head = subprocess.run(["git", "-C", str(bare), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    assert location == "git+%s#%s" % (url, head)
    assert os.listdir(scratch) == []
    show = subprocess.run(["git", "-C", str(bare), "log", "-1", "--format=%an <%ae>|%s"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert show == "onprem.calico <onprem.calico@localhost>|calico render dc1"
    checkout = publish.fetch(location, str(tmp_path / "work"))
    assert checkout == str(tmp_path / "work" / "approved")
    assert tree(checkout) == FILES
    newest = publish.latest("git+" + url, str(tmp_path / "latest-work"))
    assert newest == str(tmp_path / "latest-work" / "latest") and tree(newest) == FILES


@needs_git
def test_a_git_failure_names_the_command_and_what_git_said(tmp_path, rendered):
    with pytest.raises(publish.PublishError) as error:
        publish.publish(rendered, sorted(FILES), "git+file://%s" % (tmp_path / "missing.git"), DIGEST, "m")
    message = str(error.value)
    assert message.startswith("git clone --quiet file://%s " % (tmp_path / "missing.git"))
    # what git said, not just that it failed
    assert " failed: fatal: " in message and "missing.git" in message.split(" failed: ", 1)[1]


def test_the_run_directory_is_named_by_the_utc_clock(tmp_path, rendered, monkeypatch):
    # docs/awx.md names a run <UTC time>-<digest>, e.g. 20261129T101500Z-3f2a9c01d7e4.
    utc = time.struct_time((2026, 11, 29, 10, 15, 0, 6, 333, 0))
    monkeypatch.setattr(time, "gmtime", lambda *_: utc)
    location = publish.publish(rendered, ["calico.yaml"], str(tmp_path / "pub"), DIGEST, "m")
    assert os.path.basename(location) == "20261129T101500Z-3f2a9c01d7e4"


# A directory run is renamed into place when complete. rename(2) is atomic only within one file
# system (EXDEV across two), so the run is staged inside the target itself, not in the controller's
# temp directory, and under a hidden name, so that nobody listing the volume takes a half-copied
# run for a finished one.
def test_a_directory_run_is_staged_hidden_inside_the_target_not_in_the_temp_dir(tmp_path, rendered, monkeypatch):
    # The controller's temp directory is unusable (another file system in real life): publishing must not need it.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-tmp"))
    root = tmp_path / "pub"
    during = []  # (where a file is copied to, what a reader listing the target sees at that moment)
    real_copyfile = shutil.copyfile

    def copy_and_look(src, dst):
        during.append((os.path.relpath(dst, root), sorted(os.listdir(root))))
        return real_copyfile(src, dst)

    monkeypatch.setattr(shutil, "copyfile", copy_and_look)
    location = publish.publish(rendered, sorted(FILES), str(root), DIGEST, "m")

    assert len(during) == len(FILES)
    for copied_to, listing in during:
        staging = copied_to.split(os.sep, 1)[0]
        assert listing == [staging]  # the only entry in the target is the staging directory ...
        assert staging.startswith(".") and staging != os.path.basename(location)  # ... hidden from `ls` and `<dir>/*`
    assert sorted(os.listdir(root)) == sorted(["LATEST", os.path.basename(location)])
    assert tree(location) == FILES


@needs_git
def test_a_git_location_whose_url_holds_a_hash_is_split_at_the_last_one(tmp_path, rendered):
    # A commit id never holds '#', a repository path may: git+<url>#<commit> splits at the last '#'.
    bare = tmp_path / "run#2" / "artifacts.git"
    bare.parent.mkdir()
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    url = "file://%s" % bare
    location = publish.publish(rendered, sorted(FILES), "git+" + url, DIGEST, "calico render dc1")
    head = subprocess.run(["git", "-C", str(bare), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    assert location == "git+%s#%s" % (url, head)
    checkout = publish.fetch(location, str(tmp_path / "work"))
    assert tree(checkout) == FILES
