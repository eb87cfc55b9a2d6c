"""ToR sessions section: what every router configures towards the nodes of its rack."""

from __future__ import annotations

import heapq
import ipaddress
import re

from ansible_collections.onprem.calico.plugins.plugin_utils.input_schema import DEFAULT_GRACEFUL_RESTART
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.context import _addr, _as_int, _Ctx, _is_dotted_quad, _net


def _without(networks: list, holes: list) -> list:
    """``networks`` minus ``holes`` (each hole inside one of them or outside all), sorted, as the
    fewest networks covering what is left. Worked out on integers: ``address_exclude`` builds a
    network object per step and, once per rack, was the plan's hot spot with rack pools."""
    out = []
    for net in networks:
        inside = sorted((int(h.network_address), int(h.broadcast_address)) for h in holes if h.version == net.version and h.subnet_of(net))
        if not inside:
            out.append(net)
            continue
        start = int(net.network_address)
        for hole_start, hole_last in inside:
            out += _cidrs(net.version, start, hole_start - 1)
            start = max(start, hole_last + 1)
        out += _cidrs(net.version, start, int(net.broadcast_address))
    # Disjoint networks of one family: their first addresses order them.
    return sorted(out, key=lambda net: (net.version, int(net.network_address)))


def _cidrs(version: int, start: int, last: int) -> list:
    """The fewest networks covering the addresses ``start``..``last`` (none when empty)."""
    bits = 32 if version == 4 else 128
    nets = []
    while start <= last:
        # The largest block aligned at start that ends inside the range.
        size = (start & -start) if start else 1 << bits
        while size > last - start + 1:
            size >>= 1
        nets.append(ipaddress.ip_network((start, bits - size.bit_length() + 1)))
        start += size
    return nets


class _RackPrefixes:
    """The pool prefixes of a rack's routers, worked out once per rack (its routers share them):
    hundreds of rack pools made a scan of every pool per router the plan's hot spot."""

    def __init__(self, pools: list[dict], dual_stack: bool):
        considered = [p for p in pools if p["family"] == 4 or dual_stack]
        # Each rack looks only at the pools for every rack and those naming it (in pool order),
        # and counts the rack pools of other racks per family instead of scanning them.
        self._shared = [(position, p) for position, p in enumerate(considered) if not p["racks"]]
        self._naming: dict = {}
        self._racked_rack_pools = {4: 0, 6: 0}
        for position, p in enumerate(considered):
            for rack_name in dict.fromkeys(p["racks"]):
                self._naming.setdefault(rack_name, []).append((position, p))
            if p["racks"] and p["origin"] == "rack":
                self._racked_rack_pools[p["family"]] += 1
        # Every rack pool of a family, collapsed once: each rack's routers send the other racks'
        # pools down as this union minus their own rack's pools (a handful of entries even for
        # hundreds of racks).
        self._union = {
            family: list(ipaddress.collapse_addresses(_net(p["cidr"]) for p in pools if p["origin"] == "rack" and p["family"] == family))
            for family in (4, 6)
        }
        self._done: dict = {}

    def of(self, rack_name) -> tuple[list[dict], list[dict], list[dict]]:
        """(accept, pool_blocks, aggregates) for a router of ``rack_name``, as new lists of new dicts."""
        if rack_name not in self._done:
            self._done[rack_name] = self._work_out(rack_name)
        return tuple([dict(entry) for entry in entries] for entries in self._done[rack_name])

    def _work_out(self, rack_name):
        # The rack's pool blocks: what nodes may announce and, except in downward_default,
        # what the router passes down to them. Another rack's rack pool arrives from the
        # uplinks as that rack's aggregate, so the other racks' pools go down whole (the
        # aggregates or longer).
        accept, pool_blocks, aggregates = [], [], []
        own: dict[int, list] = {4: [], 6: []}  # this rack's rack pools per family
        naming = self._naming.get(rack_name, [])
        for _position, p in heapq.merge(self._shared, naming, key=lambda item: item[0]):
            host_len = 32 if p["family"] == 4 else 128
            entry = {"prefix": p["cidr"], "ge": p["block_size"] if p["block_size"] < host_len else None, "le": host_len, "family": p["family"]}
            accept.append(entry)
            pool_blocks.append(dict(entry))
            if p["origin"] == "rack" and rack_name in p["racks"]:
                own[p["family"]].append(_net(p["cidr"]))
            if p["origin"] == "rack" and not p["disabled"]:
                # One route per rack and family towards the spine; the blocks stay for the rack's own nodes.
                aggregates.append({"prefix": p["cidr"], "family": p["family"]})
        # Families in which other racks have rack pools: those go down as the union minus our own.
        other_racks = [family for family in (4, 6)
                       if self._racked_rack_pools[family] > sum(1 for _position, p in naming if p["origin"] == "rack" and p["family"] == family)]
        for family in other_racks:
            pool_blocks += [{"prefix": str(net), "ge": None, "le": 32 if family == 4 else 128, "family": family}
                            for net in _without(self._union[family], own[family])]
        return accept, pool_blocks, aggregates


