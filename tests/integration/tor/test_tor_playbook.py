"""playbooks/tor.yml against real FRR ToRs in namespaces: the role's own push, verify, rollback.

Ansible reaches each ToR with the local connection and a Python interpreter wrapped in
``ip netns exec``, so the modules run inside the router's namespace exactly as on a router.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from lab import REPO, RACKS, TorLab, bird_config, build_lab_plan, inventory

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("bird") or not os.path.exists("/usr/lib/frr/bgpd"),
    reason="needs root, FRR and BIRD (make apt)",
)

# Calico and the ToRs share it; it must never show in any playbook output.
PASSWORD = "lab-bgp-s3cret"
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
RECAP_RE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("torplay")
    plan = build_lab_plan(str(workdir), cluster_vars={"calico_bgp_password": PASSWORD})
    assert plan["tor_routers"]["tor1a"]["password_enabled"] is True
    tor_lab = TorLab(plan, tag="tpb", password=PASSWORD)
    try:
        tor_lab.start()
        tor_lab.workdir = str(workdir)
        yield tor_lab
    finally:
        tor_lab.close()


def write_inventory(lab, tor_overrides=None, cluster_overrides=None):
    """The lab inventory plus how Ansible reaches each namespaced ToR."""
    extra = {}
    for tor in lab.tors():
        wrapper = os.path.join(lab.lab.root, f"python-{tor}")
        with open(wrapper, "w", encoding="utf-8") as handle:
            handle.write(f"#!/bin/sh\nexec ip netns exec {lab.lab.ns(tor)} /usr/bin/python3 \"$@\"\n")
        os.chmod(wrapper, 0o755)
        extra[tor] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": wrapper,
            "calico_tor_frr_vty_socket": lab.lab.vty_socket(tor),
            "calico_tor_frr_config_file": os.path.join(lab.lab.rundir(tor), "saved-frr.conf"),
            "calico_tor_frr_backup_dir": os.path.join(lab.lab.rundir(tor), "backups"),
            "calico_tor_verify_timeout": 20,
            **(tor_overrides or {}).get(tor, {}),
        }
    data = inventory(extra, {"calico_bgp_password": PASSWORD})
    data["all"]["vars"]["calico_artifacts_dir"] = os.path.join(lab.workdir, "artifacts")
    data["all"]["vars"].update(cluster_overrides or {})
    data["all"]["hosts"] = {"localhost": {"ansible_connection": "local",
                                          "ansible_python_interpreter": sys.executable}}
    path = os.path.join(lab.workdir, "hosts.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, sort_keys=False)
    return path


def run_playbook(inventory_path, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "-i", inventory_path, os.path.join(REPO, "playbooks", "tor.yml"),
                           *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=240, check=False)
    assert PASSWORD not in proc.stdout + proc.stderr
    recap = {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)), "failed": int(m.group(5))}
             for m in RECAP_RE.finditer(proc.stdout)}
    return proc, recap


def test_playbook_pushes_verifies_and_is_idempotent(lab):
    inv = write_inventory(lab)
    before = {tor: lab.lab.vtysh(tor, "show running-config") for tor in lab.tors()}
    proc, recap = run_playbook(inv)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    for tor in lab.tors():
        assert recap[tor]["changed"] >= 1 and recap[tor]["failed"] == 0
        running = lab.lab.vtysh(tor, "show running-config")
        assert "neighbor CALICO-NODES peer-group" in running and running != before[tor]
        saved = os.path.join(lab.lab.rundir(tor), "saved-frr.conf")
        assert oct(os.stat(saved).st_mode & 0o777) == "0o600"
        saved_text = open(saved, encoding="utf-8").read()
        assert "neighbor CALICO-NODES peer-group" in saved_text
        assert f"neighbor CALICO-NODES password {PASSWORD}" in saved_text  # TCP MD5 with the nodes
        backups = os.listdir(os.path.join(lab.lab.rundir(tor), "backups"))
        assert backups and all(
            oct(os.stat(os.path.join(lab.lab.rundir(tor), "backups", b)).st_mode & 0o777) == "0o600" for b in backups)
    proc, recap = run_playbook(inv)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert all(recap[tor]["changed"] == 0 for tor in lab.tors()), recap


def test_check_mode_shows_diff_and_changes_nothing(lab):
    inv = write_inventory(lab, cluster_overrides={"calico_tor_maximum_prefix": 5000})
    before = lab.lab.vtysh("tor2a", "show running-config")
    proc, recap = run_playbook(inv, "--check", "--diff", "--limit", "localhost,tor2a")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert recap["tor2a"]["changed"] == 1
    assert "+  neighbor CALICO-NODES maximum-prefix 5000" in proc.stdout
    assert lab.lab.vtysh("tor2a", "show running-config") == before


def test_failed_verification_rolls_back_and_spares_spine(lab):
    # r2n02 comes up with a wrong AS; a push to tor2a that changes something must be undone.
    lab.lab.reconfigure_bird("r2n02", bird_config(lab.plan, "r2n02", lab.blocks["r2n02"], asn_override=65099,
                                                  password=PASSWORD))
    inv = write_inventory(lab, {"tor2a": {"calico_tor_verify_timeout": 8}},
                          cluster_overrides={"calico_tor_maximum_prefix": 5000})
    before = lab.lab.vtysh("tor2a", "show running-config")
    assert "maximum-prefix 12000" in before and "spine uplink to rack1" in before
    proc, recap = run_playbook(inv, "--limit", "localhost,tor2a")
    assert proc.returncode != 0
    assert recap["tor2a"]["failed"] == 1
    assert "r2n02 (10.0.2.12, AS 65002)" in proc.stdout, proc.stdout[-3000:]
    assert "previous configuration restored" in proc.stdout
    after = lab.lab.vtysh("tor2a", "show running-config")
    assert after == before  # rolled back: owned objects as before, spine uplinks untouched
    summary = lab.lab.vtysh_json("tor2a", "show bgp summary json")["ipv4Unicast"]["peers"]
    assert {ip: p["state"] for ip, p in summary.items() if ip.startswith("172.31.")} == {
        "172.31.0.0": "Established", "172.31.0.2": "Established"}
    assert RACKS["rack2"]["tors"]["tor2a"] == "10.0.2.2"
