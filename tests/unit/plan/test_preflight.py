"""Preflight rules: every rule with a valid case and invalid cases that assert the message.

Inventories are built in Python as ``InventoryInput`` (what the plan action hands the core),
starting from a small valid cluster and changing one thing at a time.
"""

import copy

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from plan_inputs import base, tor_base


def errors_of(inv):
    return [str(e) for e in build_plan(inv).errors]


def warnings_of(inv):
    return [str(w) for w in build_plan(inv).warnings]


def assert_error(inv, *fragments):
    errs = errors_of(inv)
    assert any(all(f in e for f in fragments) for e in errs), "no error with %r in %r" % (fragments, errs)
    result = build_plan(inv)
    assert result.plan is None


def assert_warning(inv, *fragments):
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    ws = [str(w) for w in result.warnings]
    assert any(all(f in w for f in fragments) for w in ws), "no warning with %r in %r" % (fragments, ws)


# --- valid baselines ----------------------------------------------------------------------


def test_base_inventories_are_valid():
    for inv in (base(), tor_base(), tor_base("as_per_node"), tor_base("downward_default")):
        if inv.cluster.get("calico_tor_design") == "as_per_node":
            for n in inv.group("k8s_cluster"):
                inv.hosts[n]["calico_node_asn"] = 64600 + int(n[1]) + (10 if n[0] == "b" else 0)
        result = build_plan(inv)
        assert result.ok, [str(e) for e in result.errors]
        assert result.warnings == []


def test_errors_are_collected_not_fail_fast():
    inv = base(calico_pod_cidr="10.244.0.1/16", calico_block_size=40, calico_asn=23456, calico_datastore="consul")
    errs = errors_of(inv)
    assert len(errs) >= 4
    subjects = {e.split(":")[0] for e in errs}
    assert {"calico_pod_cidr", "calico_asn", "calico_datastore"} <= subjects


def test_every_error_names_subject_and_fix():
    inv = base(calico_pod_cidr="10.244.0.1/16")
    (err,) = build_plan(inv).errors
    assert err.subject == "calico_pod_cidr"
    assert "host bits" in err.message
    assert "10.244.0.0/16" in err.fix


# --- CIDRs --------------------------------------------------------------------------------

CIDR_CASES = [
    ({"calico_pod_cidr": "10.244.0.1/16"}, ("calico_pod_cidr", "host bits set", "10.244.0.0/16")),
    ({"calico_pod_cidr": "not-a-cidr"}, ("calico_pod_cidr", "not a valid CIDR")),
    ({"calico_pod_cidr": "10.244.0.0"}, ("calico_pod_cidr", "no prefix length")),
    ({"calico_pod_cidr": "fd00::/48"}, ("calico_pod_cidr", "not an IPv4 network")),
    ({"calico_pod_cidr_v6": "10.1.0.0/16"}, ("calico_pod_cidr_v6", "not an IPv6 network")),
    ({"calico_service_cidr": "10.96.0.1/12"}, ("calico_service_cidr", "host bits")),
    ({"calico_pod_cidr": "10.96.0.0/16"}, ("calico_pod_cidr", "overlaps calico_service_cidr")),
    ({"calico_pod_cidr": "10.10.0.0/20"}, ("calico_pod_cidr", "overlaps node subnet 10.10.0.0/16")),
    ({"calico_pod_cidr": "169.254.0.0/16"}, ("calico_pod_cidr", "link-local")),
    ({"calico_pod_cidr_v6": "fe80::/64", "calico_encapsulation": "vxlan"}, ("calico_pod_cidr_v6", "link-local")),
    ({"calico_block_size": 19}, ("calico_block_size", "outside 20..32")),
    ({"calico_block_size": 33}, ("calico_block_size", "outside 20..32")),
    (
        {"calico_pod_cidr_v6": "fd00:10::/56", "calico_block_size_v6": 112, "calico_encapsulation": "vxlan"},
        ("calico_block_size_v6", "outside 116..128"),
    ),
    ({"calico_pod_cidr": "10.244.0.0/28", "calico_block_size": 26}, ("calico_block_size", "smaller than one block")),
    ({"calico_block_size": "big"}, ("calico_block_size", "must be an integer")),
    ({"calico_node_subnets": ["10.10.0.0/33"]}, ("calico_node_subnets", "not a valid CIDR")),
]


