"""The lab inventory's plan, built like the plan action builds it, for report and stand-in tests."""

import copy
import functools
import os
import sys

import pytest
import yaml

from inventory_loader import load_inventory
from testpaths import REPO, UPSTREAM_DIR

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan

LAB_INVENTORY = os.path.join(REPO, "inventory", "lab")
STANDIN_DIR = os.path.join(REPO, "playbooks", "lab", "filter_plugins")


@functools.lru_cache(maxsize=None)
def _lab_plan():
    # The inventory finds the manifests with an env lookup, which needs a full Ansible run;
    # the same directory is given directly here.
    result = build_plan(load_inventory(LAB_INVENTORY, extra_vars={"calico_manifest_mirror": UPSTREAM_DIR}))
    assert result.ok, [str(e) for e in result.errors]
    return result.plan


@pytest.fixture
def lab_plan():
    return copy.deepcopy(_lab_plan())


def _lab_rack_ip6(tree, found=None):
    """{host: lab_rack_ip6} from the lab inventory file (the addresses' only copy)."""
    found = {} if found is None else found
    for key, value in (tree or {}).items():
        if isinstance(value, dict):
            if "lab_rack_ip6" in value:
                found[key] = value["lab_rack_ip6"]
            _lab_rack_ip6(value, found)
    return found


@functools.lru_cache(maxsize=None)
def _dual_stack_plan():
    # The design file sets the IPv6 addresses with a template of lab_rack_ip6, which only a
    # full Ansible run resolves: they are set per host here from the same inventory values.
    with open(os.path.join(REPO, "inventory", "lab-designs", "dual_stack.yml"), encoding="utf-8") as handle:
        design = yaml.safe_load(handle)
    for templated in ("calico_node_ip6", "calico_tor_peer_ip6"):
        del design[templated]
    inventory = load_inventory(LAB_INVENTORY, extra_vars=dict(design, calico_manifest_mirror=UPSTREAM_DIR))
    with open(os.path.join(LAB_INVENTORY, "hosts.yml"), encoding="utf-8") as handle:
        ip6 = _lab_rack_ip6(yaml.safe_load(handle))
    for host, address in ip6.items():
        inventory.hosts[host]["calico_node_ip6" if host in inventory.groups["k8s_cluster"] else "calico_tor_peer_ip6"] = address
    result = build_plan(inventory)
    assert result.ok, [str(e) for e in result.errors]
    return result.plan


@pytest.fixture
def dual_stack_plan():
    """The lab's dual_stack design: as_per_rack with an IPv6 session per node and ToR."""
    return copy.deepcopy(_dual_stack_plan())


@pytest.fixture(scope="session")
def standin():
    """The lab's stand-in filter module (it lives next to the lab playbooks, not in plugins/)."""
    if STANDIN_DIR not in sys.path:
        sys.path.insert(0, STANDIN_DIR)
    import lab_standin  # pylint: disable=import-outside-toplevel

    return lab_standin
