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

PLATFORMS = ("frr", "eos", "nxos", "junos")
DESIGNS = ("as_per_rack", "as_per_node", "downward_default")


@dataclass(frozen=True)
class ObjectNames:
    """Names of every object the collection owns on a router."""

    peer_group: str
    import_policy: str  # route map / policy statement applied inbound from nodes
    export_policy: str  # route map / policy statement applied outbound to nodes
    accept_v4: str  # prefix list of what nodes may announce (IPv4)
    accept_v6: str
    default_v4: str  # prefix list holding only 0.0.0.0/0 (downward_default)
    default_v6: str

    @classmethod
    def with_prefix(cls, prefix: str) -> "ObjectNames":
        return cls(
            peer_group=prefix + "NODES",
            import_policy=prefix + "FROM-NODES",
            export_policy=prefix + "TO-NODES",
            accept_v4=prefix + "NODE-PREFIXES-V4",
            accept_v6=prefix + "NODE-PREFIXES-V6",
            default_v4=prefix + "DEFAULT-V4",
            default_v6=prefix + "DEFAULT-V6",
        )


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
class TorModel:
    name: str
    platform: str
    asn: int
    router_id: str
    peer_ip: str
    rack: str | None
    design: str
    session_type: str  # ibgp | ebgp
    route_reflector_client: bool
    next_hop_self: bool
    default_originate: bool
    send_default_only: bool
    cluster_id: str | None
    neighbor_mode: str  # explicit | listen_range
    listen_prefix: str | None
    listen_limit: int | None
    neighbors: tuple[NodeNeighbor, ...]
    accept_v4: tuple[PrefixRule, ...]
    accept_v6: tuple[PrefixRule, ...]
    maximum_prefix: int
    maximum_paths: int
    password: str | None = field(repr=False)
    # Timers are the plan's (its defaults are decided once, in the plan core): no fallback here.
    keepalive: int
    hold: int
    connect_retry: int
    restart_time: int
    stalepath_time: int
    object_prefix: str = "CALICO-"
    names: ObjectNames = field(default_factory=lambda: ObjectNames.with_prefix("CALICO-"))

    @property
    def ibgp(self) -> bool:
        return self.session_type == "ibgp"

    @property
    def families(self) -> tuple[int, ...]:
        """Address families carried towards the nodes (4 always, 6 with IPv6 pools)."""
        return (4, 6) if self.accept_v6 else (4,)

    @property
    def rack_label(self) -> str:
        return self.rack or "-"


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
                f"{name}: BGP password is enabled but calico_bgp_password is empty; set it (vault) "
                "or remove calico_bgp_password from the inventory"
            )
    prefix = router.get("object_prefix") or ""
    if not prefix:
        problems.append(f"{name}: object_prefix is empty; the collection needs it to tell its objects apart")
    listen = router.get("listen_range")
    if router.get("neighbor_mode") == "listen_range" and not listen:
        problems.append(f"{name}: neighbor_mode listen_range without listen_range in the plan")
    if router.get("neighbor_mode") == "explicit" and not router.get("neighbors"):
        problems.append(f"{name}: no node neighbours for rack {router.get('rack')!r}")
    if problems:
        raise RenderError(problems)

    neighbors = tuple(
        NodeNeighbor(
            node=n["node"],
            ip=n["ip"],
            asn=int(n["asn"]),
            family=ipaddress.ip_address(n["ip"]).version,
        )
        for n in router.get("neighbors") or []
    )
    timers = router["timers"]
    restart = router["graceful_restart"]
    accept = router.get("accept_prefixes") or []
    return TorModel(
        name=name,
        platform=router["platform"],
        asn=int(router["asn"]),
        router_id=router["router_id"],
        peer_ip=router["peer_ip"],
        rack=router.get("rack"),
        design=router["design"],
        session_type=router["session_type"],
        route_reflector_client=bool(router.get("route_reflector_client")),
        next_hop_self=bool(router.get("next_hop_self")),
        default_originate=bool(router.get("default_originate")),
        send_default_only=bool(router.get("send_default_only")),
        cluster_id=router.get("cluster_id"),
        neighbor_mode=router["neighbor_mode"],
        listen_prefix=listen["prefix"] if listen else None,
        listen_limit=int(listen["limit"]) if listen else None,
        neighbors=neighbors,
        accept_v4=_accept_rules(accept, 4),
        accept_v6=_accept_rules(accept, 6),
        maximum_prefix=int(router["maximum_prefix"]),
        maximum_paths=int(router["maximum_paths"]),
        password=password,
        keepalive=int(timers["keepalive"]),
        hold=int(timers["hold"]),
        connect_retry=int(timers["connect_retry"]),
        restart_time=int(restart["restart_time"]),
        stalepath_time=int(restart["stalepath_time"]),
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
