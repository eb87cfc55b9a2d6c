# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin onprem.calico.plan: the inventory as one validated plan (controller only)."""

from __future__ import annotations


import os

from ansible import constants as C
from ansible.plugins.action import ActionBase
from ansible.vars.plugins import get_vars_from_inventory_sources

from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import HostView, collect
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import summary
from ansible_collections.onprem.calico.plugins.plugin_utils.report import pool_forecast_lines


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
        inv.set_names = names_set(hostvars, self._loader)
        built = build_plan(inv)
        errors = [str(e) for e in built.errors]
        warnings = [str(w) for w in built.warnings]
        for w in warnings:
            self._display.warning("preflight: " + w)
        # The pool forecast goes in the result (plan.yml shows it): printing it here would land
        # outside the stdout callback's document (the json callback's, for one).
        result.update(changed=False, plan=built.plan,
                      pool_forecast=pool_forecast_lines(built.plan) if built.plan is not None else [])
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


def names_set(hostvars, loader) -> dict[str, list[str]]:
    """Every variable name the inventory and the extra vars set, with where it was set.

    Only what a user writes counts: inline variables of hosts.yml, group_vars/host_vars files
    (through the enabled vars plugins, as Ansible reads them) and extra vars. Facts, registered
    results and play variables are not looked at; they are not the inventory's.
    """
    # HostVars is the only handle an action plugin gets on the run's inventory and variable
    # manager; both are what Ansible itself resolves every variable from.
    inventory = hostvars._inventory  # pylint: disable=protected-access
    extra_vars = hostvars._variable_manager.extra_vars  # pylint: disable=protected-access
    sources = [s for s in inventory._sources if s]  # pylint: disable=protected-access
    found: dict[str, list[str]] = {}

    def record(names, where):
        for name in names:
            if name.startswith("calico_"):
                found.setdefault(name, []).append(where)

    inline = " or ".join(sources) or "the inventory"
    entities = [("group", g) for g in inventory.groups.values()] + [("host", h) for h in inventory.hosts.values()]
    for kind, entity in entities:
        record(entity.vars, "%s %s in %s" % (kind, entity.name, inline))
        plugin_vars = get_vars_from_inventory_sources(loader, sources, [entity], "task")
        if plugin_vars:
            record(plugin_vars, _vars_file(loader, sources, "%s_vars" % kind, entity.name))
    record(extra_vars, "extra vars")
    return {name: sorted(set(where)) for name, where in found.items()}


def _vars_file(loader, sources, folder, name) -> str:
    """The group_vars/host_vars file(s) of an entity, relative to its inventory, for messages."""
    files = []
    for source in sources:
        base = source if os.path.isdir(source) else os.path.dirname(source)
        files += loader.find_vars_files(os.path.join(base, folder), name)
    return ", ".join(sorted(files)) if files else "%s/%s" % (folder, name)
