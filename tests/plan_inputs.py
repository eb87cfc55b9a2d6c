"""Small valid inventories for the plan core, built in Python; tests change one thing at a time."""

from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import InventoryInput
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan


def base(nodes=4, **cluster):
    """A valid full-mesh cluster of ``nodes`` nodes on 10.10.0.0/16 (n01 = 10.10.0.10)."""
    names = ["n%02d" % i for i in range(1, nodes + 1)]
    inv = InventoryInput(
        cluster={"calico_node_subnets": ["10.10.0.0/16"], **cluster},
        groups={"k8s_cluster": names, "kube_control_plane": names[:1], "kube_node": names[1:]},
        hosts={n: {"ansible_host": "10.10.%d.%d" % (i // 200, 10 + i % 200)} for i, n in enumerate(names)},
    )
    return inv


def tor_base(design="as_per_rack", **cluster):
    """Two racks of two nodes, one FRR ToR each."""
    racks = {
        "r1": {"asn": 65001, "subnets": ["10.1.1.0/24"], "tor_routers": ["tor1"]},
        "r2": {"asn": 65002, "subnets": ["10.1.2.0/24"], "tor_routers": ["tor2"]},
    }
    nodes = {"a1": ("r1", "10.1.1.11"), "a2": ("r1", "10.1.1.12"), "b1": ("r2", "10.1.2.11"), "b2": ("r2", "10.1.2.12")}
    hosts = {n: {"ansible_host": ip, "calico_rack": r} for n, (r, ip) in nodes.items()}
    for i, r in ((1, "r1"), (2, "r2")):
        hosts["tor%d" % i] = {
            "calico_tor_platform": "frr",
            "calico_tor_asn": 65000 + i if design == "as_per_rack" else 65100,
            "calico_tor_router_id": "10.255.0.%d" % i,
            "calico_tor_peer_ip": "10.1.%d.1" % i,
        }
    c = {"calico_bgp_mode": "tor", "calico_tor_design": design, "calico_racks": racks, "calico_encapsulation": "none", **cluster}
    return InventoryInput(
        cluster=c,
        groups={"k8s_cluster": list(nodes), "kube_control_plane": ["a1"], "kube_node": ["a2", "b1", "b2"], "tor_routers": ["tor1", "tor2"]},
        hosts=hosts,
    )


def with_ipv6_racks(inv):
    """tor_base's racks with an IPv6 subnet each (fd00:1:<n>::/64) and every node and ToR addressed in it."""
    for number, rack in enumerate(sorted(inv.cluster["calico_racks"]), start=1):
        inv.cluster["calico_racks"][rack]["subnets"].append("fd00:1:%d::/64" % number)
    for name, host in inv.hosts.items():  # tor_base: a1, a2 and tor1 in rack r1, the rest in r2
        last = host.get("ansible_host", host.get("calico_tor_peer_ip", "")).rsplit(".", 1)[-1]
        number = 1 if name in ("a1", "a2", "tor1") else 2
        host["calico_tor_peer_ip6" if name.startswith("tor") else "calico_node_ip6"] = "fd00:1:%d::%s" % (number, last)
    return inv


def plan_of(inv):
    """The plan of a valid inventory; fails the test with every error otherwise."""
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    return result.plan


def errors_of(inv):
    """Every error of the inventory's plan, as the user reads them."""
    return [str(e) for e in build_plan(inv).errors]
