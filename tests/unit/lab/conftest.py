"""The lab inventory's plan, built like the plan action builds it, for report and stand-in tests."""

import copy
import functools
import os
import sys

import pytest

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


@pytest.fixture(scope="session")
def standin():
    """The lab's stand-in filter module (it lives next to the lab playbooks, not in plugins/)."""
    if STANDIN_DIR not in sys.path:
        sys.path.insert(0, STANDIN_DIR)
    import lab_standin  # pylint: disable=import-outside-toplevel

    return lab_standin
