"""What the plan's host_preparation section promises the calico_host role, checked against sources
outside the code (issue 18: the mutation run found the ports, interface names, probes and the
NetworkManager list unasserted).

Sources: RFC 4271 (BGP listens on TCP 179), IANA protocol numbers (IP-in-IP is protocol 4), the
FelixConfiguration CRD in the upstream calico.yaml ("[Default: ...]" of vxlanPort,
wireguardListeningPort(V6), wireguardInterfaceName(V6)), the calico-typha Service of the
upstream calico-typha.yaml, IANA's etcd client port 2379, Calico's "Configure NetworkManager"
page (the unmanaged-devices line) and the kernel's module names (xt_<match>/ipt_<match> are
iptables matches, ipip/vxlan/wireguard are link types).
"""

from __future__ import annotations

import functools
import os
import re

import pytest
import yaml
from plan_inputs import base, tor_base

from ansible_collections.onprem.calico.plugins.module_utils import kernel_features
from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import InventoryInput
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan

UPSTREAM = os.path.join(os.environ.get("CALICO_UPSTREAM_DIR", "/work/shared/upstream/calico"), "v3.31.7")
BGP_PORT = 179  # RFC 4271, section 8.2.1
IPIP_PROTOCOL = 4  # IANA assigned internet protocol numbers: 4 = IPv4 encapsulation
ETCD_CLIENT_PORT = 2379  # IANA service name etcd-client
# Calico's "Configure NetworkManager" page, [keyfile] unmanaged-devices, in its order.
CALICO_NM_UNMANAGED = ("interface-name:cali*;interface-name:tunl*;interface-name:vxlan.calico;"
                       "interface-name:vxlan-v6.calico;interface-name:wireguard.cali;interface-name:wg-v6.cali").split(";")


@functools.lru_cache(maxsize=None)
def _upstream_text(name):
    with open(os.path.join(UPSTREAM, name)) as handle:
        return handle.read()


def felix_default(field):
    """The "[Default: X]" the FelixConfiguration CRD of calico.yaml documents for ``field``
    (read from the text: parsing the whole manifest costs seconds, paid again by every mutant)."""
    text = _upstream_text("calico.yaml")
    crd = text[text.index("name: felixconfigurations.crd.projectcalico.org"):]
    found = re.search(r"\n {16}%s:\n {18}description:[^\[]*\[Default: ([^\]]+)\]" % re.escape(field), crd)
    return found.group(1).strip()


def typha_service_port():
    documents = _upstream_text("calico-typha.yaml").split("\n---")
    service = next(d for d in (yaml.safe_load(doc) for doc in documents if "kind: Service\n" in doc)
                   if d["metadata"]["name"] == "calico-typha")
    (port,) = service["spec"]["ports"]
    return port["port"]


def plan_of(inv):
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    return result.plan


def dual_stack(**cluster):
    values = {"calico_cluster_name": "hp", "calico_pod_cidr": "10.244.0.0/16", "calico_pod_cidr_v6": "fd00:10:244::/56",
              "calico_encapsulation": "vxlan", "calico_node_subnets": ["10.0.1.0/24", "fd00:1::/64"], **cluster}
    hosts = {"n1": {"ansible_host": "10.0.1.11", "calico_node_ip6": "fd00:1::11"},
             "n2": {"ansible_host": "10.0.1.12", "calico_node_ip6": "fd00:1::12"}}
    return InventoryInput(cluster=values, groups={"k8s_cluster": ["n1", "n2"], "kube_control_plane": ["n1"], "kube_node": ["n2"]},
                          hosts=hosts)


def prep(inv):
    return plan_of(inv)["host_preparation"]


def rules(section):
    return {r["name"]: r for r in section["firewall_rules"]}


def port_of(rule):
    return (rule["protocol"], rule["port"])


def test_the_upstream_defaults_these_tests_rely_on():
    # Guard: the facts below really come from the upstream manifests.
    assert (felix_default("vxlanPort"), felix_default("wireguardListeningPort"), felix_default("wireguardListeningPortV6")) == (
        "4789", "51820", "51821")
    assert typha_service_port() == 5473


