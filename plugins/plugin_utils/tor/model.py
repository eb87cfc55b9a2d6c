"""Platform-neutral model of what the collection configures on one Top-of-Rack router.

Built only from ``plan.tor_routers[<name>]`` (plus the BGP password from the render
context); every platform renderer (frr, eos, nxos, junos) reads this model, so the four
syntaxes cannot disagree on a decision. Object names all start with the router's
``object_prefix``: that prefix is how the push code recognises what it owns on a router.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderError
from ansible_collections.onprem.calico.plugins.module_utils.tor_bgp_sessions import expected_sessions

PLATFORMS = ("frr", "eos", "nxos", "junos")
DESIGNS = ("as_per_rack", "as_per_node", "downward_default")


@dataclass(frozen=True)
class ObjectNames:
    """Names of every object the collection owns on a router."""

    peer_group: str  # IPv4 node sessions
    peer_group_v6: str  # IPv6 node sessions (dual stack: bird6 peers only over IPv6)
    import_policy: str  # route map / policy statement applied inbound from nodes
    export_policy: str  # route map / policy statement applied outbound to nodes
    accept_v4: str  # prefix list of what nodes may announce (IPv4)
    accept_v6: str
    pool_v4: str  # prefix list of the rack's pool blocks, sent down to the nodes
    pool_v6: str
    default_v4: str  # prefix list holding only 0.0.0.0/0 (the default learned from the uplinks)
    default_v6: str
    rack_local: str  # AS-path list matching an empty AS path: routes reflected from the rack's nodes
    node_asns: str  # AS list / peer filter of dynamic eBGP node peers
    # Rack pools (aggregation towards the uplinks):
    aggregate_v4: str  # prefix list holding exactly the rack's aggregates
    aggregate_v6: str
    specifics_v4: str  # prefix list of everything longer inside the rack's aggregates
    specifics_v6: str
    uplink_export: str  # route map / policy the site's uplink export policy calls
    aggregate_attributes: str  # route map named on each aggregate-address line: marks it as owned

    @classmethod
    def with_prefix(cls, prefix: str) -> "ObjectNames":
        return cls(
            peer_group=prefix + "NODES",
            peer_group_v6=prefix + "NODES-V6",
            import_policy=prefix + "FROM-NODES",
            export_policy=prefix + "TO-NODES",
            accept_v4=prefix + "NODE-PREFIXES-V4",
            accept_v6=prefix + "NODE-PREFIXES-V6",
            pool_v4=prefix + "POOL-BLOCKS-V4",
            pool_v6=prefix + "POOL-BLOCKS-V6",
            default_v4=prefix + "DEFAULT-V4",
            default_v6=prefix + "DEFAULT-V6",
            rack_local=prefix + "RACK-LOCAL",
            node_asns=prefix + "NODES-ASNS",
            aggregate_v4=prefix + "RACK-AGGREGATE-V4",
            aggregate_v6=prefix + "RACK-AGGREGATE-V6",
            specifics_v4=prefix + "RACK-SPECIFICS-V4",
            specifics_v6=prefix + "RACK-SPECIFICS-V6",
            uplink_export=prefix + "TO-UPLINKS",
            aggregate_attributes=prefix + "RACK-AGGREGATE",
        )

    def group(self, family: int) -> str:
        return self.peer_group if family == 4 else self.peer_group_v6


@dataclass(frozen=True)
class PrefixRule:
    """One ``permit <prefix> [ge N] le M`` entry of the inbound filter."""

    seq: int
    prefix: str
    ge: int | None
    le: int | None
    family: int


@dataclass(frozen=True)
class NodeNeighbor:
    node: str
    ip: str
    asn: int
    family: int


@dataclass(frozen=True)
class ListenRange:
    prefix: str
    family: int


@dataclass(frozen=True)
class TorModel:
    name: str
    platform: str
    asn: int
    router_id: str
    peer_ip: str
    peer_ip6: str | None
    rack: str | None
    design: str
    session_type: str  # ibgp | ebgp
    route_reflector_client: bool
    next_hop_self: bool  # routes from the uplinks only; reflected node routes keep their next hop
    send_default: bool  # pass the default learned from the uplinks down to the nodes
    send_pool_blocks: bool
    multipath_relax: bool  # router-wide line the design needs (as_per_node)
    cluster_id: str | None
    neighbor_mode: str  # explicit | listen_range
    listen_ranges: tuple[ListenRange, ...]
    listen_limit: int | None
    neighbors: tuple[NodeNeighbor, ...]  # one per session: a dual-stack node has an IPv4 and an IPv6 one
    accept_v4: tuple[PrefixRule, ...]
    accept_v6: tuple[PrefixRule, ...]
    pool_v4: tuple[PrefixRule, ...]
    pool_v6: tuple[PrefixRule, ...]
    aggregates: tuple[PrefixRule, ...]  # the rack's pools, one route each towards the uplinks (exact prefixes)
    maximum_prefix: int
    password: str | None = field(repr=False)
    # Timers are the plan's (its defaults are decided once, in the plan core): no fallback here.
    keepalive: int
    hold: int
    connect_retry: int
    restart_time: int
    stalepath_time: int
    ttl_security_hops: int | None = None
    object_prefix: str = "CALICO-"
    names: ObjectNames = field(default_factory=lambda: ObjectNames.with_prefix("CALICO-"))

    @property
    def ibgp(self) -> bool:
        return self.session_type == "ibgp"

    @property
    def families(self) -> tuple[int, ...]:
        """Address families with sessions towards the nodes (6 only in a dual-stack cluster)."""
        return (4, 6) if self.peer_ip6 else (4,)

    @property
    def rack_label(self) -> str:
        return self.rack or "-"

    def neighbors_of(self, family: int) -> tuple[NodeNeighbor, ...]:
        return tuple(n for n in self.neighbors if n.family == family)

    def listen_ranges_of(self, family: int) -> tuple[ListenRange, ...]:
        return tuple(r for r in self.listen_ranges if r.family == family)

    def accept_rules(self, family: int) -> tuple[PrefixRule, ...]:
        return self.accept_v4 if family == 4 else self.accept_v6

    def pool_rules(self, family: int) -> tuple[PrefixRule, ...]:
        return self.pool_v4 if family == 4 else self.pool_v6

    def aggregates_of(self, family: int) -> tuple[PrefixRule, ...]:
        return tuple(a for a in self.aggregates if a.family == family)


def _accept_rules(entries, family):
    rules = []
    for entry in entries:
        if int(entry["family"]) != family:
            continue
        rules.append(
            PrefixRule(
                seq=10 * (len(rules) + 1),
                prefix=str(ipaddress.ip_network(entry["prefix"], strict=True)),
                ge=entry.get("ge"),
                le=entry.get("le"),
                family=family,
            )
        )
    return tuple(rules)


def build_model(router: dict, secrets: dict | None = None) -> TorModel:
    """The model of one ``plan.tor_routers`` entry; RenderError names every problem."""
    problems = []
    name = router.get("name", "?")
    if router.get("platform") not in PLATFORMS:
        problems.append(
            f"{name}: calico_tor_platform {router.get('platform')!r} is not one of {', '.join(PLATFORMS)}"
        )
    if router.get("design") not in DESIGNS:
        problems.append(f"{name}: design {router.get('design')!r} is not one of {', '.join(DESIGNS)}")
    password = None
    if router.get("password_enabled"):
        password = (secrets or {}).get("bgp_password")
        if not password:
            problems.append(
                f"{name}: the plan enables the BGP password but calico_bgp_password is not available "
                "at render time; pass it (vault) to the render"
            )
    prefix = router.get("object_prefix") or ""
    if not prefix:
        problems.append(f"{name}: object_prefix is empty; the collection needs it to tell its objects apart")
    listen_ranges = router.get("listen_ranges") or []
    if router.get("neighbor_mode") == "listen_range" and not listen_ranges:
        problems.append(f"{name}: neighbor_mode listen_range without listen_ranges in the plan")
    if router.get("neighbor_mode") == "explicit" and not router.get("neighbors"):
        problems.append(f"{name}: no node neighbours for rack {router.get('rack')!r}")
    if problems:
        raise RenderError(problems)

    sessions = [NodeNeighbor(node=s["node"], ip=s["ip"], asn=int(s["asn"]), family=s["family"])
                for s in expected_sessions(router.get("neighbors") or [])]
    timers = router["timers"]
    restart = router["graceful_restart"]
    accept = router.get("accept_prefixes") or []
    pools = router.get("pool_blocks") or []
    return TorModel(
        name=name,
        platform=router["platform"],
        asn=int(router["asn"]),
        router_id=router["router_id"],
        peer_ip=router["peer_ip"],
        peer_ip6=router.get("peer_ip6"),
        rack=router.get("rack"),
        design=router["design"],
        session_type=router["session_type"],
        route_reflector_client=bool(router.get("route_reflector_client")),
        next_hop_self=bool(router.get("next_hop_self")),
        send_default=bool(router.get("send_default")),
        send_pool_blocks=bool(router.get("send_pool_blocks")),
        multipath_relax=bool(router.get("multipath_relax")),
        cluster_id=router.get("cluster_id"),
        neighbor_mode=router["neighbor_mode"],
        listen_ranges=tuple(ListenRange(prefix=str(ipaddress.ip_network(r["prefix"])), family=int(r["family"])) for r in listen_ranges),
        listen_limit=int(router["listen_limit"]) if listen_ranges else None,
        neighbors=tuple(sessions),
        accept_v4=_accept_rules(accept, 4),
        accept_v6=_accept_rules(accept, 6),
        pool_v4=_accept_rules(pools, 4),
        pool_v6=_accept_rules(pools, 6),
        aggregates=_accept_rules([dict(a, ge=None, le=None) for a in router.get("aggregates") or []], 4)
        + _accept_rules([dict(a, ge=None, le=None) for a in router.get("aggregates") or []], 6),
        maximum_prefix=int(router["maximum_prefix"]),
        password=password,
        keepalive=int(timers["keepalive"]),
        hold=int(timers["hold"]),
        connect_retry=int(timers["connect_retry"]),
        restart_time=int(restart["restart_time"]),
        stalepath_time=int(restart["stalepath_time"]),
        ttl_security_hops=router.get("ttl_security_hops"),
        object_prefix=prefix,
        names=ObjectNames.with_prefix(prefix),
    )


def build_models(plan: dict, secrets: dict | None = None, platforms=PLATFORMS) -> list[TorModel]:
    """Models of every router of the plan on the given platforms, in name order.

    Problems of all routers are collected into one RenderError.
    """
    models, problems = [], []
    for name in sorted(plan.get("tor_routers") or {}):
        router = plan["tor_routers"][name]
        try:
            model = build_model(router, secrets)
        except RenderError as err:
            problems.extend(err.messages)
            continue
        if model.platform in platforms:
            models.append(model)
    if problems:
        raise RenderError(problems)
    return models
