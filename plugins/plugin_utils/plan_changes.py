"""What changed where: the plan of this run against the plan rendered before it.

The report of a run (``report.md``, the console summary) lists, per node, router and rack, what the
plan changed since the previous plan rendered into the same artifacts directory, so after a scale
out the operator reads "node r2-w3 added; router tor2a: neighbor r2-w3 added" instead of diffing
``plan.json`` by hand. Pure Python; reads plan files, contacts no host.

The baseline: the render action keeps the plan it replaces as ``plan.previous.json`` whenever
``plan.json`` changes, so the last change stays listed on every rerun (a converged rerun rewrites
nothing). When ``plan.json`` itself differs from this run's plan (e.g. ``verify.yml`` alone after
an inventory change, with nothing rendered yet), the baseline is ``plan.json``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from ansible_collections.onprem.calico.plugins.plugin_utils.bundle import PLAN_FILE, PREVIOUS_PLAN_FILE, portable_plan

# Plan sections keyed by name whose entries are hosts or racks: listed one entry at a time.
PER_ENTRY = (("nodes", "node"), ("tor_routers", "router"), ("racks", "rack"))
# How list items are told apart when compared (the first key an item has).
ITEM_KEYS = ("name", "node", "prefix", "cidr", "ip")
# Values longer than this are cut in the listing: the listing says where, plan.json says exactly what.
MAX_VALUE = 60


@dataclass
class Change:
    where: str  # "node r2-w3", "router tor2a", "rack r2", or a plan section ("cluster", "bgp", ...)
    what: list[str] = field(default_factory=list)  # "added: ...", "removed", "neighbors: r2-w3 added", ...


@dataclass
class PlanChanges:
    baseline: str | None  # the file compared with, None when no earlier different plan exists
    changes: list[Change]
    unchanged: dict[str, int]  # kind -> how many entries of it the plan kept as they were


def load_baseline(directory: str, current: dict) -> tuple[str | None, dict | None]:
    """(file name, plan) of the plan this run's plan is compared with, or (None, None)."""
    current = portable_plan(current)
    for name in (PLAN_FILE, PREVIOUS_PLAN_FILE):
        path = os.path.join(directory, name)
        try:
            with open(path, encoding="utf-8") as handle:
                earlier = json.load(handle)
        except (OSError, ValueError):
            continue
        earlier = portable_plan(earlier)
        if earlier != current:
            return name, earlier
    return None, None


def _short(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 3] + "..."


def _item_ids(items):
    """{id: item} of a list of dicts told apart by a key, or None when they cannot be."""
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in ITEM_KEYS:
        if all(key in i for i in items):
            ids = {str(i[key]): i for i in items}
            return ids if len(ids) == len(items) else None
    return None


def _list_changes(label, old, new):
    old_ids, new_ids = _item_ids(old) or {}, _item_ids(new) or {}
    if (old_ids or not old) and (new_ids or not new):
        added = sorted(set(new_ids) - set(old_ids))
        removed = sorted(set(old_ids) - set(new_ids))
        changed = sorted(k for k in set(old_ids) & set(new_ids) if old_ids[k] != new_ids[k])
    elif all(not isinstance(i, (dict, list)) for i in list(old) + list(new)):
        added = sorted({_short(i) for i in new} - {_short(i) for i in old})
        removed = sorted({_short(i) for i in old} - {_short(i) for i in new})
        changed = []
    else:
        return ["%s changed" % label]
    parts = ["%s %s" % (", ".join(items), verb) for items, verb in
             ((added, "added"), (removed, "removed"), (changed, "changed")) if items]
    return ["%s: %s" % (label, ", ".join(parts) or "order changed")]