@pytest.mark.parametrize("cluster,fragments", CIDR_CASES, ids=[c[1][0] + "-" + c[1][1] for c in CIDR_CASES])
def test_cidr_rules(cluster, fragments):
    assert_error(base(**cluster), *fragments)


def test_pool_overlapping_node_address_without_subnets():
    inv = base()
    inv.cluster.pop("calico_node_subnets")
    inv.cluster["calico_pod_cidr"] = "10.10.0.0/16"
    assert_error(inv, "calico_pod_cidr", "contains node or router addresses", "4 host(s): n01, n02, n03, n04")


def test_pools_must_not_overlap_each_other_and_lie_in_pod_cidr():
    pools = [
        {"name": "a", "cidr": "10.244.0.0/18"},
        {"name": "b", "cidr": "10.244.32.0/19"},
        {"name": "c", "cidr": "10.250.0.0/24"},
    ]
    inv = base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=pools)
    errs = errors_of(inv)
    assert any("calico_ip_pools[a]" in e and "overlaps pool b" in e for e in errs)
    assert any("calico_ip_pools[c]" in e and "not inside calico_pod_cidr 10.244.0.0/16" in e for e in errs)


def test_pool_overlapping_tor_peer_address():
    inv = tor_base(calico_pod_cidr="10.1.0.0/16")
    assert_error(inv, "overlaps node subnet 10.1.1.0/24, 10.1.2.0/24", "tor1 (calico_tor_peer_ip)")


def test_pool_entry_errors():
    pools = [
        {"name": "Bad_Name", "cidr": "10.244.0.0/24"},
        {"name": "dup", "cidr": "10.244.1.0/24"},
        {"name": "dup", "cidr": "10.244.2.0/24"},
        {"name": "weird", "cidr": "10.244.3.0/24", "colour": "blue"},
        {"name": "rk", "cidr": "10.244.4.0/24", "racks": ["nowhere"]},
        {"name": "both", "cidr": "10.244.5.0/24", "ipip_mode": "Always", "vxlan_mode": "Always"},
        {"name": "v6ipip", "cidr": "fd00:10:0:1::/64", "encapsulation": "ipip"},
    ]
    errs = errors_of(base(calico_ip_pools=pools, calico_pod_cidr_v6="fd00:10::/48"))
    expected = [
        "name 'Bad_Name' is not a DNS-1123 name",
        "pool name dup is used twice",
        "unknown keys: colour",
        "rack 'nowhere' is not defined",
        "enables both IPIP and VXLAN",
        "IPIP is IPv4 only",
    ]
    for text in expected:
        assert any(text in e for e in errs), (text, errs)


# --- encapsulation and BGP mode ------------------------------------------------------------


def test_bgp_none_requires_vxlan():
    assert_error(base(calico_bgp_mode="none", calico_encapsulation="ipip"), "calico_bgp_mode", "not every pool uses VXLAN")
    ok = build_plan(base(calico_bgp_mode="none", calico_encapsulation="vxlan"))
    assert ok.ok and ok.plan["manifest"]["calico_backend"] == "vxlan"


def test_ipip_on_ipv6_default_pool():
    assert_error(base(calico_pod_cidr_v6="fd00:10::/48", calico_encapsulation="ipip"), "calico_pod_cidr_v6", "IPIP is IPv4 only")


