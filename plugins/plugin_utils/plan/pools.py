"""Pools section: the IP pools (default or explicit), their modes, sizes and overlaps."""

from __future__ import annotations

import bisect
import ipaddress

from ansible_collections.onprem.calico.plugins.plugin_utils.input_schema import ENCAPSULATIONS
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.cluster import POOL_NAME_RE
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.context import _addr, _as_bool, _as_int, _Ctx
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import subject_list

DEFAULT_POOL_V4 = "default-ipv4-ippool"
DEFAULT_POOL_V6 = "default-ipv6-ippool"
LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
# calico_encapsulation -> (ipipMode, vxlanMode) of the pools it applies to.
ENCAP_MODES = {
    "ipip": ("Always", "Never"),
    "ipip_cross_subnet": ("CrossSubnet", "Never"),
    "vxlan": ("Never", "Always"),
    "vxlan_cross_subnet": ("Never", "CrossSubnet"),
    "none": ("Never", "Never"),
}


def _pools(ctx: _Ctx, cluster: dict, racks: dict, nodes: dict) -> list[dict]:
    v = ctx.v
    pools: list[dict] = []
    encap = v["calico_encapsulation"] if v["calico_encapsulation"] in ENCAP_MODES else "ipip"
    rack_families = _rack_pool_families(ctx, cluster)
    if rack_families:
        pools += _rack_pools(ctx, cluster, racks, rack_families, encap)
        pools += _previous_pools(ctx, cluster, encap)
    elif not v["calico_ip_pools"]:
        for family, name, cidr in ((4, DEFAULT_POOL_V4, cluster["pod_cidr"]), (6, DEFAULT_POOL_V6, cluster["pod_cidr_v6"])):
            if cidr:
                pools.append(_default_pool(ctx, name, family, cidr, encap))
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
            entry["node_selector"] = _rack_selector(v["calico_rack_label"], entry["racks"])
        pools.append(entry)
    for pool in pools:
        # With rack pools, a default pool is the previous one, kept outside the pod CIDR until the migration ends.
        _check_pool(ctx, cluster, pool, inside_pod_cidr=not (rack_families and pool["default"]))
    _forecast(ctx, pools, racks, nodes)
    if v["calico_bgp_mode"] == "none" and not all(p["vxlan_mode"] != "Never" or p["disabled"] for p in pools):
        ctx.f.error(
            "calico_bgp_mode",
            "is 'none' but not every pool uses VXLAN: without BGP, IPIP and unencapsulated routes are never exchanged.",
            "set calico_encapsulation to vxlan (or vxlan_cross_subnet), or choose a BGP mode.",
        )
    return sorted(pools, key=lambda p: (not p["default"], p["family"], p["name"]))


def _pool_subject(pool: dict, key: str) -> str:
    """Where the user changes this pool's ``key``: the cluster variable for the pools the plan makes."""
    return "calico_ip_pools[%s].%s" % (pool["name"], key) if pool["origin"] == "calico_ip_pools" else "calico_encapsulation"


def _pool_variable(pool: dict) -> str:
    """The variable a pool comes from, which findings about the pool name."""
    suffix = "" if pool["family"] == 4 else "_v6"
    return {
        "default": "calico_pod_cidr" + suffix,
        "previous": "calico_rack_pools_previous_cidr" + suffix,
        "rack": "calico_rack_pool_prefix_length" + suffix,
    }.get(pool["origin"], "calico_ip_pools[%s]" % pool["name"])


def _block_size_variable(family: int) -> str:
    return "calico_block_size" if family == 4 else "calico_block_size_v6"


def _rack_selector(label: str, racks: list[str]) -> str:
    return "%s in {%s}" % (label, ", ".join("'%s'" % r for r in racks))


