"""Cost of finding the names an inventory sets (plan action), against loading that inventory.

    python benchmarks/set_names_bench.py            # 2,000 and 5,000 nodes

The plan action asks Ansible's vars plugins once per group and host for the names they set
(group_vars/host_vars) so misspelled variables are caught. This prints that time next to what
Ansible itself spends parsing the same inventory (InventoryManager, the floor of any run) and
reading every host's variables (which the plan action does anyway), and the pure core's check.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, ".collections"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ansible.inventory.manager import InventoryManager  # noqa: E402
from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.vars.hostvars import HostVars  # noqa: E402
from ansible.vars.manager import VariableManager  # noqa: E402

from ansible_collections.onprem.calico.plugins.action.plan import names_set  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils import input_schema  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import Findings  # noqa: E402

import plan_bench  # noqa: E402  pylint: disable=wrong-import-position


def measure(nodes: int, racks: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "group_vars"))
        os.makedirs(os.path.join(tmp, "host_vars"))
        plan_bench.write_inventory(os.path.join(tmp, "hosts.yml"), nodes, racks)
        with open(os.path.join(tmp, "group_vars", "all.yml"), "w", encoding="utf-8") as fh:
            fh.write("calico_production: true\n")
        with open(os.path.join(tmp, "host_vars", "node00001.yml"), "w", encoding="utf-8") as fh:
            fh.write("calico_interface_mtu: 9000\n")
        loader = DataLoader()
        start = time.perf_counter()
        inventory = InventoryManager(loader=loader, sources=[tmp])
        parse = time.perf_counter() - start
        variables = VariableManager(loader=loader, inventory=inventory)
        hostvars = HostVars(inventory=inventory, variable_manager=variables, loader=loader)
        # The plan action reads every node's and router's variables first (inventory.collect);
        # the vars plugins cache the files they found then, as in a real run.
        start = time.perf_counter()
        for host in inventory.hosts:
            hostvars.raw_get(host)
        read = time.perf_counter() - start
        start = time.perf_counter()
        found = names_set(hostvars, loader)
        collect = time.perf_counter() - start
        start = time.perf_counter()
        input_schema.check_set_names(found, [], Findings())
        check = time.perf_counter() - start
        print("%5d nodes, %3d racks: inventory parse %.2f s, every host's variables %.2f s, names set %.2f s (%d names), "
              "core check %.1f ms" % (nodes, racks, parse, read, collect, len(found), check * 1000))


def main() -> None:
    for nodes, racks in ((2000, 100), (5000, 250)):
        measure(nodes, racks)


if __name__ == "__main__":
    main()
