"""An NX-OS push interrupted mid-way, through playbooks/tor.yml against the fake NX-API device
(tests/fakes/nxapi_server.py, through the real httpapi connection): the device refuses a command
in the middle of the batch, after earlier ones were applied; the push rolls back to the checkpoint
it took, so the router is as before with no checkpoint left; the rerun converges and the run
after reports no change."""

from __future__ import annotations

import os
import sys

import pytest

from testpaths import REPO

sys.path.insert(0, os.path.join(REPO, "tests", "integration", "tor"))
sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))

from nxapi_server import FakeNxos, NxapiServer  # noqa: E402
from test_nxos_nxapi import FOREIGN, RUNNING, changing_requests, run_playbook, running, write_inventory  # noqa: E402


@pytest.fixture
def device():
    server = NxapiServer(FakeNxos(RUNNING))
    try:
        yield server
    finally:
        server.close()


def test_command_refused_mid_push_rolls_back_and_the_rerun_converges(device, tmp_path):
    inventory = write_inventory(tmp_path, device.port)
    before = running(device)
    device.device.fail_config_command = 3  # three commands applied, the fourth refused
    proc, recap = run_playbook(inventory)
    assert proc.returncode != 0 and recap["tor1"]["failed"] == 1, proc.stdout[-3000:]
    assert "restored from checkpoint onprem-calico-" in proc.stdout, proc.stdout[-3000:]
    sent = [cmds for kind, cmds in changing_requests(device) if kind == "cli_conf"]
    assert len(sent) == 1 and len(sent[0]) > 4  # the batch was cut short, not empty
    assert running(device) == before and not device.device.checkpoints

    proc, recap = run_playbook(inventory)
    assert proc.returncode == 0 and recap["tor1"]["changed"] >= 1, proc.stdout[-3000:]
    text = running(device)
    assert "10.0.1.98" not in text and "  neighbor 10.0.1.12" in text
    assert all(line in text for line in FOREIGN) and not device.device.checkpoints

    proc, recap = run_playbook(inventory)
    assert proc.returncode == 0 and recap["tor1"]["changed"] == 0, proc.stdout[-3000:]