@pytest.mark.parametrize(
    "var,value,fragment",
    [
        ("calico_datastore", "consul", "not one of: kubernetes, etcd"),
        ("calico_encapsulation", "gre", "not one of: ipip"),
        ("calico_bgp_mode", "ospf", "not one of: full_mesh"),
        ("calico_tor_design", "spine", "not one of: as_per_rack"),
        ("calico_production", "perhaps", "must be true or false"),
        ("calico_racks", ["r1"], "must be a mapping"),
        ("calico_mtu", "jumbo", "an integer or 'auto'"),
        ("calico_cluster_name", "My_Cluster", "not a DNS-1123 name"),
        ("calico_kubernetes_version", "latest", "not a MAJOR.MINOR version"),
    ],
)
def test_variable_types_and_choices(var, value, fragment):
    assert_error(base(**{var: value}), var, fragment)


# --- Typha ----------------------------------------------------------------------------------


def test_typha_variant_above_threshold():
    plan = build_plan(base(nodes=51)).plan
    assert plan["manifest"]["variant"] == "calico-typha.yaml"
    assert {k: v for k, v in plan["manifest"]["typha"].items() if k != "tls"} == {"enabled": True, "replicas": 1, "node_threshold": 50}
    plan = build_plan(base(nodes=50)).plan
    assert plan["manifest"]["variant"] == "calico.yaml" and plan["manifest"]["typha"]["enabled"] is False


def test_typha_zero_replicas_is_an_error():
    assert_error(base(nodes=60, calico_typha_replicas=0), "calico_typha_replicas", "Felix will not start")


def test_typha_replicas_not_below_node_count():
    assert_error(base(nodes=5, calico_typha_node_threshold=2, calico_typha_replicas=5), "calico_typha_replicas", "rolling upgrade")


def test_typha_warnings_quote_the_rule():
    assert_warning(base(nodes=60, calico_typha_replicas=25), "above 20 replicas", "one replica per 200 nodes")
    assert_warning(base(nodes=60, calico_production=True, calico_typha_replicas=2), "below 3 with calico_production")
    inv = base(nodes=60, calico_typha_replicas=1)
    inv.cluster["calico_typha_node_threshold"] = 10
    assert build_plan(inv).warnings == []


def test_typha_single_node_auto_cannot_work():
    assert_error(base(nodes=1, calico_typha_node_threshold=0), "calico_typha_replicas", "auto gives 0 replicas")


def test_variant_override_is_validated():
    assert_error(base(calico_manifest_variant="calico-etcd.yaml"), "calico_manifest_variant", "does not fit the kubernetes datastore")
    plan = build_plan(base(calico_manifest_variant="calico-typha.yaml")).plan
    assert plan["manifest"]["variant"] == "calico-typha.yaml" and plan["manifest"]["typha"]["replicas"] == 1


# --- BGP ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "asn,fragment",
    [(0, "not an integer in 1..4294967295"), (4294967296, "not an integer"), ("sixty", "must be an integer"), (23456, "AS_TRANS")],
)
def test_asn_errors(asn, fragment):
    assert_error(base(calico_asn=asn), "calico_asn", fragment)


def test_public_asn_warns():
    assert_warning(base(calico_asn=3320), "calico_asn", "not a private AS number")


def test_full_mesh_size_warns_and_errors_in_production():
    assert_warning(base(nodes=101, calico_typha_node_threshold=200), "calico_bgp_mode", "does not scale", "route_reflectors")
    assert_error(base(nodes=101, calico_typha_node_threshold=200, calico_production=True), "calico_bgp_mode", "does not scale")


def rr_inventory(rrs=("n01", "n02"), **cluster):
    inv = base(nodes=6, calico_bgp_mode="route_reflectors", **cluster)
    inv.groups["calico_route_reflectors"] = list(rrs)
    for r in rrs:
        inv.hosts.setdefault(r, {})["calico_route_reflector_cluster_id"] = "244.0.0.1"
    return inv


