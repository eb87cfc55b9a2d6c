"""Where a run is put together before it is published, and git locations whose URL holds a '#'.

A directory run is renamed into place when complete (docs/awx.md, "Publishing"). rename(2) is
atomic only within one file system (it fails with EXDEV across two), so the run must be staged
inside the target itself, not in the controller's temp directory, and under a hidden name so
that nobody listing the volume takes a half-copied run for a finished one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import publish

DIGEST = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
FILES = {"plan.json": "{}\n", "calico.yaml": "kind: X\n", "tor/r1.conf": "router bgp 1\n"}

needs_git = pytest.mark.skipif(not shutil.which("git"), reason="needs git")


@pytest.fixture
def rendered(tmp_path):
    src = tmp_path / "render"
    for rel, content in FILES.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(content)
    return str(src)


def tree(directory):
    out = {}
    for folder, dirs, files in os.walk(directory):
        if ".git" in dirs:
            dirs.remove(".git")
        for name in files:
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as handle:
                out[os.path.relpath(path, directory)] = handle.read()
    return out


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
