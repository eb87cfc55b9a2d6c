"""The review summary (review.md): what each stage would change against the last published set.

An approver reads this instead of diffing files: per stage the objects added, changed and
removed, and per router the configuration lines added and removed. Artifacts hold placeholders
for secrets, and any line or object carrying one is shown redacted, so the summary can be pasted
into a change ticket.
"""

from __future__ import annotations

import difflib
import json
import os

import yaml

from ansible_collections.onprem.calico.plugins.plugin_utils.bundle import PLAN_FILE
from ansible_collections.onprem.calico.plugins.plugin_utils.placeholders import PREFIX

REDACTED = "<secret redacted>"

# Which artifacts belong to which apply stage (YAML files of Kubernetes/Calico objects).
OBJECT_STAGES = (
    ("manifest", ("calico.yaml",)),
    ("bgp", ("calico-resources.yaml", "calico-resources-k8s.yaml", "secrets/calico-bgp-password.yaml")),
)
TOR_PREFIX = "tor/"


def _read(directory, rel):
    if directory is None:
        return None
    path = os.path.join(directory, rel)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return handle.read()


# libyaml's parser when PyYAML has it: the per-node objects of a 5000-node cluster take seconds
# with the pure-Python one (benchmarks/approval_bench.py).
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _objects(text):
    out = {}
    for doc in yaml.load_all(text or "", Loader=YAML_LOADER):
        if isinstance(doc, dict) and "kind" in doc:
            meta = doc.get("metadata") or {}
            name = "/".join(p for p in (meta.get("namespace"), meta.get("name")) if p)
            out["%s %s" % (doc["kind"], name)] = doc
    return out


def _redact(line):
    return REDACTED if PREFIX in line else line


def _object_changes(old_dir, new_dir, files):
    texts = [(_read(old_dir, rel), _read(new_dir, rel)) for rel in files]
    if old_dir is not None and all(before == after for before, after in texts):
        return [], [], []  # nothing to parse: the usual case for most stages of a change
    old, new = {}, {}
    for before, after in texts:
        old.update(_objects(before))
        new.update(_objects(after))
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed = sorted(k for k in set(old) & set(new) if old[k] != new[k])
    return added, changed, removed


def _node_changes(old_dir, new_dir):
    def nodes(directory):
        text = _read(directory, PLAN_FILE)
        return json.loads(text).get("nodes", {}) if text else {}

    old, new = nodes(old_dir), nodes(new_dir)
    return (sorted(set(new) - set(old)), sorted(k for k in set(old) & set(new) if old[k] != new[k]),
            sorted(set(old) - set(new)))


def _router_files(directory):
    tor = os.path.join(directory, "tor") if directory else None
    return {TOR_PREFIX + name for name in os.listdir(tor)} if tor and os.path.isdir(tor) else set()


def _router_changes(old_dir, new_dir, paths):
    routers = sorted({p for p in paths if p.startswith(TOR_PREFIX)} | _router_files(old_dir))
    out = []
    for rel in routers:
        before = (_read(old_dir, rel) or "").splitlines()
        after = (_read(new_dir, rel) or "").splitlines()
        added, removed = [], []
        for line in difflib.unified_diff(before, after, lineterm="", n=0):
            if line.startswith(("+++", "---", "@@")):
                continue
            (added if line.startswith("+") else removed).append(_redact(line[1:]))
        out.append((rel[len(TOR_PREFIX):-len(".conf")], added, removed))
    return out


# Names listed per line before the rest is only counted: a 1000-node change stays readable.
MAX_NAMES = 25


def _listing(label, items):
    if not items:
        return []
    shown = ", ".join(items[:MAX_NAMES]) + (", ... and %d more" % (len(items) - MAX_NAMES) if len(items) > MAX_NAMES else "")
    return ["- %s (%d): %s" % (label, len(items), shown)]


def _first_run(current_dir, paths):
    """No earlier set: what the render holds, counted per stage."""
    manifest, bgp = (_object_changes(None, current_dir, files)[0] for _stage, files in OBJECT_STAGES)
    nodes = _node_changes(None, current_dir)[0]
    routers = [rel for rel in paths if rel.startswith(TOR_PREFIX)]
    return ["Nothing to compare against: no earlier set was published to this location, so there is",
            "no list of changes. Review the artifacts themselves; this set holds:", "",
            "- hosts: %d node(s) to prepare" % len(nodes),
            "- manifest: %d object(s) in calico.yaml" % len(manifest),
            "- bgp: %d Calico and Kubernetes object(s)" % len(bgp),
            "- tor: %d router configuration(s)" % len(routers), ""]


def summary(previous_dir: str | None, current_dir: str, paths) -> str:
    """review.md for the set in ``current_dir`` (artifact ``paths``) against ``previous_dir``."""
    lines = ["# Review: what this render changes", ""]
    if previous_dir is None:
        return "\n".join(lines + _first_run(current_dir, paths))
    lines += ["Compared with the last published set. Secrets are placeholders in the artifacts and any",
              "line holding one is shown as %s." % REDACTED, ""]

    lines += ["## hosts", ""]
    added, changed, removed = _node_changes(previous_dir, current_dir)
    body = _listing("nodes added", added) + _listing("nodes changed", changed) + _listing("nodes removed", removed)
    lines += (body or ["- no change"]) + [""]

    for stage, files in OBJECT_STAGES:
        lines += ["## " + stage, ""]
        added, changed, removed = _object_changes(previous_dir, current_dir, files)
        body = _listing("added", added) + _listing("changed", changed) + _listing("removed", removed)
        lines += (body or ["- no change"]) + [""]

    lines += ["## tor", ""]
    body = []
    for router, added, removed in _router_changes(previous_dir, current_dir, paths):
        if not added and not removed:
            continue
        body.append("- %s: %d line(s) added, %d removed" % (router, len(added), len(removed)))
        body += ["      + " + line.strip() for line in added] + ["      - " + line.strip() for line in removed]
    lines += (body or ["- no change"]) + [""]
    return "\n".join(lines)
