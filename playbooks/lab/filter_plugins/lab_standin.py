# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# MIT License (see LICENSE)
"""Lab scaffolding: what calico-node's BIRD would be told, read from the rendered resources.

The built-in lab has no Kubernetes, so no calico-node runs. Each lab node runs BIRD instead,
configured by playbooks/lab/calico_node_standin.yml from exactly what calico-node would read:
the BGPConfiguration, BGPPeers and Node labels/AS of calico-resources.yaml and
calico-resources-k8s.yaml, plus a pod block of the plan's pool. Not part of the product path.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

_TERM_RE = re.compile(r"""^\s*(?:
    (?P<all>all\(\s*\))
  | (?P<neg>!)?has\(\s*(?P<has>[\w./-]+)\s*\)
  | (?P<key>[\w./-]+)\s*(?P<op>==|!=)\s*(?P<q>['"])(?P<value>[^'"]*)(?P=q)
)\s*$""", re.X)


class StandinError(Exception):
    pass


def selector_matches(selector, labels):
    """Calico label selector subset used by the rendered resources: all(), has(k), !has(k),
    k == 'v', k != 'v', joined with &&. Anything else is an error, never a silent mismatch."""
    selector = (selector or "").strip()
    if not selector:
        return False
    for term in selector.split("&&"):
        match = _TERM_RE.match(term)
        if not match:
            raise StandinError("selector %r: term %r is not supported by the lab stand-in" % (selector, term.strip()))
        if match.group("all"):
            continue
        if match.group("has"):
            present = match.group("has") in labels
            if present == bool(match.group("neg")):
                return False
            continue
        equal = labels.get(match.group("key")) == match.group("value")
        if equal != (match.group("op") == "=="):
            return False
    return True


def lab_pod_block(plan, node):
    """LAB-ONLY DECISION: the pod block the stand-in announces for ``node``.

    Real Calico IPAM hands out blocks at run time, so the plan has none per node. The lab takes
    block N of the first enabled IPv4 pool that applies to the node, N being the node's position
    in the plan's sorted node names: deterministic, and different for every node.
    """
    info = plan["nodes"][node]
    index = sorted(plan["nodes"]).index(node)
    for pool in plan["ip_pools"]:
        if pool["family"] != 4 or pool["disabled"]:
            continue
        if not selector_matches(pool["node_selector"], info.get("labels") or {}):
            continue
        network = ipaddress.ip_network(pool["cidr"])
        blocks = network.subnets(new_prefix=pool["block_size"])
        for position, block in enumerate(blocks):
            if position == index:
                return str(block)
        raise StandinError("pool %s has fewer blocks than the lab has nodes" % pool["name"])
    raise StandinError("%s: no enabled IPv4 pool applies to the node" % node)


def _by_kind(documents, kind):
    return [d for d in documents or [] if isinstance(d, dict) and d.get("kind") == kind]


def lab_bird_config(node, plan, resources, k8s_resources=None):
    """Everything the stand-in's bird.conf needs for ``node``.

    ``resources``: the documents of calico-resources.yaml; ``k8s_resources``: those of
    calico-resources-k8s.yaml (Node label/annotation patches, Kubernetes datastore).
    """
    if node not in plan["nodes"]:
        raise StandinError("%s is not a node of the plan" % node)
    info = plan["nodes"][node]
    bgp_configs = [d for d in _by_kind(resources, "BGPConfiguration") if d["metadata"]["name"] == "default"]
    bgp_spec = bgp_configs[0]["spec"] if bgp_configs else {}
    labels, asn = {}, bgp_spec.get("asNumber", 64512)
    for obj in _by_kind(k8s_resources, "Node"):
        if obj["metadata"]["name"] == node:
            labels.update(obj["metadata"].get("labels") or {})
            annotation = (obj["metadata"].get("annotations") or {}).get("projectcalico.org/ASNumber")
            if annotation:
                asn = int(annotation)
    for obj in _by_kind(resources, "Node"):  # etcd datastore: Calico Node objects
        if obj["metadata"]["name"] == node:
            labels.update(obj["metadata"].get("labels") or {})
            asn = ((obj.get("spec") or {}).get("bgp") or {}).get("asNumber", asn)

    names_by_ip = {t["peer_ip"]: t["name"] for t in plan["tor_routers"].values() if t.get("peer_ip")}
    names_by_ip.update({n["ip"]: n["name"] for n in plan["nodes"].values()})
    peers = {}

    def add(ip, peer_asn):
        if ip != info["ip"]:
            peers[ip] = {"ip": ip, "asn": int(peer_asn), "name": names_by_ip.get(ip, ip),
                         "protocol": "Node_" + ip.replace(".", "_").replace(":", "_")}

    if bgp_spec.get("nodeToNodeMeshEnabled", True):
        for other in plan["nodes"].values():
            add(other["ip"], other["asn"])
    for peer in _by_kind(resources, "BGPPeer"):
        spec = peer["spec"]
        if spec.get("node"):
            applies = spec["node"] == node
        elif spec.get("nodeSelector"):
            applies = selector_matches(spec["nodeSelector"], labels)
        else:
            applies = True
        if not applies:
            continue
        if spec.get("peerIP"):
            add(spec["peerIP"].split(":")[0] if spec["peerIP"].count(":") == 1 else spec["peerIP"], spec["asNumber"])
        elif spec.get("peerSelector"):
            for other in plan["nodes"].values():
                if selector_matches(spec["peerSelector"], other.get("labels") or {}):
                    add(other["ip"], other["asn"])
    block = lab_pod_block(plan, node)
    return {
        "node": node,
        "ip": info["ip"],
        "asn": int(asn),
        "router_id": info["ip"],
        "labels": labels,
        "peers": [peers[ip] for ip in sorted(peers, key=ipaddress.ip_address)],
        "pod_block": block,
        "pod_address": str(next(ipaddress.ip_network(block).hosts())),
    }


_PROTOCOL_RE = re.compile(r"^(Node|Global)_(?P<ip>[0-9A-Fa-f_]+)\s+BGP\s+\S+\s+(?P<state>\S+)\s+\S+(?:\s+(?P<info>\S+))?")


def lab_bird_sessions(show_protocols):
    """``birdc show protocols`` as {peer address: BGP state}, for the protocols named like
    calico-node names them (Node_10_0_1_2). A session that is not up reports BIRD's BGP state
    (Active, Connect, Idle...), or "down" when the protocol is shut down."""
    sessions = {}
    for line in (show_protocols or "").splitlines():
        match = _PROTOCOL_RE.match(line.strip())
        if not match:
            continue
        parts = match.group("ip").split("_")
        ip = ".".join(parts) if len(parts) == 4 else ":".join(parts)
        sessions[ip] = match.group("info") or match.group("state")
    return sessions


class FilterModule(object):
    def filters(self):
        return {"lab_bird_config": lab_bird_config, "lab_pod_block": lab_pod_block,
                "lab_bird_sessions": lab_bird_sessions}
