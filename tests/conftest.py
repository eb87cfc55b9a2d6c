"""Test-wide setup: import the checkout as the installed collection onprem.calico, and create
the example inventory's throw-away etcd key material (the repository holds no private key)."""

import importlib.util
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The project's own code and tests (not the virtualenv, which may sit inside the checkout).
_OWN_CODE = tuple(os.path.join(os.path.realpath(REPO), d) + os.sep for d in ("plugins", "tests"))
_COLLECTIONS = os.path.join(REPO, ".collections")
_LINK = os.path.join(_COLLECTIONS, "ansible_collections", "onprem", "calico")
if not os.path.exists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink("../../..", _LINK)
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)


def _load_example_keys():
    spec = importlib.util.spec_from_file_location("example_keys", os.path.join(REPO, "tools", "example_keys.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_sessionstart(session):
    """Every test run starts with empty caches. ``make mutation`` forks each mutant's run from a
    process that has already run the tests: a plan, manifest or schema cached there was made by
    the unmutated code and would hide the mutant from every test that reads the cached copy."""
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not path or not os.path.realpath(path).startswith(_OWN_CODE):
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and not isinstance(value, type):
                value.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def example_keys():
    """inventory/examples/files/etcd/*.pem, generated when missing (tools/example_keys.py): the
    etcd example inventory and the tests that read it need them."""
    module = _load_example_keys()
    module.ensure()
    return module