def tor_sends_default(ctx: _Ctx, design: str | None) -> bool:
    """Whether the ToRs pass the default they learned from their uplinks down to the nodes."""
    return design == "downward_default" or bool(ctx.v["calico_tor_send_default"])


def _tor_sessions(ctx: _Ctx, cluster: dict, bgp: dict, racks: dict, nodes: dict, tors: dict, pools: list[dict]) -> dict[str, dict]:
    """Each ToR's node-facing side, derived from the same facts as the node side.

    ``nodes`` are the composed nodes (their effective AS from the BGP section); the result maps
    each router to the fields the assembler adds to it.
    """
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
    # IPv6 sessions only in a ToR design of a dual-stack cluster (the BGP section checks the addresses).
    dual_stack = cluster["dual_stack"] and design is not None
    rack_prefixes = _RackPrefixes(pools, dual_stack)
    sessions: dict[str, dict] = {}
    for t in tors.values():
        rack = racks.get(t["rack"]) if t["rack"] else None
        cluster_id = ctx.inv.hosts.get(t["name"], {}).get("calico_tor_cluster_id")
        rack_nodes = rack["nodes"] if rack else []
        accept, pool_blocks, aggregates = rack_prefixes.of(t["rack"])
        for cidr in bgp["service_cluster_ips"] + bgp["service_external_ips"] + bgp["service_loadbalancer_ips"]:
            net = ipaddress.ip_network(cidr)
            accept.append({"prefix": cidr, "ge": None, "le": 32 if net.version == 4 else 128, "family": net.version})
        listen_ranges = []
        if v["calico_tor_neighbor_mode"] == "listen_range" and rack:
            listen_ranges = [
                {"prefix": str(net), "family": net.version} for net in (_net(s) for s in rack["subnets"]) if net.version == 4 or dual_stack
            ]
        sessions_per_node = 2 if dual_stack else 1
        neighbors = []
        for name in rack_nodes:
            node = nodes.get(name)
            if node and node["ip"]:
                neighbors.append({"node": name, "ip": node["ip"], "ip6": node["ip6"] if dual_stack else None, "asn": node["asn"]})
        sessions[t["name"]] = {
            "design": design,
            "session_type": "ibgp" if design == "as_per_rack" else "ebgp",
            "route_reflector_client": design == "as_per_rack",
            # Only routes from the uplinks: reflected node routes keep the node as next hop.
            "next_hop_self": design == "as_per_rack",
            # What goes down to the nodes: pool blocks, and the default the router learned
            # from its uplinks (passed through, never originated).
            "send_pool_blocks": design != "downward_default",
            "send_default": tor_sends_default(ctx, design),
            # eBGP from per-node ASes: service addresses from several nodes load-balance only
            # when paths with different AS paths of equal length count as equal.
            "multipath_relax": design == "as_per_node",
            "cluster_id": (str(cluster_id) if cluster_id else t["router_id"]) if design == "as_per_rack" else None,
            "neighbor_mode": v["calico_tor_neighbor_mode"],
            "listen_ranges": listen_ranges,
            "listen_limit": max(16, 2 * sessions_per_node * len(rack_nodes)) if listen_ranges else None,
            "neighbors": sorted(neighbors, key=lambda x: _addr(x["ip"])),
            "pool_blocks": pool_blocks,
            "aggregates": aggregates,
            "accept_prefixes": accept,
            "maximum_prefix": v["calico_tor_maximum_prefix"],
            "maximum_paths": v["calico_tor_maximum_paths"],
            "password_enabled": bgp["password"]["enabled"],
            "ttl_security_hops": bgp["ttl_security_hops"],
            "timers": dict(bgp["timers"]),
            "graceful_restart": gr,
            "object_prefix": v["calico_tor_object_prefix"],
        }
        if t["platform"] == "junos" and listen_ranges and bgp["password"]["enabled"]:
            ctx.f.error(
                t["name"],
                "is a Junos router with calico_tor_neighbor_mode: listen_range and a BGP password: Junos refuses "
                "authentication-key with dynamic peers (allow), so the commit would fail.",
                "set calico_tor_neighbor_mode: explicit (each node listed as a neighbour) to keep the password.",
            )
        if cluster_id and not _is_dotted_quad(cluster_id):
            ctx.f.error(
                t["name"], "calico_tor_cluster_id %r is not a dotted-quad." % cluster_id, "use an IPv4-style id or remove it (the router id is used)."
            )
    return sessions
