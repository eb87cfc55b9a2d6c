"""The built-in lab for the end-to-end tests: brought up once per session on fresh containers,
switched from design to design on the same containers, always torn down."""

import os
import sys

import pytest

from labtools import LAB, converge, run


def pytest_collection_modifyitems(items):
    """test_awx_lab.py last: it needs machines no design was converged on, and recreates them if
    one was (labtools.untouched_lab); run first, it would leave the first converge of the other
    files a rerun."""
    items.sort(key=lambda item: os.path.basename(str(item.fspath)) == "test_awx_lab.py")


@pytest.fixture(scope="session")
def artifacts_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp("lab-artifacts"))


@pytest.fixture(scope="session")
def lab():
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (debootstrap, privileged podman containers)")
    # A lab left over from `make demo` is replaced: the test starts from fresh containers.
    run([sys.executable, LAB, "down"])
    up = run([sys.executable, LAB, "up"])
    try:
        assert up.rc == 0, up.tail()
        yield up
    finally:
        down = run([sys.executable, LAB, "down"])
        assert down.rc == 0, down.tail()


@pytest.fixture(scope="session")
def artifacts_dir(artifacts_root):
    return os.path.join(artifacts_root, "as_per_rack")


@pytest.fixture(scope="session")
def converged(lab, artifacts_root):
    """The first site run of the default design (as_per_rack) on the fresh lab."""
    return converge("as_per_rack", artifacts_root)[0]
