"""Generate docs/troubleshooting.md from the plan core's own preflight messages.

Every case below is a small inventory with one mistake. ``build_plan`` runs on each, and every
error and warning it reports is recorded together with the line of the plan core that raised
it (the ``findings.error``/``findings.warn`` call site). The document lists, per call site, the
most focused case that reached it: the exact message, the fix the core suggests, and the inventory
that triggers it. ``uncovered_call_sites()`` names the call sites no case reaches, so a new
preflight rule without a case here fails the unit test and `make docs-check`.
"""

from __future__ import annotations

import ast
import copy
import inspect
import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from ansible_collections.onprem.calico.plugins.plugin_utils import input_schema as input_schema_module
from ansible_collections.onprem.calico.plugins.plugin_utils import plan as plan_module
from ansible_collections.onprem.calico.plugins.plugin_utils import preflight as preflight_module
from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import InventoryInput
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import (
    bgp,
    cluster,
    context,
    host_preparation,
    manifest_inputs,
    pools,
    topology,
    tor_sessions,
)

# Every module of the plan core that reports findings, in the order of the plan's sections.
CORE_MODULES = (
    input_schema_module, context, cluster, topology, pools, bgp, tor_sessions, manifest_inputs, host_preparation, preflight_module,
)
DOC_PATH = os.path.join("docs", "troubleshooting.md")


# --- the inventories ---------------------------------------------------------------------


@dataclass
class Case:
    """One mistake on top of a valid base inventory.

    base: "mesh" (full mesh, nodes n01.. on 10.10.0.10.., calico_node_subnets 10.10.0.0/16) or
    "tor" (two racks r1/r2 of two nodes each, one FRR ToR per rack, as_per_rack).
    """

    base: str = "mesh"
    nodes: int = 4
    cluster: dict = field(default_factory=dict)
    hosts: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)
    # Host variables removed from the base (host -> [names]).
    unset: dict = field(default_factory=dict)
    # Conflicting cluster variables (what the inventory loader reports as (host, variable)).
    conflicts: list = field(default_factory=list)
    # Variables that are no cluster variable, set in group_vars/all.yml (typos, other tools' names).
    stray: dict = field(default_factory=dict)


