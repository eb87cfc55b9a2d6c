"""playbooks/tor.yml against a fake Arista EOS device over eAPI, through the real
``ansible.netcommon.httpapi`` connection and ``arista.eos`` httpapi plugin.

The device (tests/fakes/eapi_server.py) keeps a running configuration with a spine uplink,
an older release's Calico objects and a retired node; it stores BGP passwords encrypted.
Checked: only changed owned lines are sent, in a configuration session committed with a
timer and confirmed after verification; the retired node goes, the uplink stays; a second
run changes nothing; check mode sends no configuration and shows passwords as <redacted>;
a failed verification aborts the session and leaves the router as it was.
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

from eapi_server import EapiServer, FakeEos  # noqa: E402  pylint: disable=wrong-import-position

PASSWORD = "eapi-bgp-s3cret"
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
RECAP_RE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
RUNNING = """hostname tor1
ip prefix-list SPINE-ANY
   seq 10 permit 0.0.0.0/0 le 32
!
ip prefix-list CALICO-OLD-LIST
   seq 10 permit 10.0.0.0/8
!
route-map SPINE-POLICY permit 10
   match ip address prefix-list SPINE-ANY
!
router bgp 65001
   router-id 10.255.0.1
   maximum-paths 4 ecmp 4
   neighbor CALICO-NODES peer group
   neighbor CALICO-NODES remote-as 65001
   neighbor CALICO-NODES next-hop-self
   neighbor 10.0.1.99 peer group CALICO-NODES
   neighbor 10.0.1.99 description retired-node
   neighbor 172.31.0.1 remote-as 65100
   neighbor 172.31.0.1 description spine1
   neighbor 172.31.0.1 route-map SPINE-POLICY in
!
"""
FOREIGN = ["ip prefix-list SPINE-ANY", "route-map SPINE-POLICY permit 10", "router-id 10.255.0.1",
           "maximum-paths 4 ecmp 4", "neighbor 172.31.0.1 remote-as 65100", "neighbor 172.31.0.1 route-map SPINE-POLICY in"]


@pytest.fixture(scope="module")
def device():
    server = EapiServer(FakeEos(RUNNING))
    try:
        yield server
    finally:
        server.close()


def write_inventory(tmp_path, port, **cluster):
    nodes = {"n11": "10.0.1.11", "n12": "10.0.1.12"}
    data = {"all": {
        "vars": {"calico_cluster_name": "eapi", "calico_pod_cidr": "10.244.0.0/16", "calico_encapsulation": "none",
                 "calico_bgp_mode": "tor", "calico_tor_design": "as_per_rack", "calico_bgp_password": PASSWORD,
                 "calico_artifacts_dir": str(tmp_path / "artifacts"),
                 "calico_racks": {"r1": {"asn": 65001, "subnets": ["10.0.1.0/24"], "tor_routers": ["tor1"]}},
                 **cluster},
        "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
        "children": {
            "k8s_cluster": {"children": {"kube_control_plane": {"hosts": {"n11": None}},
                                         "kube_node": {"hosts": {"n12": None}}},
                            "hosts": {n: {"calico_node_ip": ip, "calico_rack": "r1"} for n, ip in nodes.items()}},
            "tor_routers": {"hosts": {"tor1": {
                "calico_tor_platform": "eos", "calico_tor_asn": 65001, "calico_tor_router_id": "10.255.0.1",
                "calico_tor_peer_ip": "10.0.1.1",
                "ansible_connection": "ansible.netcommon.httpapi", "ansible_network_os": "arista.eos.eos",
                "ansible_host": "127.0.0.1", "ansible_httpapi_port": port, "ansible_httpapi_use_ssl": False,
                "ansible_user": "admin", "ansible_password": "admin", "ansible_python_interpreter": sys.executable,
                "calico_tor_verify_timeout": 4, "calico_tor_verify_delay": 1}}},
        },
    }}
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def run_playbook(inventory, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "-i", inventory, os.path.join(REPO, "playbooks", "tor.yml"), *args],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert PASSWORD not in out
    recap = {m.group(1): {"changed": int(m.group(3)), "failed": int(m.group(5))} for m in RECAP_RE.finditer(proc.stdout)}
    return proc, recap


def config_requests(device):
    return [r for r in device.device.requests if any(c.startswith("configure session") for c in r)]


def running(device):
    return device.device.show("show running-config", "text")["output"]


def test_check_mode_sends_no_configuration_and_redacts(device, tmp_path):
    proc, recap = run_playbook(write_inventory(tmp_path, device.port), "--check", "--diff")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert recap["tor1"]["changed"] >= 1
    assert config_requests(device) == []
    assert "neighbor CALICO-NODES password <redacted>" in proc.stdout
    assert "neighbor 10.0.1.99" in proc.stdout  # the retired node's removal is shown
    assert "maximum-paths is 4 but the plan expects 8 paths" in proc.stdout  # a finding, never a change


def test_push_sends_only_owned_changes_in_a_confirmed_session(device, tmp_path):
    proc, recap = run_playbook(write_inventory(tmp_path, device.port))
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert recap["tor1"]["changed"] >= 1 and recap["tor1"]["failed"] == 0
    sessions = config_requests(device)
    commit, confirm = sessions[0], sessions[1]
    assert commit[0].startswith("configure session onprem-calico-") and commit[-1] == "commit timer 00:05:00"
    assert confirm == [commit[0], "commit"]
    sent = "\n".join(commit)
    assert "no neighbor 10.0.1.99" in sent and "no neighbor CALICO-NODES next-hop-self" in sent
    assert "no ip prefix-list CALICO-OLD-LIST" in sent
    assert "neighbor CALICO-NODES remote-as 65001" not in sent  # unchanged: not sent
    for line in FOREIGN:
        assert line not in sent
    text = running(device)
    assert "10.0.1.99" not in text and "CALICO-OLD-LIST" not in text
    assert "   neighbor 10.0.1.12 peer group CALICO-NODES" in text
    assert "   neighbor CALICO-NODES password 7 " in text
    for line in FOREIGN:
        assert line in text
    assert not device.device.pending  # confirmed


def test_second_run_changes_nothing(device, tmp_path):
    before = len(config_requests(device))
    proc, recap = run_playbook(write_inventory(tmp_path, device.port))
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert recap["tor1"]["changed"] == 0, proc.stdout[-3000:]
    assert len(config_requests(device)) == before


def test_failed_verification_aborts_the_session(device, tmp_path):
    before = running(device)
    device.device.peer_states["10.0.1.12"] = "Active"
    try:
        proc, recap = run_playbook(write_inventory(tmp_path, device.port, calico_tor_maximum_prefix=5000))
    finally:
        device.device.peer_states.clear()
    assert proc.returncode != 0 and recap["tor1"]["failed"] == 1
    assert "n12 (10.0.1.12, AS 65001): session is Active" in proc.stdout
    assert "previous configuration was restored" in proc.stdout, proc.stdout[-3000:]
    last = config_requests(device)[-1]
    assert last[1] == "abort"
    assert running(device) == before
