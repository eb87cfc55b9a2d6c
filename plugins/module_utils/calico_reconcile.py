# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift, patch and prune logic for Calico and Kubernetes objects (standard library only).

Runs on the target next to calicoctl and is shared with the controller-side renderer. Every
object the renderer produces lists the fields it manages in the managed-fields annotation as
JSON pointers (``/spec/asNumber``, ``/metadata/labels/onprem.calico~1rack``). Reconciling one
object means: start from the live object, remove the fields the live annotation listed and the
desired one no longer does, set every desired managed field, and write only if that changed
anything. Fields nobody manages (server defaults, other tools' settings) are left alone, so a
second run changes nothing.

Objects carrying the managed-by label are owned: they are created, updated, and deleted when
the plan no longer has them. Singletons (BGPConfiguration ``default``, the default pools,
Nodes) are marked by the singleton annotation, never carry the label, and are never deleted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import ipaddress
import json

from ansible_collections.onprem.calico.plugins.module_utils import fault_injection
from ansible_collections.onprem.calico.plugins.module_utils.calicoctl import CalicoctlError

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "onprem.calico"
MANAGED_FIELDS_ANNOTATION = "onprem.calico/managed-fields"
SINGLETON_ANNOTATION = "onprem.calico/singleton"
# Kinds the collection creates and therefore prunes (only objects with the managed-by label).
PRUNABLE_KINDS = ("BGPPeer", "BGPFilter", "IPPool", "CalicoNodeStatus")
# Write order: global config first, then pools and nodes, then the filters sessions name, then
# sessions, then status objects.
KIND_ORDER = ("BGPConfiguration", "IPPool", "Node", "BGPFilter", "BGPPeer", "CalicoNodeStatus")
# Server-maintained metadata ignored when comparing.
VOLATILE_METADATA = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields")

POOL_MIGRATION = (
    "CIDR and blockSize of a Calico IP pool cannot change in place. Migrate instead: "
    "(1) add the new pool under a new name in calico_ip_pools, (2) set disabled: true on the old "
    "pool, (3) move workloads (recreate their pods) so they get addresses from the new pool, "
    "(4) remove the old pool from the inventory (the next run deletes it). On a cluster without "
    "workloads in that pool, set calico_ip_pool_allow_recreate: true to delete and recreate it."
)


class ReconcileError(Exception):
    def __init__(self, messages):
        self.messages = list(messages)
        super(ReconcileError, self).__init__("; ".join(self.messages))


def _escape(token):
    return str(token).replace("~", "~0").replace("/", "~1")


def _unescape(token):
    return token.replace("~1", "/").replace("~0", "~")


def split_pointer(pointer):
    return [_unescape(t) for t in pointer.split("/")[1:]]


def managed_paths(obj, prefix=""):
    """JSON pointers of every leaf of ``obj``; lists are atomic (one leaf), empty dicts manage nothing."""
    out = []
    for key, value in obj.items():
        pointer = prefix + "/" + _escape(key)
        if isinstance(value, dict):
            out.extend(managed_paths(value, pointer))
        else:
            out.append(pointer)
    return out


_MISSING = object()


def get_path(obj, pointer, default=None):
    node = obj
    for token in split_pointer(pointer):
        if not isinstance(node, dict) or token not in node:
            return default
        node = node[token]
    return node


def set_path(obj, pointer, value):
    tokens = split_pointer(pointer)
    node = obj
    for token in tokens[:-1]:
        if not isinstance(node.get(token), dict):
            node[token] = {}
        node = node[token]
    node[tokens[-1]] = copy.deepcopy(value)


def del_path(obj, pointer):
    """Remove the leaf and any parent dicts left empty by that."""
    tokens = split_pointer(pointer)
    chain = [obj]
    for token in tokens[:-1]:
        nxt = chain[-1].get(token) if isinstance(chain[-1], dict) else None
        if not isinstance(nxt, dict):
            return
        chain.append(nxt)
    chain[-1].pop(tokens[-1], None)
    for depth in range(len(tokens) - 1, 0, -1):
        if chain[depth]:
            break
        chain[depth - 1].pop(tokens[depth - 1], None)


def recorded_paths(obj):
    """The managed-fields record of an object (empty when absent or unreadable)."""
    if not obj:
        return []
    raw = ((obj.get("metadata") or {}).get("annotations") or {}).get(MANAGED_FIELDS_ANNOTATION)
    try:
        paths = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [p for p in paths if isinstance(p, str) and p.startswith("/")]


def is_owned(obj):
    return ((obj.get("metadata") or {}).get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE


def is_singleton(obj):
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(SINGLETON_ANNOTATION) == "true"


def merge_managed(live, desired):
    """The object to write: ``live`` with the managed fields of ``desired`` applied.

    Fields the live record lists but ``desired`` no longer manages are removed. The bookkeeping
    metadata (managed-by label, managed-fields and singleton annotations) follows ``desired``.
    """
    wanted = recorded_paths(desired)
    updated = copy.deepcopy(live) if live else {
        "apiVersion": desired["apiVersion"], "kind": desired["kind"],
        "metadata": {"name": desired["metadata"]["name"]},
    }
    if desired["metadata"].get("namespace"):
        updated["metadata"]["namespace"] = desired["metadata"]["namespace"]
    for pointer in recorded_paths(live):
        if pointer not in wanted:
            del_path(updated, pointer)
    for pointer in wanted:
        value = get_path(desired, pointer, _MISSING)
        if value is not _MISSING:
            set_path(updated, pointer, value)
    meta = updated.setdefault("metadata", {})
    desired_labels = desired["metadata"].get("labels") or {}
    if MANAGED_BY_LABEL in desired_labels:
        meta.setdefault("labels", {})[MANAGED_BY_LABEL] = desired_labels[MANAGED_BY_LABEL]
    annotations = meta.setdefault("annotations", {})
    for key in (MANAGED_FIELDS_ANNOTATION, SINGLETON_ANNOTATION):
        value = (desired["metadata"].get("annotations") or {}).get(key)
        if value is None:
            annotations.pop(key, None)
        else:
            annotations[key] = value
    return updated


def comparable(obj):
    """``obj`` without server-maintained metadata and status, for equality checks."""
    if not obj:
        return obj
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata") or {}
    for key in VOLATILE_METADATA:
        meta.pop(key, None)
    for key in ("labels", "annotations"):
        if key in meta and not meta[key]:
            meta.pop(key)
    return out


def diff_paths(before, after, prefix=""):
    """JSON pointers of the leaves that differ between two dicts (lists compared whole)."""
    before = before or {}
    after = after or {}
    out = []
    for key in sorted(set(before) | set(after), key=str):
        pointer = prefix + "/" + _escape(key)
        old, new = before.get(key, _MISSING), after.get(key, _MISSING)
        if isinstance(old, dict) and isinstance(new, dict):
            out.extend(diff_paths(old, new, pointer))
        elif old != new:
            out.append(pointer)
    return out


def _network(cidr):
    try:
        return ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return None


def pool_immutable_changes(live, desired):
    """The immutable pool fields ``desired`` would change on ``live`` (CIDR, blockSize)."""
    if not live:
        return []
    changes = []
    live_spec, spec = live.get("spec") or {}, desired.get("spec") or {}
    if _network(live_spec.get("cidr")) != _network(spec.get("cidr")):
        changes.append(("cidr", live_spec.get("cidr"), spec.get("cidr")))
    if "blockSize" in spec and live_spec.get("blockSize") not in (None, spec["blockSize"]):
        changes.append(("blockSize", live_spec.get("blockSize"), spec["blockSize"]))
    return changes


def pool_drift(desired_pools, live_pools):
    """Differences between the plan's pools and the live ones, field by field, IPv4 and IPv6.

    Returns a list of {pool, family, field, plan, live}; ``field`` is ``(pool)`` for a pool that
    exists on one side only.
    """
    live_by_name = dict((p["metadata"]["name"], p) for p in live_pools)
    out = []

    def family(cidr):
        net = _network(cidr)
        return net.version if net else None

    for pool in desired_pools:
        name, spec = pool["metadata"]["name"], pool["spec"]
        live = live_by_name.pop(name, None)
        if live is None:
            out.append({"pool": name, "family": family(spec["cidr"]), "field": "(pool)",
                        "plan": spec["cidr"], "live": None})
            continue
        live_spec = live.get("spec") or {}
        for field in sorted(spec):
            plan_value, live_value = spec[field], live_spec.get(field)
            if field == "cidr":
                same = _network(plan_value) == _network(live_value)
            elif field == "disabled" or field == "natOutgoing":
                same = bool(plan_value) == bool(live_value)
            else:
                same = plan_value == live_value
            if not same:
                out.append({"pool": name, "family": family(spec["cidr"]), "field": field,
                            "plan": plan_value, "live": live_value})
    for name in sorted(live_by_name):
        cidr = (live_by_name[name].get("spec") or {}).get("cidr")
        out.append({"pool": name, "family": family(cidr), "field": "(pool)", "plan": None, "live": cidr})
    return out


def _mesh_enabled(obj):
    """Calico's effective mesh setting: on unless BGPConfiguration default turns it off."""
    if not obj:
        return True
    value = (obj.get("spec") or {}).get("nodeToNodeMeshEnabled")
    return True if value is None else bool(value)


def plan_actions(desired, live, prune=True, allow_pool_recreate=False, defer_mesh_disable=False):
    """What to write so that the live objects match ``desired``.

    ``desired``: list of rendered objects. ``live``: dict kind -> list of live objects (every
    kind of ``desired`` and of PRUNABLE_KINDS). Returns a dict with ``actions`` (in write
    order; each {action: create|replace|recreate|delete, kind, name, before, after, fields}),
    ``mesh_deferred`` and ``pool_drift``. Raises ReconcileError before anything is written when
    the change is refused.
    """
    errors = []
    actions = []
    index = dict(((k, o["metadata"]["name"]), o) for k, objs in live.items() for o in objs)
    desired_keys = set((o["kind"], o["metadata"]["name"]) for o in desired)
    mesh_deferred = False
    order = dict((kind, i) for i, kind in enumerate(KIND_ORDER))

    live_pool_cidrs = dict((_network((p.get("spec") or {}).get("cidr")), p["metadata"]["name"])
                           for p in live.get("IPPool", []))
    for obj in sorted(desired, key=lambda o: order.get(o["kind"], len(order))):
        kind, name = obj["kind"], obj["metadata"]["name"]
        current = index.get((kind, name))
        if kind == "Node" and current is None:
            errors.append("Node %s: no Calico Node of that name exists yet; calico-node creates it "
                          "when it starts (run the manifest stage first, check the node name)" % name)
            continue
        if kind == "IPPool":
            other = live_pool_cidrs.get(_network(obj["spec"]["cidr"]))
            if other is not None and other != name:
                errors.append("IPPool %s: CIDR %s is already used by the live pool %s; a second pool "
                              "for the same CIDR is refused. Name the pool %s in calico_ip_pools, or "
                              "delete the live pool first" % (name, obj["spec"]["cidr"], other, other))
                continue
            immutable = pool_immutable_changes(current, obj)
            if immutable:
                detail = ", ".join("%s %s -> %s" % change for change in immutable)
                if not allow_pool_recreate:
                    errors.append("IPPool %s: %s refused. %s" % (name, detail, POOL_MIGRATION))
                    continue
                after = merge_managed(None, obj)
                actions.append({"action": "recreate", "kind": kind, "name": name,
                                "before": comparable(current), "after": after,
                                "fields": [c[0] for c in immutable]})
                continue
        after = merge_managed(current, obj)
        if kind == "BGPConfiguration" and defer_mesh_disable and _mesh_enabled(current) \
                and not _mesh_enabled(after):
            # Safe order for route reflectors: keep the mesh until the reflector sessions are up.
            after["spec"]["nodeToNodeMeshEnabled"] = True
            after["spec"].pop("nodeMeshPassword", None)
            if current and "nodeMeshPassword" in (current.get("spec") or {}):
                # Still on, so its password stays too, and stays recorded for the final run to remove.
                after["spec"]["nodeMeshPassword"] = current["spec"]["nodeMeshPassword"]
                kept = [p for p in recorded_paths(current) if p.startswith("/spec/nodeMeshPassword/")]
                after["metadata"]["annotations"][MANAGED_FIELDS_ANNOTATION] = json.dumps(
                    sorted(set(recorded_paths(after)) | set(kept)))
            mesh_deferred = True
        if current is None:
            actions.append({"action": "create", "kind": kind, "name": name, "before": None,
                            "after": comparable(after), "fields": recorded_paths(obj)})
        elif comparable(after) != comparable(current):
            actions.append({"action": "replace", "kind": kind, "name": name,
                            "before": comparable(current), "after": after,
                            "fields": diff_paths(comparable(current), comparable(after))})
    if prune:
        for kind in PRUNABLE_KINDS:
            for obj in sorted(live.get(kind, []), key=lambda o: o["metadata"]["name"]):
                name = obj["metadata"]["name"]
                if (kind, name) in desired_keys or not is_owned(obj) or is_singleton(obj):
                    continue
                actions.append({"action": "delete", "kind": kind, "name": name,
                                "before": comparable(obj), "after": None, "fields": []})
    if errors:
        raise ReconcileError(errors)
    desired_pools = [o for o in desired if o["kind"] == "IPPool"]
    return {
        "actions": actions,
        "mesh_deferred": mesh_deferred,
        "pool_drift": pool_drift(desired_pools, live.get("IPPool", [])),
    }


def node_merge_patch(live_node, desired):
    """JSON merge patch (labels/annotations) bringing a Kubernetes Node to ``desired``; None if none.

    ``desired`` is a rendered Node entry (metadata only). Labels and annotations the live
    managed-fields record lists but ``desired`` dropped are removed (set to null).
    """
    after = merge_managed(live_node, desired)
    patch = {}
    for key in ("labels", "annotations"):
        old = (live_node.get("metadata") or {}).get(key) or {}
        new = (after.get("metadata") or {}).get(key) or {}
        changes = {}
        for name in sorted(set(old) | set(new)):
            if old.get(name) != new.get(name):
                changes[name] = new.get(name)
        if changes:
            patch[key] = changes
    return {"metadata": patch} if patch else None


def planned_sessions(nodes, node_to_node_mesh):
    """Every BGP session the plan asks of each node, one entry per address family.

    ``nodes`` is plan.nodes. The plan's peers carry the IPv4 address and, for a ToR of a
    dual-stack cluster, ``ip6``: a second session between the node's and the router's IPv6
    addresses (calico-node's BIRD6 peers only with IPv6 neighbours). With the mesh on, every
    other node is a peer too, over IPv6 as well where both have an IPv6 address. The verify
    stage, its report and the CalicoNodeStatus check all read this one list.

    Returns [{node, peer, kind, family, node_ip, peer_ip, peer_asn}] sorted by node, plan
    peers first.
    """
    out = []

    def add(node, peer, kind, family, node_ip, peer_ip, peer_asn):
        out.append({"node": node, "peer": peer, "kind": kind, "family": family,
                    "node_ip": node_ip, "peer_ip": peer_ip, "peer_asn": peer_asn})

    for name, node in sorted(nodes.items()):
        planned = set()
        for peer in node.get("peers") or []:
            # A peer the plan gives no name (an external router) is named by its address.
            peer_name = peer.get("name") or peer["ip"]
            planned.add(peer_name)
            kind = peer.get("kind") or "node"
            add(name, peer_name, kind, 4, node.get("ip"), peer["ip"], peer.get("asn"))
            if peer.get("ip6"):
                add(name, peer_name, kind, 6, node.get("ip6"), peer["ip6"], peer.get("asn"))
        if not node_to_node_mesh:
            continue
        for other_name, other in sorted(nodes.items()):
            if other_name == name or other_name in planned:
                continue
            add(name, other_name, "mesh", 4, node.get("ip"), other["ip"], other.get("asn"))
            if other.get("ip6") and node.get("ip6"):
                add(name, other_name, "mesh", 6, node["ip6"], other["ip6"], other.get("asn"))
    return out


def expected_sessions(nodes, node_to_node_mesh, kinds=None):
    """Per node, {peer address: peer name} of every session that must be Established
    (planned_sessions, both families); ``kinds`` limits them to those kinds (e.g.
    route_reflector, mesh)."""
    out = dict((name, {}) for name in nodes)
    for session in planned_sessions(nodes, node_to_node_mesh):
        if kinds is None or session["kind"] in kinds:
            out[session["node"]].setdefault(session["peer_ip"], session["peer"])
    return out


def session_report(expected, statuses):
    """Compare CalicoNodeStatus objects with the expected sessions.

    ``statuses``: live CalicoNodeStatus objects. Returns {node: {established: [...],
    missing: [{peer, ip, state}], routes: {peer_ip: count}}} and the list of nodes with problems.
    """
    by_node = {}
    for status in statuses:
        node = (status.get("spec") or {}).get("node")
        if node:
            by_node[node] = status.get("status") or {}
    report = {}
    failing = []
    for node in sorted(expected):
        status = by_node.get(node)
        peers = {}
        routes = {}
        if status:
            bgp = status.get("bgp") or {}
            for peer in (bgp.get("peersV4") or []) + (bgp.get("peersV6") or []):
                peers[peer.get("peerIP")] = peer.get("state")
            route_status = status.get("routes") or {}
            for route in (route_status.get("routesV4") or []) + (route_status.get("routesV6") or []):
                source = (route.get("learnedFrom") or {}).get("peerIP")
                if source:
                    routes[source] = routes.get(source, 0) + 1
        established, missing = [], []
        for ip, peer_name in sorted(expected[node].items()):
            state = peers.get(ip)
            if state == "Established":
                established.append(ip)
            else:
                missing.append({"peer": peer_name, "ip": ip,
                                "state": state or ("no status reported" if not status else "no session")})
        report[node] = {"established": established, "missing": missing, "routes": routes,
                        "status_reported": bool(status)}
        if missing:
            failing.append(node)
    return report, failing


def reconcile(client, desired, check_mode=False, prune=True, allow_pool_recreate=False,
              defer_mesh_disable=False):
    """Read the live objects through ``client``, decide, and write unless ``check_mode``.

    ``client`` has list(kind), create(obj), replace(obj), delete(kind, name) (see calicoctl.py).
    Nothing is written when any change is refused (ReconcileError).
    """
    kinds = set(o["kind"] for o in desired)
    if prune:
        kinds.update(PRUNABLE_KINDS)
    live = dict((kind, client.list(kind)) for kind in sorted(kinds))
    result = plan_actions(desired, live, prune=prune, allow_pool_recreate=allow_pool_recreate,
                          defer_mesh_disable=defer_mesh_disable)
    if not check_mode:
        # Sessions go before the pools and config they depend on are removed.
        for action in [a for a in result["actions"] if a["action"] == "delete" and a["kind"] == "BGPPeer"]:
            client.delete(action["kind"], action["name"])
        for action in result["actions"]:
            if action["action"] == "create":
                client.create(action["after"])
            elif action["action"] == "replace":
                client.replace(action["after"])
            elif action["action"] == "recreate":
                client.delete(action["kind"], action["name"])
                client.create(action["after"])
            fault_injection.point("bgp_resources_mid_apply", CalicoctlError)
        for action in [a for a in result["actions"] if a["action"] == "delete" and a["kind"] != "BGPPeer"]:
            client.delete(action["kind"], action["name"])
    return result