def _encapsulation_fits_routing(ctx: _Ctx, pools: list[dict], nodes: dict, declared_subnets: list) -> None:
    """The encapsulation must suit how pod routes reach the routers between the nodes.

    ``declared_subnets``: the node subnets as the inventory declares them (rack subnets and
    calico_node_subnets), not collapsed: two adjacent /24s are still two segments.
    """
    mode = ctx.v["calico_bgp_mode"]
    active = [p for p in pools if not p["disabled"]]
    if mode == "tor":
        # calico-node's BIRD sets the IPIP tunnel as next hop for Always pools, also towards
        # other racks: the ToR gets IPIP packets it does not decapsulate.
        for pool in active:
            if pool["ipip_mode"] == "Always":
                ctx.f.error(
                    _pool_subject(pool, "encapsulation"),
                    "IP-in-IP Always with calico_bgp_mode: tor: nodes send traffic for other racks' pods IPIP-encapsulated to the "
                    "ToR, which does not decapsulate it, so cross-rack pod traffic is lost.",
                    "set %s: none; the ToRs learn every pod block over BGP and route it natively." % _pool_subject(pool, "encapsulation"),
                )
        return
    if mode not in ("full_mesh", "route_reflectors"):
        return
    unencapsulated = [p for p in active if p["ipip_mode"] == "Never" and p["vxlan_mode"] == "Never"]
    if not unencapsulated:
        return
    # The most specific declared subnet of each node, looked up per prefix length (not per subnet).
    declared = set(declared_subnets)
    lengths = sorted({s.prefixlen for s in declared}, reverse=True)
    used = set()
    for n in nodes.values():
        if not n["ip"]:
            continue
        ip = _addr(n["ip"])
        for length in lengths:
            candidate = ipaddress.ip_network((ip, length), strict=False) if length <= ip.max_prefixlen else None
            if candidate in declared:
                used.add(candidate)
                break
    if len(used) < 2:
        return
    used = [str(s) for s in sorted(used, key=lambda s: (s.version, s))]
    for pool in unencapsulated:
        ctx.f.error(
            _pool_subject(pool, "encapsulation"),
            "is none with calico_bgp_mode: %s while the nodes sit in %d subnets (%s): the routers between them know no "
            "pod routes and drop pod traffic that crosses subnets." % (mode, len(used), ", ".join(used)),
            "set %s to ipip_cross_subnet or vxlan_cross_subnet, or peer the nodes with their routers (calico_bgp_mode: tor)."
            % _pool_subject(pool, "encapsulation"),
        )


def _pool_entry(name, family, cidr, block, encap, nat, racks, selector, disabled, default, ns_selector, origin="calico_ip_pools"):
    ipip, vxlan = ENCAP_MODES[encap]
    return {
        "origin": origin,
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
        "forecast": None,
    }


def _default_pool(ctx: _Ctx, name: str, family: int, cidr: str, encap: str, origin: str = "default") -> dict:
    """A pool calico-node creates from the manifest's env vars, for every node (``all()``)."""
    v = ctx.v
    block = v["calico_block_size"] if family == 4 else v["calico_block_size_v6"]
    nat = v["calico_nat_outgoing"] if family == 4 else v["calico_nat_outgoing_v6"]
    return _pool_entry(name, family, cidr, block, encap, nat, [], None, False, True, None, origin)


# --- exhaustion forecast --------------------------------------------------------------------

# Utilisation (needed / capacity) above which preflight warns; above 1 it fails.
FORECAST_WARN = (4, 5)


def _tunnel_addresses(pool: dict, wireguard: bool) -> int:
    """Addresses a node's tunnel devices take from a pool of this family (calico-node allocates
    tunl0's for IPIP, vxlan.calico's / vxlan-v6.calico's for VXLAN, wireguard.cali's per family)."""
    count = 1 if pool["family"] == 4 and pool["ipip_mode"] != "Never" else 0
    count += 1 if pool["vxlan_mode"] != "Never" else 0
    return count + (1 if wireguard else 0)


def _served_nodes(pool: dict, racks: dict, nodes: dict) -> frozenset | None:
    """The nodes a pool gives addresses to; None for a hand-written selector the plan cannot evaluate."""
    if pool["racks"]:
        return frozenset(n for r in pool["racks"] if r in racks for n in racks[r]["nodes"])
    if pool["node_selector"].strip() == "all()":
        return frozenset(nodes)
    return None


