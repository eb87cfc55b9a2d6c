"""The plan against what Calico and the kernel need, with every expected value stated here from
outside the code: Calico's documentation and manifests, the kernel's sysctl documentation and the
protocol header sizes. None of these tests reads the code's own tables (issue 18)."""

from __future__ import annotations

import os

import pytest
from plan_inputs import base

from ansible_collections.onprem.calico.plugins.module_utils import node_interface
from ansible_collections.onprem.calico.plugins.plugin_utils import manifest
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext
from ansible_collections.onprem.calico.plugins.plugin_utils.input_schema import ENCAPSULATIONS
from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import InventoryInput
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan

UPSTREAM_DIR = os.environ.get("CALICO_UPSTREAM_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "..", "shared", "upstream", "calico")

# calico_encapsulation (docs/inventory.md) -> the IPPool's (ipipMode, vxlanMode), as Calico's
# "Overlay networking" guide defines them: IP-in-IP or VXLAN always, only across subnets, or never.
POOL_MODES = {
    "ipip": ("Always", "Never"),
    "ipip_cross_subnet": ("CrossSubnet", "Never"),
    "vxlan": ("Never", "Always"),
    "vxlan_cross_subnet": ("Never", "CrossSubnet"),
    "none": ("Never", "Never"),
}

# Header bytes each encapsulation adds to a pod packet, from the protocol headers (RFC 791 IPv4 20,
# RFC 8200 IPv6 40, UDP 8, RFC 7348 VXLAN 8 + the inner Ethernet frame 14, WireGuard's data
# message header 32); they agree with Calico's "Configure MTU" page (IPIP 20, VXLAN 50 / 70,
# WireGuard 60 / 80).
IPV4, IPV6, UDP, VXLAN_AND_INNER_ETHERNET, WIREGUARD_DATA_HEADER = 20, 40, 8, 8 + 14, 32
OVERHEAD = {
    "IPIP": IPV4,
    "VXLAN": IPV4 + UDP + VXLAN_AND_INNER_ETHERNET,
    "VXLAN over IPv6": IPV6 + UDP + VXLAN_AND_INNER_ETHERNET,
    "WireGuard over IPv4": IPV4 + UDP + WIREGUARD_DATA_HEADER,
    "WireGuard over IPv6": IPV6 + UDP + WIREGUARD_DATA_HEADER,
}


def plan_of(inv):
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    return result.plan


def dual_stack(**cluster):
    values = {"calico_pod_cidr": "10.244.0.0/16", "calico_pod_cidr_v6": "fd00:10:244::/56",
              "calico_node_subnets": ["10.0.1.0/24", "fd00:1::/64"], **cluster}
    hosts = {"n1": {"ansible_host": "10.0.1.11", "calico_node_ip6": "fd00:1::11"},
             "n2": {"ansible_host": "10.0.1.12", "calico_node_ip6": "fd00:1::12"}}
    return InventoryInput(cluster=values, groups={"k8s_cluster": ["n1", "n2"], "kube_control_plane": ["n1"], "kube_node": ["n2"]},
                          hosts=hosts)


def calico_node_env(plan):
    """calico-node's env in calico.yaml rendered from ``plan`` over the real upstream manifest."""
    content = manifest.render(plan, RenderContext(upstream_dir=UPSTREAM_DIR))[0].content
    docs = manifest.index_documents(manifest.parse_documents(content))
    pod = docs[("DaemonSet", "calico-node")]["spec"]["template"]["spec"]
    node = next(c for c in pod["containers"] if c["name"] == "calico-node")
    return {e["name"]: e.get("value") for e in node["env"]}


def test_the_encapsulation_values_are_the_documented_five():
    assert set(ENCAPSULATIONS) == set(POOL_MODES)


@pytest.mark.parametrize("encapsulation", sorted(POOL_MODES))
def test_each_encapsulation_reaches_the_pool_and_calico_yaml(encapsulation):
    ipip, vxlan = POOL_MODES[encapsulation]
    plan = plan_of(base(calico_encapsulation=encapsulation))
    (pool,) = plan["ip_pools"]
    assert (pool["ipip_mode"], pool["vxlan_mode"]) == (ipip, vxlan)
    env = calico_node_env(plan)
    assert (env["CALICO_IPV4POOL_IPIP"], env["CALICO_IPV4POOL_VXLAN"]) == (ipip, vxlan)


@pytest.mark.parametrize("encapsulation", ["vxlan", "vxlan_cross_subnet", "none"])
def test_the_ipv6_default_pool_follows_the_encapsulation_in_calico_yaml(encapsulation):
    vxlan = POOL_MODES[encapsulation][1]
    plan = plan_of(dual_stack(calico_encapsulation=encapsulation))
    v6 = next(p for p in plan["ip_pools"] if p["family"] == 6)
    # IP-in-IP carries IPv4 only: an IPv6 pool never has it.
    assert (v6["ipip_mode"], v6["vxlan_mode"]) == ("Never", vxlan)
    assert calico_node_env(plan)["CALICO_IPV6POOL_VXLAN"] == vxlan


@pytest.mark.parametrize(
    ("inventory", "reason"),
    [
        (lambda: base(calico_encapsulation="ipip"), "IPIP"),
        (lambda: base(calico_encapsulation="ipip_cross_subnet"), "IPIP"),
        (lambda: base(calico_encapsulation="vxlan"), "VXLAN"),
        (lambda: base(calico_encapsulation="vxlan_cross_subnet"), "VXLAN"),
        (lambda: dual_stack(calico_encapsulation="vxlan"), "VXLAN over IPv6"),
        # VXLAN on the IPv4 pool only: the IPv6 pool's packets are not encapsulated.
        (lambda: dual_stack(calico_encapsulation="none", calico_ip_pools=[
            {"name": "v4", "cidr": "10.244.0.0/16", "encapsulation": "vxlan"},
            {"name": "v6", "cidr": "fd00:10:244::/56", "encapsulation": "none"}]), "VXLAN"),
        (lambda: base(calico_encapsulation="none", calico_wireguard=True), "WireGuard over IPv4"),
        # WireGuard (60) outweighs IPIP (20) and VXLAN over IPv4 (50); IPv6 VXLAN (70) does not
        # outweigh IPv6 WireGuard (80).
        (lambda: base(calico_encapsulation="vxlan", calico_wireguard=True), "WireGuard over IPv4"),
        (lambda: dual_stack(calico_encapsulation="none", calico_wireguard=True), "WireGuard over IPv6"),
        (lambda: dual_stack(calico_encapsulation="vxlan", calico_wireguard=True), "WireGuard over IPv6"),
    ],
)
def test_the_planned_overhead_is_the_worst_header_in_use(inventory, reason):
    m = plan_of(inventory())["manifest"]
    assert m["encapsulation_overhead"] == OVERHEAD[reason]
    assert m["encapsulation_overhead_reason"] == reason.replace(" over IPv4", "").replace("WireGuard over IPv6", "WireGuard")


def test_no_encapsulation_has_no_overhead():
    m = plan_of(base(calico_encapsulation="none"))["manifest"]
    assert (m["encapsulation_overhead"], m["encapsulation_overhead_reason"]) == (0, "no encapsulation")


@pytest.mark.parametrize(
    ("inventory", "fits"),
    [
        # 1430 pod MTU + 70 (IPv6 VXLAN) = 1500: fits exactly; 1431 does not.
        (lambda mtu: dual_stack(calico_encapsulation="vxlan", calico_mtu=mtu), 1500 - 70),
        (lambda mtu: dual_stack(calico_encapsulation="none", calico_wireguard=True, calico_mtu=mtu), 1500 - 80),
        (lambda mtu: base(calico_encapsulation="none", calico_wireguard=True, calico_mtu=mtu), 1500 - 60),
    ],
)
def test_plan_advice_and_the_node_check_agree_on_the_largest_pod_mtu(inventory, fits):
    """The plan warns, and the node check on the host refuses, exactly above the same pod MTU."""
    link = [{"ifname": "eth0", "mtu": 1500, "flags": ["UP"],
             "addr_info": [{"local": "10.0.1.11"}, {"local": "10.10.0.10"}]}]
    for mtu, too_big in ((fits, False), (fits + 1, True)):
        result = build_plan(inventory(mtu))
        assert result.ok, [str(e) for e in result.errors]
        advice = [w for w in result.warnings if w.subject == "calico_mtu" and "fragmented" in w.message]
        warned = bool(advice)
        if warned:
            # The advice names the largest pod MTU that fits, in the message and in the fix.
            assert advice[0].message.startswith("%d exceeds the smallest node interface MTU 1500 " % mtu)
            assert "(= %d)" % fits in advice[0].message and advice[0].fix == "set calico_mtu to %d or 'auto'." % fits
        m = result.plan["manifest"]
        node_ip = next(iter(result.plan["nodes"].values()))["ip"]
        host = node_interface.check(link, node_ip, None, m["encapsulation_overhead"], m["veth_mtu"],
                                    m["encapsulation_overhead_reason"])
        assert (warned, bool(host["errors"])) == (too_big, too_big), (mtu, result.warnings, host)


# The kernel's ip-sysctl documentation: ip_forward 1 forwards IPv4 between interfaces (a node
# routes every pod packet); conf/{all,default}/forwarding 1 does so for IPv6; accept_ra 2 accepts
# router advertisements even while forwarding. Felix refuses to start with rp_filter 2 ("loose":
# "Calico requires net.ipv4.conf.all.rp_filter to be set to 0 or 1").
FELIX_ACCEPTED_RP_FILTER = ("0", "1")


@pytest.mark.parametrize("rp_filter", [0, 1])
def test_planned_sysctls_are_what_calico_needs(rp_filter):
    sysctls = plan_of(base(calico_rp_filter=rp_filter))["host_preparation"]["sysctls"]
    assert sysctls["net.ipv4.ip_forward"] == "1"
    # default is copied onto each cali* interface the moment Felix creates it: both are planned.
    for key in ("net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter"):
        assert sysctls[key] in FELIX_ACCEPTED_RP_FILTER
        assert sysctls[key] == str(rp_filter)
    # A single-stack cluster leaves the host's IPv6 settings alone.
    assert not [key for key in sysctls if key.startswith("net.ipv6.")]


def test_dual_stack_plans_ipv6_forwarding_and_keeps_router_advertisements():
    sysctls = plan_of(dual_stack(calico_encapsulation="vxlan"))["host_preparation"]["sysctls"]
    assert sysctls["net.ipv4.ip_forward"] == "1"
    assert sysctls["net.ipv6.conf.all.forwarding"] == "1"
    assert sysctls["net.ipv6.conf.default.accept_ra"] == "2"


def test_loose_rp_filter_is_refused_before_anything_changes():
    result = build_plan(base(calico_rp_filter=2))
    assert not result.ok
    assert [e.subject for e in result.errors] == ["calico_rp_filter"]


def test_conntrack_max_and_overrides_reach_the_sysctls_as_strings():
    sysctls = plan_of(base(calico_conntrack_max=262144, calico_sysctl_overrides={"net.core.somaxconn": 4096,
                                                                                 "net.ipv4.tcp_syncookies": True}))
    sysctls = sysctls["host_preparation"]["sysctls"]
    assert sysctls["net.netfilter.nf_conntrack_max"] == "262144"
    # The kernel reads booleans as 1/0 but /proc accepts the words too; the plan keeps YAML's word.
    assert (sysctls["net.core.somaxconn"], sysctls["net.ipv4.tcp_syncookies"]) == ("4096", "true")
    assert "net.netfilter.nf_conntrack_max" not in plan_of(base())["host_preparation"]["sysctls"]


# Kernel modules behind each feature (the modules' own names in the Linux tree): IP-in-IP is
# ipip, VXLAN is vxlan, WireGuard is wireguard, and the IPv6 reverse-path match is ip6t_rpfilter.
@pytest.mark.parametrize(
    ("inventory", "needed", "not_needed"),
    [
        (lambda: base(calico_encapsulation="ipip"), {"ipip"}, {"vxlan", "wireguard", "ip6t_rpfilter"}),
        (lambda: base(calico_encapsulation="ipip_cross_subnet"), {"ipip"}, {"vxlan", "wireguard"}),
        (lambda: base(calico_encapsulation="vxlan_cross_subnet"), {"vxlan"}, {"ipip", "wireguard"}),
        (lambda: base(calico_encapsulation="none", calico_wireguard=True), {"wireguard"}, {"ipip", "vxlan"}),
        (lambda: dual_stack(calico_encapsulation="vxlan"), {"vxlan", "ip6t_rpfilter"}, {"ipip", "wireguard"}),
    ],
)
def test_the_kernel_modules_follow_the_features(inventory, needed, not_needed):
    modules = plan_of(inventory())["host_preparation"]["kernel_modules"]
    names = {m["name"] for m in modules}
    # Felix's iptables dataplane in every cluster: IP sets, the set/mark/conntrack matches and
    # the strict reverse-path match it checks workload traffic with.
    assert {"ip_set", "xt_set", "ip_tables", "xt_mark", "xt_conntrack", "ipt_rpfilter", "nf_conntrack"} <= names
    assert needed <= names and not names & not_needed
    assert all(m["required"] for m in modules)


# IPPool fields as Calico's IPPool reference defines them: natOutgoing masquerades pod traffic
# leaving the pools, nodeSelector all() puts the pool on every node, disabled keeps existing
# addresses but hands out no new ones.
@pytest.mark.parametrize("nat", [True, False])
def test_nat_outgoing_reaches_the_pool_and_calico_yaml(nat):
    plan = plan_of(base(calico_nat_outgoing=nat))
    (pool,) = plan["ip_pools"]
    assert pool["nat_outgoing"] is nat
    env = calico_node_env(plan)
    assert env["CALICO_IPV4POOL_NAT_OUTGOING"] == ("true" if nat else "false")
    assert env["CALICO_IPV4POOL_NODE_SELECTOR"] == "all()"


@pytest.mark.parametrize("disabled", [True, False])
def test_explicit_pool_fields_are_kept(disabled):
    plan = plan_of(base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=[
        {"name": "extra", "cidr": "10.244.128.0/18", "disabled": disabled, "nat_outgoing": False},
    ]))
    extra = next(p for p in plan["ip_pools"] if p["name"] == "extra")
    assert (extra["disabled"], extra["nat_outgoing"], extra["node_selector"]) == (disabled, False, "all()")


