"""The verify stage's uplink check on EOS (rack pools), through the real httpapi connection
against the fake eAPI device (tests/fakes/eapi_server.py): the role's tor and report entry
points read the BGP summary, find the spine uplink (the neighbour that is not a node) and ask
what it is advertised; the report passes on the aggregate alone and fails naming a leaked block.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))

from eapi_server import EapiServer, FakeEos  # noqa: E402  pylint: disable=wrong-import-position

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
# The router before the collection: a spine uplink of the site's and the two node sessions.
RUNNING = """\
router bgp 65001
   router-id 10.255.0.1
   neighbor CALICO-NODES peer group
   neighbor CALICO-NODES remote-as 65001
   neighbor 10.0.1.11 peer group CALICO-NODES
   neighbor 10.0.1.12 peer group CALICO-NODES
   neighbor 172.31.0.1 remote-as 65100
   neighbor 172.31.0.1 description spine1
!
"""
AGGREGATE = "10.244.0.0/22"  # rack r1, index 0
PLAYBOOK = """\
- name: Plan
  ansible.builtin.import_playbook: {repo}/playbooks/plan.yml
- name: Router side
  hosts: tor_routers
  gather_facts: false
  tasks:
    - name: Read the router
      ansible.builtin.include_role: {{name: onprem.calico.calico_verify, tasks_from: tor}}
      vars: {{calico_plan: "{{{{ hostvars['localhost'].calico_plan }}}}", calico_verify_timeout: 4}}
- name: Report
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Decide
      ansible.builtin.include_role: {{name: onprem.calico.calico_verify, tasks_from: report}}
      vars: {{calico_verify_node_source: none}}
"""


@pytest.fixture(scope="module")
def device():
    server = EapiServer(FakeEos(RUNNING))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture()
def verify(device, tmp_path):
    nodes = {"n11": "10.0.1.11", "n12": "10.0.1.12"}
    data = {"all": {
        "vars": {"calico_cluster_name": "eapi", "calico_pod_cidr": "10.244.0.0/16", "calico_encapsulation": "none",
                 "calico_bgp_mode": "tor", "calico_tor_design": "as_per_rack", "calico_rack_pool_prefix_length": 22,
                 "calico_artifacts_dir": str(tmp_path / "artifacts"),
                 "calico_racks": {"r1": {"asn": 65001, "subnets": ["10.0.1.0/24"], "tor_routers": ["tor1"], "index": 0}}},
        "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
        "children": {
            "k8s_cluster": {"children": {"kube_control_plane": {"hosts": {"n11": None}}, "kube_node": {"hosts": {"n12": None}}},
                            "hosts": {n: {"calico_node_ip": ip, "calico_rack": "r1"} for n, ip in nodes.items()}},
            "tor_routers": {"hosts": {"tor1": {
                "calico_tor_platform": "eos", "calico_tor_asn": 65001, "calico_tor_router_id": "10.255.0.1",
                "calico_tor_peer_ip": "10.0.1.1",
                "ansible_connection": "ansible.netcommon.httpapi", "ansible_network_os": "arista.eos.eos",
                "ansible_host": "127.0.0.1", "ansible_httpapi_port": device.port, "ansible_httpapi_use_ssl": False,
                "ansible_user": "admin", "ansible_password": "admin", "ansible_python_interpreter": sys.executable}}},
        },
    }}
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump(data, sort_keys=False))
    playbook = tmp_path / "verify.yml"
    playbook.write_text(PLAYBOOK.format(repo=REPO))

    def run():
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
        proc = subprocess.run([ANSIBLE_PLAYBOOK, "-i", str(inventory), str(playbook)], capture_output=True, text=True,
                              cwd=REPO, env=env, timeout=300, check=False)
        report = tmp_path / "artifacts" / "report.md"
        return proc, report.read_text() if report.exists() else ""
    return run


def test_the_aggregate_alone_passes(device, verify):
    device.device.advertised = {"172.31.0.1": ["0.0.0.0/0", AGGREGATE]}
    proc, report = verify()
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "| tor1 | 172.31.0.1 | IPv4 | Established | %s | - | ok |" % AGGREGATE in report, report
    asked = {str(c).strip() for r in device.device.requests for c in r if "advertised-routes" in str(c)}
    # Only the uplink is asked, never a node session.
    assert asked == {"show ip bgp neighbors 172.31.0.1 advertised-routes"}, asked


def test_a_leaked_block_fails_naming_router_uplink_and_block(device, verify):
    device.device.advertised = {"172.31.0.1": [AGGREGATE, "10.244.0.64/26"]}
    proc, report = verify()
    assert proc.returncode != 0
    assert ("tor1: uplink 172.31.0.1: 1 more-specific prefix(es) of the rack aggregate advertised: 10.244.0.64/26 "
            "(the uplink export policy must call CALICO-TO-UPLINKS, docs/tor.md)") in proc.stdout, proc.stdout[-4000:]
    assert "| tor1 | 172.31.0.1 | IPv4 | Established | %s | 10.244.0.64/26 | " % AGGREGATE in report