def test_route_reflector_rules():
    plan = build_plan(rr_inventory()).plan
    assert plan["bgp"]["route_reflectors"] == ["n01", "n02"] and plan["bgp"]["node_to_node_mesh"] is False
    assert [p["name"] for p in plan["nodes"]["n03"]["peers"]] == ["n01", "n02"]
    assert plan["nodes"]["n01"]["labels"] == {"route-reflector": "true"}
    rr_peers = plan["nodes"]["n01"]["peers"]
    assert [p["name"] for p in rr_peers if p["kind"] == "route_reflector"] == ["n02"]
    assert len([p for p in rr_peers if p["kind"] == "node"]) == 4
    assert_error(rr_inventory(rrs=()), "calico_route_reflectors", "needs at least 1")
    assert_error(rr_inventory(rrs=("n01",), calico_production=True), "needs at least 2 in production")
    inv = rr_inventory()
    inv.hosts["n01"]["calico_route_reflector_cluster_id"] = "cluster-a"
    assert_error(inv, "n01", "not a dotted-quad")
    inv = rr_inventory()
    del inv.hosts["n02"]["calico_route_reflector_cluster_id"]
    assert_error(inv, "n02", "without calico_route_reflector_cluster_id")
    inv = rr_inventory()
    inv.groups["calico_route_reflectors"].append("outsider")
    assert_error(inv, "outsider", "not in k8s_cluster")


def test_tor_mode_needs_design():
    inv = tor_base()
    inv.cluster.pop("calico_tor_design")
    assert_error(inv, "calico_tor_design", "required with calico_bgp_mode: tor")


def test_tor_node_without_rack():
    inv = tor_base()
    del inv.hosts["a2"]["calico_rack"]
    assert_error(inv, "a2", "has no calico_rack")


def test_tor_rack_without_routers():
    inv = tor_base()
    inv.cluster["calico_racks"]["r2"]["tor_routers"] = []
    inv.groups["tor_routers"] = ["tor1"]
    assert_error(inv, "b1", "rack r2, which has no tor_routers")


def test_tor_peer_outside_rack_subnet():
    inv = tor_base()
    inv.hosts["tor2"]["calico_tor_peer_ip"] = "10.1.9.1"
    assert_error(inv, "tor2", "outside rack r2's subnets")


def test_as_per_rack_tor_asn_must_equal_rack():
    inv = tor_base()
    inv.hosts["tor1"]["calico_tor_asn"] = 65009
    # The router runs AS 65009 and this collection never changes a router's AS: the rack follows.
    assert_error(
        inv,
        "tor1: calico_tor_asn 65009 (the AS configured on the router) differs from rack r1's asn 65001",
        "Fix: set calico_racks.r1.asn to 65009 to match the router",
        "or correct calico_tor_asn if the router really runs AS 65001",
    )


def test_as_per_rack_requires_rack_asn():
    inv = tor_base()
    inv.cluster["calico_racks"]["r1"].pop("asn")
    assert_error(inv, "calico_racks.r1.asn", "required with calico_tor_design: as_per_rack")


def test_as_per_node_requires_node_asn():
    inv = tor_base("as_per_node")
    assert_error(inv, "a1", "has no calico_node_asn")


def test_downward_default_needs_ebgp():
    inv = tor_base("downward_default", calico_asn=65100)
    assert_error(inv, "tor1", "equals calico_asn")


def test_tor_dual_stack_needs_ipv6_addresses_on_both_ends():
    inv = tor_base(calico_pod_cidr_v6="fd00:10::/48", calico_encapsulation="vxlan")
    errs = errors_of(inv)
    assert any(e.startswith("tor1") and "calico_tor_peer_ip6" in e for e in errs), errs
    assert any(e.startswith("a1") and "calico_node_ip6" in e for e in errs), errs


