"""Inventory -> one validated, normalised plan (see docs/plan.md for the schema).

``build_plan`` reads an ``InventoryInput``, checks everything preflight checks, and returns the
plan together with every error and warning found. It never raises for bad input, never touches
a host and never reads gathered facts, so a render-only run and a full run see the same plan.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
import os
import re
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog
from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import (
    BGP_MODES,
    CLUSTER_VARS,
    DATASTORES,
    DEFAULT_BGP_TIMERS,
    DEFAULT_GRACEFUL_RESTART,
    ENCAPSULATIONS,
    TOR_DESIGNS,
    TOR_NEIGHBOR_MODES,
    TOR_PLATFORMS,
    InventoryInput,
)
from ansible_collections.onprem.calico.plugins.plugin_utils.manifest import MANAGED_FELIX_ENV
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import (
    Findings,
    PreflightIssue,
    check_typha_replicas,
    typha_auto_replicas,
)

SCHEMA_VERSION = 1

DEFAULT_POOL_V4 = "default-ipv4-ippool"
DEFAULT_POOL_V6 = "default-ipv6-ippool"
LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
AS_TRANS = 23456
# Private AS ranges (RFC 6996); anything else is public and worth a warning.
PRIVATE_AS = ((64512, 65534), (4200000000, 4294967294))
FULL_MESH_WARN_NODES = 100
# Header bytes each encapsulation adds (IPv4 / IPv6), for MTU advice.
ENCAP_OVERHEAD = {"ipip": (20, None), "vxlan": (50, 70), "wireguard": (60, 80)}
POOL_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
ENCAP_MODES = {
    "ipip": ("Always", "Never"),
    "ipip_cross_subnet": ("CrossSubnet", "Never"),
    "vxlan": ("Never", "Always"),
    "vxlan_cross_subnet": ("Never", "CrossSubnet"),
    "none": ("Never", "Never"),
}
CALICO_INTERFACES = {
    "ipip": ["tunl0"],
    "vxlan": ["vxlan.calico"],
    "vxlan6": ["vxlan-v6.calico"],
    "wireguard": ["wireguard.cali"],
    "wireguard6": ["wg-v6.cali"],
}
NM_UNMANAGED = ("cali*", "tunl*", "vxlan.calico", "vxlan-v6.calico", "wireguard.cali", "wg-v6.cali")


@dataclass
class PlanResult:
    plan: dict[str, Any] | None
    errors: list[PreflightIssue] = field(default_factory=list)
    warnings: list[PreflightIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- small parsers --------------------------------------------------------------------------


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0"):
        return False
    if isinstance(value, int):
        return bool(value)
    return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


@functools.lru_cache(maxsize=None)
def _addr(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """Parsed address; the plan compares the same addresses many times."""
    return ipaddress.ip_address(text)


@functools.lru_cache(maxsize=None)
def _net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text)


def _ip(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return _addr(str(value).strip())
    except ValueError:
        return None


class _Ranges:
    """Membership of addresses in a set of non-overlapping networks, by binary search."""

    def __init__(self, networks):
        self._by_version = {}
        for version in (4, 6):
            nets = sorted(n for n in networks if n.version == version)
            self._by_version[version] = ([int(n.network_address) for n in nets], [int(n.broadcast_address) for n in nets])

    def __contains__(self, ip) -> bool:
        starts, ends = self._by_version[ip.version]
        i = bisect.bisect_right(starts, int(ip)) - 1
        return i >= 0 and int(ip) <= ends[i]


def _is_dotted_quad(value: Any) -> bool:
    try:
        ipaddress.IPv4Address(str(value))
        return True
    except ValueError:
        return False


class _Ctx:
    """State shared by the build steps: the input, the findings, and parsed values."""

    def __init__(self, inv: InventoryInput):
        self.inv = inv
        self.f = Findings()
        self.v: dict[str, Any] = {}

    # Cluster variables, converted by their declared type; a bad value is an error and the
    # default is used so that the rest of the checks still run.
    def load_cluster_vars(self) -> None:
        for host, var in self.inv.conflicts:
            self.f.error(
                host,
                "sets cluster variable %s to a value that differs from the cluster's." % var,
                "cluster variables apply to the whole cluster: set %s once in group_vars/all "
                "(or as an extra var), not per host or per group." % var,
            )
        for name, (kind, default) in CLUSTER_VARS.items():
            raw = self.inv.cluster.get(name)
            self.v[name] = self._convert(name, kind, default, raw)

    def _convert(self, name: str, kind: str, default: Any, raw: Any) -> Any:
        if raw is None or (isinstance(raw, str) and raw == "" and kind.endswith("?")):
            return default
        if kind in ("str", "str?"):
            if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
                return str(raw)
        elif kind in ("int", "int?"):
            value = _as_int(raw)
            if value is not None:
                return value
        elif kind == "int|auto":
            if raw == "auto":
                return "auto"
            value = _as_int(raw)
            if value is not None:
                return value
        elif kind == "bool":
            value = _as_bool(raw)
            if value is not None:
                return value
        elif kind == "list":
            if isinstance(raw, (list, tuple)):
                return list(raw)
        elif kind == "dict":
            if isinstance(raw, dict):
                return dict(raw)
        expected = {
            "str": "a string",
            "str?": "a string",
            "int": "an integer",
            "int?": "an integer",
            "int|auto": "an integer or 'auto'",
            "bool": "true or false",
            "list": "a list",
            "dict": "a mapping",
        }[kind]
        self.f.error(name, "must be %s, got %r." % (expected, raw), "set %s to %s." % (name, expected))
        return default

    def choice(self, name: str, choices: tuple[str, ...]) -> None:
        value = self.v.get(name)
        if value is not None and value not in choices:
            self.f.error(name, "is %r, not one of: %s." % (value, ", ".join(choices)), "pick one of %s." % ", ".join(choices))

    def network(self, subject: str, value: Any, family: int | None = None):
        """A strictly masked network, or None with an error."""
        text = str(value).strip()
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            self.f.error(subject, "%r is not a valid CIDR." % (value,), "write it as address/prefix, e.g. 10.244.0.0/16.")
            return None
        if "/" not in text:
            self.f.error(subject, "%r has no prefix length." % text, "write it as a network, e.g. %s." % loose)
            return None
        try:
            net = ipaddress.ip_network(text)
        except ValueError:
            self.f.error(subject, "%s has host bits set (the network is %s)." % (text, loose), "use the network address: %s." % loose)
            return None
        if family and net.version != family:
            self.f.error(subject, "%s is not an IPv%d network." % (text, family), "give an IPv%d CIDR." % family)
            return None
        return net


def _check_asn(ctx: _Ctx, subject: str, value: Any) -> int | None:
    asn = _as_int(value)
    if asn is None or not 1 <= asn <= 4294967295:
        ctx.f.error(
            subject, "AS number %r is not an integer in 1..4294967295." % (value,), "use a private AS such as 64512-65534 or 4200000000-4294967294."
        )
        return None
    if asn == AS_TRANS:
        ctx.f.error(subject, "AS 23456 is AS_TRANS (RFC 6793), reserved for 4-byte AS transition.", "use another AS number, e.g. from 64512-65534.")
        return None
    if not any(lo <= asn <= hi for lo, hi in PRIVATE_AS):
        ctx.f.warn(
            subject, "AS %d is not a private AS number (64512-65534, 4200000000-4294967294)." % asn, "use a private AS unless this AS is yours."
        )
    return asn


# --- the build steps ------------------------------------------------------------------------


def build_plan(inv: InventoryInput) -> PlanResult:
    """The whole plan, or ``plan=None`` with every error found."""
    _addr.cache_clear()  # each build parses its own addresses; nothing grows across builds
    _net.cache_clear()
    ctx = _Ctx(inv)
    ctx.load_cluster_vars()
    v = ctx.v
    ctx.choice("calico_datastore", DATASTORES)
    ctx.choice("calico_encapsulation", ENCAPSULATIONS)
    ctx.choice("calico_bgp_mode", BGP_MODES)
    ctx.choice("calico_tor_design", TOR_DESIGNS)
    ctx.choice("calico_tor_neighbor_mode", TOR_NEIGHBOR_MODES)

    cluster = _cluster(ctx)
    racks = _racks(ctx, cluster)
    nodes = _nodes(ctx, cluster, racks)
    cluster["node_count"] = len(nodes)
    cluster["node_subnets"], cluster["node_sources"] = _node_networks(ctx, racks, nodes)
    pools = _pools(ctx, cluster, racks, nodes)
    tors = _tor_routers(ctx, racks)
    bgp = _bgp(ctx, cluster, racks, nodes, tors, pools)
    _tor_sessions(ctx, bgp, racks, nodes, tors, pools)
    _pool_overlaps(ctx, cluster, pools, nodes, tors)
    manifest = _manifest(ctx, cluster, nodes, pools, bgp)
    host = _host_preparation(ctx, cluster, manifest, pools, bgp, tors)

    if ctx.f.errors:
        return PlanResult(None, ctx.f.errors, ctx.f.warnings)
    plan = {
        "schema_version": SCHEMA_VERSION,
        "cluster": cluster,
        "manifest": manifest,
        "ip_pools": pools,
        "bgp": bgp,
        "racks": {k: racks[k] for k in sorted(racks)},
        "nodes": {k: nodes[k] for k in sorted(nodes)},
        "tor_routers": {k: tors[k] for k in sorted(tors)},
        "host_preparation": host,
        "warnings": [str(w) for w in ctx.f.warnings],
    }
    return PlanResult(plan, [], ctx.f.warnings)


def _cluster(ctx: _Ctx) -> dict[str, Any]:
    v = ctx.v
    pod = ctx.network("calico_pod_cidr", v["calico_pod_cidr"], 4)
    pod6 = ctx.network("calico_pod_cidr_v6", v["calico_pod_cidr_v6"], 6) if v["calico_pod_cidr_v6"] else None
    svc = ctx.network("calico_service_cidr", v["calico_service_cidr"])
    if pod and svc and pod.version == svc.version and pod.overlaps(svc):
        ctx.f.error("calico_pod_cidr", "%s overlaps calico_service_cidr %s." % (pod, svc), "pick non-overlapping pod and service ranges.")
    for var, family, lo, hi, default in (("calico_block_size", 4, 20, 32, 26), ("calico_block_size_v6", 6, 116, 128, 122)):
        if not lo <= v[var] <= hi:
            ctx.f.error(
                var,
                "block size %d is outside %d..%d for IPv%d." % (v[var], lo, hi, family),
                "use a block size in %d..%d (Calico's default is %d)." % (lo, hi, default),
            )
    version = v["calico_version"]
    if version not in catalog.SUPPORTED_VERSIONS:
        sha = v["calico_manifest_sha256"]
        if not sha:
            ctx.f.error(
                "calico_version",
                "%s is not in the catalog (supported: %s)." % (version, ", ".join(catalog.SUPPORTED_VERSIONS)),
                "choose a supported version, or set calico_manifest_sha256 to the checksum of that release's manifest.",
            )
    if not re.fullmatch(r"\d+\.\d+", v["calico_kubernetes_version"]):
        ctx.f.error("calico_kubernetes_version", "%r is not a MAJOR.MINOR version." % v["calico_kubernetes_version"], "e.g. 1.33.")
    if not v["calico_cluster_name"] or not POOL_NAME_RE.match(v["calico_cluster_name"]):
        ctx.f.error("calico_cluster_name", "%r is not a DNS-1123 name." % v["calico_cluster_name"], "use lowercase letters, digits, '-' and '.'.")
    return {
        "name": v["calico_cluster_name"],
        "version": version,
        "kubernetes_version": v["calico_kubernetes_version"],
        "datastore": v["calico_datastore"],
        "production": v["calico_production"],
        "pod_cidr": str(pod) if pod else None,
        "pod_cidr_v6": str(pod6) if pod6 else None,
        "service_cidr": str(svc) if svc else None,
        "dual_stack": pod6 is not None,
        "node_count": 0,
        "node_subnets": [],
        "node_sources": [],
        "artifacts_dir": os.path.abspath(os.path.expanduser(v["calico_artifacts_dir"])),
    }


def _racks(ctx: _Ctx, cluster: dict) -> dict[str, dict]:
    racks: dict[str, dict] = {}
    tor_group = set(ctx.inv.group("tor_routers"))
    seen_tor: dict[str, str] = {}
    for name, spec in sorted(ctx.v["calico_racks"].items()):
        subject = "calico_racks.%s" % name
        if not isinstance(spec, dict):
            ctx.f.error(subject, "must be a mapping with asn, subnets and tor_routers.", "see docs/inventory.md#calico_racks.")
            continue
        unknown = set(spec) - {"asn", "subnets", "tor_routers"}
        if unknown:
            ctx.f.error(subject, "has unknown keys: %s." % ", ".join(sorted(unknown)), "use only asn, subnets and tor_routers.")
        asn = None
        if spec.get("asn") is not None:
            asn = _check_asn(ctx, subject + ".asn", spec["asn"])
        subnets = []
        raw_subnets = spec.get("subnets") or []
        if not isinstance(raw_subnets, list):
            ctx.f.error(subject + ".subnets", "must be a list of CIDRs.", "e.g. [10.0.1.0/24].")
            raw_subnets = []
        for s in raw_subnets:
            net = ctx.network(subject + ".subnets", s)
            if net:
                subnets.append(net)
        tors = spec.get("tor_routers") or []
        if not isinstance(tors, list):
            ctx.f.error(subject + ".tor_routers", "must be a list of inventory host names.", "e.g. [tor1a, tor1b].")
            tors = []
        for tor in tors:
            if tor not in tor_group:
                ctx.f.error(
                    subject + ".tor_routers",
                    "%s is not a host of group tor_routers." % tor,
                    "add %s to tor_routers in the inventory or remove it from the rack." % tor,
                )
            if tor in seen_tor:
                ctx.f.error(subject + ".tor_routers", "%s is already the ToR of rack %s." % (tor, seen_tor[tor]), "a router serves one rack.")
            seen_tor[tor] = name
        racks[name] = {
            "name": name,
            "asn": asn,
            "subnets": [str(n) for n in sorted(subnets, key=lambda n: (n.version, n))],
            "tor_routers": sorted(str(t) for t in tors),
            "nodes": [],
            "_nets": subnets,
        }
    return racks


def _nodes(ctx: _Ctx, cluster: dict, racks: dict) -> dict[str, dict]:
    v = ctx.v
    inv = ctx.inv
    members = inv.group("k8s_cluster")
    if not members:
        ctx.f.error(
            "k8s_cluster",
            "the group is empty or missing: there is no node to install Calico on.",
            "put every Kubernetes node in k8s_cluster (children kube_control_plane and kube_node).",
        )
    control = set(inv.group("kube_control_plane"))
    workers = set(inv.group("kube_node"))
    rrs = set(inv.group("calico_route_reflectors"))
    tor_group = set(inv.group("tor_routers"))
    by_ip: dict[Any, str] = {}
    nodes: dict[str, dict] = {}
    member_set = set(members)
    for rr in sorted(rrs - member_set):
        ctx.f.error(rr, "is in calico_route_reflectors but not in k8s_cluster.", "route reflectors are Calico nodes: add %s to k8s_cluster." % rr)
    asn_default = v["calico_asn"]
    for name in members:
        if name in nodes:
            ctx.f.error(name, "is listed twice in k8s_cluster.", "list every node once.")
            continue
        if name in tor_group:
            ctx.f.error(name, "is both a node (k8s_cluster) and a ToR router (tor_routers).", "a host is either a Calico node or a router.")
        hv = inv.hosts.get(name, {})
        ip = _node_ip(ctx, name, hv)
        if ip is not None:
            if ip in by_ip:
                ctx.f.error(name, "has node address %s, already used by %s." % (ip, by_ip[ip]), "give every node its own calico_node_ip.")
            else:
                by_ip[ip] = name
        ip6 = None
        if hv.get("calico_node_ip6") is not None:
            ip6 = _ip(hv["calico_node_ip6"])
            if ip6 is None or ip6.version != 6:
                ctx.f.error(name, "calico_node_ip6 %r is not an IPv6 address." % hv["calico_node_ip6"], "set an IPv6 address or remove it.")
                ip6 = None
        rack = hv.get("calico_rack")
        if rack is not None:
            rack = str(rack)
            if rack not in racks:
                ctx.f.error(
                    name, "calico_rack %r is not defined in calico_racks." % rack, "add rack %s to calico_racks or fix the node's calico_rack." % rack
                )
                rack = None
            else:
                racks[rack]["nodes"].append(name)
                nets = [n for n in racks[rack]["_nets"] if ip is not None and n.version == ip.version]
                if ip is not None and nets and not any(ip in n for n in nets):
                    ctx.f.error(
                        name,
                        "address %s is outside the subnets of rack %s (%s)." % (ip, rack, ", ".join(map(str, nets))),
                        "fix calico_node_ip or the rack's subnets.",
                    )
        mtu = hv.get("calico_interface_mtu", v["calico_interface_mtu"])
        mtu_int = _as_int(mtu)
        if mtu_int is None or not 576 <= mtu_int <= 65535:
            ctx.f.error(name, "calico_interface_mtu %r is not an MTU (576..65535)." % (mtu,), "set the node's uplink MTU, e.g. 1500 or 9000.")
            mtu_int = 1500
        rr = name in rrs
        rr_id = None
        if rr:
            rr_id = hv.get("calico_route_reflector_cluster_id")
            if rr_id is None:
                ctx.f.error(
                    name,
                    "is a route reflector without calico_route_reflector_cluster_id.",
                    "set it (e.g. 244.0.0.1) on the host or in group_vars/calico_route_reflectors.",
                )
            elif not _is_dotted_quad(rr_id):
                ctx.f.error(
                    name, "calico_route_reflector_cluster_id %r is not a dotted-quad (e.g. 244.0.0.1)." % (rr_id,), "set an IPv4-style cluster id."
                )
            rr_id = str(rr_id) if rr_id is not None else None
        node_asn = None
        if hv.get("calico_node_asn") is not None:
            node_asn = _check_asn(ctx, "%s (calico_node_asn)" % name, hv["calico_node_asn"])
        roles = [r for r, grp in (("kube_control_plane", control), ("kube_node", workers)) if name in grp]
        labels = {}
        if rack:
            labels[v["calico_rack_label"]] = rack
        nodes[name] = {
            "name": name,
            "ip": str(ip) if ip is not None else None,
            "ip6": str(ip6) if ip6 is not None else None,
            "rack": rack,
            "asn": node_asn if node_asn is not None else asn_default,
            "asn_source": "node" if node_asn is not None else "global",
            "roles": roles,
            "route_reflector": rr,
            "route_reflector_cluster_id": rr_id,
            "labels": labels,
            "interface_mtu": mtu_int,
            "peers": [],
        }
    for rack in racks.values():
        rack["nodes"].sort()
    return nodes


def _node_ip(ctx: _Ctx, name: str, hv: dict):
    if hv.get("calico_node_ip") is not None:
        ip = _ip(hv["calico_node_ip"])
        if ip is None:
            ctx.f.error(
                name, "calico_node_ip %r is not an IP address." % hv["calico_node_ip"], "set the address calico-node uses for BGP and tunnels."
            )
        return ip
    ip = _ip(hv.get("ansible_host")) if hv.get("ansible_host") is not None else None
    if ip is None:
        ctx.f.error(
            name,
            "has no node address: ansible_host is %r, not an IP, and calico_node_ip is not set." % hv.get("ansible_host"),
            "set calico_node_ip for %s (render-only runs never resolve names or gather facts)." % name,
        )
    return ip


def _node_networks(ctx: _Ctx, racks: dict, nodes: dict) -> tuple[list[str], list[str]]:
    nets = [n for r in racks.values() for n in r["_nets"]]
    for s in ctx.v["calico_node_subnets"]:
        net = ctx.network("calico_node_subnets", s)
        if net:
            nets.append(net)
    v4 = list(ipaddress.collapse_addresses(n for n in nets if n.version == 4))
    v6 = list(ipaddress.collapse_addresses(n for n in nets if n.version == 6))
    collapsed = v4 + v6
    subnets = [str(n) for n in collapsed]
    ips = [_addr(n["ip"]) for n in nodes.values() if n["ip"]]
    if ctx.v["calico_node_subnets"]:
        cluster_nets = [ipaddress.ip_network(str(s), strict=False) for s in ctx.v["calico_node_subnets"] if _valid_net(s)]
        for n in nodes.values():
            if n["ip"] and not n["rack"] and cluster_nets:
                ip = ipaddress.ip_address(n["ip"])
                if not any(ip.version == c.version and ip in c for c in cluster_nets):
                    ctx.f.error(n["name"], "address %s is outside calico_node_subnets." % ip, "fix calico_node_ip or calico_node_subnets.")
    covered = _Ranges(collapsed)
    if collapsed and all(ip in covered for ip in ips):
        sources = subnets
    else:
        host_nets = [ipaddress.ip_network(ip) for ip in ips]
        sources = [str(n) for n in ipaddress.collapse_addresses(h for h in host_nets if h.version == 4)]
        sources += [str(n) for n in ipaddress.collapse_addresses(h for h in host_nets if h.version == 6)]
    return subnets, sources


def _valid_net(value: Any) -> bool:
    try:
        ipaddress.ip_network(str(value))
        return True
    except ValueError:
        return False


def _pools(ctx: _Ctx, cluster: dict, racks: dict, nodes: dict) -> list[dict]:
    v = ctx.v
    pools: list[dict] = []
    encap = v["calico_encapsulation"] if v["calico_encapsulation"] in ENCAP_MODES else "ipip"
    if not v["calico_ip_pools"]:
        if cluster["pod_cidr"]:
            pools.append(
                _pool_entry(
                    DEFAULT_POOL_V4, 4, cluster["pod_cidr"], v["calico_block_size"], encap, v["calico_nat_outgoing"], [], None, False, True, None
                )
            )
        if cluster["pod_cidr_v6"]:
            pools.append(
                _pool_entry(
                    DEFAULT_POOL_V6,
                    6,
                    cluster["pod_cidr_v6"],
                    v["calico_block_size_v6"],
                    encap,
                    v["calico_nat_outgoing_v6"],
                    [],
                    None,
                    False,
                    True,
                    None,
                )
            )
    names = set()
    for i, spec in enumerate(v["calico_ip_pools"]):
        subject = "calico_ip_pools[%d]" % i
        if not isinstance(spec, dict):
            ctx.f.error(subject, "must be a mapping (name, cidr, ...).", "see docs/inventory.md#calico_ip_pools.")
            continue
        unknown = set(spec) - {
            "name",
            "cidr",
            "block_size",
            "encapsulation",
            "ipip_mode",
            "vxlan_mode",
            "nat_outgoing",
            "racks",
            "node_selector",
            "disabled",
            "namespace_selector",
        }
        if unknown:
            ctx.f.error(subject, "has unknown keys: %s." % ", ".join(sorted(unknown)), "see docs/inventory.md#calico_ip_pools for the keys.")
        name = str(spec.get("name") or "")
        if not POOL_NAME_RE.match(name):
            ctx.f.error(subject, "name %r is not a DNS-1123 name." % name, "give the pool a lowercase name, e.g. rack1-ipv4.")
        elif name in names:
            ctx.f.error(subject, "pool name %s is used twice." % name, "give every pool its own name.")
        names.add(name)
        subject = "calico_ip_pools[%s]" % (name or i)
        net = ctx.network(subject + ".cidr", spec.get("cidr"))
        if not net:
            continue
        block = _as_int(spec.get("block_size", v["calico_block_size"] if net.version == 4 else v["calico_block_size_v6"]))
        if block is None:
            ctx.f.error(subject + ".block_size", "must be an integer.", "e.g. 26 for IPv4, 122 for IPv6.")
            continue
        pool_encap = spec.get("encapsulation", encap)
        if pool_encap not in ENCAP_MODES:
            ctx.f.error(subject + ".encapsulation", "%r is not one of %s." % (pool_encap, ", ".join(ENCAPSULATIONS)), "pick one of them.")
            pool_encap = "none"
        nat = _as_bool(spec.get("nat_outgoing", v["calico_nat_outgoing"] if net.version == 4 else v["calico_nat_outgoing_v6"]))
        pool_racks = spec.get("racks") or []
        for r in pool_racks:
            if r not in racks:
                ctx.f.error(subject + ".racks", "rack %r is not defined in calico_racks." % r, "use a rack name from calico_racks.")
        if pool_racks and spec.get("node_selector"):
            ctx.f.error(subject, "sets both racks and node_selector.", "use racks (the selector is derived) or node_selector, not both.")
        entry = _pool_entry(
            name,
            net.version,
            str(net),
            block,
            pool_encap,
            bool(nat),
            sorted(pool_racks),
            spec.get("node_selector"),
            _as_bool(spec.get("disabled", False)) or False,
            False,
            spec.get("namespace_selector"),
        )
        # Explicit modes win over the encapsulation shorthand (advanced use).
        for key in ("ipip_mode", "vxlan_mode"):
            if spec.get(key) is not None:
                if spec[key] not in ("Always", "CrossSubnet", "Never"):
                    ctx.f.error(subject + "." + key, "%r is not Always, CrossSubnet or Never." % spec[key], "use one of those.")
                else:
                    entry[key] = spec[key]
        if entry["racks"]:
            entry["node_selector"] = "%s in {%s}" % (v["calico_rack_label"], ", ".join("'%s'" % r for r in entry["racks"]))
        pools.append(entry)
    for pool in pools:
        _check_pool(ctx, cluster, pool, nodes, racks)
    if v["calico_bgp_mode"] == "none" and not all(p["vxlan_mode"] != "Never" or p["disabled"] for p in pools):
        ctx.f.error(
            "calico_bgp_mode",
            "is 'none' but not every pool uses VXLAN: without BGP, IPIP and unencapsulated routes are never exchanged.",
            "set calico_encapsulation to vxlan (or vxlan_cross_subnet), or choose a BGP mode.",
        )
    return sorted(pools, key=lambda p: (not p["default"], p["family"], p["name"]))


def _pool_entry(name, family, cidr, block, encap, nat, racks, selector, disabled, default, ns_selector):
    ipip, vxlan = ENCAP_MODES[encap]
    return {
        "name": name,
        "family": family,
        "cidr": cidr,
        "block_size": block,
        "ipip_mode": ipip,
        "vxlan_mode": vxlan,
        "nat_outgoing": bool(nat),
        "node_selector": selector or "all()",
        "disabled": bool(disabled),
        "default": default,
        "racks": racks,
        "namespace_selector": ns_selector,
    }


def _check_pool(ctx: _Ctx, cluster: dict, pool: dict, nodes: dict, racks: dict) -> None:
    subject = "calico_ip_pools[%s]" % pool["name"] if not pool["default"] else ("calico_pod_cidr" if pool["family"] == 4 else "calico_pod_cidr_v6")
    net = ipaddress.ip_network(pool["cidr"])
    block = pool["block_size"]
    lo, hi = (20, 32) if net.version == 4 else (116, 128)
    block_var = subject + ".block_size" if not pool["default"] else ("calico_block_size" if net.version == 4 else "calico_block_size_v6")
    if not lo <= block <= hi:
        if pool["default"]:
            return  # reported once by _check_block_sizes
        ctx.f.error(
            block_var,
            "block size %d is outside %d..%d for IPv%d." % (block, lo, hi, net.version),
            "use a block size in %d..%d (Calico's default is %d)." % (lo, hi, 26 if net.version == 4 else 122),
        )
    elif net.prefixlen > block:
        ctx.f.error(
            block_var,
            "pool %s (/%d) is smaller than one block (/%d)." % (net, net.prefixlen, block),
            "use a larger pool or a block size of at least /%d." % net.prefixlen,
        )
    else:
        blocks = 2 ** (block - net.prefixlen)
        if pool["racks"]:
            users = sum(len(racks[r]["nodes"]) for r in pool["racks"] if r in racks)
        else:
            users = len(nodes)
        if users and blocks < users:
            ctx.f.warn(
                subject,
                "pool %s has %d blocks of /%d for %d nodes: some nodes will get no block of their own and borrow addresses."
                % (net, blocks, block, users),
                "use a larger pool or a smaller block (larger block size number).",
            )
    if any(net.version == ll.version and net.overlaps(ll) for ll in LINK_LOCAL):
        ctx.f.error(subject, "%s is in the link-local range." % net, "pick a pool outside 169.254.0.0/16 and fe80::/10.")
    parent = cluster["pod_cidr"] if net.version == 4 else cluster["pod_cidr_v6"]
    parent_var = "calico_pod_cidr" if net.version == 4 else "calico_pod_cidr_v6"
    if parent is None:
        ctx.f.error(subject, "is IPv%d but %s is not set." % (net.version, parent_var), "set %s to a range containing %s." % (parent_var, net))
    elif not net.subnet_of(ipaddress.ip_network(parent)):
        ctx.f.error(subject, "%s is not inside %s %s." % (net, parent_var, parent), "move the pool inside %s or widen %s." % (parent, parent_var))
    if net.version == 6 and pool["ipip_mode"] != "Never":
        ctx.f.error(subject, "IPIP is IPv4 only, but pool %s is IPv6." % net, "use vxlan or none for IPv6 pools.")
    if pool["ipip_mode"] != "Never" and pool["vxlan_mode"] != "Never":
        ctx.f.error(subject, "enables both IPIP and VXLAN; they are mutually exclusive.", "choose one encapsulation per pool.")
    if pool["namespace_selector"] is not None and not isinstance(pool["namespace_selector"], str):
        ctx.f.error(subject + ".namespace_selector", "must be a selector string.", "e.g. \"name == 'team-a'\".")


def _pool_overlaps(ctx: _Ctx, cluster: dict, pools: list[dict], nodes: dict, tors: dict) -> None:
    svc = ipaddress.ip_network(cluster["service_cidr"]) if cluster["service_cidr"] else None
    nets = [(p, ipaddress.ip_network(p["cidr"])) for p in pools]
    subnets = [ipaddress.ip_network(s) for s in cluster["node_subnets"]]
    addresses = [(n["name"], _addr(n["ip"])) for n in nodes.values() if n["ip"]]
    addresses += [(n["name"], _addr(n["ip6"])) for n in nodes.values() if n["ip6"]]
    addresses += [(t["name"] + " (calico_tor_peer_ip)", _addr(t["peer_ip"])) for t in tors.values() if t["peer_ip"]]
    for i, (pool, net) in enumerate(nets):
        subject = "calico_ip_pools[%s]" % pool["name"] if not pool["default"] else "calico_pod_cidr"
        if svc and net.version == svc.version and net.overlaps(svc):
            ctx.f.error(subject, "%s overlaps the service CIDR %s." % (net, svc), "pod pools and services must not share addresses.")
        for other, onet in nets[i + 1 :]:
            if net.version == onet.version and net.overlaps(onet):
                ctx.f.error(subject, "%s overlaps pool %s (%s)." % (net, other["name"], onet), "IP pools must not overlap.")
        for s in subnets:
            if s.version == net.version and s.overlaps(net):
                ctx.f.error(subject, "%s overlaps node subnet %s." % (net, s), "pods and nodes need separate ranges.")
        lo, hi = int(net.network_address), int(net.broadcast_address)
        for who, ip in addresses:
            if ip.version == net.version and lo <= int(ip) <= hi:
                ctx.f.error(subject, "%s contains the address %s of %s." % (net, ip, who), "move the pool away from node and router addresses.")


def _tor_routers(ctx: _Ctx, racks: dict) -> dict[str, dict]:
    rack_of = {t: r["name"] for r in racks.values() for t in r["tor_routers"]}
    tors: dict[str, dict] = {}
    for name in ctx.inv.group("tor_routers"):
        hv = ctx.inv.hosts.get(name, {})
        platform = hv.get("calico_tor_platform")
        if platform not in TOR_PLATFORMS:
            ctx.f.error(
                name, "calico_tor_platform %r is not one of %s." % (platform, ", ".join(TOR_PLATFORMS)), "set calico_tor_platform for the router."
            )
        asn = None
        if hv.get("calico_tor_asn") is None:
            ctx.f.error(name, "calico_tor_asn is not set.", "set the router's AS number.")
        else:
            asn = _check_asn(ctx, "%s (calico_tor_asn)" % name, hv["calico_tor_asn"])
        rid = hv.get("calico_tor_router_id")
        if not _is_dotted_quad(rid):
            ctx.f.error(name, "calico_tor_router_id %r is not a dotted-quad." % (rid,), "set the router id, e.g. its loopback address.")
            rid = None
        peer = _ip(hv.get("calico_tor_peer_ip")) if hv.get("calico_tor_peer_ip") is not None else None
        if peer is None:
            ctx.f.error(
                name,
                "calico_tor_peer_ip %r is not an IP address." % (hv.get("calico_tor_peer_ip"),),
                "set the address the rack's nodes peer with (on the rack subnet).",
            )
        rack = rack_of.get(name)
        if hv.get("calico_rack") is not None and rack is not None and str(hv["calico_rack"]) != rack:
            ctx.f.error(
                name, "calico_rack is %r but calico_racks lists it under %s." % (hv["calico_rack"], rack), "keep one: the rack's tor_routers list."
            )
        tors[name] = {
            "name": name,
            "platform": platform,
            "asn": asn,
            "router_id": str(rid) if rid else None,
            "peer_ip": str(peer) if peer is not None else None,
            "rack": rack,
            "_cluster_id": hv.get("calico_tor_cluster_id"),
        }
    return tors


def _bgp(ctx: _Ctx, cluster: dict, racks: dict, nodes: dict, tors: dict, pools: list[dict]) -> dict:
    v = ctx.v
    mode = v["calico_bgp_mode"]
    design = v["calico_tor_design"]
    prod = v["calico_production"]
    asn = _check_asn(ctx, "calico_asn", v["calico_asn"]) or 64512
    timers = dict(DEFAULT_BGP_TIMERS)
    for key, val in v["calico_bgp_timers"].items():
        if key not in timers or _as_int(val) is None or _as_int(val) < 0:
            ctx.f.error(
                "calico_bgp_timers", "%s: %r is not a known timer with a non-negative integer." % (key, val), "use keys %s." % ", ".join(timers)
            )
        else:
            timers[key] = _as_int(val)
    if timers["hold"] and timers["hold"] < 3 * timers["keepalive"] and timers["hold"] != 0:
        ctx.f.warn(
            "calico_bgp_timers", "hold %d is less than three keepalives (%d)." % (timers["hold"], timers["keepalive"]), "hold should be 3x keepalive."
        )
    port = v["calico_bgp_listen_port"]
    if not 1 <= port <= 65535:
        ctx.f.error("calico_bgp_listen_port", "%d is not a TCP port." % port, "use 179 unless you have a reason.")
    rrs = [n for n in nodes.values() if n["route_reflector"]]
    rr_names = [n["name"] for n in sorted(rrs, key=lambda n: n["name"])]
    if rr_names and mode != "route_reflectors":
        ctx.f.warn(
            "calico_route_reflectors",
            "has hosts but calico_bgp_mode is %s: they are treated as ordinary nodes." % mode,
            "set calico_bgp_mode: route_reflectors or empty the group.",
        )
        for n in rrs:
            n["route_reflector"] = False
            n["route_reflector_cluster_id"] = None
        rr_names = []
    n_nodes = len(nodes)
    if mode == "full_mesh" and n_nodes > FULL_MESH_WARN_NODES:
        msg = "full mesh with %d nodes means %d BGP sessions per node; above %d nodes this does not scale." % (
            n_nodes,
            n_nodes - 1,
            FULL_MESH_WARN_NODES,
        )
        fix = "use calico_bgp_mode: route_reflectors (or tor)."
        (ctx.f.error if prod else ctx.f.warn)("calico_bgp_mode", msg, fix)
    if mode == "route_reflectors":
        need = 2 if prod else 1
        if len(rr_names) < need:
            ctx.f.error(
                "calico_route_reflectors",
                "has %d route reflector(s); route_reflectors mode needs at least %d%s." % (len(rr_names), need, " in production" if prod else ""),
                "add nodes of k8s_cluster to calico_route_reflectors.",
            )
        for n in rrs:
            n["labels"]["route-reflector"] = "true"
        for n in nodes.values():
            if n["route_reflector"]:
                n["peers"] = [
                    {"name": o, "ip": nodes[o]["ip"], "asn": nodes[o]["asn"], "kind": "route_reflector"} for o in rr_names if o != n["name"]
                ]
                n["peers"] += [
                    {"name": o["name"], "ip": o["ip"], "asn": o["asn"], "kind": "node"} for o in nodes.values() if not o["route_reflector"]
                ]
            else:
                n["peers"] = [{"name": o, "ip": nodes[o]["ip"], "asn": nodes[o]["asn"], "kind": "route_reflector"} for o in rr_names]
    if mode == "tor":
        _tor_mode(ctx, cluster, racks, nodes, tors, design, asn)
    elif design:
        ctx.f.warn(
            "calico_tor_design", "is set but calico_bgp_mode is %s; it is ignored." % mode, "remove calico_tor_design or set calico_bgp_mode: tor."
        )
    if mode != "tor" and tors:
        ctx.f.warn(
            "tor_routers",
            "has %d router(s) but calico_bgp_mode is %s: no ToR configuration is rendered." % (len(tors), mode),
            "set calico_bgp_mode: tor to peer nodes with their ToRs.",
        )
    for n in nodes.values():
        n["peers"].sort(key=lambda p: (p["kind"] != "tor", p["name"]))
    svc_cluster = [cluster["service_cidr"]] if v["calico_advertise_service_cluster_ips"] and cluster["service_cidr"] else []
    svc_ext = _cidr_list(ctx, "calico_advertise_service_external_ips")
    svc_lb = _cidr_list(ctx, "calico_advertise_service_loadbalancer_ips")
    communities, prefix_advertisements = _communities(ctx, pools)
    password = v["calico_bgp_password"]
    return {
        "mode": mode,
        "tor_design": design if mode == "tor" else None,
        "asn": asn,
        "node_to_node_mesh": mode == "full_mesh",
        "listen_port": port,
        "rack_label": v["calico_rack_label"],
        "route_reflector_label": "route-reflector",
        "route_reflectors": rr_names,
        "password": {
            "enabled": bool(password),
            "secret_name": "calico-bgp-password",
            "secret_key": "password",
            "namespace": "kube-system",
        },
        "service_cluster_ips": svc_cluster,
        "service_external_ips": svc_ext,
        "service_loadbalancer_ips": svc_lb,
        "communities": communities,
        "prefix_advertisements": prefix_advertisements,
        "timers": timers,
        "peer_extra": v["calico_bgp_peer_extra"],
    }


def _communities(ctx: _Ctx, pools: list[dict]) -> tuple[list[dict], list[dict]]:
    """calico_bgp_communities as BGPConfiguration communities and prefixAdvertisements.

    Each community names the prefixes (pool names or CIDRs) it is attached to: calicoctl refuses a
    community that no prefixAdvertisement uses, so one without prefixes is an error here.
    """
    pool_cidrs = {p["name"]: p["cidr"] for p in pools}
    communities, by_cidr = [], {}
    for i, c in enumerate(ctx.v["calico_bgp_communities"]):
        subject = "calico_bgp_communities[%d]" % i
        if not isinstance(c, dict) or not c.get("name") or not re.fullmatch(r"\d+:\d+(:\d+)?", str(c.get("value", ""))):
            ctx.f.error(subject, "must be {name, value, prefixes} with value like 65000:100 or 65000:100:200.", "fix the entry.")
            continue
        prefixes = c.get("prefixes")
        if not prefixes or not isinstance(prefixes, list):
            ctx.f.error(
                subject,
                "(%s) is attached to no prefix; calicoctl refuses a community that no prefixAdvertisement uses." % c["name"],
                "add prefixes: [<pool name or CIDR>] to it (pools: %s), or remove it." % (", ".join(sorted(pool_cidrs)) or "none"),
            )
            continue
        communities.append({"name": str(c["name"]), "value": str(c["value"])})
        for prefix in prefixes:
            cidr = pool_cidrs.get(str(prefix))
            if cidr is None:
                cidr = str(_net(str(prefix))) if _valid_net(prefix) else None
            if cidr is None:
                ctx.f.error(subject, "prefix %r is neither a pool name nor a CIDR." % (prefix,),
                            "use one of the pools (%s) or a CIDR such as 10.244.0.0/16." % (", ".join(sorted(pool_cidrs)) or "none"))
                continue
            names = by_cidr.setdefault(cidr, [])
            if c["name"] not in names:
                names.append(str(c["name"]))
    return communities, [{"cidr": cidr, "communities": names} for cidr, names in sorted(by_cidr.items())]


def _cidr_list(ctx: _Ctx, var: str) -> list[str]:
    out = []
    for item in ctx.v[var]:
        net = ctx.network(var, item)
        if net:
            out.append(str(net))
    return out


def _tor_mode(ctx: _Ctx, cluster: dict, racks: dict, nodes: dict, tors: dict, design: str | None, asn: int) -> None:
    if not design:
        ctx.f.error(
            "calico_tor_design", "is required with calico_bgp_mode: tor.", "set it to as_per_rack, as_per_node or downward_default (docs/bgp.md)."
        )
        return
    if cluster["pod_cidr_v6"]:
        ctx.f.error(
            "calico_pod_cidr_v6",
            "ToR peering with an IPv6 pod CIDR is not supported in this release.",
            "remove calico_pod_cidr_v6 or use full_mesh / route_reflectors for dual stack.",
        )
    for n in nodes.values():
        rack = racks.get(n["rack"]) if n["rack"] else None
        if rack is None:
            ctx.f.error(
                n["name"],
                "has no calico_rack, but calico_bgp_mode is tor: every node peers with its rack's ToRs.",
                "set calico_rack for %s." % n["name"],
            )
            continue
        if not rack["tor_routers"]:
            ctx.f.error(
                n["name"],
                "is in rack %s, which has no tor_routers." % rack["name"],
                "list the rack's ToRs in calico_racks.%s.tor_routers." % rack["name"],
            )
    for rack in racks.values():
        if rack["nodes"] and not rack["subnets"]:
            ctx.f.error(
                "calico_racks.%s" % rack["name"],
                "has nodes but no subnets.",
                "list the rack's node subnets (ToR peer addresses and filters are derived from them).",
            )
        if design == "as_per_rack" and rack["nodes"] and rack["asn"] is None:
            ctx.f.error("calico_racks.%s.asn" % rack["name"], "is required with calico_tor_design: as_per_rack.", "give the rack its AS number.")
    for t in tors.values():
        rack = racks.get(t["rack"]) if t["rack"] else None
        if rack is None:
            ctx.f.error(t["name"], "is not listed under any rack's tor_routers.", "add it to calico_racks.<rack>.tor_routers.")
            continue
        if t["peer_ip"] and rack["_nets"]:
            ip = _addr(t["peer_ip"])
            if not any(ip.version == n.version and ip in n for n in rack["_nets"]):
                ctx.f.error(
                    t["name"],
                    "calico_tor_peer_ip %s is outside rack %s's subnets (%s)." % (ip, rack["name"], ", ".join(rack["subnets"])),
                    "use the router's address on the rack subnet.",
                )
        if design == "as_per_rack" and rack["asn"] is not None and t["asn"] is not None and t["asn"] != rack["asn"]:
            ctx.f.error(
                t["name"],
                "calico_tor_asn %d differs from rack %s's asn %d; as_per_rack needs them equal (iBGP)." % (t["asn"], rack["name"], rack["asn"]),
                "set calico_tor_asn to %d." % rack["asn"],
            )
        if design == "downward_default" and t["asn"] == asn:
            ctx.f.error(t["name"], "calico_tor_asn %d equals calico_asn; downward_default peers over eBGP." % asn, "give the ToRs their own AS.")
    for n in nodes.values():
        rack = racks.get(n["rack"]) if n["rack"] else None
        if design == "as_per_rack":
            if rack and rack["asn"] is not None:
                if n["asn_source"] == "node" and n["asn"] != rack["asn"]:
                    ctx.f.error(
                        n["name"],
                        "calico_node_asn %d differs from rack %s's asn %d (as_per_rack)." % (n["asn"], rack["name"], rack["asn"]),
                        "remove calico_node_asn; the rack's AS applies.",
                    )
                n["asn"], n["asn_source"] = rack["asn"], "rack"
        elif design == "as_per_node":
            if n["asn_source"] != "node":
                ctx.f.error(n["name"], "has no calico_node_asn; as_per_node gives every node its own AS.", "set calico_node_asn for %s." % n["name"])
        if rack:
            for tname in rack["tor_routers"]:
                t = tors.get(tname)
                if t and t["peer_ip"]:
                    if design == "as_per_node" and t["asn"] == n["asn"] and n["asn_source"] == "node":
                        ctx.f.error(
                            n["name"],
                            "calico_node_asn %d equals ToR %s's AS; as_per_node needs eBGP." % (n["asn"], tname),
                            "give the node its own AS.",
                        )
                    n["peers"].append({"name": tname, "ip": t["peer_ip"], "asn": t["asn"], "kind": "tor"})
    seen: dict[int, str] = {}
    if design == "as_per_node":
        for n in sorted(nodes.values(), key=lambda x: x["name"]):
            if n["asn_source"] == "node":
                if n["asn"] in seen:
                    ctx.f.warn(
                        n["name"],
                        "shares AS %d with %s; as_per_node expects one AS per node." % (n["asn"], seen[n["asn"]]),
                        "give each node its own calico_node_asn.",
                    )
                seen.setdefault(n["asn"], n["name"])


def _tor_sessions(ctx: _Ctx, bgp: dict, racks: dict, nodes: dict, tors: dict, pools: list[dict]) -> None:
    """Fill in each ToR's node-facing side, derived from the same facts as the node side."""
    v = ctx.v
    design = bgp["tor_design"]
    gr = dict(DEFAULT_GRACEFUL_RESTART)
    for key, val in v["calico_tor_graceful_restart"].items():
        if key not in gr or _as_int(val) is None:
            ctx.f.error("calico_tor_graceful_restart", "%s: %r is not a known timer with an integer." % (key, val), "use keys %s." % ", ".join(gr))
        else:
            gr[key] = _as_int(val)
    if v["calico_tor_maximum_paths"] < 1:
        ctx.f.error("calico_tor_maximum_paths", "must be at least 1.", "e.g. 8.")
    if v["calico_tor_maximum_prefix"] < 1:
        ctx.f.error("calico_tor_maximum_prefix", "must be at least 1.", "e.g. 12000.")
    if not re.fullmatch(r"[A-Z][A-Z0-9_-]*", v["calico_tor_object_prefix"]):
        ctx.f.error("calico_tor_object_prefix", "%r must be upper-case letters, digits, '-' or '_'." % v["calico_tor_object_prefix"], "e.g. CALICO-.")
    for t in tors.values():
        rack = racks.get(t["rack"]) if t["rack"] else None
        cluster_id = t.pop("_cluster_id", None)
        rack_nodes = rack["nodes"] if rack else []
        accept = []
        for p in pools:
            if p["family"] != 4:
                continue
            if p["racks"] and t["rack"] not in p["racks"]:
                continue
            accept.append({"prefix": p["cidr"], "ge": p["block_size"] if p["block_size"] < 32 else None, "le": 32, "family": 4})
        for cidr in bgp["service_cluster_ips"] + bgp["service_external_ips"] + bgp["service_loadbalancer_ips"]:
            net = ipaddress.ip_network(cidr)
            accept.append({"prefix": cidr, "ge": None, "le": 32 if net.version == 4 else 128, "family": net.version})
        listen = None
        if v["calico_tor_neighbor_mode"] == "listen_range" and rack and rack["subnets"]:
            listen = {"prefix": rack["subnets"][0], "limit": max(16, 2 * len(rack_nodes))}
        t.update(
            {
                "design": design,
                "session_type": "ibgp" if design == "as_per_rack" else "ebgp",
                "route_reflector_client": design == "as_per_rack",
                "next_hop_self": design == "as_per_rack",
                "default_originate": design == "downward_default",
                "send_default_only": design == "downward_default",
                "cluster_id": (str(cluster_id) if cluster_id else t["router_id"]) if design == "as_per_rack" else None,
                "neighbor_mode": v["calico_tor_neighbor_mode"],
                "listen_range": listen,
                "neighbors": sorted(
                    ({"node": n, "ip": nodes[n]["ip"], "asn": nodes[n]["asn"]} for n in rack_nodes if nodes.get(n) and nodes[n]["ip"]),
                    key=lambda x: _addr(x["ip"]),
                ),
                "accept_prefixes": accept,
                "maximum_prefix": v["calico_tor_maximum_prefix"],
                "maximum_paths": v["calico_tor_maximum_paths"],
                "password_enabled": bgp["password"]["enabled"],
                "timers": dict(bgp["timers"]),
                "graceful_restart": gr,
                "object_prefix": v["calico_tor_object_prefix"],
            }
        )
        if cluster_id and not _is_dotted_quad(cluster_id):
            ctx.f.error(
                t["name"], "calico_tor_cluster_id %r is not a dotted-quad." % cluster_id, "use an IPv4-style id or remove it (the router id is used)."
            )
    for r in racks.values():
        r.pop("_nets", None)


