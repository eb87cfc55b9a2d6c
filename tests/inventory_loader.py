"""Load an inventory with Ansible's own loader and turn it into the plan core's input.

The same ``collect()`` the plan action uses is fed from InventoryManager / HostVars, so tests
see exactly what ``ansible-playbook`` would hand to the core.
"""

from __future__ import annotations

import os

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import HostView, InventoryInput, collect

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(REPO, "inventory", "examples")


def load_inventory(source: str, extra_vars: dict | None = None) -> InventoryInput:
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=source if isinstance(source, list) else [source])
    variables = VariableManager(loader=loader, inventory=inventory)
    if extra_vars:
        # VariableManager has no public way to set extra vars outside a CLI run.
        variables._extra_vars = dict(extra_vars)  # pylint: disable=protected-access
    hostvars = HostVars(inventory=inventory, variable_manager=variables, loader=loader)
    play_vars = variables.get_vars(host=inventory.get_host("localhost"))
    templar = Templar(loader=loader, variables=play_vars)
    hosts = HostView(hostvars.raw_get, lambda variables: Templar(loader=loader, variables=variables))
    groups = {name: [h.name for h in group.get_hosts()] for name, group in inventory.groups.items()}
    return collect(
        groups=groups,
        play_raw=play_vars,
        play_value=lambda name: templar.template(play_vars[name]),
        host_raw=hosts.raw,
        host_value=hosts.value,
    )


def load_example_inventory(name: str, extra_vars: dict | None = None) -> InventoryInput:
    return load_inventory(os.path.join(EXAMPLES, name), extra_vars)
