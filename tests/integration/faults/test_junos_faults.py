"""An interrupted Junos push through playbooks/tor.yml against the fake NETCONF device
(tests/fakes/netconf_server.py, through the real netconf connection): a fault after the change
was loaded and checked, before the commit confirmed, discards the candidate and unlocks, so the
router is unchanged and holds no half-loaded candidate; the rerun converges (committed confirmed,
then confirmed) and the run after reports no change."""

from __future__ import annotations

import os
import sys
import xml.etree.ElementTree as ET

import pytest

from testpaths import REPO

sys.path.insert(0, os.path.join(REPO, "tests", "integration", "tor"))
sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))

from netconf_server import FakeJunos, NetconfServer  # noqa: E402
from test_junos_netconf import ACTIVE, CONFIRM, PUSH, config_rpcs, owned_group, run_playbook, write_inventory  # noqa: E402

from ansible_collections.onprem.calico.plugins.module_utils.fault_injection import ENVIRONMENT  # noqa: E402


@pytest.fixture
def server():
    srv = NetconfServer(FakeJunos(ACTIVE))
    try:
        yield srv
    finally:
        srv.close()


def as_text(element):
    return ET.tostring(element, encoding="unicode")


def test_fault_before_commit_discards_the_candidate_and_the_rerun_converges(server, tmp_path, monkeypatch):
    device = server.device
    inventory = write_inventory(tmp_path, server.port)
    before = as_text(device.active)
    monkeypatch.setenv(ENVIRONMENT, "tor_junos_before_commit")
    proc, recap = run_playbook(inventory)
    assert proc.returncode != 0 and recap["tor1"]["failed"] == 1, proc.stdout[-3000:]
    assert "fault injected at tor_junos_before_commit" in proc.stdout
    assert config_rpcs(device) == ["lock", "get-configuration", "load-configuration", "commit-configuration check",
                                   "get-configuration compare", "discard-changes", "unlock"]
    assert as_text(device.active) == before
    assert as_text(device.candidate) == before  # nothing half-loaded left for the next commit
    assert device.pending_confirm is None and not device.locked

    monkeypatch.delenv(ENVIRONMENT)
    start = len(device.rpcs)
    proc, recap = run_playbook(inventory)
    assert proc.returncode == 0 and recap["tor1"]["changed"] >= 1, proc.stdout[-3000:]
    assert config_rpcs(device, start) == PUSH + CONFIRM
    assert [n.findtext("name") for n in owned_group(device).iterfind("neighbor")] == ["10.0.1.11", "10.0.1.12"]
    assert device.pending_confirm is None

    proc, recap = run_playbook(inventory)
    assert proc.returncode == 0 and recap["tor1"]["changed"] == 0, proc.stdout[-3000:]