def test_bgp_and_ipip_rules_open_tcp_179_and_ip_protocol_4_to_the_nodes():
    section = prep(base(calico_encapsulation="ipip"))
    by_name = rules(section)
    assert port_of(by_name["calico-bgp"]) == ("tcp", BGP_PORT)
    assert by_name["calico-bgp"]["sources"] == ["10.10.0.0/16"]
    # IP-in-IP is an IP protocol of its own, with no port; the role turns the name into the number
    # (/etc/protocols' "ipip" is 94, the wrong protocol).
    assert port_of(by_name["calico-ipip"]) == ("ipip", None)
    assert role_protocol_numbers()["ipip"] == IPIP_PROTOCOL
    assert {r["group"] for r in section["firewall_rules"]} == {"k8s_cluster"}
    assert "calico-vxlan" not in by_name and "calico-typha" not in by_name


def role_protocol_numbers():
    """The calico_host role's table of IP protocol numbers for rules without a port."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "calico_host", "vars", "main.yml")
    with open(path) as handle:
        return yaml.safe_load(handle)["calico_host_ip_protocol_numbers"]


def test_vxlan_rule_uses_felix_s_vxlan_port():
    by_name = rules(prep(base(calico_encapsulation="vxlan_cross_subnet")))
    assert port_of(by_name["calico-vxlan"]) == ("udp", int(felix_default("vxlanPort")))
    assert by_name["calico-vxlan"]["sources"] == ["10.10.0.0/16"] and by_name["calico-vxlan"]["group"] == "k8s_cluster"
    assert "calico-ipip" not in by_name


def test_typha_rule_opens_the_typha_service_port_to_every_node():
    by_name = rules(prep(base(nodes=4, calico_typha_node_threshold=2)))
    assert port_of(by_name["calico-typha"]) == ("tcp", typha_service_port())
    assert by_name["calico-typha"]["sources"] == ["10.10.0.0/16"] and by_name["calico-typha"]["group"] == "k8s_cluster"
    # Below the threshold calico.yaml runs without Typha: nothing to open.
    assert "calico-typha" not in rules(prep(base(nodes=4)))


def test_wireguard_rules_use_felix_s_listening_ports_per_family():
    by_name = rules(prep(dual_stack(calico_wireguard=True)))
    assert port_of(by_name["calico-wireguard"]) == ("udp", int(felix_default("wireguardListeningPort")))
    assert port_of(by_name["calico-wireguard-v6"]) == ("udp", int(felix_default("wireguardListeningPortV6")))
    assert by_name["calico-wireguard"]["sources"] == ["10.0.1.0/24"]
    assert by_name["calico-wireguard-v6"]["sources"] == ["fd00:1::/64"]
    # A single-stack cluster has no IPv6 WireGuard interface to reach.
    single = rules(prep(base(calico_wireguard=True)))
    assert port_of(single["calico-wireguard"]) == ("udp", 51820) and "calico-wireguard-v6" not in single


def test_etcd_rules_open_each_endpoint_port_once_in_the_etcd_group():
    section = prep(base(calico_datastore="etcd", calico_etcd_endpoints=[
        "http://etcd1:2381/", "http://etcd2:%d" % ETCD_CLIENT_PORT, "http://[fd00::5]:%d" % ETCD_CLIENT_PORT]))
    etcd = [r for r in section["firewall_rules"] if r["group"] == "etcd"]
    assert [(r["name"], r["protocol"], r["port"]) for r in etcd] == [
        ("calico-etcd-2379", "tcp", 2379), ("calico-etcd-2381", "tcp", 2381)]
    assert all(r["sources"] == ["10.10.0.0/16"] for r in etcd)
    assert "calico node" in etcd[0]["purpose"] or "calico-node" in etcd[0]["purpose"]


def test_no_bgp_rule_without_bgp_and_the_rack_subnets_reach_it_with_tor_peers():
    assert "calico-bgp" not in rules(prep(base(calico_bgp_mode="none", calico_encapsulation="vxlan")))
    by_name = rules(prep(tor_base()))
    # The ToRs' peer addresses lie in the rack subnets, which are the sources already.
    assert by_name["calico-bgp"]["sources"] == ["10.1.1.0/24", "10.1.2.0/24"]
    assert port_of(by_name["calico-bgp"]) == ("tcp", BGP_PORT)


def test_bgp_sources_are_collapsed_per_family():
    by_name = rules(prep(base(nodes=2, calico_node_subnets=["10.10.0.0/17", "10.10.128.0/17"])))
    assert by_name["calico-bgp"]["sources"] == ["10.10.0.0/16"]


def test_the_rule_purposes_say_what_each_port_carries():
    # The purpose is the comment beside each rule in the host firewall files.
    by_name = rules(prep(dual_stack(calico_wireguard=True, calico_typha_node_threshold=1)))
    purposes = {name: rule["purpose"] for name, rule in by_name.items()}
    assert purposes == {
        "calico-bgp": "BGP sessions between nodes, route reflectors and ToR peers",
        "calico-vxlan": "VXLAN-encapsulated pod traffic between nodes",
        "calico-typha": "Felix connections to Typha",
        "calico-wireguard": "WireGuard tunnels between nodes (IPv4)",
        "calico-wireguard-v6": "WireGuard tunnels between nodes (IPv6)",
    }
    # All of them carry traffic between the cluster's nodes (etcd's rules are the other group).
    assert {rule["group"] for rule in by_name.values()} == {"k8s_cluster"}
    ipip = rules(prep(base(calico_encapsulation="ipip")))["calico-ipip"]["purpose"]
    assert ipip == "IPIP-encapsulated pod traffic (IP protocol %d) between nodes" % IPIP_PROTOCOL


@pytest.mark.parametrize(
    ("inventory", "interfaces"),
    [
        (lambda: base(calico_encapsulation="ipip"), ["cali+", "tunl0"]),
        (lambda: base(calico_encapsulation="none"), ["cali+"]),
        (lambda: base(calico_encapsulation="vxlan"), ["cali+", "vxlan.calico"]),
        (dual_stack, ["cali+", "vxlan.calico", "vxlan-v6.calico"]),
        (lambda: base(calico_encapsulation="none", calico_wireguard=True), ["cali+", "wireguard.cali"]),
        (lambda: dual_stack(calico_encapsulation="none", calico_wireguard=True), ["cali+", "wireguard.cali", "wg-v6.cali"]),
    ],
)
def test_calico_interfaces_follow_the_features_in_use(inventory, interfaces):
    # Felix's workload interfaces are cali*; tunl0 is the kernel's IPIP device; the VXLAN and
    # WireGuard device names are the FelixConfiguration defaults.
    assert prep(inventory())["calico_interfaces"] == interfaces
    assert felix_default("wireguardInterfaceName") == "wireguard.cali"
    assert felix_default("wireguardInterfaceNameV6") == "wg-v6.cali"


def test_networkmanager_leaves_calico_s_interfaces_alone():
    assert prep(base())["networkmanager_unmanaged"] == CALICO_NM_UNMANAGED


def test_a_disabled_pool_s_encapsulation_needs_nothing_on_the_hosts():
    section = prep(base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=[
        {"name": "old", "cidr": "10.244.0.0/17", "encapsulation": "ipip", "disabled": True},
        {"name": "new", "cidr": "10.244.128.0/17", "encapsulation": "vxlan"},
    ]))
    assert "calico-ipip" not in rules(section) and "calico-vxlan" in rules(section)
    assert "ipip" not in {m["name"] for m in section["kernel_modules"]}
    assert section["calico_interfaces"] == ["cali+", "vxlan.calico"]
    # Disabled pools still hold pods' addresses: both stay pod ranges.
    assert sorted(section["pod_cidrs"]) == ["10.244.0.0/17", "10.244.128.0/17"]


def test_when_every_pool_is_disabled_their_encapsulation_is_still_prepared():
    # Pods keep running on a disabled pool's addresses until they move, so its tunnel stays up.
    section = prep(base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=[
        {"name": "old", "cidr": "10.244.0.0/17", "encapsulation": "ipip", "disabled": True},
    ]))
    assert "calico-ipip" in rules(section) and "ipip" in {m["name"] for m in section["kernel_modules"]}


def test_pod_cidrs_list_ipv4_before_ipv6():
    section = prep(dual_stack(calico_ip_pools=[
        {"name": "v6", "cidr": "fd00:10:244::/56"},
        {"name": "v4", "cidr": "10.244.0.0/16"},
    ]))
    assert section["pod_cidrs"] == ["10.244.0.0/16", "fd00:10:244::/56"]


def _exercised(argv):
    """What a probe command tries: ('link', type) or ('match', binary, match) or (tool,)."""
    if argv[:3] == ["ip", "link", "add"]:
        return ("link", argv[argv.index("type") + 1])
    if "-m" in argv:
        return ("match", argv[0], argv[argv.index("-m") + 1])
    return (argv[0],)


@pytest.mark.parametrize("inventory", [lambda: dual_stack(calico_wireguard=True), lambda: base(calico_encapsulation="ipip")])
def test_every_kernel_module_has_a_probe_that_exercises_that_module(inventory):
    modules = prep(inventory())["kernel_modules"]
    assert [m["name"] for m in modules] == sorted(m["name"] for m in modules)
    for module in modules:
        steps = kernel_features.probe_steps(module["probe"])
        assert steps, module
        tried = _exercised(steps[-1])
        name = module["name"]
        if name in ("ipip", "vxlan", "wireguard"):
            assert tried == ("link", name)
        elif name.startswith(("xt_", "ipt_")):
            assert tried == ("match", "iptables", name.split("_", 1)[1])
        elif name.startswith("ip6t_"):
            assert tried == ("match", "ip6tables", name.split("_", 1)[1])
        elif name == "ip_set":
            assert tried == ("ipset",)
        elif name == "ip_tables":
            assert tried == ("iptables",)
        elif name == "nf_conntrack":
            assert tried == ("match", "iptables", "conntrack")
        else:
            raise AssertionError("no expectation for module %s" % name)
        assert module["required"] is True


def test_a_missing_encapsulation_module_tells_how_to_get_it_or_switch():
    # IPIP carries IPv4 only: the IPv6 pool uses VXLAN.
    inv = dual_stack(calico_wireguard=True, calico_encapsulation="ipip", calico_ip_pools=[
        {"name": "v4", "cidr": "10.244.0.0/16"}, {"name": "v6", "cidr": "fd00:10:244::/56", "encapsulation": "vxlan"}])
    modules = {m["name"]: m for m in prep(inv)["kernel_modules"]}
    for name, variable in (("ipip", "calico_encapsulation"), ("vxlan", "calico_encapsulation"), ("wireguard", "calico_wireguard")):
        module = modules[name]
        text = kernel_features.missing_message(dict(module, state=kernel_features.ABSENT, detail=None))
        # The fix for an encapsulation module offers the other choice, the variable named.
        assert variable in text.split("Fix:")[1], text
        assert "kernel module '%s' is missing (feature %s)" % (name, name) in text
    assert "calico_encapsulation=ipip" in modules["ipip"]["needed_for"]
    assert "calico_encapsulation=ipip" in modules["vxlan"]["needed_for"]
    assert "calico_wireguard=true" in modules["wireguard"]["needed_for"]


def test_sysctls_are_listed_in_key_order_and_overrides_written_as_given():
    sysctls = prep(base(calico_sysctl_overrides={"net.core.somaxconn": 1024, "net.ipv4.tcp_timestamps": False,
                                                 "kernel.core_pattern": "/var/Crash/core.%e.%p"}))["sysctls"]
    assert list(sysctls) == sorted(sysctls)
    assert sysctls["net.ipv4.tcp_timestamps"] == "false" and sysctls["net.core.somaxconn"] == "1024"
    # Only YAML booleans are lowered; a path keeps its case.
    assert sysctls["kernel.core_pattern"] == "/var/Crash/core.%e.%p"


def documented_modules():
    """module -> (feature, needed for), from the kernel-module table of docs/host-preparation.md."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "host-preparation.md")
    with open(path) as handle:
        rows = re.findall(r"^\| `(\w+)` \| ([\w:-]+) \| ([^|]+) \|", handle.read(), re.M)
    return {name: (feature, why) for name, feature, why in rows}


