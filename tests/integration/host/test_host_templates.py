"""The calico_host firewall templates, rendered by Ansible from real plans (IPv4-only IPIP and
dual-stack VXLAN + WireGuard, the IPv6 paths no molecule scenario reaches) and loaded for real:
the nftables table with `nft -f`, the ufw before.rules blocks with iptables-restore, each in a
throw-away network namespace."""

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import InventoryInput
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLE = os.path.join(REPO, "roles", "calico_host")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="loading rules in a network namespace needs root")

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars_files: [{role}/defaults/main.yml, {role}/vars/main.yml, {role}/vars/Debian.yml]
  tasks:
    - ansible.builtin.set_fact:
        calico_host_is_node: true
        calico_host_rules: "{{{{ calico_plan.host_preparation.firewall_rules | selectattr('group', 'in', ['k8s_cluster']) | list }}}}"
    # As the role writes it: rendered by the template lookup, checked by nft, written by calico_host_files.
    - onprem.calico.calico_host_files:
        files:
          - path: "{{{{ out }}}}/calico.nft"
            content: "{{{{ lookup('ansible.builtin.template', '{role}/templates/etc/nftables.d/onprem-calico.nft.j2') }}}}"
            validate: "{{{{ calico_host_os_nft_binary }}}} -c -f %s"
    - ansible.builtin.template:
        src: {role}/templates/etc/nftables.d/onprem-calico.nft.j2
        dest: "{{{{ out }}}}/calico-template-module.nft"
        mode: "0644"
    - ansible.builtin.copy:
        content: "{{{{ lookup('ansible.builtin.template', '{role}/templates/etc/ufw/before.rules.block.j2') }}}}"
        dest: "{{{{ out }}}}/before{{{{ item }}}}.block"
        mode: "0644"
      vars:
        calico_host_ufw_family: "{{{{ item }}}}"
      loop: [4, 6]
"""


def make_plan(cluster, hosts):
    groups = {"k8s_cluster": sorted(hosts), "kube_control_plane": sorted(hosts)[:1], "kube_node": sorted(hosts)[1:]}
    result = build_plan(InventoryInput(cluster=cluster, groups=groups, hosts=hosts))
    assert not result.errors, [str(e) for e in result.errors]
    return result.plan


PLANS = {
    "ipip-v4": lambda: make_plan(
        {"calico_cluster_name": "t4", "calico_pod_cidr": "10.244.0.0/16", "calico_encapsulation": "ipip",
         "calico_node_subnets": ["10.0.1.0/24"], "calico_datastore": "kubernetes"},
        {"n1": {"ansible_host": "10.0.1.11"}, "n2": {"ansible_host": "10.0.1.12"}}),
    "vxlan-wireguard-dual-stack": lambda: make_plan(
        {"calico_cluster_name": "t6", "calico_pod_cidr": "10.244.0.0/16", "calico_pod_cidr_v6": "fd00:10:244::/56",
         "calico_encapsulation": "vxlan", "calico_wireguard": True,
         "calico_node_subnets": ["10.0.1.0/24", "fd00:1::/64"]},
        {"n1": {"ansible_host": "10.0.1.11", "calico_node_ip6": "fd00:1::11"},
         "n2": {"ansible_host": "10.0.1.12", "calico_node_ip6": "fd00:1::12"}}),
}


def render_firewall_files(plan, out):
    """Run the role's firewall templates for ``plan`` into the directory ``out`` (returned)."""
    (out / "play.yml").write_text(PLAYBOOK.format(role=ROLE))
    (out / "vars.json").write_text(json.dumps({"calico_plan": plan, "out": str(out)}))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    proc = subprocess.run([ansible_playbook, "-e", "@%s" % (out / "vars.json"), str(out / "play.yml")],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


@pytest.fixture(scope="module", params=sorted(PLANS))
def rendered(request, tmp_path_factory):
    plan = PLANS[request.param]()
    out = render_firewall_files(plan, tmp_path_factory.mktemp(request.param))
    rules = [r for r in plan["host_preparation"]["firewall_rules"] if r["group"] == "k8s_cluster"]
    return plan, rules, out


def in_namespace(script):
    proc = subprocess.run(["unshare", "--net", "sh", "-c", script], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_nftables_table_loads_with_every_rule_and_source(rendered):
    _plan, rules, out = rendered
    listing = json.loads(in_namespace("nft -f %s && nft -j list table inet onprem_calico" % (out / "calico.nft")))
    objects = listing["nftables"]
    sets = {o["set"]["name"]: o["set"] for o in objects if "set" in o}
    live_rules = [o["rule"] for o in objects if "rule" in o]
    for rule in rules:
        for family, suffix in ((4, "_v4"), (6, "_v6")):
            sources = sorted(s for s in rule["sources"] if (":" in s) == (family == 6))
            name = rule["name"].replace("-", "_") + suffix
            if not sources:
                assert name not in sets
                continue
            elements = sorted("%s/%s" % (e["prefix"]["addr"], e["prefix"]["len"]) for e in sets[name]["elem"])
            assert elements == sources
        mine = [r for r in live_rules if r.get("comment", "") in (rule["name"], rule["name"] + ": other sources")]
        accepts = [r for r in mine if any("accept" in e for e in r["expr"])]
        drops = [r for r in mine if any("drop" in e for e in r["expr"])]
        assert len(accepts) == len({":" in s for s in rule["sources"]}) and len(drops) == 1, mine


def ufw_restore_input(block, family):
    prefix = "ufw" if family == 4 else "ufw6"
    return "*filter\n:%s-before-input - [0:0]\n:%s-before-forward - [0:0]\n%s\nCOMMIT\n" % (prefix, prefix, block)


@pytest.mark.parametrize("family", [4, 6])
def test_ufw_blocks_load_into_ufws_chains(rendered, family):
    plan, rules, out = rendered
    block = (out / ("before%d.block" % family)).read_text()
    restore_file = out / ("restore%d" % family)
    restore_file.write_text(ufw_restore_input(block, family))
    tool = "iptables" if family == 4 else "ip6tables"
    prefix = "ufw" if family == 4 else "ufw6"
    listing = in_namespace("%s-restore < %s && %s -S" % (tool, restore_file, tool))
    prep = plan["host_preparation"]
    for interface in prep["calico_interfaces"]:
        assert "-A %s-before-forward -i %s " % (prefix, interface) in listing
    for cidr in prep["pod_cidrs"]:
        if (":" in cidr) == (family == 6):
            assert "-A %s-before-forward -s %s " % (prefix, cidr) in listing
            assert "-A %s-before-forward -d %s " % (prefix, cidr) in listing
        else:
            assert cidr not in listing
    ipip = [r for r in rules if r["protocol"] == "ipip"]
    for rule in ipip:
        for source in rule["sources"]:
            present = "-A %s-before-input -s %s -p ipencap" % (prefix, source) in listing
            assert present == ((":" in source) == (family == 6))
    if not ipip:
        assert "-p 4 " not in block and "ipencap" not in listing


def test_the_lookup_renders_the_table_as_the_template_module_did(rendered):
    """Hosts prepared before the role wrote its files with calico_host_files see no change from it."""
    _plan, _rules, out = rendered
    assert (out / "calico.nft").read_text() == (out / "calico-template-module.nft").read_text()
