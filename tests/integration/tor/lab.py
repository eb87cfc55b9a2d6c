"""The ToR lab: 2 racks x 2 nodes, two FRR ToRs in rack1 and one in rack2, BIRD as calico-node.

The plan comes from a real inventory through the plan core; the ToRs' configuration is the
collection's rendered artifact pushed by the collection's push code; the BIRD nodes are
configured from the plan's node side (address, AS, peers) with a /26 of the pool each.
The ToRs are connected directly by "spine uplinks" (eBGP between the rack ASes) that exist
on the routers before the collection touches them: test scaffolding, never rendered.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.dirname(HERE))  # netlab
sys.path.insert(0, os.path.join(REPO, "tests"))  # inventory_loader
sys.path.insert(0, os.path.join(REPO, ".collections"))
sys.path.insert(0, os.path.join(REPO, "playbooks", "lab", "filter_plugins"))  # lab_standin

from netlab import NetLab  # noqa: E402  pylint: disable=wrong-import-position

POOL = "10.244.0.0/16"
TIMERS = {"keepalive": 3, "hold": 9, "connect_retry": 5}
RACKS = {
    "rack1": {"asn": 65001, "subnet": "10.0.1.0/24", "tors": {"tor1a": "10.0.1.2", "tor1b": "10.0.1.3"},
              "nodes": {"r1n01": "10.0.1.11", "r1n02": "10.0.1.12"}},
    "rack2": {"asn": 65002, "subnet": "10.0.2.0/24", "tors": {"tor2a": "10.0.2.2"},
              "nodes": {"r2n01": "10.0.2.11", "r2n02": "10.0.2.12"}},
}
# Spine uplinks between the racks: (tor, address, peer tor, peer address)
UPLINKS = [("tor1a", "172.31.0.0/31", "tor2a", "172.31.0.1/31"),
           ("tor1b", "172.31.0.2/31", "tor2a", "172.31.0.3/31")]


def node_blocks():
    """Each node's pod block: consecutive /26s of the pool, as Calico IPAM would hand out."""
    blocks = ipaddress.ip_network(POOL).subnets(new_prefix=26)
    nodes = sorted(n for rack in RACKS.values() for n in rack["nodes"])
    return {node: str(next(blocks)) for node in nodes}


def inventory(extra_tor_vars=None, cluster_vars=None, rack_vars=None):
    """The lab's inventory as a YAML-able dict (calico_tor_* per ToR, racks, short timers)."""
    tor_hosts, rack_groups = {}, {}
    for rack, spec in RACKS.items():
        for index, (tor, ip) in enumerate(spec["tors"].items()):
            tor_hosts[tor] = {
                "ansible_host": ip, "calico_tor_platform": "frr", "calico_tor_asn": spec["asn"],
                "calico_tor_router_id": f"10.255.{rack[-1]}.{index + 1}", "calico_tor_peer_ip": ip,
                **(extra_tor_vars or {}).get(tor, {}),
            }
        rack_groups[rack] = {"vars": {"calico_rack": rack},
                             "hosts": {n: {"calico_node_ip": ip} for n, ip in spec["nodes"].items()}}
    nodes = [n for spec in RACKS.values() for n in spec["nodes"]]
    return {"all": {
        "vars": {
            "calico_cluster_name": "tor-lab", "calico_pod_cidr": POOL, "calico_service_cidr": "10.96.0.0/12",
            "calico_encapsulation": "none", "calico_bgp_mode": "tor", "calico_tor_design": "as_per_rack",
            "calico_bgp_timers": TIMERS, "calico_advertise_service_cluster_ips": True,
            **(cluster_vars or {}),
            "calico_racks": {rack: {"asn": spec["asn"], "subnets": [spec["subnet"]],
                                    "tor_routers": list(spec["tors"]), **(rack_vars or {}).get(rack, {})}
                             for rack, spec in RACKS.items()},
        },
        "children": {
            "k8s_cluster": {"children": {
                "kube_control_plane": {"hosts": {nodes[0]: None}},
                "kube_node": {"hosts": {n: None for n in nodes[1:]}},
                **rack_groups}},
            "tor_routers": {"hosts": tor_hosts},
        },
    }}


