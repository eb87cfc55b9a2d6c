# -*- coding: utf-8 -*-
"""Action plugin onprem.calico.report: the run report and topology picture (controller only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: report
short_description: Write the run report and topology picture from gathered BGP session data
version_added: "0.1.0"
description:
  - Joins the plan with the BGP session states and routes gathered by the verify stage and writes
    C(report.md) (racks, ToR routers, nodes, every expected session with its state as seen from
    each end, routes seen, skipped stages), C(topology.dot) and, when Graphviz C(dot) is
    installed, C(topology.svg) with sessions coloured by state, below C(plan.cluster.artifacts_dir).
  - Returns the console summary and the sessions that are not Established, naming their nodes.
    It never fails because of session states; the verify stage decides that.
  - The files hold no timestamps, so an unchanged network reports C(changed=false).
options:
  plan:
    description: The plan (the C(calico_plan) fact set by M(onprem.calico.plan)).
    type: dict
    required: true
  tors:
    description:
      - Per ToR router (inventory name) C(sessions) (the C(sessions) list of
        M(onprem.calico.frr_bgp_verify)), C(error) (why the router could not be asked) and
        C(routes) (C(ip -j route) entries).
    type: dict
    default: {}
  nodes:
    description:
      - Per node C(sessions) (a mapping of peer address to BGP state as the node sees it),
        C(error) and C(routes).
    type: dict
    default: {}
  skipped:
    description: Stages the run did not do, each with C(stage) and C(reason).
    type: list
    elements: dict
    default: []
  dot:
    description: Graphviz C(dot) executable; without it only C(topology.dot) is written.
    type: str
    default: dot
attributes:
  check_mode:
    support: full
    description: Builds the report and returns it without writing files.
  diff_mode:
    support: none
  platform:
    platforms: all
author:
  - onprem.calico maintainers
"""

EXAMPLES = r"""
- name: Write the report
  onprem.calico.report:
    plan: "{{ calico_plan }}"
    tors: "{{ tor_results }}"
    skipped:
      - {stage: "manifest apply", reason: "no API server"}
  register: calico_report
"""

RETURN = r"""
summary:
  description: The console summary, one line per item.
  returned: always
  type: list
  elements: str
ok:
  description: Whether every verified session is Established.
  returned: always
  type: bool
problems:
  description: One line per session that is not Established, naming node, peer and states.
  returned: always
  type: list
  elements: str
affected_nodes:
  description: Nodes with at least one session that is not Established.
  returned: always
  type: list
  elements: str
sessions:
  description: Every expected session with both views and its overall state (up, down, not verified).
  returned: always
  type: list
  elements: dict
files:
  description: Paths of the files written (or that would be written in check mode).
  returned: always
  type: list
  elements: str
"""

import json
import os
import shutil
import subprocess
import tempfile

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.onprem.calico.plugins.plugin_utils.report import (
    build_report,
    render_dot,
    render_markdown,
    render_text,
)


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
    _VALID_ARGS = frozenset(("plan", "tors", "nodes", "skipped", "dot"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars or {})
        args = self._task.args
        plan = args.get("plan")
        if not isinstance(plan, dict) or "cluster" not in plan:
            raise AnsibleError("report: 'plan' must be the plan built by onprem.calico.plan (calico_plan).")
        # Plain JSON types, as plan.json holds them (values from Ansible carry tags).
        plan, tors, nodes, skipped = json.loads(json.dumps(
            [plan, args.get("tors") or {}, args.get("nodes") or {}, args.get("skipped") or []]))
        for item in skipped:
            if not isinstance(item, dict) or not {"stage", "reason"} <= set(item):
                raise AnsibleError("report: every 'skipped' entry needs 'stage' and 'reason', got %r." % (item,))
        report = build_report(plan, tors, nodes, skipped)
        base = plan["cluster"]["artifacts_dir"]
        files = {os.path.join(base, "report.md"): render_markdown(report),
                 os.path.join(base, "topology.dot"): render_dot(report)}
        svg_path = os.path.join(base, "topology.svg")
        dot = shutil.which(args.get("dot") or "dot")
        changed = False
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
            sessions=[{"node": s.node, "peer": s.peer, "peer_ip": s.peer_ip, "kind": s.kind,
                       "peer_view": s.tor_view, "node_view": s.node_view, "state": s.status}
                      for s in report.sessions],
            files=sorted(files),
        )
        return result
