"""What the plan asks of the hosts for security: node sources per address family, rules that never
mix families, the ports pods may reach, rp_filter on `all` and `default`, IPv6 router
advertisements kept, and the BGP password required in production."""

from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import InventoryInput
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from plan_inputs import base, tor_base


def dual_stack(**cluster):
    """Two dual-stack nodes; IPv4 node subnet given, no IPv6 node subnet (the case of issue 19)."""
    values = {"calico_cluster_name": "t6", "calico_pod_cidr": "10.244.0.0/16", "calico_pod_cidr_v6": "fd00:10:244::/56",
              "calico_encapsulation": "vxlan", "calico_node_subnets": ["10.0.1.0/24"], **cluster}
    hosts = {"n1": {"ansible_host": "10.0.1.11", "calico_node_ip6": "fd00:1::11"},
             "n2": {"ansible_host": "10.0.1.12", "calico_node_ip6": "fd00:1::12"}}
    return InventoryInput(cluster=values, groups={"k8s_cluster": ["n1", "n2"], "kube_control_plane": ["n1"], "kube_node": ["n2"]},
                          hosts=hosts)


def plan_of(inv):
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    return result.plan


def rules_of(plan):
    return {r["name"]: r for r in plan["host_preparation"]["firewall_rules"]}


def test_ipv6_sources_come_from_node_addresses_without_an_ipv6_subnet():
    plan = plan_of(dual_stack())
    assert plan["cluster"]["node_sources"] == ["10.0.1.0/24", "fd00:1::11/128", "fd00:1::12/128"]
    bgp = rules_of(plan)["calico-bgp"]
    assert bgp["sources"] == ["10.0.1.0/24", "fd00:1::11/128", "fd00:1::12/128"]


def test_ipv6_subnet_given_replaces_the_host_routes():
    plan = plan_of(dual_stack(calico_node_subnets=["10.0.1.0/24", "fd00:1::/64"]))
    assert plan["cluster"]["node_sources"] == ["10.0.1.0/24", "fd00:1::/64"]


def test_each_family_falls_back_on_its_own():
    inv = dual_stack(calico_node_subnets=[])
    assert plan_of(inv)["cluster"]["node_sources"] == ["10.0.1.11/32", "10.0.1.12/32", "fd00:1::11/128", "fd00:1::12/128"]


def test_rules_carry_only_the_families_they_serve():
    rules = rules_of(plan_of(dual_stack(calico_wireguard=True)))
    # VXLAN pools of both families (the default IPv6 pool follows calico_encapsulation).
    assert rules["calico-vxlan"]["sources"] == ["10.0.1.0/24", "fd00:1::11/128", "fd00:1::12/128"]
    assert rules["calico-wireguard"]["sources"] == ["10.0.1.0/24"]
    assert rules["calico-wireguard-v6"]["sources"] == ["fd00:1::11/128", "fd00:1::12/128"]
    ipip = rules_of(plan_of(dual_stack(calico_ip_pools=[
        {"name": "v4", "cidr": "10.244.0.0/16", "encapsulation": "ipip"},
        {"name": "v6", "cidr": "fd00:10:244::/56", "encapsulation": "none"},
    ])))
    assert ipip["calico-ipip"]["sources"] == ["10.0.1.0/24"]


def test_vxlan_for_ipv4_pools_only_opens_ipv4():
    rules = rules_of(plan_of(dual_stack(calico_ip_pools=[
        {"name": "v4", "cidr": "10.244.0.0/16", "encapsulation": "vxlan"},
        {"name": "v6", "cidr": "fd00:10:244::/56", "encapsulation": "none"},
    ])))
    assert rules["calico-vxlan"]["sources"] == ["10.0.1.0/24"]


def test_rp_filter_on_all_and_default():
    sysctls = plan_of(base())["host_preparation"]["sysctls"]
    assert sysctls["net.ipv4.conf.all.rp_filter"] == "1"
    assert sysctls["net.ipv4.conf.default.rp_filter"] == "1"
    sysctls = plan_of(base(calico_rp_filter=0))["host_preparation"]["sysctls"]
    assert sysctls["net.ipv4.conf.default.rp_filter"] == "0"