def test_tor_router_variables():
    inv = tor_base()
    inv.hosts["tor1"].update(calico_tor_platform="ios", calico_tor_router_id="r1", calico_tor_peer_ip="nope")
    errs = errors_of(inv)
    for text in (
        "calico_tor_platform 'ios' is not one of",
        "calico_tor_router_id 'r1' is not a dotted-quad",
        "calico_tor_peer_ip 'nope' is not an IP",
    ):
        assert any(text in e for e in errs), (text, errs)
    inv = tor_base("downward_default")
    del inv.hosts["tor2"]["calico_tor_asn"]
    assert_error(inv, "tor2: calico_tor_asn is not set", "Fix: set the AS number configured on the router")
    inv = tor_base()
    del inv.hosts["tor2"]["calico_tor_peer_ip"]
    assert_error(inv, "tor2: calico_tor_peer_ip is not set.")
    assert not any("None" in e for e in errors_of(inv))


def test_rack_references():
    inv = tor_base()
    inv.hosts["a1"]["calico_rack"] = "r9"
    assert_error(inv, "a1", "calico_rack 'r9' is not defined in calico_racks")
    inv = tor_base()
    inv.cluster["calico_racks"]["r1"]["tor_routers"] = ["tor1", "ghost"]
    assert_error(inv, "calico_racks.r1.tor_routers", "ghost is not a host of group tor_routers")
    inv = tor_base()
    inv.hosts["a1"]["calico_node_ip"] = "10.1.2.50"
    assert_error(inv, "a1", "outside the subnets of rack r1")


def test_duplicate_node_addresses_and_names():
    inv = base()
    inv.hosts["n02"]["ansible_host"] = "10.10.0.10"
    assert_error(inv, "n02", "already used by n01")
    inv = tor_base()
    inv.groups["k8s_cluster"].append("tor1")
    assert_error(inv, "tor1", "both a node (k8s_cluster) and a ToR router")


def test_node_address_required():
    inv = base()
    inv.hosts["n03"] = {"ansible_host": "n03.example.com"}
    assert_error(inv, "n03", "has no node address", "set calico_node_ip")
    inv.hosts["n03"]["calico_node_ip"] = "10.10.0.99"
    assert build_plan(inv).ok


def test_empty_cluster():
    inv = base()
    inv.groups["k8s_cluster"] = []
    assert_error(inv, "k8s_cluster", "no node to install Calico on")


# --- etcd -----------------------------------------------------------------------------------