def write_inventory(directory, extra_tor_vars=None, cluster_vars=None, rack_vars=None):
    path = os.path.join(directory, "hosts.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(inventory(extra_tor_vars, cluster_vars, rack_vars), handle, sort_keys=False)
    return path


def build_lab_plan(directory, extra_tor_vars=None, cluster_vars=None, rack_vars=None):
    from inventory_loader import load_inventory  # pylint: disable=import-outside-toplevel

    from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan  # pylint: disable=import-outside-toplevel

    result = build_plan(load_inventory(write_inventory(directory, extra_tor_vars, cluster_vars, rack_vars)))
    assert not result.errors, [str(e) for e in result.errors]
    return result.plan


def spine_scaffold(tor, asn, uplink_call=None):
    """FRR configuration a ToR has before the collection: hostname and spine uplinks only.

    ``uplink_call``: a route map the uplink policy calls (the one line docs/tor.md gives for rack
    aggregates), written by the site before the collection creates the map.
    """
    lines = ["frr defaults traditional", f"hostname {tor}", "service integrated-vtysh-config", "!",
             "ip prefix-list SPINE-ANY seq 5 permit any", "!",
             "route-map SPINE-POLICY permit 10", " match ip address prefix-list SPINE-ANY",
             *([f" call {uplink_call}"] if uplink_call else []), "exit", "!",
             f"router bgp {asn}"]
    peers = []
    for a, a_addr, b, b_addr in UPLINKS:
        if tor == a:
            peers.append((b_addr.split("/", 1)[0], rack_of_tor(b)))
        elif tor == b:
            peers.append((a_addr.split("/", 1)[0], rack_of_tor(a)))
    for address, rack in peers:
        lines += [f" neighbor {address} remote-as {RACKS[rack]['asn']}",
                  f" neighbor {address} description spine uplink to {rack}",
                  f" neighbor {address} timers 3 9", f" neighbor {address} timers connect 5"]
    lines += [" !", " address-family ipv4 unicast"]
    for address in (peer[0] for peer in peers):
        lines += [f"  neighbor {address} route-map SPINE-POLICY in",
                  f"  neighbor {address} route-map SPINE-POLICY out"]
    lines += [" exit-address-family", "exit", "!"]
    return "\n".join(lines) + "\n"


def rack_of_tor(tor):
    return next(rack for rack, spec in RACKS.items() if tor in spec["tors"])


def bird_config(plan, node, block, asn_override=None, extra_routes=(), password=None, bgp_filters=()):
    """calico-node's BIRD stand-in: the node's address, AS and ToR peers from the plan.

    ``bgp_filters``: BGPFilter objects the node's ToR peers name, applied as the lab stand-in
    applies them (playbooks/lab/filter_plugins/lab_standin.py, after calico-node's confd).
    """
    import lab_standin  # pylint: disable=import-outside-toplevel

    spec = plan["nodes"][node]
    asn = asn_override or spec["asn"]
    names = [f["metadata"]["name"] for f in bgp_filters]
    calls = lab_standin.bgp_import_calls(list(bgp_filters), names, 4)
    importing = "import filter { %s accept; };" % "".join(f"{call}(); " for call in calls) if calls else "import all;"
    lines = lab_standin.bgp_filter_functions(list(bgp_filters), 4) + [
        f"router id {spec['ip']};",
        "protocol device { scan time 2; }",
        "protocol kernel { ipv4 { import none; export where source = RTS_BGP; }; merge paths on; }",
        "protocol static { ipv4; route %s blackhole;%s }" % (
            block, "".join(f" route {r} blackhole;" for r in extra_routes)),
    ]
    for peer in spec["peers"]:
        lines.append(
            "protocol bgp %s { local %s as %s; neighbor %s as %s; direct; hold time %d; keepalive time %d; "
            "connect retry time %d; error wait time 1, 3; %s"
            "ipv4 { %s export where source = RTS_STATIC; next hop self; gateway direct; }; }"
            % (peer["name"].replace("-", "_"), spec["ip"], asn, peer["ip"], peer["asn"],
               TIMERS["hold"], TIMERS["keepalive"], TIMERS["connect_retry"],
               f'password "{password}"; ' if password else "", importing))
    return "\n".join(lines) + "\n"


class TorLab:
    """The running lab; build with ``start()``, always ``close()``."""

    def __init__(self, plan, tag="tor", password=None, blocks=None, uplink_call=None):
        self.plan = plan
        self.password = password
        self.lab = NetLab(tag)
        self.blocks = blocks or node_blocks()
        self.uplink_call = uplink_call

    def start(self, node_asn_override=None, node_extra_routes=None, node_bgp_filters=None):
        lab = self.lab
        for rack, spec in RACKS.items():
            lab.add_switch(rack)
            prefix = ipaddress.ip_network(spec["subnet"]).prefixlen
            for tor, ip in spec["tors"].items():
                lab.add_host(tor)
                lab.attach(tor, rack, f"{ip}/{prefix}")
            for node, ip in spec["nodes"].items():
                lab.add_host(node)
                lab.attach(node, rack, f"{ip}/{prefix}")
                # The first address of the node's block, like a pod on it.
                lab.add_address(node, f"{ipaddress.ip_network(self.blocks[node])[1]}/32")
        for a, a_addr, b, b_addr in UPLINKS:
            lab.link(a, a_addr, b, b_addr, a_if=f"to-{b}", b_if=f"to-{a}")
        for rack, spec in RACKS.items():
            for tor in spec["tors"]:
                lab.start_frr(tor, spine_scaffold(tor, spec["asn"], self.uplink_call))
        for rack, spec in RACKS.items():
            for node in spec["nodes"]:
                lab.start_bird(node, bird_config(
                    self.plan, node, self.blocks[node],
                    asn_override=(node_asn_override or {}).get(node),
                    extra_routes=(node_extra_routes or {}).get(node, ()), password=self.password,
                    bgp_filters=(node_bgp_filters or {}).get(node, ())))
        return self

    def runner(self, host):
        """run_command for the collection's module code, executing inside ``host``'s namespace."""
        prefix = self.lab.exec_cmd(host)

        def run(argv):
            proc = subprocess.run(prefix + list(argv), capture_output=True, text=True, timeout=60, check=False)
            return proc.returncode, proc.stdout, proc.stderr
        return run

    def tors(self):
        return [tor for spec in RACKS.values() for tor in spec["tors"]]

    def close(self):
        self.lab.close()
