"""playbooks/retire_node.yml and playbooks/uninstall.yml (their ToR plays) against real FRR ToRs in
namespaces, after tor.yml configured them.

Retire: the retired node's neighbour leaves its rack's routers, the other rack's router reports
no change, the remaining sessions are verified by the push. Uninstall: refused without the
confirmation, shown in check mode without a change, then every Calico object gone with the spine
uplinks up, and a second run changes nothing."""

from __future__ import annotations

import os
import subprocess

import pytest

from lab import REPO, TorLab, build_lab_plan
from testpaths import UPSTREAM_DIR
from test_tor_playbook import ANSIBLE_PLAYBOOK, PASSWORD, RECAP_RE, write_inventory

# These ToRs have no cluster behind them: no API server, so the cluster lock both playbooks take
# (as site.yml does) is the file beside the artifacts, as in the podman lab's inventory.
NO_API = {"calico_manifest_skip_api": True, "calico_bgp_skip_api": True}

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists("/usr/lib/frr/bgpd"), reason="needs root, FRR and BIRD (make apt)")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("unplay")
    plan = build_lab_plan(str(workdir), cluster_vars={"calico_bgp_password": PASSWORD})
    tor_lab = TorLab(plan, tag="upb", password=PASSWORD)
    try:
        tor_lab.start()
        tor_lab.workdir = str(workdir)
        yield tor_lab
    finally:
        tor_lab.close()


def play(inventory_path, playbook, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "-i", inventory_path, os.path.join(REPO, "playbooks", playbook), *args],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=300, check=False)
    assert PASSWORD not in proc.stdout + proc.stderr
    recap = {m.group(1): {"changed": int(m.group(3)), "failed": int(m.group(5))} for m in RECAP_RE.finditer(proc.stdout)}
    return proc, recap


def test_retire_removes_the_node_from_its_rack_routers_only(lab):
    inventory_path = write_inventory(lab, cluster_overrides=NO_API)
    proc = play(inventory_path, "tor.yml")[0]
    assert proc.returncode == 0, proc.stdout[-3000:]
    # The BGP stage's checks run with any tag; they read the release's CRD schemas.
    retire = ("-e", '{"calico_retire": ["r1n02"]}', "-e", "calico_bgp_upstream_dir=" + UPSTREAM_DIR, "--tags", "tor")
    proc, recap = play(inventory_path, "retire_node.yml", *retire)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert recap["tor1a"]["changed"] > 0 and recap["tor1b"]["changed"] > 0 and recap["tor2a"]["changed"] == 0, recap
    retired_ip = lab.plan["nodes"]["r1n02"]["ip"]
    for tor in ("tor1a", "tor1b"):
        assert "neighbor %s " % retired_ip not in lab.lab.vtysh(tor, "show running-config")
        assert "neighbor %s " % lab.plan["nodes"]["r1n01"]["ip"] in lab.lab.vtysh(tor, "show running-config")
    proc, recap = play(inventory_path, "retire_node.yml", *retire)
    assert proc.returncode == 0 and all(r["changed"] == 0 for r in recap.values()), recap


def test_uninstall_takes_calico_off_the_routers(lab):
    inventory_path = write_inventory(lab, cluster_overrides=NO_API)
    proc = play(inventory_path, "tor.yml")[0]
    assert proc.returncode == 0, proc.stdout[-3000:]
    configured = {tor: lab.lab.vtysh(tor, "show running-config") for tor in lab.tors()}
    assert all("CALICO-" in text for text in configured.values())

    proc = play(inventory_path, "uninstall.yml", "--tags", "tor")[0]
    assert proc.returncode != 0 and "calico_uninstall_confirm=yes" in proc.stdout
    assert {tor: lab.lab.vtysh(tor, "show running-config") for tor in lab.tors()} == configured

    proc, recap = play(inventory_path, "uninstall.yml", "--tags", "tor", "-e", "calico_uninstall_confirm=yes",
                       "--check", "--diff")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert all(recap[tor]["changed"] > 0 for tor in lab.tors()), recap
    assert {tor: lab.lab.vtysh(tor, "show running-config") for tor in lab.tors()} == configured

    proc, recap = play(inventory_path, "uninstall.yml", "--tags", "tor", "-e", "calico_uninstall_confirm=yes")
    assert proc.returncode == 0, proc.stdout[-3000:]
    for tor in lab.tors():
        running = lab.lab.vtysh(tor, "show running-config")
        assert "CALICO-" not in running and "neighbor 10.0." not in running
        lab.lab.wait_for(lambda tor=tor: {p["state"] for ip, p in lab.lab.vtysh_json(
            tor, "show bgp summary json")["ipv4Unicast"]["peers"].items() if ip.startswith("172.31.")} == {"Established"},
            timeout=30, what="%s spine uplinks" % tor)

    proc, recap = play(inventory_path, "uninstall.yml", "--tags", "tor", "-e", "calico_uninstall_confirm=yes")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert all(recap[tor]["changed"] == 0 for tor in lab.tors()), recap
