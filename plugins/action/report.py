# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin onprem.calico.report: the run report and topology picture (controller only)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile

from ansible.errors import AnsibleError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.onprem.calico.plugins.plugin_utils import plan_changes
from ansible_collections.onprem.calico.plugins.plugin_utils.report import (
    build_report,
    render_dot,
    render_markdown,
    render_text,
)


def _read(path):
    if not os.path.exists(path):
        return ""
    with open(path, "r", encoding="utf-8") as handle:
        return handle.read()


def _write_if_changed(path, content):
    """Write atomically; True when the file content changed."""
    if os.path.exists(path):
        with open(path, "r", encoding="utf-8") as handle:
            if handle.read() == content:
                return False
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return True


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("plan", "tors", "nodes", "skipped", "dot", "allow_unverified", "uplinks"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars or {})
        args = self._task.args
        plan = args.get("plan")
        if not isinstance(plan, dict) or "cluster" not in plan:
            raise AnsibleError("report: 'plan' must be the plan built by onprem.calico.plan (calico_plan).")
        # Plain JSON types, as plan.json holds them (values from Ansible carry tags).
        plan, tors, nodes, skipped, uplinks = json.loads(json.dumps(
            [plan, args.get("tors") or {}, args.get("nodes") or {}, args.get("skipped") or [], args.get("uplinks") or {}]))
        for item in skipped:
            if not isinstance(item, dict) or not {"stage", "reason"} <= set(item):
                raise AnsibleError("report: every 'skipped' entry needs 'stage' and 'reason', got %r." % (item,))
        allow_unverified = boolean(args.get("allow_unverified", False), strict=True)
        base = plan["cluster"]["artifacts_dir"]
        baseline, previous = plan_changes.load_baseline(base, plan)
        changes = plan_changes.compare(previous, plan, baseline)
        report = build_report(plan, tors, nodes, skipped, allow_unverified=allow_unverified,
                              uplinks=uplinks, plan_changes=changes)
        files = {os.path.join(base, "report.md"): render_markdown(report),
                 os.path.join(base, "topology.dot"): render_dot(report)}
        svg_path = os.path.join(base, "topology.svg")
        dot = shutil.which(args.get("dot") or "dot")
        changed = False
        # The text files as they were, read before writing: what a rerun found different (routes).
        differing = [{"before_header": path, "after_header": path, "before": before, "after": content}
                     for path, content in files.items() for before in [_read(path)] if before != content]
        if not self._task.check_mode:
            for path, content in files.items():
                changed = _write_if_changed(path, content) or changed
            if dot:
                proc = subprocess.run([dot, "-Tsvg"], input=files[os.path.join(base, "topology.dot")],
                                      capture_output=True, text=True, check=False)
                if proc.returncode != 0:
                    raise AnsibleError("report: dot failed: %s" % proc.stderr.strip())
                changed = _write_if_changed(svg_path, proc.stdout) or changed
                files[svg_path] = proc.stdout
            else:
                self._display.warning("report: Graphviz 'dot' not found; wrote topology.dot but no topology.svg.")
        elif dot:
            files[svg_path] = ""
        result.update(
            changed=changed,
            ok=report.ok,
            summary=render_text(report) + ["report: %s" % os.path.join(base, "report.md")]
            + (["topology: %s" % svg_path] if svg_path in files else []),
            problems=report.problems,
            affected_nodes=report.affected_nodes,
            unverified=["%s <-> %s%s" % (s.node, s.peer, " IPv%d" % s.family if report.dual_stack else "") for s in report.unverified],
            sessions=[{"node": s.node, "peer": s.peer, "family": s.family, "node_ip": s.node_ip, "peer_ip": s.peer_ip,
                       "kind": s.kind, "peer_view": s.tor_view, "node_view": s.node_view, "state": s.status}
                      for s in report.sessions],
            files=sorted(files),
            plan_changes=[{"where": c.where, "what": c.what} for c in changes.changes],
            changed_hosts=plan_changes.changed_hosts(changes),
        )
        if self._task.check_mode:
            result["changed"] = bool(differing)
        if self._task.diff and differing:
            result["diff"] = differing
        return result
