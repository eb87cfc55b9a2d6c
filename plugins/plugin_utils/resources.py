"""Renderer: the Calico BGP and IPAM resources of the plan (``calico-resources.yaml``).

Reads only the plan (``bgp``, ``nodes``, ``racks``, ``ip_pools``, ``cluster``) and, for the BGP
password, ``ctx.secrets["bgp_password"]``. Produces:

``calico-resources.yaml``
    ``projectcalico.org/v3`` objects applied with calicoctl, for both datastores:
    BGPConfiguration ``default``, IP pools, the BGPFilter of the ToR sessions, BGPPeers,
    CalicoNodeStatus (verification) and,
    with the etcd datastore, the Calico Node fields we manage.
``calico-resources-k8s.yaml``
    Kubernetes objects applied with kubernetes.core: the Role and RoleBinding that let
    calico-node read the BGP password Secret and, with the Kubernetes datastore, the Node
    label/annotation patches (there a Calico Node *is* the Kubernetes Node).
``secrets/calico-bgp-password.yaml``
    The Secret itself, mode 0600, marked secret; the other files only reference it.

Ownership: objects the collection creates carry the managed-by label and are pruned when the
plan drops them. Singletons it does not own (BGPConfiguration ``default``, the default pools,
Nodes) carry no such label and are patched field by field; every object lists the fields it
manages in the managed-fields annotation, which the apply step uses to remove a field the plan
no longer sets (see ``plugins/module_utils/calico_reconcile.py``).
"""

from __future__ import annotations

import json
import re

import yaml

from ansible_collections.onprem.calico.plugins.module_utils.calico_reconcile import (
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    MANAGED_FIELDS_ANNOTATION,
    SINGLETON_ANNOTATION,
    managed_paths,
)
from ansible_collections.onprem.calico.plugins.plugin_utils import crd_schema
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import Artifact, RenderError

API_V3 = "projectcalico.org/v3"
RESOURCES_FILE = "calico-resources.yaml"
K8S_RESOURCES_FILE = "calico-resources-k8s.yaml"
SECRET_FILE = "secrets/calico-bgp-password.yaml"

# Node annotations calico-node reads with the Kubernetes datastore.
ASN_ANNOTATION = "projectcalico.org/ASNumber"
RR_CLUSTER_ID_ANNOTATION = "projectcalico.org/RouteReflectorClusterID"
# The ServiceAccount calico-node runs as in the upstream manifests.
CALICO_NODE_SERVICE_ACCOUNT = "calico-node"
NODE_STATUS_CLASSES = ["Agent", "BGP", "Routes"]
# calico-node rewrites each CalicoNodeStatus this often; 30 s keeps 100+ node clusters from
# writing several status objects a second while verification still sees changes within a poll or two.
NODE_STATUS_PERIOD_SECONDS = 30
RR_PEER_NAME = "onprem-calico-route-reflectors"
# BGPPeer fields the renderer sets itself; calico_bgp_peer_extra may not override them.
PEER_FIELDS_OWNED = ("peerIP", "peerSelector", "asNumber", "node", "nodeSelector", "password", "filters")


def _dns_name(*parts: str) -> str:
    """A DNS-1123 object name from parts (lower case, [a-z0-9-], at most 253 characters)."""
    name = "-".join(re.sub(r"[^a-z0-9]+", "-", str(p).lower()).strip("-") for p in parts if p)
    return name[:253].strip("-")


def _selector_eq(label: str, value: str) -> str:
    return "%s == '%s'" % (label, value)


def _meta(name: str, owned: bool, spec_paths: list[str], namespace: str | None = None,
          labels: dict | None = None, annotations: dict | None = None) -> dict:
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    all_labels = dict(labels or {})
    if owned:
        all_labels[MANAGED_BY_LABEL] = MANAGED_BY_VALUE
    if all_labels:
        meta["labels"] = dict(sorted(all_labels.items()))
    ann = dict(annotations or {})
    ann[MANAGED_FIELDS_ANNOTATION] = json.dumps(sorted(spec_paths))
    if not owned:
        ann[SINGLETON_ANNOTATION] = "true"
    meta["annotations"] = dict(sorted(ann.items()))
    return meta


