"""Small plans for the resources tests, shaped exactly like docs/plan.md (schema_version 1).

They cover every BGP design on a 2-rack, 4-node cluster; the example inventories are tested
separately through the lead's ``example_plan`` fixture.
"""

from __future__ import annotations

import copy
import os

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
UPSTREAM_DIR = os.path.abspath(
    os.environ.get("CALICO_UPSTREAM_DIR") or os.path.join(REPO, "..", "shared", "upstream", "calico"))
RELEASES = ("3.30.7", "3.31.7", "3.32.1")
FAKE_CALICOCTL = os.path.join(REPO, "tests", "fakes", "calicoctl")

RACKS = {
    "r1": {"subnet": "10.0.1.0/24", "nodes": ["node01", "node02"], "tors": [("tor1a", "10.0.1.1"), ("tor1b", "10.0.1.2")]},
    "r2": {"subnet": "10.0.2.0/24", "nodes": ["node03", "node04"], "tors": [("tor2a", "10.0.2.1"), ("tor2b", "10.0.2.2")]},
}
NODE_IPS = {"node01": "10.0.1.11", "node02": "10.0.1.12", "node03": "10.0.2.13", "node04": "10.0.2.14"}
RACK_ASN = {"r1": 65001, "r2": 65002}
NODE_ASN = {"node01": 65101, "node02": 65102, "node03": 65103, "node04": 65104}
TOR_ASN_DOWNWARD = 65000
GLOBAL_ASN = 64512
RACK_LABEL = "onprem.calico/rack"


def _pool(name, cidr, family, default=True, **over):
    pool = {"name": name, "family": family, "cidr": cidr, "block_size": 26 if family == 4 else 122,
            "ipip_mode": "Never", "vxlan_mode": "Never", "nat_outgoing": family == 4,
            "node_selector": "all()", "disabled": False, "default": default, "racks": []}
    pool.update(over)
    return pool


def make_plan(mode="full_mesh", tor_design=None, datastore="kubernetes", version="3.31.7",
              password=False, route_reflectors=(), dual_stack=False):
    """A plan for the given design; values follow the plan core's documented rules."""
    nodes = {}
    racks = {}
    for rack, info in RACKS.items():
        racks[rack] = {"name": rack, "asn": RACK_ASN[rack] if tor_design == "as_per_rack" else None,
                       "subnets": [info["subnet"]], "tor_routers": [t[0] for t in info["tors"]],
                       "nodes": list(info["nodes"])}
        for name in info["nodes"]:
            if tor_design == "as_per_rack":
                asn, source = RACK_ASN[rack], "rack"
            elif tor_design == "as_per_node":
                asn, source = NODE_ASN[name], "node"
            else:
                asn, source = GLOBAL_ASN, "global"
            peers = []
            if mode == "tor":
                for tor, ip in info["tors"]:
                    tor_asn = {"as_per_rack": RACK_ASN[rack], "downward_default": TOR_ASN_DOWNWARD}.get(
                        tor_design, 65000 + int(rack[1:]) * 10)
                    peers.append({"name": tor, "ip": ip, "asn": tor_asn, "kind": "tor"})
            rr = name in route_reflectors
            nodes[name] = {
                "name": name, "ip": NODE_IPS[name], "ip6": None, "rack": rack, "asn": asn,
                "asn_source": source, "roles": ["kube_node"], "route_reflector": rr,
                "route_reflector_cluster_id": "244.0.0.1" if rr else None,
                "labels": {RACK_LABEL: rack}, "interface_mtu": 1500, "peers": peers,
            }
    if mode == "route_reflectors":
        for name, node in nodes.items():
            for rr in route_reflectors:
                if rr != name:
                    node["peers"].append({"name": rr, "ip": NODE_IPS[rr], "asn": GLOBAL_ASN,
                                          "kind": "route_reflector"})
    pools = [_pool("default-ipv4-ippool", "192.168.0.0/16", 4, ipip_mode="Always")]
    if dual_stack:
        pools.append(_pool("default-ipv6-ippool", "fd00:10:244::/56", 6))
    plan = {
        "schema_version": 1,
        "cluster": {"name": "lab", "version": version, "kubernetes_version": "1.33",
                    "datastore": datastore, "production": False, "pod_cidr": "192.168.0.0/16",
                    "pod_cidr_v6": "fd00:10:244::/56" if dual_stack else None,
                    "service_cidr": "10.96.0.0/12", "dual_stack": dual_stack, "node_count": 4,
                    "node_subnets": ["10.0.1.0/24", "10.0.2.0/24"], "node_sources": ["10.0.0.0/22"],
                    "artifacts_dir": "/tmp/artifacts"},
        "manifest": {"variant": "calico-etcd.yaml" if datastore == "etcd" else "calico.yaml", "mirror": None,
                     "calico_backend": "vxlan" if mode == "none" else "bird"},
        "ip_pools": pools,
        "bgp": {
            "mode": mode, "tor_design": tor_design, "asn": GLOBAL_ASN,
            "node_to_node_mesh": mode == "full_mesh", "listen_port": 179,
            "rack_label": RACK_LABEL, "route_reflector_label": "route-reflector",
            "route_reflectors": sorted(route_reflectors),
            "password": {"enabled": password, "secret_name": "calico-bgp-password",
                         "secret_key": "password", "namespace": "kube-system"},
            "service_cluster_ips": [], "service_external_ips": [], "service_loadbalancer_ips": [],
            "communities": [], "prefix_advertisements": [], "timers": {"keepalive": 60, "hold": 180, "connect_retry": 120},
            "peer_extra": {},
        },
        "racks": racks,
        "nodes": nodes,
        "tor_routers": {},
        "host_preparation": {},
        "warnings": [],
    }
    return copy.deepcopy(plan)


DESIGNS = {
    "full_mesh": dict(mode="full_mesh"),
    "route_reflectors": dict(mode="route_reflectors", route_reflectors=("node01", "node03")),
    "tor_as_per_rack": dict(mode="tor", tor_design="as_per_rack"),
    "tor_as_per_node": dict(mode="tor", tor_design="as_per_node"),
    "tor_downward_default": dict(mode="tor", tor_design="downward_default"),
    "none": dict(mode="none"),
}