def _manifest(ctx: _Ctx, cluster: dict, nodes: dict, pools: list[dict], bgp: dict) -> dict:
    v = ctx.v
    ds = cluster["datastore"]
    n = len(nodes)
    threshold = v["calico_typha_node_threshold"]
    if threshold < 0:
        ctx.f.error("calico_typha_node_threshold", "must not be negative.", "the default is 50.")
    if ds == "etcd":
        variant, reason = catalog.VARIANT_ETCD, "etcd datastore"
    elif n > threshold:
        variant, reason = catalog.VARIANT_TYPHA, "Kubernetes datastore, %d nodes > calico_typha_node_threshold (%d)" % (n, threshold)
    else:
        variant, reason = catalog.VARIANT_KDD, "Kubernetes datastore, %d nodes <= calico_typha_node_threshold (%d)" % (n, threshold)
    override = v["calico_manifest_variant"]
    if override:
        allowed = (catalog.VARIANT_ETCD,) if ds == "etcd" else (catalog.VARIANT_KDD, catalog.VARIANT_TYPHA)
        if override not in allowed:
            ctx.f.error(
                "calico_manifest_variant",
                "%r does not fit the %s datastore (allowed: %s)." % (override, ds, ", ".join(allowed)),
                "remove the override or pick an allowed variant.",
            )
        else:
            variant, reason = override, "calico_manifest_variant override"
    typha = variant == catalog.VARIANT_TYPHA
    replicas = 0
    if typha:
        req = v["calico_typha_replicas"]
        if req == "auto":
            replicas = typha_auto_replicas(n, v["calico_production"])
            if replicas < 1:
                ctx.f.error(
                    "calico_typha_replicas",
                    "auto gives %d replicas for %d node(s): Typha needs fewer replicas than nodes and at least one." % (replicas, n),
                    "raise calico_typha_node_threshold so small clusters use calico.yaml.",
                )
        else:
            replicas = req
            check_typha_replicas(ctx.f, req, n, v["calico_production"])
    elif v["calico_typha_replicas"] not in ("auto", 0) and isinstance(v["calico_typha_replicas"], int):
        ctx.f.warn("calico_typha_replicas", "is %d but the %s variant runs no Typha; it is ignored." % (v["calico_typha_replicas"], variant))
    sha = v["calico_manifest_sha256"]
    catalog_sha = catalog.manifest_sha256(cluster["version"], variant)
    sha_source = "catalog"
    if sha:
        sha = sha.strip().lower()
        if not SHA256_RE.match(sha):
            ctx.f.error("calico_manifest_sha256", "is not a 64-digit hex sha256.", "copy the checksum of %s for v%s." % (variant, cluster["version"]))
        elif catalog_sha and sha != catalog_sha:
            ctx.f.error(
                "calico_manifest_sha256",
                "differs from the catalog's checksum of %s v%s (%s)." % (variant, cluster["version"], catalog_sha),
                "remove calico_manifest_sha256 for catalog versions.",
            )
        elif not catalog_sha:
            sha_source = "calico_manifest_sha256"
    else:
        sha = catalog_sha
    mtu = v["calico_mtu"]
    if mtu != "auto":
        if not 576 <= mtu <= 9000:
            ctx.f.error("calico_mtu", "%d is not a usable MTU (576..9000)." % mtu, "use 'auto' to let Felix detect it.")
        elif nodes:
            _mtu_advice(ctx, cluster, nodes, pools, mtu)
    if ds == "etcd":
        etcd = _etcd(ctx)
    else:
        etcd = None
        if v["calico_etcd_endpoints"]:
            ctx.f.warn("calico_etcd_endpoints", "is set but calico_datastore is kubernetes; it is ignored.")
    felix = {}
    for key, val in v["calico_felix_env"].items():
        if not re.fullmatch(r"FELIX_[A-Z0-9_]+", str(key)):
            ctx.f.error(
                "calico_felix_env", "%r is not a FELIX_* variable name." % key, "only Felix settings pass through (e.g. FELIX_LOGSEVERITYSCREEN)."
            )
        elif str(key) in MANAGED_FELIX_ENV:
            ctx.f.error(
                "calico_felix_env",
                "%s is decided by %s; setting it here would contradict the plan." % (key, MANAGED_FELIX_ENV[str(key)]),
                "remove %s from calico_felix_env and use %s." % (key, MANAGED_FELIX_ENV[str(key)]),
            )
        else:
            felix[str(key)] = str(val).lower() if isinstance(val, bool) else str(val)
    if v["calico_rp_filter"] not in (0, 1):
        if v["calico_rp_filter"] == 2 and felix.get("FELIX_IGNORELOOSERPF") == "true":
            pass
        else:
            ctx.f.error(
                "calico_rp_filter",
                "is %r; Felix exits when rp_filter is 2 (loose) and accepts only 0 or 1." % v["calico_rp_filter"],
                "use 1 (strict) or 0, or set FELIX_IGNORELOOSERPF: 'true' in calico_felix_env with 2.",
            )
    method = v["calico_ip_autodetection_method"]
    if not method:
        v4_subnets = [s for s in cluster["node_subnets"] if ":" not in s]
        if v4_subnets:
            method = "cidr=" + ",".join(v4_subnets)
        else:
            method = "kubernetes-internal-ip" if ds == "kubernetes" else "first-found"
    method6 = None
    if cluster["dual_stack"]:
        method6 = v["calico_ip6_autodetection_method"]
        if not method6:
            v6_subnets = [s for s in cluster["node_subnets"] if ":" in s]
            method6 = "cidr=" + ",".join(v6_subnets) if v6_subnets else ("kubernetes-internal-ip" if ds == "kubernetes" else "first-found")
    mirror = v["calico_manifest_mirror"]
    return {
        "variant": variant,
        "variant_reason": reason,
        "sha256": sha,
        "sha256_source": sha_source,
        "url": catalog.manifest_url(cluster["version"], variant),
        "mirror": mirror,
        "typha": {"enabled": typha, "replicas": replicas, "node_threshold": threshold},
        "veth_mtu": 0 if mtu == "auto" else mtu,
        "calico_backend": "vxlan" if bgp["mode"] == "none" else "bird",
        "ip_autodetection_method": method,
        "ip6_autodetection_method": method6,
        "no_default_pools": bool(v["calico_ip_pools"]),
        "image_registry": v["calico_image_registry"],
        "image_pull_secrets": [str(s) for s in v["calico_image_pull_secrets"]],
        "felix_env": dict(sorted(felix.items())),
        "etcd": etcd,
    }


