"""A wrong block size is one mistake in one variable: the plan names it once, not once per pool
the variable makes (issue 18: the pool checks' mutants showed no test counted the errors)."""

import copy

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from plan_inputs import base, tor_base


def racked(**cluster):
    inv = tor_base(calico_pod_cidr="10.244.0.0/16", calico_rack_pool_prefix_length=24, **cluster)
    inv.cluster["calico_racks"] = copy.deepcopy(inv.cluster["calico_racks"])
    for index, rack in enumerate(sorted(inv.cluster["calico_racks"])):
        inv.cluster["calico_racks"][rack]["index"] = index
    return inv


# Calico's IPPool reference: an IPv4 blockSize lies in 20..32, so 33 is refused.
@pytest.mark.parametrize("inventory", [lambda: base(calico_block_size=33), lambda: racked(calico_block_size=33)],
                         ids=["default pool", "rack pools"])
def test_an_invalid_block_size_is_one_error_on_its_variable(inventory):
    result = build_plan(inventory())
    about_blocks = [e for e in result.errors if "block size" in e.message]
    assert [(e.subject, e.message) for e in about_blocks] == [("calico_block_size", "block size 33 is outside 20..32 for IPv4.")]
