"""Small plans shaped exactly like docs/plan.md, for ToR tests that need a specific design.

Example inventories (inventory/examples/*) go through the real plan core in other tests;
these builders give 2 racks x 2 nodes with one ToR per rack and any design or platform.
"""

from __future__ import annotations

import copy
import ipaddress

POOL = "192.168.0.0/16"
SERVICES = "10.96.0.0/12"


def rack_layout(racks=2, nodes_per_rack=2):
    """[(rack, subnet, subnet6, tor_ip, tor_ip6, [(node, ip, ip6)])]"""
    out = []
    for r in range(1, racks + 1):
        subnet = ipaddress.ip_network(f"10.0.{r}.0/24")
        subnet6 = ipaddress.ip_network(f"fd00:0:{r:x}::/64")
        nodes = [(f"node{r}{n}", str(subnet[10 + n]), str(subnet6[10 + n])) for n in range(1, nodes_per_rack + 1)]
        out.append((f"r{r}", str(subnet), str(subnet6), str(subnet[1]), str(subnet6[1]), nodes))
    return out


def make_plan(design="as_per_rack", platforms=("frr", "frr"), neighbor_mode="explicit",
              password=False, timers=None, node_asn_override=None, pool_v6=None,
              racks=2, nodes_per_rack=2, send_default=False, ttl_security=False):
    """A schema_version 1 plan: one ToR per rack named tor<r>, platform per rack.

    ``pool_v6`` makes the cluster dual stack: every node and ToR gets an IPv6 address too.
    """
    timers = timers or {"keepalive": 3, "hold": 9, "connect_retry": 5}
    node_asn_override = node_asn_override or {}
    plan = {
        "schema_version": 1,
        "cluster": {"name": "lab", "pod_cidr": POOL, "pod_cidr_v6": pool_v6, "service_cidr": SERVICES},
        "ip_pools": [{"name": "default-ipv4-ippool", "family": 4, "cidr": POOL, "block_size": 26}],
        "bgp": {
            "mode": "tor", "tor_design": design, "asn": 64512, "node_to_node_mesh": False,
            "password": {"enabled": password, "secret_name": "calico-bgp-password",
                         "secret_key": "password", "namespace": "kube-system"},
            "timers": dict(timers),
            "ttl_security_hops": 1 if ttl_security else None,
        },
        "racks": {}, "nodes": {}, "tor_routers": {},
    }
    pool_blocks = [{"prefix": POOL, "ge": 26, "le": 32, "family": 4}]
    if pool_v6:
        plan["ip_pools"].append({"name": "default-ipv6-ippool", "family": 6, "cidr": pool_v6, "block_size": 122})
        pool_blocks.append({"prefix": pool_v6, "ge": 122, "le": 128, "family": 6})
    accept = pool_blocks + [{"prefix": SERVICES, "ge": None, "le": 32, "family": 4}]
    for index, (rack, subnet, subnet6, tor_ip, tor_ip6, nodes) in enumerate(rack_layout(racks, nodes_per_rack)):
        r = index + 1
        tor = f"tor{r}"
        rack_asn = 65000 + r
        tor_asn = rack_asn if design == "as_per_rack" else 65100 + r
        plan["racks"][rack] = {"name": rack, "asn": rack_asn if design == "as_per_rack" else None,
                               "subnets": [subnet, subnet6] if pool_v6 else [subnet], "tor_routers": [tor],
                               "nodes": sorted(node[0] for node in nodes)}
        neighbors = []
        for n, (node, ip, ip6) in enumerate(nodes):
            ip6 = ip6 if pool_v6 else None
            asn = rack_asn if design == "as_per_rack" else 65000 + 10 * r + n + 1
            if design == "downward_default":
                asn = 64512
            asn = node_asn_override.get(node, asn)
            neighbors.append({"node": node, "ip": ip, "ip6": ip6, "asn": asn})
            plan["nodes"][node] = {
                "name": node, "ip": ip, "ip6": ip6, "rack": rack, "asn": asn,
                "asn_source": "rack" if design == "as_per_rack" else "node",
                "roles": ["kube_node"], "route_reflector": False, "route_reflector_cluster_id": None,
                "labels": {"onprem.calico/rack": rack}, "interface_mtu": 1500,
                "peers": [{"name": tor, "ip": tor_ip, "ip6": tor_ip6 if pool_v6 else None, "asn": tor_asn, "kind": "tor"}],
            }
        ibgp = design == "as_per_rack" or (design == "downward_default" and tor_asn == 64512)
        plan["tor_routers"][tor] = {
            "name": tor, "platform": platforms[index % len(platforms)], "asn": tor_asn,
            "router_id": f"10.255.0.{r}", "peer_ip": tor_ip, "peer_ip6": tor_ip6 if pool_v6 else None,
            "rack": rack, "design": design,
            "session_type": "ibgp" if ibgp else "ebgp",
            "route_reflector_client": design == "as_per_rack",
            "next_hop_self": design == "as_per_rack",
            "send_pool_blocks": design != "downward_default",
            "send_default": design == "downward_default" or send_default,
            "multipath_relax": design == "as_per_node",
            "cluster_id": f"10.255.0.{r}" if design == "as_per_rack" else None,
            "neighbor_mode": neighbor_mode,
            "listen_ranges": ([{"prefix": subnet, "family": 4}] + ([{"prefix": subnet6, "family": 6}] if pool_v6 else [])
                              if neighbor_mode == "listen_range" else []),
            "listen_limit": 64 if neighbor_mode == "listen_range" else None,
            "neighbors": sorted(neighbors, key=lambda x: ipaddress.ip_address(x["ip"])),
            "pool_blocks": copy.deepcopy(pool_blocks),
            "accept_prefixes": copy.deepcopy(accept),
            "maximum_prefix": 12000, "maximum_paths": 8, "password_enabled": password,
            "ttl_security_hops": 1 if ttl_security else None,
            "timers": dict(timers),
            "graceful_restart": {"restart_time": 120, "stalepath_time": 360},
            "object_prefix": "CALICO-",
        }
    return plan