def _mesh(n: int) -> InventoryInput:
    names = ["n%02d" % i for i in range(1, n + 1)]
    return InventoryInput(
        cluster={"calico_node_subnets": ["10.10.0.0/16"]},
        groups={"k8s_cluster": names, "kube_control_plane": names[:1], "kube_node": names[1:]},
        hosts={h: {"ansible_host": "10.10.%d.%d" % (i // 200, 10 + i % 200)} for i, h in enumerate(names)},
    )


# The racks of the two-rack ToR cluster, numbered for rack pools.
RACKS = {
    "r1": {"asn": 65001, "subnets": ["10.1.1.0/24"], "tor_routers": ["tor1"], "index": 0},
    "r2": {"asn": 65002, "subnets": ["10.1.2.0/24"], "tor_routers": ["tor2"], "index": 1},
}


def _tor() -> InventoryInput:
    nodes = {"a1": ("r1", "10.1.1.11"), "a2": ("r1", "10.1.1.12"), "b1": ("r2", "10.1.2.11"), "b2": ("r2", "10.1.2.12")}
    hosts = {n: {"ansible_host": ip, "calico_rack": r} for n, (r, ip) in nodes.items()}
    for i in (1, 2):
        hosts["tor%d" % i] = {
            "calico_tor_platform": "frr",
            "calico_tor_asn": 65000 + i,
            "calico_tor_router_id": "10.255.0.%d" % i,
            "calico_tor_peer_ip": "10.1.%d.1" % i,
        }
    cluster = {
        "calico_bgp_mode": "tor",
        "calico_tor_design": "as_per_rack",
        "calico_encapsulation": "none",
        "calico_racks": {
            "r1": {"asn": 65001, "subnets": ["10.1.1.0/24"], "tor_routers": ["tor1"]},
            "r2": {"asn": 65002, "subnets": ["10.1.2.0/24"], "tor_routers": ["tor2"]},
        },
    }
    return InventoryInput(
        cluster=cluster,
        groups={"k8s_cluster": list(nodes), "kube_control_plane": ["a1"], "kube_node": ["a2", "b1", "b2"],
                "tor_routers": ["tor1", "tor2"]},
        hosts=hosts,
    )


def inventory_of(case: Case) -> InventoryInput:
    inv = _tor() if case.base == "tor" else _mesh(case.nodes)
    inv.cluster.update(copy.deepcopy(case.cluster))
    inv.cluster = {k: v for k, v in inv.cluster.items() if v is not None}
    for host, hv in case.hosts.items():
        inv.hosts.setdefault(host, {}).update(copy.deepcopy(hv))
    for host, names in case.unset.items():
        for name in names:
            inv.hosts.get(host, {}).pop(name, None)
    for group, members in case.groups.items():
        inv.groups[group] = list(members)
    inv.conflicts = list(case.conflicts)
    # What the plan action reports as set: every name above, with the file it would live in.
    inv.set_names = {name: ["group_vars/all.yml"] for name in list(inv.cluster) + list(case.stray)}
    for host, hv in inv.hosts.items():
        for name in hv:
            inv.set_names.setdefault(name, []).append("host_vars/%s.yml" % host)
    return inv


MISSING_PEM = "/etc/onprem-calico/missing/ca.pem"

CASES = [
    # cluster variables: types, choices, conflicts
    Case(hosts={"n02": {"calico_pod_cidr": "10.245.0.0/16"}}, conflicts=[("n02", "calico_pod_cidr")]),
    Case(cluster={"calico_block_size": "big"}),
    Case(cluster={"calico_datastore": "consul"}),
    Case(cluster={"calico_encapsulation": "gre"}),
    Case(cluster={"calico_kubernetes_version": 1.3}),
    Case(cluster={"calico_conntrack_max": 0}),
    # names the inventory sets
    Case(stray={"calico_encapsulaton": "none"}),
    Case(stray={"calico_pool_blocksize": 24}),
    Case(stray={"calico_site_owner": "netops"}),
    # CIDRs
    Case(cluster={"calico_pod_cidr": "not-a-cidr"}),
    Case(cluster={"calico_pod_cidr": "10.244.0.0"}),
    Case(cluster={"calico_pod_cidr": "10.244.0.1/16"}),
    Case(cluster={"calico_pod_cidr": "fd00::/48"}),
    # AS numbers
    Case(cluster={"calico_asn": 0}),
    Case(cluster={"calico_asn": 23456}),
    Case(cluster={"calico_asn": 3320}),
    # cluster
    Case(cluster={"calico_pod_cidr": "10.96.0.0/16"}),
    Case(cluster={"calico_block_size": 19}),
    Case(cluster={"calico_version": "3.29.0"}),
    Case(cluster={"calico_kubernetes_version": "latest"}),
    Case(cluster={"calico_cluster_name": "My_Cluster"}),
    # racks
    Case(base="tor", cluster={"calico_racks": {"r1": ["10.1.1.0/24"], "r2": {"asn": 65002, "subnets": ["10.1.2.0/24"], "tor_routers": ["tor2"]}}}),
    Case(base="tor", cluster={"calico_racks": {"r1": {"asn": 65001, "subnets": ["10.1.1.0/24"], "tor_routers": ["tor1"], "row": 3},
                                               "r2": {"asn": 65002, "subnets": ["10.1.2.0/24"], "tor_routers": ["tor2"]}}}),
    Case(base="tor", cluster={"calico_racks": {"r1": {"asn": 65001, "subnets": "10.1.1.0/24", "tor_routers": ["tor1"]},
                                               "r2": {"asn": 65002, "subnets": ["10.1.2.0/24"], "tor_routers": ["tor2"]}}}),
    Case(base="tor", cluster={"calico_racks": {"r1": {"asn": 65001, "subnets": ["10.1.1.0/24"], "tor_routers": "tor1"},
                                               "r2": {"asn": 65002, "subnets": ["10.1.2.0/24"], "tor_routers": ["tor2"]}}}),
    Case(base="tor", cluster={"calico_racks": {"r1": {"asn": 65001, "subnets": ["10.1.1.0/24"], "tor_routers": ["tor1", "tor9"]},
                                               "r2": {"asn": 65002, "subnets": ["10.1.2.0/24"], "tor_routers": ["tor2"]}}}),
    Case(base="tor", cluster={"calico_racks": {"r1": {"asn": 65001, "subnets": ["10.1.1.0/24"], "tor_routers": ["tor1"]},
                                               "r2": {"asn": 65002, "subnets": ["10.1.2.0/24"], "tor_routers": ["tor2", "tor1"]}}}),
    # nodes
    Case(groups={"k8s_cluster": [], "kube_control_plane": [], "kube_node": []}),
    Case(groups={"calico_route_reflectors": ["rr9"]}, cluster={"calico_bgp_mode": "route_reflectors"}),
    Case(groups={"k8s_cluster": ["n01", "n02", "n02", "n03", "n04"]}),
    Case(base="tor", groups={"k8s_cluster": ["a1", "a2", "b1", "b2", "tor1"]}),
    Case(hosts={"n02": {"ansible_host": "10.10.0.10"}}),
    Case(hosts={"n02": {"calico_node_ip6": "10.10.0.11"}}),
    Case(base="tor", hosts={"a1": {"calico_rack": "r9"}}),
    Case(base="tor", hosts={"a1": {"ansible_host": "10.1.2.50"}}),
    Case(hosts={"n02": {"calico_interface_mtu": 100}}),
    # retiring nodes (day 2)
    Case(cluster={"calico_retire": ["n09"]}),
    Case(cluster={"calico_retire": ["n01", "n02", "n03", "n04"]}),
    Case(cluster={"calico_bgp_mode": "route_reflectors"}, groups={"calico_route_reflectors": ["n02"]}),
    Case(cluster={"calico_bgp_mode": "route_reflectors"}, groups={"calico_route_reflectors": ["n02"]},
         hosts={"n02": {"calico_route_reflector_cluster_id": "rr-1"}}),
    Case(hosts={"n02": {"calico_node_ip": "node02.example"}}),
    Case(hosts={"n02": {"ansible_host": "node02.example"}}),
    Case(hosts={"n02": {"calico_node_ip": "10.20.0.11"}}),
    # IP pools
    Case(cluster={"calico_ip_pools": ["10.244.0.0/18"], "calico_pod_cidr": "10.244.0.0/16"}),
    Case(cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_ip_pools": [{"name": "blue", "cidr": "10.244.0.0/18", "colour": "blue"}]}),
    Case(cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_ip_pools": [{"name": "Rack_1", "cidr": "10.244.0.0/18"}]}),
    Case(cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_ip_pools": [{"name": "pool-a", "cidr": "10.244.0.0/18"},
                                                                          {"name": "pool-a", "cidr": "10.244.64.0/18"}]}),
    Case(cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_ip_pools": [{"name": "pool-a", "cidr": "10.244.0.0/18", "block_size": "large"}]}),
    Case(cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_ip_pools": [{"name": "pool-a", "cidr": "10.244.0.0/18", "encapsulation": "gre"}]}),
    Case(base="tor", cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_ip_pools": [{"name": "rack9", "cidr": "10.244.0.0/18", "racks": ["r9"]}]}),
    Case(base="tor", cluster={"calico_pod_cidr": "10.244.0.0/16",
                              "calico_ip_pools": [{"name": "rack1", "cidr": "10.244.0.0/18", "racks": ["r1"], "node_selector": "all()"}]}),
    Case(cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_ip_pools": [{"name": "pool-a", "cidr": "10.244.0.0/18", "ipip_mode": "Sometimes"}]}),
    Case(cluster={"calico_bgp_mode": "none", "calico_encapsulation": "ipip"}),
    Case(cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_ip_pools": [{"name": "pool-a", "cidr": "10.244.0.0/18", "block_size": 18}]}),
    Case(cluster={"calico_pod_cidr": "10.244.0.0/28", "calico_block_size": 26}),
    Case(nodes=8, cluster={"calico_pod_cidr": "10.244.0.0/24", "calico_block_size": 26}),
    Case(cluster={"calico_pod_cidr": "169.254.0.0/16"}),
    # rack pools and the exhaustion forecast
    Case(cluster={"calico_pod_cidr": "10.244.0.0/23"}),
    Case(base="tor", cluster={"calico_racks": {**RACKS, "r1": {**RACKS["r1"], "index": "first"}}}),
    Case(base="tor", cluster={"calico_racks": {**RACKS, "r2": {**RACKS["r2"], "index": 0}}}),
    Case(base="tor", cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_rack_pool_prefix_length_v6": 64, "calico_racks": RACKS}),
    Case(base="tor", cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_rack_pool_prefix_length": 12, "calico_racks": RACKS}),
    Case(cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_rack_pool_prefix_length": 22}),
    Case(base="tor", cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_rack_pool_prefix_length": 22}),
    Case(base="tor", cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_rack_pool_prefix_length": 17,
                              "calico_racks": {**RACKS, "r2": {**RACKS["r2"], "index": 5}}}),
    Case(base="tor", cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_rack_pool_prefix_length": 22,
                              "calico_racks": {**RACKS, "Rack_3": {"subnets": ["10.1.3.0/24"], "index": 2}}}),
    Case(base="tor", cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_rack_pool_prefix_length": 22,
                              "calico_rack_pools_previous_cidr": "10.244.0.0/17", "calico_racks": RACKS}),
    Case(base="tor", cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_pod_cidr_v6": "fd00:10:244::/56", "calico_rack_pool_prefix_length": 22,
                              "calico_rack_pool_prefix_length_v6": 64, "calico_rack_pools_previous_cidr": "172.16.0.0/16", "calico_racks": RACKS}),
    Case(cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_ip_pools": [{"name": "v6", "cidr": "fd00:10::/56", "encapsulation": "vxlan"}]}),
    Case(cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_ip_pools": [{"name": "outside", "cidr": "10.250.0.0/24"}]}),
    Case(cluster={"calico_pod_cidr_v6": "fd00:10::/48", "calico_encapsulation": "ipip"}),
    Case(cluster={"calico_pod_cidr": "10.244.0.0/16",
                  "calico_ip_pools": [{"name": "both", "cidr": "10.244.0.0/18", "ipip_mode": "Always", "vxlan_mode": "Always"}]}),
    Case(cluster={"calico_pod_cidr": "10.244.0.0/16",
                  "calico_ip_pools": [{"name": "team-a", "cidr": "10.244.0.0/18", "namespace_selector": {"name": "team-a"}}]}),
    Case(cluster={"calico_pod_cidr": "10.0.0.0/8", "calico_ip_pools": [{"name": "svc", "cidr": "10.96.0.0/16"}]}),
    Case(cluster={"calico_pod_cidr": "10.244.0.0/16", "calico_ip_pools": [{"name": "pool-a", "cidr": "10.244.0.0/18"},
                                                                          {"name": "pool-b", "cidr": "10.244.32.0/19"}]}),
    Case(cluster={"calico_pod_cidr": "10.10.0.0/20"}),
    Case(cluster={"calico_pod_cidr": "10.10.0.0/16", "calico_node_subnets": None}),
    # ToR routers
    Case(base="tor", hosts={"tor1": {"calico_tor_platform": "ios"}}),
    Case(base="tor", unset={"tor1": ["calico_tor_asn"]},
         cluster={"calico_racks": {"r1": {"subnets": ["10.1.1.0/24"], "tor_routers": ["tor1"]},
                                   "r2": {"asn": 65002, "subnets": ["10.1.2.0/24"], "tor_routers": ["tor2"]}}}),
    Case(base="tor", unset={"tor1": ["calico_tor_peer_ip"]}),
    Case(base="tor", hosts={"a1": {"calico_rack": ""}}),
    Case(base="tor", hosts={"tor2": {"calico_tor_asn": 65001}},
         cluster={"calico_racks": {"r1": {"asn": 65001, "subnets": ["10.1.1.0/24"], "tor_routers": ["tor1"]},
                                   "r2": {"asn": 65001, "subnets": ["10.1.2.0/24"], "tor_routers": ["tor2"]}}}),
    Case(base="tor", cluster={"calico_encapsulation": "ipip"}),
    Case(base="tor", hosts={"tor1": {"calico_tor_platform": "eos"}}),
    Case(base="tor", hosts={"tor1": {"calico_tor_platform": "junos", "ansible_network_os": "junipernetworks.junos.junos",
                                     "ansible_connection": "ansible.netcommon.network_cli"}}),
    Case(base="tor", hosts={"tor1": {"ansible_connection": "ansible.netcommon.network_cli"}}),
    Case(cluster={"calico_version": "3.32.1"}),
    Case(cluster={"calico_calicoctl_sha256": "abc"}),
    Case(cluster={"calico_api_host": "cp01"}),
    Case(cluster={"calico_encapsulation": "none", "calico_node_subnets": ["10.10.0.0/24", "10.10.1.0/24"]},
         hosts={"n04": {"ansible_host": "10.10.1.13"}}),
    Case(base="tor", hosts={"tor1": {"calico_tor_router_id": "tor1-lo0"}}),
    Case(base="tor", hosts={"tor1": {"calico_tor_peer_ip": "tor1.rack1"}}),
    Case(base="tor", hosts={"tor1": {"calico_tor_peer_ip6": "10.1.1.1"}}),
    Case(base="tor", hosts={"tor1": {"calico_tor_platform": "junos"}},
         cluster={"calico_tor_neighbor_mode": "listen_range", "calico_bgp_password": "secret"}),
    Case(base="tor", hosts={"tor1": {"calico_rack": "r2"}}),
    # BGP
    Case(cluster={"calico_bgp_timers": {"keepalive": 30, "hold": "long"}}),
    Case(cluster={"calico_bgp_timers": {"keepalive": 30, "hold": 60}}),
    Case(cluster={"calico_bgp_listen_port": 70000}),
    Case(groups={"calico_route_reflectors": ["n02"]}, hosts={"n02": {"calico_route_reflector_cluster_id": "244.0.0.1"}}),
    Case(nodes=101),
    Case(nodes=101, cluster={"calico_production": True}),
    Case(cluster={"calico_bgp_mode": "route_reflectors"}),
    Case(cluster={"calico_tor_design": "as_per_rack"}),
    Case(base="tor", cluster={"calico_bgp_mode": "full_mesh", "calico_tor_design": None, "calico_encapsulation": "ipip"}),
    Case(cluster={"calico_bgp_communities": [{"name": "no-export", "value": "no-export"}]}),
    Case(cluster={"calico_bgp_communities": [{"name": "pods", "value": "65000:100"}]}),
    Case(cluster={"calico_bgp_communities": [{"name": "pods", "value": "65000:100", "prefixes": ["pods-pool"]}]}),
    Case(cluster={"calico_advertise_service_external_ips": ["203.0.113.0/33"]}),
    # ToR peering
    Case(base="tor", cluster={"calico_tor_design": None}),
    Case(base="tor", cluster={"calico_pod_cidr_v6": "fd00:10::/48", "calico_encapsulation": "none"}),
    Case(base="tor", unset={"a1": ["calico_rack"]}, cluster={"calico_node_subnets": ["10.1.0.0/16"]}),
    Case(base="tor", cluster={"calico_racks": {"r1": {"asn": 65001, "subnets": ["10.1.1.0/24"], "tor_routers": ["tor1"]},
                                               "r2": {"asn": 65002, "subnets": ["10.1.2.0/24"]}}},
         groups={"tor_routers": ["tor1"]}),
    Case(base="tor", cluster={"calico_racks": {"r1": {"asn": 65001, "subnets": ["10.1.1.0/24"], "tor_routers": ["tor1"]},
                                               "r2": {"asn": 65002, "tor_routers": ["tor2"]}}}),
    Case(base="tor", cluster={"calico_racks": {"r1": {"asn": 65001, "subnets": ["10.1.1.0/24"], "tor_routers": ["tor1"]},
                                               "r2": {"subnets": ["10.1.2.0/24"], "tor_routers": ["tor2"]}}}),
    Case(base="tor", groups={"tor_routers": ["tor1", "tor2", "tor3"]},
         hosts={"tor3": {"calico_tor_platform": "frr", "calico_tor_asn": 65003, "calico_tor_router_id": "10.255.0.3",
                         "calico_tor_peer_ip": "10.1.3.1"}}),
    Case(base="tor", hosts={"tor1": {"calico_tor_peer_ip": "10.1.2.1"}}),
    Case(base="tor", hosts={"tor1": {"calico_tor_asn": 65101}}),
    Case(base="tor", cluster={"calico_tor_design": "downward_default", "calico_asn": 65001,
                              "calico_racks": {"r1": {"subnets": ["10.1.1.0/24"], "tor_routers": ["tor1"]},
                                               "r2": {"subnets": ["10.1.2.0/24"], "tor_routers": ["tor2"]}}}),
    Case(base="tor", hosts={"a1": {"calico_node_asn": 65011}}),
    Case(base="tor", cluster={"calico_tor_design": "as_per_node"},
         hosts={"a1": {"calico_node_asn": 65011}, "a2": {"calico_node_asn": 65012}, "b1": {"calico_node_asn": 65021}}),
    Case(base="tor", cluster={"calico_tor_design": "as_per_node"},
         hosts={"a1": {"calico_node_asn": 65001}, "a2": {"calico_node_asn": 65012}, "b1": {"calico_node_asn": 65021},
                "b2": {"calico_node_asn": 65022}}),
    Case(base="tor", cluster={"calico_tor_design": "as_per_node"},
         hosts={"a1": {"calico_node_asn": 65011}, "a2": {"calico_node_asn": 65011}, "b1": {"calico_node_asn": 65021},
                "b2": {"calico_node_asn": 65022}}),
    Case(base="tor", cluster={"calico_tor_graceful_restart": {"restart_time": "soon"}}),
    Case(base="tor", cluster={"calico_tor_maximum_paths": 0}),
    Case(base="tor", cluster={"calico_tor_maximum_prefix": 0}),
    Case(base="tor", cluster={"calico_tor_object_prefix": "calico-"}),
    Case(base="tor", hosts={"tor1": {"calico_tor_cluster_id": "cluster-1"}}),
    # manifest, Typha, MTU, Felix
    Case(cluster={"calico_typha_node_threshold": -1}),
    Case(cluster={"calico_manifest_variant": "calico-etcd.yaml"}),
    Case(nodes=1, groups={"kube_node": []}, cluster={"calico_typha_node_threshold": 0}),
    Case(cluster={"calico_typha_replicas": 3}),
    Case(cluster={"calico_manifest_sha256": "abc123"}),
    Case(cluster={"calico_manifest_sha256": "0" * 64}),
    Case(cluster={"calico_mtu": 100}),
    Case(cluster={"calico_etcd_endpoints": ["https://10.0.0.5:2379"]}),
    Case(cluster={"calico_felix_env": {"LOGSEVERITYSCREEN": "info"}}),
    Case(cluster={"calico_felix_env": {"FELIX_IPV6SUPPORT": "true"}}),
    Case(cluster={"calico_rp_filter": 2}),
    Case(cluster={"calico_felix_env": {"FELIX_IGNORELOOSERPF": "true"}}),
    Case(cluster={"calico_host_ports_from_pods": ["6443"]}),
    Case(nodes=60, cluster={"calico_typha_tls": True, "calico_artifacts_dir": "/srv/calico/artifacts",
                            "calico_typha_pki_dir": "/srv/calico/artifacts/typha-pki"}),
    Case(base="tor", cluster={"calico_production": True}),
    Case(base="tor", cluster={"calico_production": True, "calico_bgp_password_waived": True}),
    Case(cluster={"calico_mtu": 1500, "calico_encapsulation": "vxlan"}),
    Case(nodes=60, cluster={"calico_typha_replicas": 0}),
    Case(nodes=5, cluster={"calico_typha_node_threshold": 2, "calico_typha_replicas": 5}),
    Case(nodes=60, cluster={"calico_typha_replicas": 25}),
    Case(nodes=250, cluster={"calico_typha_replicas": 1}),
    Case(nodes=60, cluster={"calico_production": True, "calico_typha_replicas": 2}),
    Case(nodes=3, cluster={"calico_production": True, "calico_typha_node_threshold": 1}),
    # etcd datastore
    Case(cluster={"calico_datastore": "etcd"}),
    Case(cluster={"calico_datastore": "etcd", "calico_etcd_endpoints": ["10.0.0.5"]}),
    Case(cluster={"calico_datastore": "etcd", "calico_etcd_endpoints": ["https://10.0.0.5:2379"]}),
    Case(cluster={"calico_datastore": "etcd", "calico_etcd_endpoints": ["https://10.0.0.5:2379"], "calico_etcd_ca_file": MISSING_PEM,
                  "calico_etcd_cert_file": MISSING_PEM, "calico_etcd_key_file": MISSING_PEM}),
]


# --- recording which preflight call site reported what -----------------------------------


@dataclass(frozen=True)
class CallSite:
    module: str  # e.g. plan
    function: str
    line: int  # first line of the call


@dataclass
class Finding:
    severity: str  # error | warning
    subject: str
    message: str
    fix: str
    site: CallSite
    case: Case


def call_sites() -> list[tuple[CallSite, int]]:
    """Every ``findings.error/.warn`` call in the core (statically), with its last line."""
    sites = []
    for module in CORE_MODULES:
        source = inspect.getsource(module)
        tree = ast.parse(source)
        short = module.__name__.rsplit(".", 1)[-1]
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Call) and _is_finding_call(node.func):
                    sites.append((CallSite(short, func.name, node.lineno), node.end_lineno))
    # A call inside a nested function is seen from both functions; keep the first (outer) one.
    unique = {}
    for site, end in sites:
        unique.setdefault((site.module, site.line), (site, end))
    return sorted(unique.values(), key=lambda s: (s[0].module, s[0].line))


def _is_finding_call(func: ast.AST) -> bool:
    if isinstance(func, ast.IfExp):  # (ctx.f.error if production else ctx.f.warn)(...)
        return _is_finding_call(func.body) and _is_finding_call(func.orelse)
    if not (isinstance(func, ast.Attribute) and func.attr in ("error", "warn")):
        return False
    owner = func.value
    return (isinstance(owner, ast.Attribute) and owner.attr == "f") or (isinstance(owner, ast.Name) and owner.id == "findings")


def run_cases(cases=None) -> list[Finding]:
    """Build the plan of every case, recording each finding with the call site that made it."""
    sites = call_sites()
    module_files = {os.path.abspath(inspect.getfile(m)): m.__name__.rsplit(".", 1)[-1] for m in CORE_MODULES}
    findings: list[Finding] = []
    current: dict[str, Any] = {}
    original_error, original_warn = preflight_module.Findings.error, preflight_module.Findings.warn

    def locate(frame) -> CallSite | None:
        module = module_files.get(os.path.abspath(frame.f_code.co_filename))
        for site, end in sites:
            if site.module == module and site.line <= frame.f_lineno <= end:
                return site
        return None

    def recorder(severity, original):
        def record(self, subject, message, fix="", hosts=()):
            site = locate(inspect.currentframe().f_back)
            findings.append(Finding(severity, subject, message, fix, site, current["case"]))
            return original(self, subject, message, fix, hosts)

        return record

    preflight_module.Findings.error = recorder("error", original_error)
    preflight_module.Findings.warn = recorder("warning", original_warn)
    try:
        for case in cases if cases is not None else CASES:
            current["case"] = case
            plan_module.build_plan(inventory_of(case))
    finally:
        preflight_module.Findings.error, preflight_module.Findings.warn = original_error, original_warn
    return findings


def first_finding_per_site(findings: list[Finding]) -> dict[CallSite, Finding]:
    """For each call site, the finding of the most focused case reaching it (fewest findings)."""
    per_case: dict[int, int] = {}
    for f in findings:
        per_case[id(f.case)] = per_case.get(id(f.case), 0) + 1
    best: dict[CallSite, Finding] = {}
    for f in findings:
        if f.site is None:
            continue
        if f.site not in best or per_case[id(f.case)] < per_case[id(best[f.site].case)]:
            best[f.site] = f
    return best


def uncovered_call_sites(findings: list[Finding] | None = None) -> list[CallSite]:
    covered = first_finding_per_site(findings if findings is not None else run_cases())
    return [site for site, _end in call_sites() if site not in covered]


# --- the document ------------------------------------------------------------------------

SECTIONS = [
    ("Cluster variables", ("load_cluster_vars", "_load_one")),
    ("Unknown variables", ("check_set_names",)),
    ("Addresses and CIDRs", ("network", "_cidr_list")),
    ("AS numbers", ("_check_asn",)),
    ("Cluster", ("_cluster", "_api_host", "_calicoctl")),
    ("Racks", ("_racks", "_rack_index")),
    ("Nodes", ("_nodes", "_node_ip", "_node_networks")),
    ("IP pools", ("_pools", "_check_pool", "_pool_overlaps", "_forecast", "_rack_pool_families", "_rack_pools", "_previous_pools")),
    ("ToR routers", ("_tor_routers", "_router_connection")),
    ("BGP", ("_bgp", "_communities")),
    ("ToR peering", ("_tor_mode", "_tor_sessions")),
    ("Manifest, MTU and Felix", ("_manifest", "_mtu_advice")),
    ("Typha", ("check_typha_replicas",)),
    ("etcd datastore", ("_etcd",)),
]

BASE_TEXT = {
    "mesh": "the small full-mesh cluster",
    "tor": "the two-rack ToR cluster",
}


def _yaml(data) -> str:
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=False, width=100).rstrip("\n")


def example_yaml(case: Case) -> str:
    parts = []
    if case.nodes != 4 and case.base == "mesh":
        parts.append("# %d nodes in k8s_cluster" % case.nodes)
    cluster = {k: v for k, v in case.cluster.items() if v is not None}
    cluster.update(case.stray)
    removed = [k for k, v in case.cluster.items() if v is None]
    if cluster:
        parts.append("# group_vars/all.yml\n" + _yaml(cluster))
    if removed:
        parts.append("# group_vars/all.yml: not set\n" + "\n".join("# %s" % k for k in removed))
    for host in sorted(case.hosts):
        parts.append("# host_vars/%s.yml\n%s" % (host, _yaml(case.hosts[host])))
    for host in sorted(case.unset):
        parts.append("# host_vars/%s.yml: not set\n%s" % (host, "\n".join("# %s" % k for k in case.unset[host])))
    for group in sorted(case.groups):
        parts.append("# hosts.yml: members of group %s\n%s" % (group, _yaml({group: case.groups[group]})))
    return "\n".join(parts)


def _section_of(site: CallSite) -> str:
    for title, functions in SECTIONS:
        if site.function in functions:
            return title
    return "Other checks"


def render_markdown(findings: list[Finding] | None = None) -> str:
    first = first_finding_per_site(findings if findings is not None else run_cases())
    by_section: dict[str, list[Finding]] = {}
    for site, _end in call_sites():
        if site in first:
            by_section.setdefault(_section_of(site), []).append(first[site])
    n_errors = sum(1 for f in first.values() if f.severity == "error")
    n_warnings = len(first) - n_errors
    out = [
        "# Troubleshooting: preflight errors and warnings",
        "",
        "<!-- Generated by tools/troubleshooting_doc.py from the plan core's messages: do not edit;",
        "     run `make docs` after changing a preflight rule. `make docs-check` fails on drift. -->",
        "",
        "The plan core (`plugins/plugin_utils/plan/`) checks the whole inventory before anything is",
        "rendered or changed, and reports **every** problem at once, each as",
        "`<subject>: <what is wrong> Fix: <what to do>`; the subject is a host or a variable. The",
        "play `Plan and preflight` (playbooks/plan.yml, first in every stage playbook and in AWX's",
        "first workflow node) fails with the list of errors; warnings are printed and the run goes on.",
        "",
        "This page has one entry per check: %d errors and %d warnings. Each shows the exact message" % (n_errors, n_warnings),
        "the plan core printed for an example inventory, the fix it suggests, and the example. The",
        "examples change one thing in one of two valid inventories:",
        "",
        "- the small full-mesh cluster: nodes n01, n02, ... (n01 is the control plane) on",
        "  10.10.0.0/16, `calico_node_subnets: [10.10.0.0/16]`, everything else at its default;",
        "- the two-rack ToR cluster: racks r1 (10.1.1.0/24, AS 65001) and r2 (10.1.2.0/24, AS 65002)",
        "  with nodes a1, a2 and b1, b2, one FRR ToR each (tor1, tor2), `calico_bgp_mode: tor`,",
        "  `calico_tor_design: as_per_rack`, `calico_encapsulation: none`.",
        "",
        "Values in your messages are your own; search this page for the fixed part of the text.",
        "Failures after preflight (on hosts, the API server or routers) come from the roles; their",
        "messages name the object and the fix (see the role READMEs and docs/guides/).",
        "",
        "## Contents",
        "",
    ]
    titles = [t for t, _functions in SECTIONS if t in by_section] + (["Other checks"] if "Other checks" in by_section else [])
    for title in titles:
        out.append("- [%s](#%s) (%d)" % (title, _anchor(title), len(by_section[title])))
    out.append("")
    for title in titles:
        out.append("## %s" % title)
        out.append("")
        for f in by_section[title]:
            out.append("### %s `%s`: %s" % ("Error" if f.severity == "error" else "Warning", f.subject, _heading_text(f.message)))
            out.append("")
            out.append("**Fix:** %s" % (f.fix or "see the message."))
            out.append("")
            out.append("Example (in %s):" % BASE_TEXT[f.case.base])
            out.append("")
            out.append("```yaml")
            out.append(example_yaml(f.case))
            out.append("```")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _heading_text(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _anchor(title: str) -> str:
    return "".join(c for c in title.lower().replace(" ", "-") if c.isalnum() or c == "-")


def generate(repo: str) -> dict[str, str]:
    return {DOC_PATH: render_markdown()}