@pytest.mark.parametrize(
    ("inventory", "subject"),
    [
        # The default pools are changed through the cluster variables that make them.
        (lambda: dual_stack(calico_encapsulation="ipip"), "calico_pod_cidr_v6"),
        (lambda: base(calico_pod_cidr="169.254.0.0/16"), "calico_pod_cidr"),
        # A default pool smaller than one block: the block size variable of its family.
        (lambda: base(calico_pod_cidr="10.244.0.0/28"), "calico_block_size"),
        (lambda: dual_stack(calico_encapsulation="vxlan", calico_pod_cidr_v6="fd00:10:244::/124"), "calico_block_size_v6"),
        (lambda: dual_stack(calico_encapsulation="vxlan", calico_ip_pools=[
            {"name": "v6", "cidr": "fd00:10:244::/64", "encapsulation": "ipip"}]), "calico_ip_pools[v6]"),
    ],
)
def test_a_pool_error_names_the_variable_to_change(inventory, subject):
    result = build_plan(inventory())
    assert subject in [e.subject for e in result.errors], [str(e) for e in result.errors]


# Calico's IPPool reference: blockSize 20-32 for IPv4 (default 26), 116-128 for IPv6 (default 122).
@pytest.mark.parametrize(
    ("cidr", "block", "valid"),
    [("10.244.0.0/16", 19, False), ("10.244.0.0/16", 20, True), ("10.244.0.0/16", 32, True), ("10.244.0.0/16", 33, False),
     ("fd00:10:244::/64", 115, False), ("fd00:10:244::/64", 116, True), ("fd00:10:244::/64", 128, True),
     ("fd00:10:244::/64", 129, False)],
)
def test_explicit_pool_block_sizes_calico_accepts(cidr, block, valid):
    result = build_plan(dual_stack(calico_encapsulation="vxlan", calico_ip_pools=[
        {"name": "extra", "cidr": cidr, "block_size": block, "encapsulation": "none"}]))
    errors = [e for e in result.errors if e.subject == "calico_ip_pools[extra].block_size"]
    assert bool(errors) is not valid, [str(e) for e in result.errors]
    if errors:
        v4 = ":" not in cidr
        assert errors[0].message == "block size %d is outside %s for IPv%d." % (block, "20..32" if v4 else "116..128", 4 if v4 else 6)
        assert errors[0].fix == "use a block size in %s (Calico's default is %d)." % ("20..32" if v4 else "116..128", 26 if v4 else 122)