def _object(kind: str, name: str, spec: dict, owned: bool, labels: dict | None = None,
            api_version: str = API_V3, extra_paths: list[str] | None = None,
            annotations: dict | None = None) -> dict:
    body = {"apiVersion": api_version, "kind": kind, "spec": spec}
    paths = managed_paths({"spec": spec}) + list(extra_paths or [])
    if labels:
        paths += managed_paths({"metadata": {"labels": labels}})
    if annotations:
        paths += managed_paths({"metadata": {"annotations": annotations}})
    body["metadata"] = _meta(name, owned, paths, labels=labels, annotations=annotations)
    return {"apiVersion": body["apiVersion"], "kind": kind, "metadata": body["metadata"], "spec": spec}


class _Gates:
    """Version gates for fields the inventory asks for, derived from the releases' CRD schemas."""

    def __init__(self, plan: dict, ctx):
        self.version = plan["cluster"]["version"]
        self.upstream_dir = getattr(ctx, "upstream_dir", None)
        self.mirror = (plan.get("manifest") or {}).get("mirror")
        self.release = crd_schema.release_for_plan(plan, self.upstream_dir)
        self._all = None
        self.errors: list[str] = []

    def all_releases(self):
        if self._all is None:
            self._all = crd_schema.available_releases(self.upstream_dir, self.mirror)
            self._all.setdefault(self.version, self.release)
        return self._all

    def require(self, variable: str, kind: str, dotted: str) -> bool:
        if self.release.has_field(kind, dotted):
            return True
        self.errors.append(crd_schema.gate_message(variable, kind, dotted, self.version, self.all_releases()))
        return False


def _peer_extra(plan: dict, gates: _Gates) -> dict:
    """calico_bgp_peer_extra, gated field by field against the release's BGPPeer schema."""
    extra = (plan["bgp"].get("peer_extra") or {})
    out = {}
    for key, value in sorted(extra.items()):
        variable = "calico_bgp_peer_extra.%s" % key
        if key in PEER_FIELDS_OWNED:
            gates.errors.append("%s: BGPPeer.spec.%s is set from the plan (BGP design, peers, password) and "
                                "cannot be overridden; remove it from calico_bgp_peer_extra" % (variable, key))
            continue
        if gates.require(variable, "BGPPeer", "spec." + key):
            out[key] = value
    return out


def _check_single_loop_override(plan: dict, extra: dict, gates: _Gates) -> None:
    """numAllowedLocalASNumbers on the Calico side and as-override on a ToR must not be combined.

    PLAN GAP: plan.tor_routers has no ``as_override`` field yet (the collection's ToR configs never
    set it); this reads it when present so the rule holds once the plan carries it.
    """
    if not extra.get("numAllowedLocalASNumbers"):
        return
    overriding = sorted(name for name, tor in (plan.get("tor_routers") or {}).items() if tor.get("as_override"))
    if overriding:
        gates.errors.append(
            "calico_bgp_peer_extra.numAllowedLocalASNumbers: the ToRs %s already use as-override; use one "
            "AS-loop override, not both (see docs/bgp.md)" % ", ".join(overriding))


def _password_ref(plan: dict) -> dict | None:
    password = plan["bgp"]["password"]
    if not password.get("enabled"):
        return None
    return {"secretKeyRef": {"name": password["secret_name"], "key": password["secret_key"]}}


def bgp_configuration(plan: dict) -> dict | None:
    bgp = plan["bgp"]
    if bgp["mode"] == "none":
        return None
    spec = {
        "asNumber": bgp["asn"],
        "nodeToNodeMeshEnabled": bool(bgp["node_to_node_mesh"]),
        "listenPort": bgp["listen_port"],
    }
    for field, key in (("serviceClusterIPs", "service_cluster_ips"),
                       ("serviceExternalIPs", "service_external_ips"),
                       ("serviceLoadBalancerIPs", "service_loadbalancer_ips")):
        if bgp.get(key):
            spec[field] = [{"cidr": cidr} for cidr in bgp[key]]
    if bgp.get("communities"):
        spec["communities"] = [{"name": c["name"], "value": c["value"]} for c in bgp["communities"]]
        # calicoctl refuses communities that no prefixAdvertisement uses; preflight guarantees each
        # community is attached to at least one prefix (plan.bgp.prefix_advertisements).
        spec["prefixAdvertisements"] = [{"cidr": a["cidr"], "communities": list(a["communities"])}
                                        for a in bgp["prefix_advertisements"]]
    password = _password_ref(plan)
    if password and spec["nodeToNodeMeshEnabled"]:
        # The mesh sessions are BGP sessions too: the same password protects them.
        spec["nodeMeshPassword"] = password
    return _object("BGPConfiguration", "default", spec, owned=False)


