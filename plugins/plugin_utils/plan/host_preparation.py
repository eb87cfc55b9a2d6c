"""Host preparation section: kernel modules, sysctls, firewall rules and the interfaces and pod ranges the firewall treats apart."""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.onprem.calico.plugins.plugin_utils.plan.context import _Ctx

CALICO_INTERFACES = {
    "ipip": ["tunl0"],
    "vxlan": ["vxlan.calico"],
    "vxlan6": ["vxlan-v6.calico"],
    "wireguard": ["wireguard.cali"],
    "wireguard6": ["wg-v6.cali"],
}
NM_UNMANAGED = ("cali*", "tunl*", "vxlan.calico", "vxlan-v6.calico", "wireguard.cali", "wg-v6.cali")


def _host_preparation(ctx: _Ctx, cluster: dict, manifest: dict, pools: list[dict], bgp: dict, tors: dict) -> dict:
    v = ctx.v
    active = [p for p in pools if not p["disabled"]] or pools
    ipip = any(p["ipip_mode"] != "Never" for p in active)
    vxlan4 = any(p["vxlan_mode"] != "Never" and p["family"] == 4 for p in active)
    vxlan6 = any(p["vxlan_mode"] != "Never" and p["family"] == 6 for p in active)
    wg = v["calico_wireguard"]
    dual = cluster["dual_stack"]
    mods = [
        ("ip_set", "ipset", "Felix's IP sets (policy selectors, pool membership)", "ipset"),
        ("xt_set", "iptables-match:set", "iptables rules that match IP sets", "iptables-match:set"),
        ("ip_tables", "iptables", "Felix's iptables dataplane", "iptables"),
        ("xt_mark", "iptables-match:mark", "Felix's packet marks (policy verdicts)", "iptables-match:mark"),
        ("xt_conntrack", "iptables-match:conntrack", "stateful policy (conntrack match)", "iptables-match:conntrack"),
        ("xt_multiport", "iptables-match:multiport", "policy rules with port lists", "iptables-match:multiport"),
        ("ipt_rpfilter", "iptables-match:rpfilter", "Felix's reverse-path check of workload traffic", "iptables-match:rpfilter"),
        ("nf_conntrack", "conntrack", "connection tracking for NAT and stateful policy", "conntrack"),
    ]
    if dual:
        mods.append(("ip6t_rpfilter", "ip6tables-match:rpfilter", "Felix's IPv6 reverse-path check", "ip6tables-match:rpfilter"))
    if ipip:
        mods.append(("ipip", "ipip", "IPIP encapsulation (calico_encapsulation=%s)" % v["calico_encapsulation"], "link:ipip"))
    if vxlan4 or vxlan6:
        mods.append(("vxlan", "vxlan", "VXLAN encapsulation (calico_encapsulation=%s)" % v["calico_encapsulation"], "link:vxlan"))
    if wg:
        mods.append(("wireguard", "wireguard", "WireGuard encryption (calico_wireguard=true)", "link:wireguard"))
    kernel_modules = [{"name": m, "feature": f, "needed_for": why, "probe": probe, "required": True} for m, f, why, probe in sorted(mods)]
    # Felix copies conf.default.rp_filter onto each cali* interface it creates, so both are planned.
    sysctls = {
        "net.ipv4.ip_forward": "1",
        "net.ipv4.conf.all.rp_filter": str(v["calico_rp_filter"]),
        "net.ipv4.conf.default.rp_filter": str(v["calico_rp_filter"]),
    }
    if dual:
        # Forwarding makes the kernel ignore router advertisements on interfaces at accept_ra=1
        # (their default route goes); 2 keeps them. The role raises the existing interfaces too,
        # before it turns forwarding on.
        sysctls["net.ipv6.conf.default.accept_ra"] = "2"
        sysctls["net.ipv6.conf.all.forwarding"] = "1"
    if v["calico_conntrack_max"]:
        sysctls["net.netfilter.nf_conntrack_max"] = str(v["calico_conntrack_max"])
    for key, val in v["calico_sysctl_overrides"].items():
        sysctls[str(key)] = str(val).lower() if isinstance(val, bool) else str(val)
    sources = list(cluster["node_sources"])
    peer_sources = (
        sorted({t["peer_ip"] + ("/32" if ":" not in t["peer_ip"] else "/128") for t in tors.values() if t["peer_ip"]} - set(sources))
        if bgp["mode"] == "tor"
        else []
    )
    bgp_sources = [str(n) for n in ipaddress.collapse_addresses(ipaddress.ip_network(s) for s in sources + peer_sources if ":" not in s)]
    bgp_sources += [str(n) for n in ipaddress.collapse_addresses(ipaddress.ip_network(s) for s in sources + peer_sources if ":" in s)]
    v4_sources = [s for s in sources if ":" not in s]
    v6_sources = [s for s in sources if ":" in s]
    rules = []
    if bgp["mode"] != "none":
        rules.append(
            _rule("calico-bgp", "tcp", bgp["listen_port"], bgp_sources, "k8s_cluster", "BGP sessions between nodes, route reflectors and ToR peers")
        )
    # Each rule lists the sources of the address families it carries, never both by default: IPIP
    # and WireGuard's first port are IPv4 only, VXLAN follows its pools' families.
    if ipip:
        rules.append(_rule("calico-ipip", "ipip", None, v4_sources, "k8s_cluster", "IPIP-encapsulated pod traffic (IP protocol 4) between nodes"))
    if vxlan4 or vxlan6:
        vxlan_sources = (v4_sources if vxlan4 else []) + (v6_sources if vxlan6 else [])
        rules.append(_rule("calico-vxlan", "udp", 4789, vxlan_sources, "k8s_cluster", "VXLAN-encapsulated pod traffic between nodes"))
    if manifest["typha"]["enabled"]:
        rules.append(_rule("calico-typha", "tcp", 5473, sources, "k8s_cluster", "Felix connections to Typha"))
    if wg:
        rules.append(_rule("calico-wireguard", "udp", 51820, v4_sources, "k8s_cluster", "WireGuard tunnels between nodes (IPv4)"))
        if dual:
            rules.append(_rule("calico-wireguard-v6", "udp", 51821, v6_sources, "k8s_cluster", "WireGuard tunnels between nodes (IPv6)"))
    if manifest["etcd"]:
        ports = sorted({int(re.search(r":(\d+)/?$", e).group(1)) for e in manifest["etcd"]["endpoints"] if re.search(r":(\d+)/?$", e)})
        for port in ports:
            rules.append(_rule("calico-etcd-%d" % port, "tcp", port, sources, "etcd", "calico-node and calicoctl access to the etcd datastore"))
    rules = [r for r in rules if r["sources"]]
    interfaces = ["cali+"]
    if ipip:
        interfaces += CALICO_INTERFACES["ipip"]
    if vxlan4:
        interfaces += CALICO_INTERFACES["vxlan"]
    if vxlan6:
        interfaces += CALICO_INTERFACES["vxlan6"]
    if wg:
        interfaces += CALICO_INTERFACES["wireguard"] + (CALICO_INTERFACES["wireguard6"] if dual else [])
    return {
        "kernel_modules": kernel_modules,
        "sysctls": dict(sorted(sysctls.items())),
        "firewall_rules": rules,
        "calico_interfaces": interfaces,
        # Every pool, disabled ones too: their pods keep their addresses until they are moved.
        "pod_cidrs": [p["cidr"] for p in sorted(pools, key=lambda p: p["family"])],
        "ports_from_pods": _ports_from_pods(ctx),
        "networkmanager_unmanaged": ["interface-name:%s" % i for i in NM_UNMANAGED],
    }


def _ports_from_pods(ctx: _Ctx) -> list[dict]:
    """``calico_host_ports_from_pods`` ("6443/tcp", "53/udp") as {port, protocol}, in the given order."""
    ports = []
    for i, entry in enumerate(ctx.v["calico_host_ports_from_pods"]):
        found = re.fullmatch(r"\s*(\d{1,5})/(tcp|udp)\s*", str(entry))
        if not found or not 1 <= int(found.group(1)) <= 65535:
            ctx.f.error(
                "calico_host_ports_from_pods[%d]" % i,
                "%r is not PORT/PROTOCOL with a port 1-65535 and tcp or udp." % (entry,),
                "write it like 6443/tcp (API server), 10250/tcp (kubelet) or 53/udp (a node-local DNS).",
            )
            continue
        port = {"port": int(found.group(1)), "protocol": found.group(2)}
        if port not in ports:
            ports.append(port)
    return ports


def _rule(name, protocol, port, sources, group, purpose):
    return {"name": name, "protocol": protocol, "port": port, "sources": list(sources), "group": group, "purpose": purpose}
