# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin onprem.calico.render: write every artifact of the plan (controller only)."""

from __future__ import annotations


import json
import os
import tempfile

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import (
    RENDERERS,
    RenderContext,
    RenderError,
    render_all,
    stale_secret_files,
)
from ansible_collections.onprem.calico.plugins.plugin_utils.bundle import PLAN_FILE, PREVIOUS_PLAN_FILE
from ansible_collections.onprem.calico.plugins.plugin_utils.placeholders import render_secrets


def write_atomic(path, content, mode):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("plan", "renderers", "upstream_dir"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = self._task.args
        plan = args.get("plan")
        if not isinstance(plan, dict) or "cluster" not in plan:
            raise AnsibleError("render: 'plan' must be the plan built by onprem.calico.plan (calico_plan).")
        # Back to plain JSON types: values that passed through Ansible carry tags that YAML
        # dumpers refuse, and renderers must see exactly what plan.json holds.
        plan = json.loads(json.dumps(plan))
        renderers = tuple(args.get("renderers") or RENDERERS)
        unknown = [r for r in renderers if r not in RENDERERS]
        if unknown:
            raise AnsibleError("render: unknown renderers %s (known: %s)." % (", ".join(unknown), ", ".join(RENDERERS)))
        # Artifacts are reviewed and published: secrets go in as placeholders, filled at apply time.
        try:
            ctx = RenderContext(secrets=render_secrets(plan), upstream_dir=args.get("upstream_dir"))
            artifacts = render_all(plan, ctx, renderers)
        except RenderError as exc:
            result.update(failed=True, msg="Rendering failed; no artifact was written:\n- " + "\n- ".join(exc.messages))
            return result

        base = plan["cluster"]["artifacts_dir"]
        changed, diffs = [], []
        plan_replaced = False
        for art in artifacts:
            path = os.path.join(base, art.path)
            mode = int(art.mode, 8)
            before = None
            if os.path.exists(path):
                with open(path, "r", encoding="utf-8") as handle:
                    before = handle.read()
                same_mode = (os.stat(path).st_mode & 0o777) == mode
            else:
                same_mode = False
            if before == art.content and same_mode:
                continue
            changed.append(art.path)
            plan_replaced = plan_replaced or (art.path == PLAN_FILE and before not in (None, art.content))
            if self._task.diff:
                # Secrets are placeholders here, so every artifact's diff can be shown.
                diffs.append({"before_header": path, "after_header": path, "before": before or "", "after": art.content})
        removed = stale_secret_files(base, artifacts) if os.path.isdir(base) else []
        if self._task.diff:
            diffs.extend({"before_header": os.path.join(base, p), "after_header": "(removed)",
                          "prepared": "%s: removed (an earlier render wrote it as a secret; the plan no longer has it)" % os.path.join(base, p)}
                         for p in removed)
        if not self._task.check_mode:
            for art in artifacts:
                if art.path == PLAN_FILE and plan_replaced:
                    # The replaced plan is the baseline of the report's "What changed where".
                    os.replace(os.path.join(base, PLAN_FILE), os.path.join(base, PREVIOUS_PLAN_FILE))
                if art.path in changed:
                    write_atomic(os.path.join(base, art.path), art.content, int(art.mode, 8))
            for path in removed:
                os.unlink(os.path.join(base, path))
        result.update(changed=bool(changed or removed), artifacts_dir=base, artifacts=[a.path for a in artifacts],
                      changed_artifacts=changed, removed_artifacts=removed)
        if diffs:
            result["diff"] = diffs
        return result