def ip_pools(plan: dict, gates: _Gates) -> list[dict]:
    out = []
    for pool in plan["ip_pools"]:
        spec = {
            "cidr": pool["cidr"],
            "blockSize": pool["block_size"],
            "ipipMode": pool["ipip_mode"],
            "vxlanMode": pool["vxlan_mode"],
            "natOutgoing": bool(pool["nat_outgoing"]),
            "nodeSelector": pool["node_selector"],
            "disabled": bool(pool["disabled"]),
        }
        if pool.get("namespace_selector") is not None:
            variable = "calico_ip_pools[%s].namespace_selector" % pool["name"]
            if gates.require(variable, "IPPool", "spec.namespaceSelector"):
                spec["namespaceSelector"] = pool["namespace_selector"]
        out.append(_object("IPPool", pool["name"], spec, owned=not pool["default"]))
    return out


def bgp_filters(plan: dict) -> list[dict]:
    """The BGPFilter the ToR BGPPeers name: pool routes (and the default where the design sends
    one) from the ToRs, everything else rejected."""
    tor_filter = plan["bgp"].get("tor_import_filter")
    if not tor_filter:
        return []
    spec = {"importV4": tor_filter["import_v4"]}
    if tor_filter["import_v6"]:
        spec["importV6"] = tor_filter["import_v6"]
    return [_object("BGPFilter", tor_filter["name"], spec, owned=True)]


def _tor_peer_groups(plan: dict) -> list[tuple[str, str | None, dict, list[str]]]:
    """ToR sessions of plan.nodes[*].peers, grouped: (ToR name, rack, peer, nodes) per ToR address.

    Nodes of one rack with the same ToR peer share one BGPPeer selecting the rack label;
    a node whose ToR sessions differ from its rack's gets its own per-node BGPPeer.
    """
    by_peer: dict[tuple, list[str]] = {}
    peers: dict[tuple, dict] = {}
    for node in plan["nodes"].values():
        for peer in node["peers"]:
            if peer["kind"] != "tor":
                continue
            key = (peer["name"], peer["ip"], peer["asn"], peer.get("ip6"))
            by_peer.setdefault(key, []).append(node["name"])
            peers[key] = peer
    groups = []
    for key in sorted(by_peer, key=lambda k: (k[0], k[1])):
        nodes = sorted(by_peer[key])
        racks = {plan["nodes"][n]["rack"] for n in nodes}
        rack = racks.pop() if len(racks) == 1 else None
        if rack is not None and sorted(plan["racks"].get(rack, {}).get("nodes", [])) == nodes:
            groups.append((key[0], rack, peers[key], nodes))
        else:
            for node in nodes:
                groups.append((key[0], None, peers[key], [node]))
    return groups


def bgp_peers(plan: dict, gates: _Gates) -> list[dict]:
    bgp = plan["bgp"]
    if bgp["mode"] == "none":
        return []
    extra = _peer_extra(plan, gates)
    _check_single_loop_override(plan, extra, gates)
    password = _password_ref(plan)
    out = []

    def peer(name: str, spec: dict) -> None:
        spec = dict(spec, **extra)
        if password:
            spec["password"] = password
        out.append(_object("BGPPeer", name, dict(sorted(spec.items())), owned=True))

    if bgp["route_reflectors"]:
        # Every node (reflectors included, so reflectors peer with each other) peers with
        # every reflector; calico skips the session of a reflector with itself.
        peer(RR_PEER_NAME, {
            "nodeSelector": "all()",
            "peerSelector": _selector_eq(bgp["route_reflector_label"], "true"),
        })
    # GTSM on the ToR sessions only: the ToR is one hop away by design (its peer address is on
    # the rack subnet), reflectors and mesh peers need not be.
    ttl_hops = bgp.get("ttl_security_hops")
    if ttl_hops and not gates.require("calico_bgp_ttl_security", "BGPPeer", "spec.ttlSecurity"):
        ttl_hops = None
    # What a node takes from its ToRs (bgp.tor_import_filter): named by every ToR peer.
    tor_filter = bgp.get("tor_import_filter")
    filters = {"filters": [tor_filter["name"]]} if tor_filter else {}
    for tor_name, rack, tor, nodes in _tor_peer_groups(plan):
        if rack is not None:
            selector = {"nodeSelector": _selector_eq(bgp["rack_label"], rack)}
            name = _dns_name("onprem-calico-rack", rack, tor_name)
        else:
            selector = {"node": nodes[0]}
            name = _dns_name("onprem-calico-node", nodes[0], tor_name)
        extra_ttl = {"ttlSecurity": ttl_hops} if ttl_hops else {}
        peer(name, {"peerIP": tor["ip"], "asNumber": tor["asn"], **selector, **extra_ttl, **filters})
        if tor.get("ip6"):
            # calico-node's bird6 peers only with IPv6 neighbours: a session of its own.
            peer(name + "-v6", {"peerIP": tor["ip6"], "asNumber": tor["asn"], **selector, **extra_ttl, **filters})
    return sorted(out, key=lambda o: o["metadata"]["name"])


