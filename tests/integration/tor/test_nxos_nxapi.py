"""playbooks/tor.yml against a fake Cisco NX-OS device over NX-API, through the real
``ansible.netcommon.httpapi`` connection and ``cisco.nxos`` httpapi plugin.

The device (tests/fakes/nxapi_server.py) holds a spine uplink, an older release's Calico
template and a retired node; it stores BGP passwords encrypted. Checked, with the exact
command sequences: a checkpoint before the change, only changed owned lines sent, the
checkpoint deleted after verification; a second run changes nothing; a failed verification
rolls back to the checkpoint; a checkpoint left by an interrupted push stops the next run
unless told to roll back.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))

from nxapi_server import FakeNxos, NxapiServer  # noqa: E402  pylint: disable=wrong-import-position

PASSWORD = "nxapi-bgp-s3cret"
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
RECAP_RE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
RUNNING = """hostname tor1
ip prefix-list SPINE-ANY seq 5 permit 0.0.0.0/0 le 32
ip prefix-list CALICO-NODE-PREFIXES-V4 seq 90 permit 10.0.0.0/8 le 32
route-map SPINE-POLICY permit 10
  match ip address prefix-list SPINE-ANY
router bgp 65101
  router-id 10.255.0.1
  address-family ipv4 unicast
    maximum-paths 4
  template peer CALICO-NODES
    description Calico nodes of rack r1
  neighbor 10.0.1.98
    inherit peer CALICO-NODES
    remote-as 65019
    description retired-node
  neighbor 172.31.0.1
    remote-as 65100
    description spine1
    address-family ipv4 unicast
      route-map SPINE-POLICY in
