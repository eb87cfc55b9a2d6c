"""An EOS push interrupted mid-way, through playbooks/tor.yml against the fake eAPI device
(tests/fakes/eapi_server.py, through the real httpapi connection): the device refuses a command
in the middle of the configuration session, after earlier ones went into it. The session was
never committed, so the running configuration is untouched; the push aborts the session, so
none is left behind; the rerun converges and the run after reports no change."""

from __future__ import annotations

import os
import sys

import pytest

from testpaths import REPO

sys.path.insert(0, os.path.join(REPO, "tests", "integration", "tor"))
sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))

from eapi_server import EapiServer, FakeEos  # noqa: E402
from test_eos_eapi import FOREIGN, RUNNING, config_requests, run_playbook, running, write_inventory  # noqa: E402


@pytest.fixture
def device():
    server = EapiServer(FakeEos(RUNNING))
    try:
        yield server
    finally:
        server.close()


def test_command_refused_mid_session_leaves_the_router_unchanged_and_the_rerun_converges(device, tmp_path):
    inventory = write_inventory(tmp_path, device.port)
    before = running(device)
    device.device.fail_session_command = 4  # the session is open and holds some lines when this one is refused
    proc, recap = run_playbook(inventory)
    assert proc.returncode != 0 and recap["tor1"]["failed"] == 1, proc.stdout[-3000:]
    assert "injected by the test" in proc.stdout, proc.stdout[-3000:]
    pushed, aborted = config_requests(device)
    assert len(pushed) > 5 and pushed[-1].startswith("commit timer")  # cut short before its commit
    assert aborted[-1] == "abort"
    assert running(device) == before
    assert not device.device.sessions and not device.device.pending

    proc, recap = run_playbook(inventory)
    assert proc.returncode == 0 and recap["tor1"]["changed"] >= 1, proc.stdout[-3000:]
    text = running(device)
    assert "neighbor 10.0.1.12 peer group" in text and all(line in text for line in FOREIGN)
    assert not device.device.sessions and not device.device.pending

    proc, recap = run_playbook(inventory)
    assert proc.returncode == 0 and recap["tor1"]["changed"] == 0, proc.stdout[-3000:]
