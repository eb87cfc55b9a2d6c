"""The built-in lab for the end-to-end tests: brought up once per session, always torn down."""

import os
import sys

import pytest

from labtools import LAB, SITE, run


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory):
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
def converged(lab, artifacts_dir):
    """The first site.yml run on the fresh lab."""
    return run([SITE, "-e", "calico_artifacts_dir=" + artifacts_dir])