def test_etcd_rules(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    assert_error(base(calico_datastore="etcd"), "calico_etcd_endpoints", "is empty")
    assert_error(base(calico_datastore="etcd", calico_etcd_endpoints=["10.0.0.5:2379"]), "not a URL with scheme and port")
    assert_error(base(calico_datastore="etcd", calico_etcd_endpoints=["https://etcd1"]), "not a URL with scheme and port")
    inv = base(
        calico_datastore="etcd",
        calico_etcd_endpoints=["https://etcd1:2379"],
        calico_etcd_ca_file=str(ca),
        calico_etcd_cert_file=str(tmp_path / "missing.pem"),
    )
    errs = errors_of(inv)
    assert any("calico_etcd_cert_file" in e and "does not exist on the controller" in e for e in errs)
    assert any("calico_etcd_key_file" in e and "required with https" in e for e in errs)
    plan = build_plan(base(calico_datastore="etcd", calico_etcd_endpoints=["http://etcd1:2379"])).plan
    assert plan["manifest"]["variant"] == "calico-etcd.yaml" and plan["manifest"]["etcd"]["tls"] is False
    assert [r["port"] for r in plan["host_preparation"]["firewall_rules"] if r["group"] == "etcd"] == [2379]


# --- version --------------------------------------------------------------------------------


def test_version_outside_catalog():
    assert_error(base(calico_version="3.29.0"), "calico_version", "not in the catalog (supported: 3.30.7, 3.31.7, 3.32.1)")
    plan = build_plan(base(calico_version="3.29.0", calico_manifest_sha256="ab" * 32, calico_calicoctl_sha256="cd" * 32)).plan
    assert plan["manifest"]["sha256"] == "ab" * 32 and plan["manifest"]["sha256_source"] == "calico_manifest_sha256"
    assert_error(base(calico_version="3.29.0", calico_manifest_sha256="xyz"), "calico_manifest_sha256", "not a 64-digit hex")
    assert_error(base(calico_manifest_sha256="ab" * 32), "calico_manifest_sha256", "differs from the catalog")


# --- MTU, sysctls, felix --------------------------------------------------------------------


def test_mtu_rules():
    assert_warning(base(calico_mtu=1500), "calico_mtu", "IPIP overhead 20", "1480")
    assert_warning(base(calico_mtu=1460, calico_encapsulation="vxlan"), "VXLAN overhead 50")
    assert build_plan(base(calico_mtu=1480)).warnings == []
    assert_error(base(calico_mtu=100), "calico_mtu", "not a usable MTU")
    inv = base(calico_mtu=8950)
    for h in inv.hosts.values():
        h["calico_interface_mtu"] = 9000
    inv.hosts["n02"]["calico_interface_mtu"] = 1500
    assert_warning(inv, "smallest node interface MTU 1500")


def test_rp_filter_and_felix_env():
    assert_error(base(calico_rp_filter=2), "calico_rp_filter", "is 2", "strict reverse-path rule")
    # The old escape hatch does not exist in the supported releases: neither accepted nor suggested.
    assert_error(base(calico_rp_filter=2, calico_felix_env={"FELIX_IGNORELOOSERPF": True}), "calico_rp_filter", "is 2")
    assert not any("IGNORELOOSERPF" in e for e in errors_of(base(calico_rp_filter=2)))
    assert_warning(base(calico_felix_env={"FELIX_IGNORELOOSERPF": True}), "calico_felix_env", "FELIX_IGNORELOOSERPF is not a setting")
    assert_error(base(calico_felix_env={"LOGLEVEL": "debug"}), "calico_felix_env", "not a FELIX_* variable")
    assert_error(base(calico_felix_env={"FELIX_IPINIPMTU": 1400}), "calico_felix_env", "FELIX_IPINIPMTU is decided by calico_mtu")


def test_cluster_variable_conflict_reported():
    inv = base()
    inv.conflicts = [("n02", "calico_pod_cidr")]
    assert_error(inv, "n02", "calico_pod_cidr", "group_vars/all")


def test_plan_is_deterministic_and_has_no_secrets():
    inv = base(calico_bgp_password="s3cr3t-pw")
    a, b = build_plan(copy.deepcopy(inv)).plan, build_plan(copy.deepcopy(inv)).plan
    assert a == b
    assert "s3cr3t-pw" not in repr(a)
    assert a["bgp"]["password"]["enabled"] is True


def test_communities_need_a_prefix_and_resolve_pool_names():
    # calicoctl refuses a community that no prefixAdvertisement uses: caught in preflight.
    assert_error(base(calico_bgp_communities=[{"name": "pods", "value": "65000:100"}]),
                 "calico_bgp_communities[0]", "(pods) is attached to no prefix", "add prefixes:")
    assert_error(base(calico_bgp_communities=[{"name": "pods", "value": "65000:100", "prefixes": ["nope"]}]),
                 "calico_bgp_communities[0]", "'nope' is neither a pool name nor a CIDR")
    result = build_plan(base(calico_bgp_communities=[
        {"name": "pods", "value": "65000:100", "prefixes": ["default-ipv4-ippool", "192.0.2.0/24"]},
        {"name": "edge", "value": "65000:200", "prefixes": ["192.0.2.0/24"]}]))
    assert result.ok, [str(e) for e in result.errors]
    pool = next(p for p in result.plan["ip_pools"] if p["name"] == "default-ipv4-ippool")
    assert result.plan["bgp"]["prefix_advertisements"] == sorted([
        {"cidr": pool["cidr"], "communities": ["pods"]},
        {"cidr": "192.0.2.0/24", "communities": ["pods", "edge"]}], key=lambda a: a["cidr"])