def describe(label: str, old, new) -> list[str]:
    """One line per difference between ``old`` and ``new`` below ``label`` (a dotted path)."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            sub = "%s.%s" % (label, key) if label else key
            if key not in old:
                out.append("%s: %s added" % (sub, _short(new[key])))
            elif key not in new:
                out.append("%s removed" % sub)
            else:
                out += describe(sub, old[key], new[key])
        return out
    if isinstance(old, list) and isinstance(new, list):
        return _list_changes(label, old, new)
    return ["%s: %s -> %s" % (label, _short(old), _short(new))]


def _added_summary(kind, entry):
    if kind == "node":
        peers = ", ".join(p["name"] for p in entry.get("peers") or []) or "none (full mesh)"
        return "added: rack %s, %s, AS %s, peers %s" % (entry.get("rack") or "-", entry.get("ip"), entry.get("asn"), peers)
    if kind == "router":
        neighbors = ", ".join(n["node"] for n in entry.get("neighbors") or []) or "none"
        return "added: %s, rack %s, AS %s, neighbors %s" % (entry.get("platform"), entry.get("rack") or "-", entry.get("asn"), neighbors)
    return "added: nodes %s, ToR routers %s" % (", ".join(entry.get("nodes") or []) or "none",
                                                ", ".join(entry.get("tor_routers") or []) or "none")


def compare(previous: dict | None, current: dict, baseline: str | None = PREVIOUS_PLAN_FILE) -> PlanChanges:
    """What ``current`` changes against ``previous`` (None: no earlier plan, nothing listed)."""
    if previous is None:
        return PlanChanges(baseline=None, changes=[], unchanged={})
    previous, current = portable_plan(previous), portable_plan(current)
    changes, unchanged = [], {}
    for section, kind in PER_ENTRY:
        old, new = previous.get(section) or {}, current.get(section) or {}
        for name in sorted(set(old) | set(new)):
            if name not in old:
                changes.append(Change("%s %s" % (kind, name), [_added_summary(kind, new[name])]))
            elif name not in new:
                changes.append(Change("%s %s" % (kind, name), ["removed"]))
            elif old[name] != new[name]:
                changes.append(Change("%s %s" % (kind, name), describe("", old[name], new[name])))
            else:
                unchanged[kind] = unchanged.get(kind, 0) + 1
    per_entry = {section for section, _kind in PER_ENTRY}
    for section in sorted((set(previous) | set(current)) - per_entry):
        before, after = previous.get(section), current.get(section)
        both_dicts = isinstance(before, dict) and isinstance(after, dict)
        what = describe("" if both_dicts else section, before, after)
        if what:
            changes.append(Change(section, what))
    return PlanChanges(baseline=baseline, changes=changes, unchanged=unchanged)


def changed_hosts(changes: PlanChanges) -> list[str]:
    """The nodes and routers whose own plan entry was added, removed or changed."""
    return [c.where.split(" ", 1)[1] for c in changes.changes if c.where.startswith(("node ", "router "))]


def _unchanged_line(changes: PlanChanges) -> str:
    counts = ", ".join("%d %s(s)" % (changes.unchanged[kind], kind) for _section, kind in PER_ENTRY if changes.unchanged.get(kind))
    return "Unchanged: %s." % (counts or "nothing")


def render_markdown(changes: PlanChanges) -> list[str]:
    """The report's "What changed where" section."""
    out = ["## What changed where", ""]
    if changes.baseline is None:
        return out + ["No earlier, different plan was rendered into this directory: nothing to compare with "
                      "(a first install, or the plan has not changed since).", ""]
    out += ["The plan of this run against the one rendered before it (`%s`), per node, router and rack, "
            "then the cluster-wide sections. Host preparation and the ToR pushes change only what is listed; "
            "plan.json has the values." % changes.baseline, ""]
    if not changes.changes:
        out.append("- no change")
    for change in changes.changes:
        out.append("- **%s**: %s" % (change.where, "; ".join(change.what)))
    return out + ["", _unchanged_line(changes), ""]


def render_text(changes: PlanChanges) -> list[str]:
    """The console lines: where the plan changed, one per node, router, rack or section."""
    if changes.baseline is None:
        return ["plan: no earlier, different plan in the artifacts directory to compare with"]
    lines = ["plan changes against %s:%s" % (changes.baseline, "" if changes.changes else " none")]
    lines += ["  %s: %s" % (c.where, "; ".join(c.what)) for c in changes.changes]
    return lines + ["  " + _unchanged_line(changes)]
