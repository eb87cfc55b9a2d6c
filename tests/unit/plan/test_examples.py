"""The example inventories, loaded with Ansible's inventory loader, produce the plans they promise."""

import ipaddress
import json
import os
import subprocess
import sys

import pytest

from inventory_loader import load_example_inventory, load_inventory
from testpaths import UPSTREAM_DIR

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def test_every_example_passes_preflight(each_example, example_plan):
    plan = example_plan(each_example)
    assert plan["schema_version"] == 1
    json.dumps(plan)  # JSON-serialisable as written to plan.json
    assert plan["cluster"]["node_count"] == len(plan["nodes"])


def test_kdd_small(example_plan):
    plan = example_plan("kdd-small")
    assert plan["cluster"]["node_count"] == 12
    assert plan["manifest"]["variant"] == "calico.yaml"
    assert plan["bgp"]["mode"] == "full_mesh" and plan["bgp"]["node_to_node_mesh"] is True
    assert [p["ipip_mode"] for p in plan["ip_pools"]] == ["Always"]
    assert plan["ip_pools"][0]["name"] == "default-ipv4-ippool" and plan["ip_pools"][0]["cidr"] == "10.244.0.0/16"
    assert plan["manifest"]["ip_autodetection_method"] == "cidr=10.20.0.0/24"
    rules = {r["name"]: r for r in plan["host_preparation"]["firewall_rules"]}
    assert set(rules) == {"calico-bgp", "calico-ipip"}
    assert rules["calico-ipip"]["protocol"] == "ipip" and rules["calico-bgp"]["sources"] == ["10.20.0.0/24"]
    assert "ipip" in [m["name"] for m in plan["host_preparation"]["kernel_modules"]]


def test_kdd_typha(example_plan):
    plan = example_plan("kdd-typha")
    assert plan["cluster"]["node_count"] == 120
    assert plan["manifest"]["variant"] == "calico-typha.yaml"
    assert plan["manifest"]["typha"]["replicas"] == 3  # production floor
    assert plan["bgp"]["route_reflectors"] == ["node004", "node005"]
    assert plan["nodes"]["node120"]["ip"] == "10.30.1.30"
    assert {p["name"] for p in plan["nodes"]["node050"]["peers"]} == {"node004", "node005"}
    assert "calico-typha" in [r["name"] for r in plan["host_preparation"]["firewall_rules"]]


def test_etcd(example_plan):
    plan = example_plan("etcd")
    etcd = plan["manifest"]["etcd"]
    assert plan["manifest"]["variant"] == "calico-etcd.yaml"
    assert etcd["tls"] is True and len(etcd["endpoints"]) == 3
    assert all(os.path.isabs(etcd[k]) and os.path.isfile(etcd[k]) for k in ("ca_file", "cert_file", "key_file"))
    assert "BEGIN" not in json.dumps(plan)  # file contents never enter the plan
    assert plan["ip_pools"][0]["vxlan_mode"] == "CrossSubnet"


def test_tor_as_per_rack(example_plan):
    plan = example_plan("tor-as-per-rack")
    assert len(plan["racks"]) == 4 and len(plan["tor_routers"]) == 8
    assert plan["bgp"]["node_to_node_mesh"] is False
    for rack in plan["racks"].values():
        assert len(rack["nodes"]) == 8 and len(rack["tor_routers"]) == 2
        for n in rack["nodes"]:
            node = plan["nodes"][n]
            assert node["asn"] == rack["asn"] and node["asn_source"] == "rack"
            assert [p["name"] for p in node["peers"]] == rack["tor_routers"]
            assert ipaddress.ip_address(node["ip"]) in ipaddress.ip_network(rack["subnets"][0])
    tor = plan["tor_routers"]["tor3b"]
    assert tor["asn"] == 65003 and tor["session_type"] == "ibgp" and tor["route_reflector_client"] and tor["next_hop_self"]
    assert [n["node"] for n in tor["neighbors"]] == ["r3n%02d" % i for i in range(1, 9)]
    assert tor["accept_prefixes"][0] == {"prefix": "10.244.0.0/16", "ge": 26, "le": 32, "family": 4}
    assert tor["accept_prefixes"][1]["prefix"] == "10.96.0.0/12"
    assert plan["ip_pools"][0]["ipip_mode"] == "Never" and plan["ip_pools"][0]["vxlan_mode"] == "Never"


def test_cluster_variable_set_on_one_host_is_a_conflict(tmp_path):
    src = tmp_path / "inv.yml"
    src.write_text(
        "all:\n  vars:\n    calico_pod_cidr: 10.244.0.0/16\n  children:\n    k8s_cluster:\n      hosts:\n"
        "        a: {ansible_host: 10.0.0.1}\n        b: {ansible_host: 10.0.0.2, calico_pod_cidr: 10.245.0.0/16}\n"
    )
    errs = [str(e) for e in build_plan(load_inventory(str(src))).errors]
    assert errs == [e for e in errs if e.startswith("b:")] and "calico_pod_cidr" in errs[0]


def test_cluster_variables_in_node_group_are_accepted(tmp_path):
    src = tmp_path / "inv.yml"
    src.write_text(
        "all:\n  children:\n    k8s_cluster:\n      vars:\n        calico_pod_cidr: 10.250.0.0/16\n      hosts:\n"
        "        a: {ansible_host: 10.0.0.1}\n        b: {ansible_host: 10.0.0.2}\n"
    )
    plan = build_plan(load_inventory(str(src))).plan
    assert plan["cluster"]["pod_cidr"] == "10.250.0.0/16"


def _playbook(inventory, artifacts, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    cmd = [
        os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
        "-i",
        inventory,
        "playbooks/render.yml",
        "-e",
        "calico_artifacts_dir=%s" % artifacts,
        *extra,
    ]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_broken_inventory_fails_listing_every_problem_and_writes_nothing(tmp_path):
    src = tmp_path / "broken.yml"
    src.write_text(
        "all:\n  vars:\n    calico_pod_cidr: 10.244.0.1/16\n    calico_asn: 23456\n    calico_bgp_mode: tor\n"
        "  children:\n    k8s_cluster:\n      hosts:\n        a: {ansible_host: 10.0.0.1}\n        b: {ansible_host: 10.0.0.1}\n"
    )
    out = tmp_path / "artifacts"
    proc = _playbook(str(src), str(out))
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    for fragment in ("host bits set", "AS_TRANS", "calico_tor_design", "already used by a"):
        assert fragment in text, fragment
    assert not out.exists()


@pytest.mark.parametrize("name", ["kdd-small", "tor-as-per-rack"])
def test_render_playbook_writes_plan(tmp_path, name):
    out = tmp_path / "artifacts"
    proc = _playbook(os.path.join("inventory", "examples", name), str(out), "-e", "calico_manifest_mirror=%s" % UPSTREAM_DIR)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    plan = json.loads((out / "plan.json").read_text())
    assert plan == build_plan(load_example_inventory(name, {"calico_artifacts_dir": str(out), "calico_manifest_mirror": UPSTREAM_DIR})).plan
    again = _playbook(os.path.join("inventory", "examples", name), str(out), "-e", "calico_manifest_mirror=%s" % UPSTREAM_DIR)
    assert again.returncode == 0 and "changed=0" in again.stdout
