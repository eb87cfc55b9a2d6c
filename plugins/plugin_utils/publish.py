"""Where a run's artifacts outlive the job: a directory (a mounted volume) or a git repository.

``calico_artifacts_publish`` names the target:

- a directory: every run gets ``<dir>/<UTC time>-<digest>/``, written under a temporary name
  and renamed when complete; ``<dir>/LATEST`` names the newest run.
- ``git+<url>`` (any URL git can push to, e.g. ``git+file:///srv/calico-artifacts.git``): one
  commit per run on the repository's default branch; the tree is exactly the run's artifacts.

A published set is named by a *location* string: the run's directory, or ``git+<url>#<commit>``.
That string and the artifacts.json digest are all the workflow hands from node to node.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

GIT_PREFIX = "git+"
LATEST_FILE = "LATEST"
GIT_IDENTITY = ("-c", "user.name=onprem.calico", "-c", "user.email=onprem.calico@localhost")


class PublishError(Exception):
    """Publishing or fetching a set failed; the message says where and why."""


def _git(args, cwd=None):
    proc = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise PublishError("git %s failed: %s" % (" ".join(args), (proc.stderr or proc.stdout).strip()))
    return proc.stdout.strip()


def _copy(src_dir: str, paths, dest_dir: str) -> None:
    for rel in paths:
        target = os.path.join(dest_dir, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(src_dir, rel), target)
        # Published copies are for review: readable by whoever can read the location.
        os.chmod(target, 0o644)


def publish_directory(src_dir: str, paths, root: str, digest: str) -> str:
    os.makedirs(root, exist_ok=True)
    name = "%s-%s" % (time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()), digest.split(":")[-1][:12])
    staging = tempfile.mkdtemp(prefix=".publish-", dir=root)
    try:
        _copy(src_dir, paths, staging)
        os.chmod(staging, 0o755)
        final = os.path.join(root, name)
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    with open(os.path.join(root, LATEST_FILE + ".tmp"), "w", encoding="utf-8") as handle:
        handle.write(name + "\n")
    os.replace(os.path.join(root, LATEST_FILE + ".tmp"), os.path.join(root, LATEST_FILE))
    return final


def publish_git(src_dir: str, paths, url: str, message: str) -> str:
    work = tempfile.mkdtemp(prefix="onprem-calico-publish-")
    try:
        _git(["clone", "--quiet", url, work])
        # The tree is the run's artifacts, nothing left over from the previous run.
        for entry in os.listdir(work):
            if entry != ".git":
                path = os.path.join(work, entry)
                shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)
        _copy(src_dir, paths, work)
        _git(["add", "--all"], cwd=work)
        _git(["commit", "--quiet", "--allow-empty", "-m", message], cwd=work)
        commit = _git(["rev-parse", "HEAD"], cwd=work)
        _git(["push", "--quiet", "origin", "HEAD"], cwd=work)
        return "%s%s#%s" % (GIT_PREFIX, url, commit)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def publish(src_dir: str, paths, target: str, digest: str, message: str) -> str:
    """Copy ``paths`` below ``src_dir`` to ``target``; returns the location of this run's set."""
    if target.startswith(GIT_PREFIX):
        return publish_git(src_dir, paths, target[len(GIT_PREFIX):], message)
    return publish_directory(src_dir, paths, target, digest)


def latest(target: str, workdir: str) -> str | None:
    """A local directory holding the newest set published to ``target``, or None (first run)."""
    if target.startswith(GIT_PREFIX):
        url = target[len(GIT_PREFIX):]
        checkout = os.path.join(workdir, "latest")
        _git(["clone", "--quiet", url, checkout])
        if not _git(["branch", "--list"], cwd=checkout):  # an empty repository: nothing published yet
            return None
        return checkout
    pointer = os.path.join(target, LATEST_FILE)
    if not os.path.isfile(pointer):
        return None
    with open(pointer, encoding="utf-8") as handle:
        return os.path.join(target, handle.read().strip())


def fetch(location: str, workdir: str) -> str:
    """A local directory holding the set at ``location`` (a directory, or git+<url>#<commit>)."""
    if not location.startswith(GIT_PREFIX):
        if not os.path.isdir(location):
            raise PublishError("calico_apply_from: %s is not a directory" % location)
        return location
    url, sep, commit = location[len(GIT_PREFIX):].rpartition("#")
    if not sep or not commit:
        raise PublishError("calico_apply_from: %s names no commit; a git location is git+<url>#<commit>" % location)
    checkout = os.path.join(workdir, "approved")
    _git(["clone", "--quiet", "--no-checkout", url, checkout])
    _git(["checkout", "--quiet", "--detach", commit], cwd=checkout)
    return checkout