def test_ipv6_forwarding_keeps_router_advertisements():
    sysctls = plan_of(dual_stack())["host_preparation"]["sysctls"]
    assert sysctls["net.ipv6.conf.all.forwarding"] == "1"
    assert sysctls["net.ipv6.conf.default.accept_ra"] == "2"
    assert "net.ipv6.conf.default.accept_ra" not in plan_of(base())["host_preparation"]["sysctls"]


def test_ports_from_pods_are_explicit_and_empty_by_default():
    prep = plan_of(base())["host_preparation"]
    assert prep["ports_from_pods"] == []
    assert prep["pod_cidrs"] == ["192.168.0.0/16"]
    prep = plan_of(base(calico_host_ports_from_pods=["6443/tcp", "53/udp", " 10250/tcp", "6443/tcp"]))["host_preparation"]
    assert prep["ports_from_pods"] == [{"port": 6443, "protocol": "tcp"}, {"port": 53, "protocol": "udp"},
                                       {"port": 10250, "protocol": "tcp"}]


def test_ports_from_pods_errors_name_the_entry():
    for bad in ("6443", "70000/tcp", "53/icmp", {"port": 53}):
        errors = [str(e) for e in build_plan(base(calico_host_ports_from_pods=["53/udp", bad])).errors]
        assert any(e.startswith("calico_host_ports_from_pods[1]:") and "6443/tcp" in e for e in errors), errors


def test_pod_cidrs_keep_disabled_pools_and_both_families():
    prep = plan_of(dual_stack())["host_preparation"]
    assert prep["pod_cidrs"] == ["10.244.0.0/16", "fd00:10:244::/56"]
    assert prep["calico_interfaces"] == ["cali+", "vxlan.calico", "vxlan-v6.calico"]


def test_bgp_password_required_for_tor_and_reflectors_in_production():
    for inv in (tor_base(calico_production=True), base(nodes=4, calico_production=True, calico_bgp_mode="route_reflectors")):
        if inv.cluster.get("calico_bgp_mode") == "route_reflectors":
            inv.groups["calico_route_reflectors"] = ["n01", "n02"]
            for name in ("n01", "n02"):
                inv.hosts[name]["calico_route_reflector_cluster_id"] = "244.0.0.1"
        errors = [str(e) for e in build_plan(inv).errors]
        assert any(e.startswith("calico_bgp_password: is required") and "calico_bgp_password_waived" in e for e in errors), errors
        inv.cluster["calico_bgp_password"] = "s3cret"
        assert build_plan(inv).ok, [str(e) for e in build_plan(inv).errors]
        del inv.cluster["calico_bgp_password"]
        inv.cluster["calico_bgp_password_waived"] = True
        result = build_plan(inv)
        assert result.ok, [str(e) for e in result.errors]
        assert any(str(w).startswith("calico_bgp_password: is not set") for w in result.warnings)


def test_bgp_password_not_required_outside_production_or_for_the_mesh():
    assert build_plan(tor_base()).ok
    assert build_plan(base(calico_production=True)).ok


def test_typha_tls_is_planned_with_a_pki_outside_the_artifacts(tmp_path):
    inv = base(nodes=60, calico_typha_tls=True, calico_typha_pki_dir=str(tmp_path / "pki"),
               calico_artifacts_dir=str(tmp_path / "artifacts"))
    tls = plan_of(inv)["manifest"]["typha"]["tls"]
    assert tls == {"enabled": True, "pki_dir": str(tmp_path / "pki"), "server_name": "calico-typha", "client_name": "calico-node"}
    inside = base(nodes=60, calico_typha_tls=True, calico_typha_pki_dir=str(tmp_path / "artifacts" / "pki"),
                  calico_artifacts_dir=str(tmp_path / "artifacts"))
    errors = [str(e) for e in build_plan(inside).errors]
    assert any(e.startswith("calico_typha_pki_dir:") and "inside calico_artifacts_dir" in e for e in errors), errors
    # No Typha, no TLS; and the Felix settings of TLS are not for calico_felix_env.
    assert plan_of(base(calico_typha_tls=True))["manifest"]["typha"]["tls"]["enabled"] is False
    errors = [str(e) for e in build_plan(base(calico_felix_env={"FELIX_TYPHACN": "x"})).errors]
    assert any("FELIX_TYPHACN is decided by calico_typha_tls" in e for e in errors), errors
