"""lab/lab.py reads the lab's containers and networks from inventory/lab (its only copy)."""

import importlib.util
import ipaddress
import os

import pytest

from testpaths import REPO


@pytest.fixture(scope="module")
def lab_module():
    spec = importlib.util.spec_from_file_location("lab_lifecycle", os.path.join(REPO, "lab", "lab.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def topology(lab_module):
    return lab_module.load_topology([os.path.join(REPO, "inventory", "lab")])


def test_two_racks_three_nodes_each_the_tors_and_the_spine(topology):
    names = sorted(c["host"] for c in topology["containers"])
    assert names == ["r1-cp", "r1-w1", "r1-w2", "r2-cp", "r2-w1", "r2-w2", "spine", "tor1a", "tor1b", "tor2a"]
    assert sorted(topology["networks"]) == ["calico-lab-fabric", "calico-lab-l2", "calico-lab-r1", "calico-lab-r2"]


def test_every_address_is_in_its_network_and_unique(topology):
    seen = set()
    for container in topology["containers"]:
        for network, *addresses in container["networks"]:
            for address in filter(None, addresses):
                nets = [ipaddress.ip_network(n) for n in topology["networks"][network]]
                assert any(ipaddress.ip_address(address) in n for n in nets), container
                assert address not in seen
                seen.add(address)


def test_routers_get_the_fabric_and_forwarding_nodes_do_not(topology):
    by_host = {c["host"]: c for c in topology["containers"]}
    assert by_host["tor1b"]["networks"] == [("calico-lab-r1", "10.77.1.3", "fd00:77:1::3"),
                                            ("calico-lab-fabric", "10.77.0.12", "fd00:77::12")]
    assert by_host["tor1b"]["image"] == "localhost/calico-lab-tor:latest"
    assert "net.ipv4.ip_forward=1" in by_host["tor1b"]["sysctls"]
    # The spine is an FRR router on the fabric only; it carries the traffic between the racks,
    # IPv4 and IPv6 (the dual_stack design).
    assert by_host["spine"]["networks"] == [("calico-lab-fabric", "10.77.0.1", "fd00:77::1")]
    assert by_host["spine"]["image"] == "localhost/calico-lab-tor:latest" and by_host["spine"]["sysctls"]
    # Nodes sit on their rack and on the l2 network (full mesh / reflector designs); they get
    # their sysctls from the calico_host role, as real nodes would.
    assert by_host["r2-w1"]["networks"] == [("calico-lab-r2", "10.77.2.12", "fd00:77:2::12"),
                                            ("calico-lab-l2", "10.77.10.22", None)]
    assert by_host["r2-w1"]["sysctls"] == []
    assert by_host["r2-w1"]["name"] == "calico-lab-r2-w1"


def test_network_missing_from_lab_networks_is_an_error(lab_module, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  vars:\n    lab_networks: {calico-lab-r1: [10.77.1.0/24], calico-lab-l2: [10.77.10.0/24]}\n"
        "    lab_container_prefix: x-\n    lab_fabric_network: calico-lab-fabric\n    lab_l2_network: calico-lab-l2\n"
        "  children:\n"
        "    k8s_cluster:\n      hosts:\n        n1: {lab_network: calico-lab-r9, lab_rack_ip: 10.77.9.11, lab_l2_ip: 10.77.10.11}\n"
        "    tor_routers:\n      hosts:\n        t1: {lab_network: calico-lab-r1, calico_tor_peer_ip: 10.77.1.2, lab_fabric_ip: 10.77.0.2}\n")
    with pytest.raises(lab_module.LabError, match="n1: network calico-lab-r9 is not in lab_networks"):
        lab_module.load_topology([str(inventory)])


def test_the_scale_out_source_adds_one_node_to_rack_r2(lab_module, topology):
    """inventory/lab-scale-out/node.yml beside inventory/lab: one container more, on rack r2's
    network and the l2 network, with the rack's group variables (tests/e2e/test_lab_scale_out.py)."""
    grown = lab_module.load_topology([os.path.join(REPO, "inventory", "lab"),
                                      os.path.join(REPO, "inventory", "lab-scale-out", "node.yml")])
    assert grown["networks"] == topology["networks"]
    added = [c for c in grown["containers"] if c not in topology["containers"]]
    assert added == [{"host": "r2-w3", "name": "calico-lab-r2-w3", "image": "localhost/calico-lab-node:latest",
                      "networks": [("calico-lab-r2", "10.77.2.14", "fd00:77:2::14"), ("calico-lab-l2", "10.77.10.24", None)],
                      "sysctls": []}]
