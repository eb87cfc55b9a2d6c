# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin onprem.calico.plan: the inventory as one validated plan (controller only)."""

from __future__ import annotations


from ansible import constants as C
from ansible.plugins.action import ActionBase

from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import HostView, collect
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import summary


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
        result.update(changed=False, plan=built.plan)
        if built.plan is not None:
            result["ansible_facts"] = {"calico_plan": built.plan}
        if errors and fail_on_error:
            # Ansible prints a failed task's msg twice (the error line and the result), so the
            # list is displayed here, once, and msg is only the closing line. Nothing else in
            # the result repeats a finding (the warnings were displayed above).
            self._display.display("Preflight found these problems:\n- %s" % "\n- ".join(errors), color=C.COLOR_ERROR, stderr=True)
            result["failed"] = True
            result["msg"] = summary(built.errors, inv.hosts)
        else:
            result.update(errors=errors, preflight_warnings=warnings)
        return result