"""
FOREIGN = ["ip prefix-list SPINE-ANY seq 5 permit 0.0.0.0/0 le 32", "route-map SPINE-POLICY permit 10",
           "router-id 10.255.0.1", "maximum-paths 4", "neighbor 172.31.0.1", "route-map SPINE-POLICY in"]


@pytest.fixture(scope="module")
def device():
    server = NxapiServer(FakeNxos(RUNNING))
    try:
        yield server
    finally:
        server.close()


def write_inventory(tmp_path, port, tor_vars=None, **cluster):
    nodes = {"n11": ("10.0.1.11", 65011), "n12": ("10.0.1.12", 65012)}
    data = {"all": {
        "vars": {"calico_cluster_name": "nxapi", "calico_pod_cidr": "10.244.0.0/16", "calico_encapsulation": "none",
                 "calico_bgp_mode": "tor", "calico_tor_design": "as_per_node", "calico_bgp_password": PASSWORD,
                 "calico_artifacts_dir": str(tmp_path / "artifacts"),
                 "calico_racks": {"r1": {"subnets": ["10.0.1.0/24"], "tor_routers": ["tor1"]}},
                 **cluster},
        "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
        "children": {
            "k8s_cluster": {"children": {"kube_control_plane": {"hosts": {"n11": None}},
                                         "kube_node": {"hosts": {"n12": None}}},
                            "hosts": {n: {"calico_node_ip": ip, "calico_node_asn": asn, "calico_rack": "r1"}
                                      for n, (ip, asn) in nodes.items()}},
            "tor_routers": {"hosts": {"tor1": {
                "calico_tor_platform": "nxos", "calico_tor_asn": 65101, "calico_tor_router_id": "10.255.0.1",
                "calico_tor_peer_ip": "10.0.1.1",
                "ansible_connection": "ansible.netcommon.httpapi", "ansible_network_os": "cisco.nxos.nxos",
                "ansible_host": "127.0.0.1", "ansible_httpapi_port": port, "ansible_httpapi_use_ssl": False,
                "ansible_user": "admin", "ansible_password": "admin", "ansible_python_interpreter": sys.executable,
                "calico_tor_verify_timeout": 4, "calico_tor_verify_delay": 1, **(tor_vars or {})}}},
        },
    }}
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def run_playbook(inventory, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "-i", inventory, os.path.join(REPO, "playbooks", "tor.yml"), *args],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=300, check=False)
    assert PASSWORD not in proc.stdout + proc.stderr
    recap = {m.group(1): {"changed": int(m.group(3)), "failed": int(m.group(5))} for m in RECAP_RE.finditer(proc.stdout)}
    return proc, recap


def changing_requests(device, start=0):
    """(type, commands) of every request that could change the router, from ``start`` on."""
    return [(kind, cmds) for kind, cmds in device.device.requests[start:]
            if kind == "cli_conf" or any(not c.startswith("show ") for c in cmds)]


def running(device):
    return device.device.show("show running-config")


def test_push_takes_a_checkpoint_sends_the_difference_and_deletes_it(device, tmp_path):
    proc, recap = run_playbook(write_inventory(tmp_path, device.port))
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert recap["tor1"]["changed"] >= 1 and recap["tor1"]["failed"] == 0
    sequence = changing_requests(device)
    assert [kind for kind, _cmds in sequence] == ["cli_show_ascii", "cli_conf", "cli_show_ascii"]
    checkpoint = sequence[0][1]
    assert len(checkpoint) == 1 and checkpoint[0].startswith("checkpoint onprem-calico-")
    assert sequence[2][1] == ["no " + checkpoint[0]]
    sent = sequence[1][1]
    assert "no ip prefix-list CALICO-NODE-PREFIXES-V4 seq 90 permit 10.0.0.0/8 le 32" in sent
    assert "no neighbor 10.0.1.98" in sent and "bestpath as-path multipath-relax" in sent
    for line in FOREIGN:
        assert line not in sent
    text = running(device)
    assert "10.0.1.98" not in text and "  neighbor 10.0.1.12" in text and "    password 3 " in text
    for line in FOREIGN:
        assert line in text
    assert not device.device.checkpoints


def test_second_run_changes_nothing(device, tmp_path):
    start = len(device.device.requests)
    proc, recap = run_playbook(write_inventory(tmp_path, device.port))
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert recap["tor1"]["changed"] == 0, proc.stdout[-3000:]
    assert changing_requests(device, start) == []


def test_failed_verification_rolls_back_to_the_checkpoint(device, tmp_path):
    before = running(device)
    start = len(device.device.requests)
    device.device.peer_states["10.0.1.12"] = "Active"
    try:
        proc, recap = run_playbook(write_inventory(tmp_path, device.port, calico_tor_maximum_prefix=5000))
    finally:
        device.device.peer_states.clear()
    assert proc.returncode != 0 and recap["tor1"]["failed"] == 1
    assert "n12 (10.0.1.12, AS 65012): session is Active" in proc.stdout
    assert "restored from checkpoint onprem-calico-" in proc.stdout, proc.stdout[-3000:]
    rollback, delete = (cmds for _kind, cmds in changing_requests(device, start)[-2:])
    assert rollback[0].startswith("rollback running-config checkpoint onprem-calico-")
    assert delete == ["no checkpoint " + rollback[0].split()[-1]]
    assert running(device) == before and not device.device.checkpoints


def test_leftover_checkpoint_stops_the_run_until_told(device, tmp_path):
    device.device.exec_command("checkpoint onprem-calico-20261129T000000")
    proc, recap = run_playbook(write_inventory(tmp_path, device.port, calico_tor_maximum_prefix=5000))
    assert proc.returncode != 0 and recap["tor1"]["failed"] == 1
    assert "checkpoint onprem-calico-20261129T000000 from an earlier push is still on" in proc.stdout
    assert "calico_tor_nxos_leftover_checkpoint=rollback" in proc.stdout
    proc, recap = run_playbook(write_inventory(tmp_path, device.port, {"calico_tor_nxos_leftover_checkpoint": "rollback"},
                                               calico_tor_maximum_prefix=5000))
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert not device.device.checkpoints and "maximum-prefix 5000" in running(device)