def node_labels(plan: dict, node: dict) -> dict:
    labels = dict(node.get("labels") or {})
    if node.get("route_reflector"):
        labels.setdefault(plan["bgp"]["route_reflector_label"], "true")
    return dict(sorted(labels.items()))


def node_asn(node: dict) -> int | None:
    """The AS to set on the node: none when it is the global AS (BGPConfiguration asNumber)."""
    return node["asn"] if node.get("asn_source") not in (None, "global") else None


def calico_nodes(plan: dict) -> list[dict]:
    """etcd datastore: the Calico Node fields we manage (labels, AS, reflector cluster id)."""
    out = []
    for node in plan["nodes"].values():
        bgp_spec = {}
        if plan["bgp"]["mode"] != "none":
            if node_asn(node) is not None:
                bgp_spec["asNumber"] = node_asn(node)
            if node.get("route_reflector"):
                bgp_spec["routeReflectorClusterID"] = node["route_reflector_cluster_id"]
        labels = node_labels(plan, node)
        spec = {"bgp": bgp_spec} if bgp_spec else {}
        if not spec and not labels:
            continue
        out.append(_object("Node", node["name"], spec, owned=False, labels=labels))
    return out


def kubernetes_nodes(plan: dict) -> list[dict]:
    """Kubernetes datastore: Node label/annotation patches (the Calico Node is the Kubernetes Node)."""
    out = []
    for node in plan["nodes"].values():
        annotations = {}
        if plan["bgp"]["mode"] != "none":
            if node_asn(node) is not None:
                annotations[ASN_ANNOTATION] = str(node_asn(node))
            if node.get("route_reflector"):
                annotations[RR_CLUSTER_ID_ANNOTATION] = node["route_reflector_cluster_id"]
        labels = node_labels(plan, node)
        if not labels and not annotations:
            continue
        paths = managed_paths({"metadata": {"labels": labels, "annotations": annotations}})
        metadata = _meta(node["name"], owned=False, spec_paths=paths, labels=labels, annotations=annotations)
        out.append({"apiVersion": "v1", "kind": "Node", "metadata": metadata})
    return out


def node_statuses(plan: dict) -> list[dict]:
    if plan["bgp"]["mode"] == "none":
        return []
    return [
        _object("CalicoNodeStatus", _dns_name("onprem-calico", name), {
            "node": name,
            "classes": list(NODE_STATUS_CLASSES),
            "updatePeriodSeconds": NODE_STATUS_PERIOD_SECONDS,
        }, owned=True)
        for name in sorted(plan["nodes"])
    ]


def password_rbac(plan: dict) -> list[dict]:
    """Role + RoleBinding letting calico-node read exactly the password Secret."""
    password = plan["bgp"]["password"]
    if not password.get("enabled") or plan["bgp"]["mode"] == "none":
        return []
    name = _dns_name(password["secret_name"], "reader")
    labels = {MANAGED_BY_LABEL: MANAGED_BY_VALUE}
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": name, "namespace": password["namespace"], "labels": labels},
        "rules": [{
            "apiGroups": [""],
            "resources": ["secrets"],
            "resourceNames": [password["secret_name"]],
            "verbs": ["get", "list", "watch"],
        }],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": password["namespace"], "labels": labels},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": CALICO_NODE_SERVICE_ACCOUNT, "namespace": "kube-system"}],
    }
    return [role, binding]