def _mtu_advice(ctx: _Ctx, cluster: dict, nodes: dict, pools: list[dict], mtu: int) -> None:
    smallest = min(n["interface_mtu"] for n in nodes.values())
    overhead, why = 0, "no encapsulation"
    if any(p["ipip_mode"] != "Never" for p in pools):
        overhead, why = ENCAP_OVERHEAD["ipip"][0], "IPIP"
    if any(p["vxlan_mode"] != "Never" for p in pools):
        v6 = any(p["vxlan_mode"] != "Never" and p["family"] == 6 for p in pools)
        o = ENCAP_OVERHEAD["vxlan"][1 if v6 else 0]
        if o > overhead:
            overhead, why = o, "VXLAN" + (" over IPv6" if v6 else "")
    if ctx.v["calico_wireguard"]:
        o = ENCAP_OVERHEAD["wireguard"][1 if cluster["dual_stack"] else 0]
        if o > overhead:
            overhead, why = o, "WireGuard"
    if mtu > smallest - overhead:
        ctx.f.warn(
            "calico_mtu",
            "%d exceeds the smallest node interface MTU %d minus the %s overhead %d (= %d): large packets will be fragmented or dropped."
            % (mtu, smallest, why, overhead, smallest - overhead),
            "set calico_mtu to %d or 'auto'." % (smallest - overhead),
        )


