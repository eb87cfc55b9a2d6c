"""artifacts.json: what a render produced, so an apply can prove it applies exactly that.

A render records the collection version, a digest of the plan and the sha256 of every artifact.
An apply stage given an approved set re-renders from the current inventory and compares the two
records (``differences``); anything different stops it before the first change.

The plan digest leaves out values that name places on one machine (where artifacts are written,
where the etcd TLS files of an AWX credential land): two renders of the same inventory on two
machines must agree. plan.json records those paths, so it is checked through the plan digest,
not through a file hash.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os

MANIFEST_FILE = "artifacts.json"
REVIEW_FILE = "review.md"
PLAN_FILE = "plan.json"
# The plan.json a render replaced (plugin_utils.plan_changes: what the last plan change touched).
PREVIOUS_PLAN_FILE = "plan.previous.json"
FORMAT = 1

# Plan fields that differ between machines for the same inventory (paths into one filesystem).
MACHINE_PATHS = (
    ("cluster", "artifacts_dir"),
    ("manifest", "mirror"),
    ("manifest", "etcd", "ca_file"),
    ("manifest", "etcd", "cert_file"),
    ("manifest", "etcd", "key_file"),
)


class BundleError(Exception):
    """An artifacts set cannot be read or trusted; the message names the file and the fix."""


def portable_plan(plan: dict) -> dict:
    """The plan without machine-specific paths."""
    out = copy.deepcopy(plan)
    for path in MACHINE_PATHS:
        node = out
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return out


def plan_digest(plan: dict) -> str:
    canonical = json.dumps(portable_plan(plan), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def collection_version(collection_root: str) -> str:
    """The version of the collection at ``collection_root``: MANIFEST.json when installed,
    galaxy.yml in a checkout."""
    manifest = os.path.join(collection_root, "MANIFEST.json")
    if os.path.exists(manifest):
        with open(manifest, encoding="utf-8") as handle:
            return json.load(handle)["collection_info"]["version"]
    with open(os.path.join(collection_root, "galaxy.yml"), encoding="utf-8") as handle:
        for line in handle:
            # galaxy.yml is YAML, but the version is a top-level scalar line; no YAML parser needed.
            if line.startswith("version:"):
                return line.split(":", 1)[1].strip().strip("'\"")
    raise BundleError("%s: no MANIFEST.json and no version in galaxy.yml" % collection_root)


def record(plan: dict, directory: str, paths, version: str) -> dict:
    """The artifacts.json content for the artifacts ``paths`` (relative) below ``directory``."""
    artifacts = {}
    for rel in sorted(set(paths) - {PLAN_FILE, MANIFEST_FILE, REVIEW_FILE}):
        full = os.path.join(directory, rel)
        if not os.path.isfile(full):
            raise BundleError("%s was rendered but is missing from %s" % (rel, directory))
        artifacts[rel] = {"sha256": file_sha256(full), "mode": "%04o" % (os.stat(full).st_mode & 0o777)}
    return {
        "format": FORMAT,
        "collection": {"name": "onprem.calico", "version": version},
        "cluster": plan["cluster"]["name"],
        "calico_version": plan["cluster"]["version"],
        "plan_digest": plan_digest(plan),
        "artifacts": artifacts,
    }


def dumps(manifest: dict) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n"


def manifest_digest(text: str) -> str:
    """What the workflow passes between nodes: the digest of artifacts.json as published."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def differences(approved: dict, current: dict) -> list[str]:
    """Every way the current render differs from the approved one, one line each."""
    out = []
    if approved["collection"]["version"] != current["collection"]["version"]:
        out.append("collection version: approved %s, this run %s"
                   % (approved["collection"]["version"], current["collection"]["version"]))
    if approved["plan_digest"] != current["plan_digest"]:
        out.append("plan: approved %s, current inventory gives %s" % (approved["plan_digest"], current["plan_digest"]))
    old, new = approved["artifacts"], current["artifacts"]
    for rel in sorted(set(old) | set(new)):
        if rel not in new:
            out.append("%s: approved, but the current inventory no longer renders it" % rel)
        elif rel not in old:
            out.append("%s: rendered now, but not in the approved set" % rel)
        elif old[rel]["sha256"] != new[rel]["sha256"]:
            out.append("%s: content differs (approved sha256 %s, now %s)" % (rel, old[rel]["sha256"][:12], new[rel]["sha256"][:12]))
    return out


def load(directory: str, expected_digest: str | None = None) -> dict:
    """The artifacts.json of an approved set, after checking that the set is intact.

    ``expected_digest`` (what the workflow handed on) must match artifacts.json; every file must
    have its recorded sha256 and plan.json the recorded plan digest.
    """
    path = os.path.join(directory, MANIFEST_FILE)
    if not os.path.isfile(path):
        raise BundleError("%s has no %s; calico_apply_from must name the artifacts of a render run "
                          "(what calico_artifacts_publish returned)" % (directory, MANIFEST_FILE))
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if expected_digest and manifest_digest(text) != expected_digest:
        raise BundleError("%s is not the approved set: its digest is %s, calico_apply_digest is %s"
                          % (path, manifest_digest(text), expected_digest))
    manifest = json.loads(text)
    if manifest.get("format") != FORMAT:
        raise BundleError("%s has format %r; this collection reads format %d" % (path, manifest.get("format"), FORMAT))
    problems = []
    for rel, entry in sorted(manifest["artifacts"].items()):
        full = os.path.join(directory, rel)
        if not os.path.isfile(full):
            problems.append("%s is missing" % rel)
        elif file_sha256(full) != entry["sha256"]:
            problems.append("%s was modified after the render" % rel)
    plan_path = os.path.join(directory, PLAN_FILE)
    if not os.path.isfile(plan_path):
        problems.append("%s is missing" % PLAN_FILE)
    else:
        with open(plan_path, encoding="utf-8") as handle:
            if plan_digest(json.load(handle)) != manifest["plan_digest"]:
                problems.append("%s was modified after the render" % PLAN_FILE)
    if problems:
        raise BundleError("the artifacts in %s do not match their %s: %s" % (directory, MANIFEST_FILE, "; ".join(problems)))
    return manifest


def published_paths(manifest: dict) -> list[str]:
    """Every file of a set: what a publish copies."""
    return [PLAN_FILE, MANIFEST_FILE] + sorted(manifest["artifacts"])
