"""Fixtures shared by the unit tests: example inventories and their plans."""

import functools
import pytest

from inventory_loader import load_example_inventory

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan

EXAMPLE_NAMES = ("kdd-small", "kdd-typha", "etcd", "tor-as-per-rack")


@functools.lru_cache(maxsize=None)
def _example_plan(name):
    result = build_plan(load_example_inventory(name))
    assert result.ok, [str(e) for e in result.errors]
    return result.plan


@pytest.fixture
def example_plan():
    """Call with an example inventory name; returns a fresh copy of its plan."""
    import copy

    return lambda name: copy.deepcopy(_example_plan(name))


@pytest.fixture(params=EXAMPLE_NAMES)
def each_example(request):
    return request.param