def _etcd(ctx: _Ctx) -> dict | None:
    v = ctx.v
    endpoints = [str(e) for e in v["calico_etcd_endpoints"]]
    if not endpoints:
        ctx.f.error("calico_etcd_endpoints", "is empty, but calico_datastore is etcd.", "list the etcd client URLs, e.g. https://10.0.0.5:2379.")
    tls = False
    for e in endpoints:
        m = re.fullmatch(r"(https?)://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})/?", e)
        if not m or not 1 <= int(m.group(3)) <= 65535:
            ctx.f.error("calico_etcd_endpoints", "%r is not a URL with scheme and port." % e, "write it as https://HOST:2379.")
            continue
        tls = tls or m.group(1) == "https"
    files = {}
    for key in ("ca", "cert", "key"):
        var = "calico_etcd_%s_file" % key
        path = v[var]
        if tls and not path:
            ctx.f.error(var, "is required with https etcd endpoints.", "set %s to the PEM file on the controller." % var)
        elif path:
            path = os.path.abspath(os.path.expanduser(path))
            if not os.path.isfile(path):
                ctx.f.error(var, "%s does not exist on the controller." % path, "fix the path; the file is read on the controller.")
        files[key + "_file"] = path if path else None
    return {"endpoints": endpoints, "tls": tls, **files}


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
    sysctls = {"net.ipv4.ip_forward": "1", "net.ipv4.conf.all.rp_filter": str(v["calico_rp_filter"])}
    if dual:
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
    rules = []
    if bgp["mode"] != "none":
        rules.append(
            _rule("calico-bgp", "tcp", bgp["listen_port"], bgp_sources, "k8s_cluster", "BGP sessions between nodes, route reflectors and ToR peers")
        )
    if ipip:
        rules.append(_rule("calico-ipip", "ipip", None, sources, "k8s_cluster", "IPIP-encapsulated pod traffic (IP protocol 4) between nodes"))
    if vxlan4 or vxlan6:
        rules.append(_rule("calico-vxlan", "udp", 4789, sources, "k8s_cluster", "VXLAN-encapsulated pod traffic between nodes"))
    if manifest["typha"]["enabled"]:
        rules.append(_rule("calico-typha", "tcp", 5473, sources, "k8s_cluster", "Felix connections to Typha"))
    if wg:
        rules.append(_rule("calico-wireguard", "udp", 51820, sources, "k8s_cluster", "WireGuard tunnels between nodes (IPv4)"))
        if dual:
            rules.append(_rule("calico-wireguard-v6", "udp", 51821, sources, "k8s_cluster", "WireGuard tunnels between nodes (IPv6)"))
    if manifest["etcd"]:
        ports = sorted({int(re.search(r":(\d+)/?$", e).group(1)) for e in manifest["etcd"]["endpoints"] if re.search(r":(\d+)/?$", e)})
        for port in ports:
            rules.append(_rule("calico-etcd-%d" % port, "tcp", port, sources, "etcd", "calico-node and calicoctl access to the etcd datastore"))
    trusted = ["cali+"]
    if ipip:
        trusted += CALICO_INTERFACES["ipip"]
    if vxlan4:
        trusted += CALICO_INTERFACES["vxlan"]
    if vxlan6:
        trusted += CALICO_INTERFACES["vxlan6"]
    if wg:
        trusted += CALICO_INTERFACES["wireguard"] + (CALICO_INTERFACES["wireguard6"] if dual else [])
    return {
        "kernel_modules": kernel_modules,
        "sysctls": dict(sorted(sysctls.items())),
        "firewall_rules": rules,
        "trusted_interfaces": trusted,
        "forward_cidrs": [p["cidr"] for p in pools if not p["disabled"]],
        "networkmanager_unmanaged": ["interface-name:%s" % i for i in NM_UNMANAGED],
    }


def _rule(name, protocol, port, sources, group, purpose):
    return {"name": name, "protocol": protocol, "port": port, "sources": list(sources), "group": group, "purpose": purpose}