# A node takes whole blocks: 63 pods plus its IP-in-IP tunnel address (Calico gives tunl0 an
# address from the pool) are 64 addresses, one /26 block, so four nodes need four /26 blocks.
@pytest.mark.parametrize(("pod_cidr", "outcome"),
                         [("10.244.0.0/23", "quiet"), ("10.244.0.0/24", "warned"), ("10.244.0.0/25", "refused")])
def test_the_pool_forecast_counts_whole_blocks_per_node(pod_cidr, outcome):
    result = build_plan(base(calico_pod_cidr=pod_cidr, calico_block_size=26, calico_encapsulation="ipip",
                             calico_max_pods_per_node=63))
    refused = [e for e in result.errors if "pool" in e.subject or "pod_cidr" in e.subject]
    warned = [w for w in result.warnings if "%" in w.message]
    assert (outcome == "refused") is bool(refused), [str(e) for e in result.errors]
    assert (outcome == "warned") is bool(warned), [w.message for w in result.warnings]


def test_a_pool_of_exactly_one_block_is_valid():
    result = build_plan(base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=[
        {"name": "one-block", "cidr": "10.244.1.0/26", "block_size": 26, "encapsulation": "ipip"}]))
    assert not [e for e in result.errors if e.subject == "calico_ip_pools[one-block].block_size"], [str(e) for e in result.errors]
