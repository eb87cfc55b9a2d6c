"""Interrupted ToR pushes on real FRR (network namespaces, tests/integration/tor/lab.py): a fault
injected after the backup and in the middle of the apply leaves the router as it was (the
second by rolling back), the rerun converges and the run after changes nothing."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

from testpaths import REPO

sys.path.insert(0, os.path.join(REPO, "tests", "integration", "tor"))

from lab import TorLab, build_lab_plan  # noqa: E402

from ansible_collections.onprem.calico.plugins.module_utils.fault_injection import ENVIRONMENT  # noqa: E402
from ansible_collections.onprem.calico.plugins.modules import frr_bgp_verify, frr_tor_config  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils import tor as tor_renderer  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext  # noqa: E402

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("bird") or not os.path.exists("/usr/lib/frr/bgpd"),
    reason="needs root, FRR and BIRD (make apt)",
)

TOR = "tor1a"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("faultlab")
    plan = build_lab_plan(str(workdir))
    tor_lab = TorLab(plan, tag="flt")
    try:
        tor_lab.start()
        tor_lab.artifacts = {a.path: a.content for a in tor_renderer.render(plan, RenderContext())}
        yield tor_lab
    finally:
        tor_lab.close()


def push(lab):
    backups = os.path.join(lab.lab.rundir(TOR), "backups")
    params = {"state": "merged", "config": lab.artifacts["tor/%s.conf" % TOR],
              "object_prefix": lab.plan["tor_routers"][TOR]["object_prefix"], "restore_from": None,
              "backup_dir": backups, "keep_backups": 5, "config_file": os.path.join(lab.lab.rundir(TOR), "saved-frr.conf"),
              "vtysh": "vtysh", "vty_socket": lab.lab.vty_socket(TOR), "frr_reload": "/usr/lib/frr/frr-reload.py"}
    return frr_tor_config.run_module(params, lab.runner(TOR), check_mode=False), backups


def running(lab):
    return lab.lab.vtysh(TOR, "show running-config")


def test_fault_after_backup_changes_nothing(lab, monkeypatch):
    before = running(lab)
    monkeypatch.setenv(ENVIRONMENT, "tor_frr_after_backup")
    with pytest.raises(frr_tor_config.FrrConfigError, match="fault injected at tor_frr_after_backup"):
        push(lab)
    assert running(lab) == before
    backups = os.path.join(lab.lab.rundir(TOR), "backups")
    (saved,) = os.listdir(backups)  # the backup of the untouched configuration is kept
    assert oct(os.stat(os.path.join(backups, saved)).st_mode & 0o777) == "0o600"


def test_fault_mid_apply_rolls_back_to_the_backup(lab, monkeypatch):
    before = running(lab)
    monkeypatch.setenv(ENVIRONMENT, "tor_frr_mid_apply")
    with pytest.raises(frr_tor_config.FrrConfigError, match="fault injected at tor_frr_mid_apply.*the previous configuration from .* was restored"):
        push(lab)
    assert "CALICO-" not in running(lab)  # nothing of the half-applied push is left
    assert running(lab) == before


def test_rerun_converges_and_the_run_after_changes_nothing(lab, monkeypatch):
    monkeypatch.delenv(ENVIRONMENT, raising=False)
    result, _backups = push(lab)
    assert result["changed"] is True
    params = {"neighbors": lab.plan["tor_routers"][TOR]["neighbors"], "timeout": 60, "interval": 1,
              "vtysh": "vtysh", "vty_socket": lab.lab.vty_socket(TOR)}
    ok, verified = frr_bgp_verify.run_module(params, lab.runner(TOR))
    assert ok, verified["problems"]
    again, _backups = push(lab)
    assert again["changed"] is False
