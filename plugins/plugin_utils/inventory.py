"""The inventory contract: which variables the collection reads, their types and defaults.

``InventoryInput`` is what the plan core consumes: the cluster variables (resolved once for
the whole cluster), the groups, and the per-host variables of the hosts in those groups.
It carries no Ansible objects, so the core can be driven from tests, benchmarks or any other
inventory source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

# Groups the collection reads. k8s_cluster holds every node that runs calico-node.
GROUPS = (
    "k8s_cluster",
    "kube_control_plane",
    "kube_node",
    "calico_route_reflectors",
    "tor_routers",
    "etcd",
)

ENCAPSULATIONS = ("ipip", "ipip_cross_subnet", "vxlan", "vxlan_cross_subnet", "none")
BGP_MODES = ("full_mesh", "route_reflectors", "tor", "none")
TOR_DESIGNS = ("as_per_rack", "as_per_node", "downward_default")
TOR_PLATFORMS = ("frr", "eos", "nxos", "junos")
DATASTORES = ("kubernetes", "etcd")
TOR_NEIGHBOR_MODES = ("explicit", "listen_range")

# Cluster variables: name -> (type, default). Types: str, int, bool, list, dict, "int|auto",
# "str?" (optional string). The plan core converts and validates every one of them.
CLUSTER_VARS: dict[str, tuple[str, Any]] = {
    "calico_cluster_name": ("str", "calico"),
    "calico_version": ("str", "3.31.7"),
    "calico_kubernetes_version": ("str", "1.33"),
    "calico_datastore": ("str", "kubernetes"),
    "calico_etcd_endpoints": ("list", []),
    "calico_etcd_ca_file": ("str?", None),
    "calico_etcd_cert_file": ("str?", None),
    "calico_etcd_key_file": ("str?", None),
    "calico_pod_cidr": ("str", "192.168.0.0/16"),
    "calico_pod_cidr_v6": ("str?", None),
    "calico_service_cidr": ("str", "10.96.0.0/12"),
    "calico_node_subnets": ("list", []),
    "calico_block_size": ("int", 26),
    "calico_block_size_v6": ("int", 122),
    "calico_encapsulation": ("str", "ipip"),
    "calico_nat_outgoing": ("bool", True),
    "calico_nat_outgoing_v6": ("bool", False),
    "calico_mtu": ("int|auto", "auto"),
    "calico_interface_mtu": ("int", 1500),
    "calico_wireguard": ("bool", False),
    "calico_bgp_mode": ("str", "full_mesh"),
    "calico_tor_design": ("str?", None),
    "calico_asn": ("int", 64512),
    "calico_bgp_listen_port": ("int", 179),
    "calico_bgp_timers": ("dict", {}),
    "calico_bgp_communities": ("list", []),
    "calico_bgp_peer_extra": ("dict", {}),
    "calico_bgp_password": ("str?", None),
    "calico_rack_label": ("str", "onprem.calico/rack"),
    "calico_typha_replicas": ("int|auto", "auto"),
    "calico_typha_node_threshold": ("int", 50),
    "calico_production": ("bool", False),
    "calico_ip_pools": ("list", []),
    "calico_racks": ("dict", {}),
    "calico_advertise_service_cluster_ips": ("bool", False),
    "calico_advertise_service_external_ips": ("list", []),
    "calico_advertise_service_loadbalancer_ips": ("list", []),
    "calico_manifest_mirror": ("str?", None),
    "calico_manifest_sha256": ("str?", None),
    "calico_manifest_variant": ("str?", None),
    "calico_image_registry": ("str?", None),
    "calico_image_pull_secrets": ("list", []),
    "calico_felix_env": ("dict", {}),
    "calico_ip_autodetection_method": ("str?", None),
    "calico_ip6_autodetection_method": ("str?", None),
    "calico_artifacts_dir": ("str", "artifacts"),
    "calico_rp_filter": ("int", 1),
    "calico_conntrack_max": ("int?", None),
    "calico_sysctl_overrides": ("dict", {}),
    "calico_tor_neighbor_mode": ("str", "explicit"),
    "calico_tor_maximum_prefix": ("int", 12000),
    "calico_tor_maximum_paths": ("int", 8),
    "calico_tor_graceful_restart": ("dict", {}),
    "calico_tor_object_prefix": ("str", "CALICO-"),
    "calico_tor_send_default": ("bool", False),
    "calico_bgp_ttl_security": ("bool", False),
}

# Host variables of nodes (k8s_cluster) and of routers (tor_routers).
NODE_VARS = (
    "ansible_host",
    "calico_node_ip",
    "calico_node_ip6",
    "calico_rack",
    "calico_node_asn",
    "calico_route_reflector_cluster_id",
    "calico_interface_mtu",
)
ROUTER_VARS = (
    "ansible_host",
    "calico_rack",
    "calico_tor_platform",
    "calico_tor_asn",
    "calico_tor_router_id",
    "calico_tor_peer_ip",
    "calico_tor_peer_ip6",
    "calico_tor_cluster_id",
)
HOST_VARS = tuple(dict.fromkeys(NODE_VARS + ROUTER_VARS))

# Defaults that are not cluster variables but shape BGP sessions on both ends.
DEFAULT_BGP_TIMERS = {"keepalive": 30, "hold": 90, "connect_retry": 10}
DEFAULT_GRACEFUL_RESTART = {"restart_time": 120, "stalepath_time": 360}

# Variables that are secrets: never copied into the plan or printed.
SECRET_VARS = ("calico_bgp_password",)


@dataclass
class InventoryInput:
    """Everything the plan core reads, already resolved by whoever owns the inventory."""

    cluster: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Cluster variables found set differently on some hosts: (host, variable) pairs.
    conflicts: list[tuple[str, str]] = field(default_factory=list)

    def group(self, name: str) -> list[str]:
        return list(self.groups.get(name) or [])


_MISSING = object()


def collect(
    groups: Mapping[str, Iterable[str]],
    play_raw: Mapping[str, Any],
    play_value: Callable[[str], Any],
    host_raw: Callable[[str], Mapping[str, Any]],
    host_value: Callable[[str, str], Any],
) -> InventoryInput:
    """Build an ``InventoryInput`` from any inventory that can answer these questions.

    ``play_raw`` / ``play_value(name)``: cluster variables as the play sees them (group_vars/all,
    extra vars), untemplated / templated. ``host_raw(host)`` / ``host_value(host, name)``: a
    host's variables, untemplated / templated. Templating is only asked for variables that are
    set, so large inventories stay fast.

    A cluster variable may live in group_vars/all or in a group covering every node (e.g.
    group_vars/k8s_cluster); a node that disagrees with the cluster's value is a conflict.
    """
    grp = {g: list(dict.fromkeys(groups.get(g) or [])) for g in GROUPS}
    nodes = grp["k8s_cluster"]
    hosts_of_interest = list(dict.fromkeys(nodes + grp["tor_routers"]))
    raws = {h: host_raw(h) for h in hosts_of_interest}
    cluster: dict[str, Any] = {}
    conflicts: list[tuple[str, str]] = []
    for name in CLUSTER_VARS:
        if name in play_raw:
            cluster[name] = play_value(name)
            ref_raw, ref_value, ref_host = play_raw[name], cluster[name], None
        else:
            holders = [h for h in nodes if name in raws[h]]
            if not holders:
                continue
            ref_host = holders[0]
            ref_raw, ref_value = raws[ref_host][name], host_value(ref_host, name)
            cluster[name] = ref_value
            conflicts.extend((h, name) for h in nodes if name not in raws[h])
        for h in nodes:
            raw = raws[h].get(name, _MISSING)
            if raw is _MISSING or h == ref_host or raw is ref_raw or raw == ref_raw:
                continue
            if host_value(h, name) != ref_value:
                conflicts.append((h, name))
    hosts: dict[str, dict[str, Any]] = {}
    for h in hosts_of_interest:
        raw = raws[h]
        hosts[h] = {k: host_value(h, k) for k in HOST_VARS if k in raw}
    return InventoryInput(cluster=cluster, groups=grp, hosts=hosts, conflicts=sorted(set(conflicts)))


class HostView:
    """A host's variables fetched once per host and templated on demand in its own context.

    ``hostvars[host]`` recomputes every variable of the host on each access; on a 2,000-node
    inventory asking it once per variable dominated the plan's run time. ``make_templar(vars)``
    returns an object with ``template(value)`` bound to those variables.
    """

    def __init__(self, raw_get: Callable[[str], Mapping[str, Any]], make_templar: Callable[[Mapping[str, Any]], Any]):
        self._raw_get = raw_get
        self._make_templar = make_templar
        self._raw: dict[str, Mapping[str, Any]] = {}
        self._templars: dict[str, Any] = {}

    def raw(self, host: str) -> Mapping[str, Any]:
        if host not in self._raw:
            self._raw[host] = self._raw_get(host)
        return self._raw[host]

    def value(self, host: str, name: str) -> Any:
        templar = self._templars.get(host)
        if templar is None:
            templar = self._templars[host] = self._make_templar(self.raw(host))
        return templar.template(self.raw(host)[name])
