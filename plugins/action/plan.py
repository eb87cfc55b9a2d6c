# -*- coding: utf-8 -*-
"""Action plugin onprem.calico.plan: the inventory as one validated plan (controller only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: plan
short_description: Build and validate the Calico network plan from the inventory
version_added: "0.1.0"
description:
  - Reads the groups and variables of the inventory (see docs/inventory.md), runs every preflight
    check at once and returns the normalised plan (docs/plan.md).
  - Runs on the controller only and contacts no host; gathered facts are never used, so a
    render-only run and a full run produce the same plan.
  - When preflight finds errors the task fails and lists every one of them, each naming the host
    or variable and the fix. Warnings are returned as Ansible warnings.
options:
  fail_on_error:
    description: Fail the task when preflight finds errors. With C(false) the errors are returned.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Builds the plan exactly as in a normal run; nothing is changed either way.
  diff_mode:
    support: none
  platform:
    platforms: all
author:
  - onprem.calico maintainers
"""

EXAMPLES = r"""
- name: Build the plan
  onprem.calico.plan:
  register: calico_plan_result

- name: Collect preflight errors without failing
  onprem.calico.plan:
    fail_on_error: false
  register: preflight
"""

RETURN = r"""
plan:
  description: The plan (docs/plan.md); null when preflight found errors.
  returned: always
  type: dict
errors:
  description: Preflight errors, each "subject: message Fix: how".
  returned: always
  type: list
  elements: str
preflight_warnings:
  description: Preflight warnings in the same form.
  returned: always
  type: list
  elements: str
ansible_facts:
  description: C(calico_plan), the plan, when it is valid.
  returned: success
  type: dict
"""

from ansible.plugins.action import ActionBase

from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import HostView, collect
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("fail_on_error",))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = self._task.args
        fail_on_error = bool(args.get("fail_on_error", True))
        hostvars = task_vars["hostvars"]
        templar = self._templar

        hosts = HostView(hostvars.raw_get, lambda variables: templar.copy_with_new_env(available_variables=variables))
        inv = collect(
            groups=task_vars.get("groups", {}),
            play_raw=task_vars,
            play_value=lambda name: templar.template(task_vars[name]),
            host_raw=hosts.raw,
            host_value=hosts.value,
        )
        built = build_plan(inv)
        errors = [str(e) for e in built.errors]
        warnings = [str(w) for w in built.warnings]
        for w in warnings:
            self._display.warning("preflight: " + w)
        result.update(changed=False, plan=built.plan, errors=errors, preflight_warnings=warnings)
        if built.plan is not None:
            result["ansible_facts"] = {"calico_plan": built.plan}
        if errors and fail_on_error:
            result["failed"] = True
            result["msg"] = "Preflight found %d error(s); nothing was changed:\n- %s" % (len(errors), "\n- ".join(errors))
        return result