def forecast_figures(pools: list[dict], served: frozenset, max_pods: int, wireguard: bool) -> dict:
    """What the nodes of one or more pools serving the same nodes can need, against what the pools hold.

    Every node may run ``max_pods`` pods plus its tunnel addresses, and claims whole blocks (a
    block belongs to one node), so the need per node is rounded up to whole blocks. Pools that
    serve the same nodes share the need; their capacities add up.
    """
    per_node = max_pods + max(_tunnel_addresses(p, wireguard) for p in pools)
    biggest = min(pools, key=lambda p: p["block_size"])  # the coarsest rounding is the worst case
    block_addresses = 2 ** ((32 if biggest["family"] == 4 else 128) - biggest["block_size"])
    blocks_per_node = -(-per_node // block_addresses)
    needed = len(served) * blocks_per_node * block_addresses
    capacity = sum(ipaddress.ip_network(p["cidr"]).num_addresses for p in pools)
    return {
        "nodes": len(served),
        "addresses_per_node": per_node,
        "blocks_per_node": blocks_per_node,
        "block_size": biggest["block_size"],
        "needed": needed,
        "capacity": capacity,
        "percent": round(needed * 100 / capacity, 1),
        "pools": sorted(p["name"] for p in pools),
    }


def _forecast(ctx: _Ctx, pools: list[dict], racks: dict, nodes: dict) -> None:
    """Each active pool's forecast, and a warning (above 80 %) or error (above 100 %) naming the figures."""
    groups: dict[tuple, list[dict]] = {}
    for pool in pools:
        served = _served_nodes(pool, racks, nodes)
        if not pool["disabled"] and served is not None:
            groups.setdefault((pool["family"], served), []).append(pool)
    max_pods, wireguard = ctx.v["calico_max_pods_per_node"], bool(ctx.v["calico_wireguard"])
    for (_family, served), members in groups.items():
        figures = forecast_figures(members, served, max_pods, wireguard)
        for pool in members:
            pool["forecast"] = figures
        over = figures["needed"] > figures["capacity"]
        if not over and figures["needed"] * FORECAST_WARN[1] <= figures["capacity"] * FORECAST_WARN[0]:
            continue
        first = members[0]
        what = "pool %s (%s)" % (first["name"], first["cidr"]) if len(members) == 1 else "pools %s" % ", ".join(
            "%s (%s)" % (p["name"], p["cidr"]) for p in members)
        tunnels = figures["addresses_per_node"] - max_pods
        message = "%s: its %d node(s) can need %d addresses (%d block(s) of /%d each for %d pods%s), %.1f %% of the %d it holds%s" % (
            what, figures["nodes"], figures["needed"], figures["blocks_per_node"], figures["block_size"], max_pods,
            " and %d tunnel address(es)" % tunnels if tunnels else "", figures["percent"], figures["capacity"],
            ": pods will find no address." if over else ".")
        fix = "%s, a block size that fits one node's %d addresses with less waste, or a lower calico_max_pods_per_node." % (
            _bigger_pool_advice(first), figures["addresses_per_node"])
        if over:
            ctx.f.error(_pool_variable(first), message, fix)
        else:
            ctx.f.warn(_pool_variable(first), message, fix)


def _bigger_pool_advice(pool: dict) -> str:
    suffix = "" if pool["family"] == 4 else "_v6"
    return {
        "default": "a larger calico_pod_cidr%s" % suffix,
        "previous": "finish the migration to the rack pools",
        "rack": "a shorter calico_rack_pool_prefix_length%s (larger rack pools)" % suffix,
    }.get(pool["origin"], "a larger cidr for calico_ip_pools[%s]" % pool["name"])


# --- rack pools -----------------------------------------------------------------------------


def _rack_pool_families(ctx: _Ctx, cluster: dict) -> list[tuple[int, int]]:
    """(family, prefix length) of the rack pools; [] when rack pools are off.

    Both families or none: calico-node's NO_DEFAULT_POOLS applies to both, so one family cannot
    keep its all() pool while the other has rack pools.
    """
    v = ctx.v
    wanted = [(4, v["calico_rack_pool_prefix_length"], cluster["pod_cidr"]), (6, v["calico_rack_pool_prefix_length_v6"], cluster["pod_cidr_v6"])]
    if all(length is None for _f, length, _p in wanted):
        return []
    families = []
    for family, length, parent in wanted:
        var = "calico_rack_pool_prefix_length" + ("" if family == 4 else "_v6")
        block = _block_size_variable(family)
        if parent and length is None:
            ctx.f.error(var, "is not set, but the other family has rack pools.", "set %s too: rack pools are per family, for both or none." % var)
        elif length is not None and not parent:
            ctx.f.error(var, "is set but the cluster has no IPv%d pod CIDR." % family, "remove it or set calico_pod_cidr_v6.")
        elif length is not None:
            parent_len = ipaddress.ip_network(parent).prefixlen
            if not parent_len <= length <= v[block]:
                ctx.f.error(
                    var,
                    "/%d is not between the pod CIDR's /%d and the block size /%d." % (length, parent_len, v[block]),
                    "pick a prefix length in %d..%d (a rack pool lies in the pod CIDR and holds whole blocks)." % (parent_len, v[block]),
                )
            else:
                families.append((family, length))
    if not ctx.v["calico_racks"]:
        ctx.f.error("calico_rack_pool_prefix_length", "is set but calico_racks defines no rack.", "define the racks, each with its index.")
    return families


def _rack_pools(ctx: _Ctx, cluster: dict, racks: dict, families: list[tuple[int, int]], encap: str) -> list[dict]:
    """One pool per rack and family: the index-th subnet of the rack pool prefix length in the pod CIDR.

    Calico IPAM assigns a node addresses only from pools whose nodeSelector matches the node
    (docs.tigera.io/calico/latest/reference/resources/ippool: "nodeSelector: Selects the nodes
    that Calico IPAM should assign addresses from this pool to"), so the rack label keeps a
    rack's pods inside its pool and one aggregate per rack covers them all.
    """
    pools = []
    for name, rack in sorted(racks.items()):
        if rack["index"] is None:
            ctx.f.error("calico_racks.%s.index" % name, "is not set; rack pools place each rack by its index.", "give the rack an index "
                        "that no other rack has (0, 1, 2, ...) and never change it: the pool's CIDR follows from it.")
            continue
        for family, length in families:
            parent = ipaddress.ip_network(cluster["pod_cidr"] if family == 4 else cluster["pod_cidr_v6"])
            slots = 2 ** (length - parent.prefixlen)
            if rack["index"] >= slots:
                ctx.f.error(
                    "calico_racks.%s.index" % name,
                    "%d is beyond the %d rack pools of /%d that %s holds (indexes 0..%d)." % (rack["index"], slots, length, parent, slots - 1),
                    "use a free index below %d, or a longer calico_rack_pool_prefix_length%s." % (slots, "" if family == 4 else "_v6"),
                )
                continue
            pool_name = "rack-%s-ipv%d" % (name, family)
            if not POOL_NAME_RE.match(pool_name):
                ctx.f.error("calico_racks.%s" % name, "the rack name makes the pool name %r, which is not a DNS-1123 name." % pool_name,
                            "name the rack in lowercase letters, digits and dashes.")
                continue
            cidr = ipaddress.ip_network((int(parent.network_address) + rack["index"] * 2 ** (parent.max_prefixlen - length), length))
            pool = _default_pool(ctx, pool_name, family, str(cidr), encap, "rack")
            pool.update(default=False, racks=[name], node_selector=_rack_selector(ctx.v["calico_rack_label"], [name]))
            pools.append(pool)
    return pools


def _previous_pools(ctx: _Ctx, cluster: dict, encap: str) -> list[dict]:
    """The existing cluster's default pools, kept for every node while its racks migrate."""
    v = ctx.v
    wanted = [(4, DEFAULT_POOL_V4, "calico_rack_pools_previous_cidr", cluster["pod_cidr"]),
              (6, DEFAULT_POOL_V6, "calico_rack_pools_previous_cidr_v6", cluster["pod_cidr_v6"])]
    if all(v[var] is None for _f, _n, var, _p in wanted):
        return []
    pools = []
    for family, name, var, parent in wanted:
        if v[var] is None:
            if parent:
                ctx.f.error(var, "is not set, but the other family keeps its previous pool.",
                            "set it to the CIDR of the cluster's %s too (calico-node keeps both default pools or none)." % name)
            continue
        net = ctx.network(var, v[var], family)
        if net:
            pools.append(_default_pool(ctx, name, family, str(net), encap, "previous"))
    return pools


def rack_pool_headroom(plan_pools: list[dict], racks: dict, cluster: dict) -> list[dict]:
    """Per family with rack pools: how many rack pools the pod CIDR holds and how many are left.

    A rack pool's CIDR can never change, so the room for future racks is fixed on day one.
    """
    out = []
    for family, parent in ((4, cluster["pod_cidr"]), (6, cluster["pod_cidr_v6"])):
        mine = [p for p in plan_pools if p["origin"] == "rack" and p["family"] == family]
        if not mine:
            continue
        length = ipaddress.ip_network(mine[0]["cidr"]).prefixlen
        slots = 2 ** (length - ipaddress.ip_network(parent).prefixlen)
        highest = max(racks[p["racks"][0]]["index"] for p in mine)
        out.append({"family": family, "pod_cidr": parent, "prefix_length": length, "slots": slots, "used": len(mine),
                    "free": slots - len(mine), "free_above_highest_index": slots - 1 - highest})
    return out


def _check_pool(ctx: _Ctx, cluster: dict, pool: dict, inside_pod_cidr: bool = True) -> None:
    subject = _pool_variable(pool)
    net = ipaddress.ip_network(pool["cidr"])
    block = pool["block_size"]
    lo, hi = (20, 32) if net.version == 4 else (116, 128)
    block_var = subject + ".block_size" if not pool["default"] and not pool["origin"] == "rack" else _block_size_variable(net.version)
    if not lo <= block <= hi:
        if pool["default"] or pool["origin"] == "rack":
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
    if any(net.version == ll.version and net.overlaps(ll) for ll in LINK_LOCAL):
        ctx.f.error(subject, "%s is in the link-local range." % net, "pick a pool outside 169.254.0.0/16 and fe80::/10.")
    parent = cluster["pod_cidr"] if net.version == 4 else cluster["pod_cidr_v6"]
    parent_var = "calico_pod_cidr" if net.version == 4 else "calico_pod_cidr_v6"
    if not inside_pod_cidr:
        if parent and net.overlaps(ipaddress.ip_network(parent)):
            ctx.f.error(
                subject,
                "the previous pool %s overlaps %s %s, from which the rack pools are carved." % (net, parent_var, parent),
                "give the rack pools a new range in %s; the previous pool keeps its own until the migration is done." % parent_var,
            )
    elif parent is None:
        ctx.f.error(subject, "is IPv%d but %s is not set." % (net.version, parent_var), "set %s to a range containing %s." % (parent_var, net))
    elif not net.subnet_of(ipaddress.ip_network(parent)):
        ctx.f.error(subject, "%s is not inside %s %s." % (net, parent_var, parent), "move the pool inside %s or widen %s." % (parent, parent_var))
    if net.version == 6 and pool["ipip_mode"] != "Never":
        ctx.f.error(subject, "IPIP is IPv4 only, but pool %s is IPv6." % net, "use vxlan or none for IPv6 pools.")
    if pool["ipip_mode"] != "Never" and pool["vxlan_mode"] != "Never":
        ctx.f.error(subject, "enables both IPIP and VXLAN; they are mutually exclusive.", "choose one encapsulation per pool.")
    if pool["namespace_selector"] is not None and not isinstance(pool["namespace_selector"], str):
        ctx.f.error(subject + ".namespace_selector", "must be a selector string.", "e.g. \"name == 'team-a'\".")


def _overlapping_later(nets: list) -> list[list[int]]:
    """For each pool (by position), the later pools it overlaps, in order. One pass over the
    pools sorted by first address: networks overlap only by nesting, so a pool overlaps exactly
    the pools that start after it, and before it ends (each pool against every other was the
    cost with hundreds of rack pools)."""
    later: list[list[int]] = [[] for _net in nets]
    spans = sorted((net.version, int(net.network_address), int(net.broadcast_address), i) for i, (_pool, net) in enumerate(nets))
    for position, (version, _start, last, i) in enumerate(spans):
        for other_version, other_start, _last, j in spans[position + 1 :]:
            if other_version != version or other_start > last:
                break
            later[min(i, j)].append(max(i, j))
    return [sorted(js) for js in later]


def _pool_overlaps(ctx: _Ctx, cluster: dict, pools: list[dict], nodes: dict, tors: dict) -> None:
    """Overlaps of pools with services, other pools, node subnets and addresses: one error per cause."""
    svc = ipaddress.ip_network(cluster["service_cidr"]) if cluster["service_cidr"] else None
    nets = [(p, ipaddress.ip_network(p["cidr"])) for p in pools]
    subnets = [ipaddress.ip_network(s) for s in cluster["node_subnets"]]
    # (host, how the message names it, address)
    addresses = [(n["name"], n["name"], _addr(n["ip"])) for n in nodes.values() if n["ip"]]
    addresses += [(n["name"], n["name"], _addr(n["ip6"])) for n in nodes.values() if n["ip6"]]
    addresses += [(t["name"], t["name"] + " (calico_tor_peer_ip)", _addr(t["peer_ip"])) for t in tors.values() if t["peer_ip"]]
    # Sorted per family once: each pool finds its addresses by bisection (hundreds of rack pools
    # against thousands of addresses would otherwise be a scan each).
    by_family = {4: [], 6: []}
    for position, (_host, _who, ip) in enumerate(addresses):
        by_family[ip.version].append((int(ip), position))
    for entries in by_family.values():
        entries.sort()
    keys = {version: [k for k, _position in entries] for version, entries in by_family.items()}
    overlapping = _overlapping_later(nets)
    for i, (pool, net) in enumerate(nets):
        subject = _pool_variable(pool)
        # A default pool is the pod CIDR, whose overlap with the services the cluster section reports.
        if svc and pool["origin"] != "default" and net.version == svc.version and net.overlaps(svc):
            ctx.f.error(subject, "%s overlaps the service CIDR %s." % (net, svc), "pod pools and services must not share addresses.")
        for other, onet in (nets[j] for j in overlapping[i]):
            ctx.f.error(subject, "%s overlaps pool %s (%s)." % (net, other["name"], onet), "IP pools must not overlap.")
        family = by_family[net.version]
        start = bisect.bisect_left(keys[net.version], int(net.network_address))
        end = bisect.bisect_right(keys[net.version], int(net.broadcast_address))
        inside = [addresses[position][:2] for _key, position in sorted(family[start:end], key=lambda e: e[1])]
        hosts = list(dict.fromkeys(host for host, _who in inside))
        overlapped = [str(s) for s in subnets if s.version == net.version and s.overlaps(net)]
        # One cause, one error: the hosts whose addresses fall in the pool are listed in it.
        held = " It holds the addresses of %d host(s): %s." % (len(hosts), subject_list([who for _host, who in inside])) if inside else ""
        if overlapped:
            ctx.f.error(subject, "%s overlaps node subnet %s.%s" % (net, ", ".join(overlapped), held), "pods and nodes need separate ranges.", hosts)
        elif inside:
            ctx.f.error(
                subject, "%s contains node or router addresses.%s" % (net, held), "move the pool away from node and router addresses.", hosts
            )
