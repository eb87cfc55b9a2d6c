"""playbooks/verify.yml on a site that is not the lab: an EOS ToR that cannot be reached and no
node view. Before issue 13 such a verify passed without checking anything; now the sessions
nobody could check fail the stage, naming the nodes, unless calico_verify_allow_unverified."""

import os
import subprocess
import sys

import pytest
import yaml

from testpaths import REPO, UPSTREAM_DIR


def inventory(tmp_path):
    data = {"all": {
        "vars": {
            "calico_cluster_name": "eos-site", "calico_version": "3.31.7", "calico_datastore": "kubernetes",
            "calico_pod_cidr": "10.244.0.0/16", "calico_service_cidr": "10.96.0.0/12",
            "calico_encapsulation": "none", "calico_bgp_mode": "tor", "calico_tor_design": "as_per_rack",
            "calico_racks": {"r1": {"asn": 65001, "subnets": ["10.0.1.0/24"], "tor_routers": ["tor1"]}},
            "calico_manifest_mirror": UPSTREAM_DIR, "calico_artifacts_dir": str(tmp_path / "artifacts"),
            "calico_verify_node_source": "none", "calico_verify_timeout": 5,
        },
        "children": {
            "k8s_cluster": {"children": {"kube_control_plane": {"hosts": {
                "n1": {"calico_node_ip": "10.0.1.11", "calico_rack": "r1"},
                "n2": {"calico_node_ip": "10.0.1.12", "calico_rack": "r1"}}}}},
            "tor_routers": {"hosts": {"tor1": {
                "calico_rack": "r1", "calico_tor_platform": "eos", "calico_tor_asn": 65001,
                "calico_tor_router_id": "10.255.1.1", "calico_tor_peer_ip": "10.0.1.2",
                # Nothing listens there: the router cannot be asked.
                "ansible_connection": "ansible.netcommon.network_cli", "ansible_network_os": "arista.eos.eos",
                "ansible_host": "127.0.0.1", "ansible_port": 9, "ansible_user": "admin",
                "ansible_password": "not-a-secret", "ansible_connect_timeout": 5}}},
        },
    }}
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def verify(tmp_path, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    return subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory(tmp_path),
                           os.path.join(REPO, "playbooks", "verify.yml"), *extra],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=300)


@pytest.mark.parametrize("allow", [False, True])
def test_sessions_nobody_checked_fail_unless_accepted(tmp_path, allow):
    proc = verify(tmp_path, *(["-e", "calico_verify_allow_unverified=true"] if allow else []))
    output = proc.stdout + proc.stderr
    report = (tmp_path / "artifacts" / "report.md").read_text()
    assert "2 of 2 not verified" in report
    if allow:
        assert proc.returncode == 0, output[-3000:]
        assert "## Not verified (accepted by calico_verify_allow_unverified)" in report
        assert "- n1 <-> tor1 (10.0.1.2, AS 65001)" in report
    else:
        assert proc.returncode != 0, output[-3000:]
        assert "BGP verification failed for nodes n1, n2" in output
        assert "n1 <-> tor1 (10.0.1.2, AS 65001): nobody could check it" in report
