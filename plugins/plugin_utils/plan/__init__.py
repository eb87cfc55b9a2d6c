"""Inventory -> one validated, normalised plan (see docs/plan.md and plan.schema.json).

``build_plan`` reads an ``InventoryInput``, checks everything preflight checks, and returns the
plan together with every error and warning found. It never raises for bad input, never touches
a host and never reads gathered facts, so a render-only run and a full run see the same plan.

Each section lives in its own module and is a function of the validated input and the results
of earlier sections; none changes another's data. This module runs them in order and composes
their results into the plan.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import InventoryInput
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import schema
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.bgp import _bgp
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.cluster import _cluster
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.context import _addr, _Ctx, _net
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.host_preparation import _host_preparation
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.manifest_inputs import _manifest
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.pools import _encapsulation_fits_routing, _pool_overlaps, _pools, rack_pool_headroom
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.topology import _node_networks, _nodes, _racks, _tor_routers, _with_members, retired_nodes
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.tor_sessions import _tor_sessions
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import PreflightIssue, group_by_cause

SCHEMA_VERSION = 1

__all__ = ["PlanResult", "SCHEMA_VERSION", "build_plan"]


@dataclass
class PlanResult:
    plan: dict[str, Any] | None
    errors: list[PreflightIssue] = field(default_factory=list)
    warnings: list[PreflightIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def build_plan(inv: InventoryInput) -> PlanResult:
    """The whole plan, or ``plan=None`` with every error found."""
    # The build makes hundreds of thousands of dicts and lists and no reference cycles: the
    # cycle collector's passes over the growing plan (and the caller's heap) found nothing and
    # were a tenth of a 5,000-node build, so collection waits until the plan is built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build_plan(inv)
    finally:
        if collecting:
            gc.enable()


def _build_plan(inv: InventoryInput) -> PlanResult:
    _addr.cache_clear()  # each build parses its own addresses; nothing grows across builds
    _net.cache_clear()
    ctx = _Ctx(inv)
    ctx.load_cluster_vars()

    # Racks and topology.
    racks, rack_nets = _racks(ctx)
    retired = retired_nodes(ctx, ctx.inv.group("k8s_cluster"))
    topology_nodes = _nodes(ctx, racks, rack_nets, retired)
    racks = _with_members(racks, topology_nodes)
    node_subnets, node_sources, declared_subnets = _node_networks(ctx, rack_nets, topology_nodes)
    cluster = _cluster(ctx, len(topology_nodes), node_subnets, node_sources)
    pools = _pools(ctx, cluster, racks, topology_nodes)
    _encapsulation_fits_routing(ctx, pools, topology_nodes, declared_subnets)
    topology_tors = _tor_routers(ctx, racks)
    # BGP decides each node's effective AS, role and peers; the node is the topology's node
    # with that laid over it.
    bgp, decided = _bgp(ctx, cluster, racks, rack_nets, topology_nodes, topology_tors, pools)
    nodes = {name: {**node, **decided[name]} for name, node in topology_nodes.items()}
    sessions = _tor_sessions(ctx, cluster, bgp, racks, nodes, topology_tors, pools)
    tors = {name: {**router, **sessions[name]} for name, router in topology_tors.items()}
    _pool_overlaps(ctx, cluster, pools, nodes, tors)
    manifest = _manifest(ctx, cluster, nodes, pools, bgp)
    host = _host_preparation(ctx, cluster, manifest, pools, bgp, tors)

    errors, warnings = group_by_cause(ctx.f.errors), group_by_cause(ctx.f.warnings)
    if errors:
        return PlanResult(None, errors, warnings)
    plan = {
        "schema_version": SCHEMA_VERSION,
        "cluster": cluster,
        "manifest": manifest,
        "ip_pools": pools,
        "rack_pools": rack_pool_headroom(pools, racks, cluster),
        "bgp": bgp,
        "racks": {k: racks[k] for k in sorted(racks)},
        "nodes": {k: nodes[k] for k in sorted(nodes)},
        "retired_nodes": retired,
        "tor_routers": {k: tors[k] for k in sorted(tors)},
        "host_preparation": host,
        "warnings": [str(w) for w in warnings],
    }
    schema.check(plan)
    return PlanResult(plan, [], warnings)
