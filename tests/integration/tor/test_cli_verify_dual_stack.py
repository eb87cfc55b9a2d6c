"""Dual stack on EOS and NX-OS: playbooks/tor.yml pushes the IPv4 and IPv6 node sessions to a fake
device (tests/fakes, real httpapi connection), then playbooks/verify.yml reads them back with
the tor stage's reader and reports each family.

Checked: each look at the router is one request holding both summaries (IPv4 and IPv6); the
report counts the sessions per family; an IPv6 session that is down fails the verify stage,
named with its family, while its IPv4 sibling stays up.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml

from testpaths import REPO, UPSTREAM_DIR

sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))

from eapi_server import EapiServer, FakeEos  # noqa: E402  pylint: disable=wrong-import-position
from nxapi_server import FakeNxos, NxapiServer  # noqa: E402  pylint: disable=wrong-import-position

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
NODES = {"n11": ("10.0.1.11", "fd00:1::11"), "n12": ("10.0.1.12", "fd00:1::12")}
SUMMARIES = {"eos": ["show ip bgp summary", "show ipv6 bgp summary"],
             "nxos": ["show ip bgp summary", "show bgp ipv6 unicast summary"]}
DEVICES = {
    "eos": (lambda: EapiServer(FakeEos("hostname tor1\nrouter bgp 65001\n   router-id 10.255.0.1\n!\n")), "arista.eos.eos"),
    "nxos": (lambda: NxapiServer(FakeNxos("hostname tor1\nrouter bgp 65001\n  router-id 10.255.0.1\n")), "cisco.nxos.nxos"),
}


@pytest.fixture(scope="module", params=sorted(DEVICES))
def device(request):
    factory, network_os = DEVICES[request.param]
    server = factory()
    server.platform, server.network_os = request.param, network_os
    try:
        yield server
    finally:
        server.close()


def write_inventory(tmp_path, device):
    data = {"all": {
        "vars": {"calico_cluster_name": "dual", "calico_version": "3.31.7", "calico_pod_cidr": "10.244.0.0/16",
                 "calico_pod_cidr_v6": "fd00:244::/48", "calico_encapsulation": "none",
                 "calico_bgp_mode": "tor", "calico_tor_design": "as_per_rack",
                 "calico_manifest_mirror": UPSTREAM_DIR, "calico_artifacts_dir": str(tmp_path / "artifacts"),
                 "calico_racks": {"r1": {"asn": 65001, "subnets": ["10.0.1.0/24", "fd00:1::/64"], "tor_routers": ["tor1"]}},
                 # No node side here: the router's answer decides each session.
                 "calico_verify_node_source": "none", "calico_verify_timeout": 4},
        "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
        "children": {
            "k8s_cluster": {"children": {"kube_control_plane": {"hosts": {"n11": None}},
                                         "kube_node": {"hosts": {"n12": None}}},
                            "hosts": {n: {"calico_node_ip": ip, "calico_node_ip6": ip6, "calico_rack": "r1"}
                                      for n, (ip, ip6) in NODES.items()}},
            "tor_routers": {"hosts": {"tor1": {
                "calico_tor_platform": device.platform, "calico_tor_asn": 65001, "calico_tor_router_id": "10.255.0.1",
                "calico_tor_peer_ip": "10.0.1.1", "calico_tor_peer_ip6": "fd00:1::1",
                "ansible_connection": "ansible.netcommon.httpapi", "ansible_network_os": device.network_os,
                "ansible_host": "127.0.0.1", "ansible_httpapi_port": device.port, "ansible_httpapi_use_ssl": False,
                "ansible_user": "admin", "ansible_password": "admin", "ansible_python_interpreter": sys.executable,
                "calico_tor_verify_timeout": 4, "calico_tor_verify_delay": 1}}},
        },
    }}
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def playbook(name, inventory):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    return subprocess.run([ANSIBLE_PLAYBOOK, "-i", inventory, os.path.join(REPO, "playbooks", name)],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=300, check=False)


def summary_requests(device):
    """The requests that asked for a BGP summary, as lists of commands."""
    requests = [r[1] if isinstance(r, tuple) else r for r in device.device.requests]
    return [[c.split("|")[0].strip() for c in r] for r in requests if any("bgp" in c and "summary" in c for c in r)]


def test_both_families_are_pushed_verified_and_reported(device, tmp_path):
    inventory = write_inventory(tmp_path, device)
    pushed = playbook("tor.yml", inventory)
    assert pushed.returncode == 0, pushed.stdout[-4000:]
    del device.device.requests[:]
    verified = playbook("verify.yml", inventory)
    assert verified.returncode == 0, verified.stdout[-4000:]
    # One request per look at the router, holding both summaries.
    assert summary_requests(device) == [SUMMARIES[device.platform]]
    report = (tmp_path / "artifacts" / "report.md").read_text()
    assert "**All 4 BGP sessions Established (2 IPv4, 2 IPv6).**" in report
    assert re.search(r"\| n12 \| tor1 \| IPv6 \| fd00:1::1 \| 65001 \| tor \| Established \| - \| Established \|", report), report


def test_an_ipv6_session_down_fails_verify_naming_its_family(device, tmp_path):
    inventory = write_inventory(tmp_path, device)
    assert playbook("tor.yml", inventory).returncode == 0
    device.device.peer_states["fd00:1::12"] = "Active"
    try:
        verified = playbook("verify.yml", inventory)
    finally:
        device.device.peer_states.clear()
    assert verified.returncode != 0, verified.stdout[-4000:]
    assert "BGP verification failed for nodes n12" in verified.stdout, verified.stdout[-5000:]
    report = (tmp_path / "artifacts" / "report.md").read_text()
    assert "n12 <-> tor1 IPv6 (fd00:1::1, AS 65001): tor1 reports Active" in report
    assert "1 of 4 BGP sessions NOT Established (0 IPv4, 1 IPv6; nodes: n12)" in report