def test_each_module_carries_the_feature_the_host_preparation_guide_names():
    # The feature is what the missing-module message and the modules-load.d comment show.
    documented = documented_modules()
    modules = prep(dual_stack(calico_wireguard=True, calico_encapsulation="ipip", calico_ip_pools=[
        {"name": "v4", "cidr": "10.244.0.0/16"}, {"name": "v6", "cidr": "fd00:10:244::/56", "encapsulation": "vxlan"}]))["kernel_modules"]
    assert {m["name"]: m["feature"] for m in modules} == {name: feature for name, (feature, _why) in documented.items()}
    for module in modules:
        why = documented[module["name"]][1]
        if module["name"] in ("ipip", "vxlan", "wireguard"):
            # The plan names the variable that asks for it where the guide names the interfaces.
            assert module["needed_for"].startswith(why.split(" (")[0] + " ("), (module, why)
        else:
            assert module["needed_for"] == why


def test_vxlan_only_on_the_ipv6_pool_opens_vxlan_to_ipv6_sources_only():
    section = prep(dual_stack(calico_ip_pools=[
        {"name": "v4", "cidr": "10.244.0.0/16", "encapsulation": "none"},
        {"name": "v6", "cidr": "fd00:10:244::/56", "encapsulation": "vxlan"}]))
    assert rules(section)["calico-vxlan"]["sources"] == ["fd00:1::/64"]
    assert section["calico_interfaces"] == ["cali+", "vxlan-v6.calico"]