def password_secret(plan: dict, ctx) -> dict | None:
    password = plan["bgp"]["password"]
    if not password.get("enabled") or plan["bgp"]["mode"] == "none":
        return None
    value = (getattr(ctx, "secrets", None) or {}).get("bgp_password")
    if not value:
        raise RenderError(["calico_bgp_password: the plan enables BGP passwords but no password was given "
                           "to the renderer; define calico_bgp_password (vaulted) in the inventory"])
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": password["secret_name"], "namespace": password["namespace"],
                     "labels": {MANAGED_BY_LABEL: MANAGED_BY_VALUE}},
        "stringData": {password["secret_key"]: str(value)},
    }


class ResourceSet:
    """Everything the BGP/IPAM stage applies, split by the tool that applies it."""

    def __init__(self, calico: list[dict], kubernetes: list[dict], secret: dict | None):
        self.calico = calico
        self.kubernetes = kubernetes
        self.secret = secret

    def names(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for obj in self.calico:
            out.setdefault(obj["kind"], []).append(obj["metadata"]["name"])
        return out


def build(plan: dict, ctx, with_secret: bool = True) -> ResourceSet:
    """The resource set of the plan, validated against the release's CRD schemas.

    ``with_secret=False`` leaves the password Secret out (and needs no password): for callers
    that only apply the objects referencing it.

    Raises RenderError listing every problem (version gates, schema violations).
    """
    # Plain JSON types only: values that came through Ansible carry tags YAML cannot dump.
    plan = json.loads(json.dumps(plan))
    gates = _Gates(plan, ctx)
    calico: list[dict] = []
    config = bgp_configuration(plan)
    if config:
        calico.append(config)
    calico.extend(ip_pools(plan, gates))
    if plan["cluster"]["datastore"] == "etcd":
        calico.extend(calico_nodes(plan))
    calico.extend(bgp_filters(plan))
    calico.extend(bgp_peers(plan, gates))
    calico.extend(node_statuses(plan))
    problems = list(gates.errors)
    for obj in calico:
        problems.extend(gates.release.validate(obj))
    if problems:
        raise RenderError(problems)
    kubernetes = password_rbac(plan)
    if plan["cluster"]["datastore"] == "kubernetes":
        kubernetes.extend(kubernetes_nodes(plan))
    return ResourceSet(calico, kubernetes, password_secret(plan, ctx) if with_secret else None)


# libyaml's emitter when PyYAML has it: the same bytes for these objects (a unit test holds the two
# to that), about five times faster, which matters with thousands of per-node objects.
YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _dump(objects: list[dict], header: str, dumper=YAML_DUMPER) -> str:
    body = "".join("---\n" + yaml.dump(o, Dumper=dumper, sort_keys=False, default_flow_style=False) for o in objects)
    return header + body


def render(plan: dict, ctx) -> list[Artifact]:
    resources = build(plan, ctx)
    version = plan["cluster"]["version"]
    datastore = plan["cluster"]["datastore"]
    out = [Artifact(RESOURCES_FILE, _dump(resources.calico, (
        "# Calico %s BGP and IPAM resources for cluster %s (%s datastore), rendered by onprem.calico.\n"
        "# Apply with the calico_bgp role (calicoctl): objects labelled %s=%s are owned and pruned;\n"
        "# the others are singletons patched only in the fields listed in %s.\n"
    ) % (version, plan["cluster"]["name"], datastore, MANAGED_BY_LABEL, MANAGED_BY_VALUE,
         MANAGED_FIELDS_ANNOTATION)))]
    if resources.kubernetes:
        out.append(Artifact(K8S_RESOURCES_FILE, _dump(resources.kubernetes, (
            "# Kubernetes objects of the BGP stage (kubernetes.core): password RBAC and Node patches.\n"
            "# Node entries are merge patches of labels/annotations, not whole Nodes.\n"))))
    if resources.secret is not None:
        out.append(Artifact(SECRET_FILE, _dump([resources.secret], "# BGP password Secret: keep private.\n"),
                            mode="0600", secret=True))
    return out
