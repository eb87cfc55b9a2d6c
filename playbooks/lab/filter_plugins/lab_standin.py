# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# MIT License (see LICENSE)
"""Lab scaffolding: what calico-node's confd would write for BIRD 1.6, from the rendered resources.

The built-in lab has no Kubernetes, so no calico-node runs. Each lab node runs BIRD 1.6 and
BIRD6 (Debian's ``bird`` package, the generation calico-node's BIRD fork is built on) on
calico-node's control sockets, configured by playbooks/lab/calico_node_standin.yml from exactly
what calico-node would read from the datastore: BGPConfiguration, IPPools, BGPPeers and the
Node labels/AS/cluster id of calico-resources.yaml and calico-resources-k8s.yaml, plus a pod
block of the plan's pool (the one lab-only decision). The rules follow confd's templates of
Calico 3.31 (projectcalico/calico, confd/etc/calico/confd/templates/); each rule cites the
template file and line it comes from. Not part of the product path.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

RR_CLUSTER_ID_ANNOTATION = "projectcalico.org/RouteReflectorClusterID"
AS_ANNOTATION = "projectcalico.org/ASNumber"

_TERM_RE = re.compile(r"""^\s*(?:
    (?P<all>all\(\s*\))
  | (?P<setkey>[\w./-]+)\s+in\s+\{(?P<set>[^}]*)\}
  | (?P<neg>!)?has\(\s*(?P<has>[\w./-]+)\s*\)
  | (?P<key>[\w./-]+)\s*(?P<op>==|!=)\s*(?P<q>['"])(?P<value>[^'"]*)(?P=q)
)\s*$""", re.X)


class StandinError(Exception):
    pass


def selector_matches(selector, labels):
    """Calico label selector subset used by the rendered resources: all(), has(k), !has(k),
    k == 'v', k != 'v', k in {'a', 'b'} (rack pools), joined with &&. Anything else is an error,
    never a silent mismatch."""
    selector = (selector or "").strip()
    if not selector:
        return False
    for term in selector.split("&&"):
        match = _TERM_RE.match(term)
        if not match:
            raise StandinError("selector %r: term %r is not supported by the lab stand-in" % (selector, term.strip()))
        if match.group("all"):
            continue
        if match.group("setkey"):
            values = [v.strip().strip("'\"") for v in match.group("set").split(",") if v.strip()]
            if labels.get(match.group("setkey")) not in values:
                return False
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


def lab_pod_block(plan, node, family=4):
    """LAB-ONLY DECISION: the pod block the stand-in announces for ``node``.

    Real Calico IPAM hands out blocks at run time, so the plan has none per node. The lab takes
    block N of the first enabled pool of the family that applies to the node, N being the
    node's position in the plan's sorted node names: deterministic, and different for every node.
    Returns None when no pool of that family applies (IPv6 in a single-stack lab).
    """
    info = plan["nodes"][node]
    index = sorted(plan["nodes"]).index(node)
    for pool in plan["ip_pools"]:
        if pool["family"] != family or pool["disabled"]:
            continue
        if not selector_matches(pool["node_selector"], info.get("labels") or {}):
            continue
        for position, block in enumerate(ipaddress.ip_network(pool["cidr"]).subnets(new_prefix=pool["block_size"])):
            if position == index:
                return str(block)
        raise StandinError("pool %s has fewer blocks than the lab has nodes" % pool["name"])
    if family == 4:
        raise StandinError("%s: no enabled IPv4 pool applies to the node" % node)
    return None


def _by_kind(documents, kind):
    return [d for d in documents or [] if isinstance(d, dict) and d.get("kind") == kind]


def _node_data(plan, resources, k8s_resources, default_asn):
    """Per node: labels, AS and route reflector cluster id as calico-node sees them (Kubernetes
    Node labels/annotations, or the Calico Node object with the etcd datastore)."""
    data = {}
    for name, info in plan["nodes"].items():
        data[name] = {"name": name, "ip": info["ip"], "ip6": info.get("ip6"), "labels": {}, "asn": default_asn,
                      "rr_cluster_id": ""}
    for obj in _by_kind(k8s_resources, "Node"):
        entry = data.get(obj["metadata"]["name"])
        if entry is None:
            continue
        entry["labels"].update(obj["metadata"].get("labels") or {})
        annotations = obj["metadata"].get("annotations") or {}
        if annotations.get(AS_ANNOTATION):
            entry["asn"] = int(annotations[AS_ANNOTATION])
        entry["rr_cluster_id"] = annotations.get(RR_CLUSTER_ID_ANNOTATION, entry["rr_cluster_id"])
    for obj in _by_kind(resources, "Node"):
        entry = data.get(obj["metadata"]["name"])
        if entry is None:
            continue
        entry["labels"].update(obj["metadata"].get("labels") or {})
        bgp = (obj.get("spec") or {}).get("bgp") or {}
        entry["asn"] = int(bgp.get("asNumber", entry["asn"]))
        entry["rr_cluster_id"] = bgp.get("routeReflectorClusterID", entry["rr_cluster_id"])
    return data


def _split_peer_ip(text):
    """BGPPeer.peerIP is "ip", "ip:port" or "[ipv6]:port"."""
    text = str(text)
    if text.startswith("["):
        address, port = text[1:].split("]", 1)
        return address, int(port.lstrip(":")) if port.lstrip(":") else None
    if text.count(":") == 1:
        address, port = text.split(":")
        return address, int(port)
    return text, None


def _protocol_id(ip, port=None):
    # bird.cfg.template:179/223/411: the protocol id is the address with "." -> "_"
    # (bird6.cfg.template does the same with ":"), plus "_port_N" for a peer on another port
    # (bird.cfg.template:227-229).
    ident = ip.replace(".", "_").replace(":", "_")
    return ident + ("_port_%d" % port if port else "")


# --- BGPFilter: calico-node 3.31's confd (projectcalico/calico v3.31.7) ------------------------

_FILTER_OPERATORS = {"Equal": "=", "NotEqual": "!=", "In": "~", "NotIn": "!~"}  # template_funcs.go:161-168
_BIRD_SYMBOL_MAX = 64  # template_funcs.go:333: longer names are truncated and hashed


def bgp_filter_function_name(name, direction, family):
    """template_funcs.go:329-341 (BGPFilterFunctionName): 'bgp_<filter>_<direction>FilterV<family>'."""
    text = "bgp_%s_%sFilterV%d" % (name, direction, family)
    if len(text) > _BIRD_SYMBOL_MAX:
        raise StandinError("BGPFilter %s: the stand-in does not shorten names beyond %d characters" % (name, _BIRD_SYMBOL_MAX))
    return "'%s'" % text


def _filter_statement(rule):
    """template_funcs.go:52-96 (filterStatement): "if (<conditions>) then { <action>; }", or the
    bare action for a rule without conditions (the final reject)."""
    action = "%s;" % rule["action"].lower()
    conditions = []
    if rule.get("cidr"):
        cidr = rule["cidr"]
        length = rule.get("prefixLength") or {}
        if length:
            # template_funcs.go:170-192 (filterMatchPrefixLength): "[ cidr{min,max} ]".
            net = ipaddress.ip_network(cidr)
            low = max(net.prefixlen, int(length.get("min", net.prefixlen)))
            high = min(net.max_prefixlen, int(length.get("max", net.max_prefixlen)))
            cidr = "[ %s{%d,%d} ]" % (cidr, low, high)
        conditions.append("(net %s %s)" % (_FILTER_OPERATORS[rule["matchOperator"]], cidr))  # template_funcs.go:194-211
    if rule.get("source") or rule.get("interface"):
        raise StandinError("BGPFilter rule %r: source and interface matches are not supported by the stand-in" % (rule,))
    if conditions:
        return "if (%s) then { %s }" % ("&&".join(conditions), action)
    return action


def bgp_filter_functions(filters, family):
    """template_funcs.go:247-360 (BGPFilterBIRDFuncs), import side: one BIRD function per
    BGPFilter with import rules of the family, rendered at bird.cfg.template:154-157."""
    key = "importV%d" % family
    lines = []
    for obj in sorted(filters, key=lambda o: o["metadata"]["name"]):
        rules = (obj.get("spec") or {}).get(key) or []
        if not rules:
            continue
        name = obj["metadata"]["name"]
        lines.append("# v%d BGPFilter %s" % (family, name))
        lines.append("function %s() {" % bgp_filter_function_name(name, "import", family))
        lines += ["  " + _filter_statement(rule) for rule in rules]
        lines.append("}")
    return lines


def bgp_import_calls(filters, names, family):
    """bird.cfg.template:249-259 (global peers) / 343-353 (node-specific): the import filter of a
    peer calls the import function of each BGPFilter it names that exists and has import rules
    of the family; the caller ends it with accept."""
    by_name = dict((o["metadata"]["name"], o) for o in filters)
    key = "importV%d" % family
    return [bgp_filter_function_name(n, "import", family) for n in names if ((by_name.get(n) or {}).get("spec") or {}).get(key)]


def lab_bird_config(node, plan, resources, k8s_resources=None, password=None):
    """Everything the stand-in's bird.cfg / bird6.cfg need for ``node``, by confd's rules.

    ``resources``: the documents of calico-resources.yaml; ``k8s_resources``: those of
    calico-resources-k8s.yaml; ``password``: the BGP password (the Secret's value), if any.
    """
    if node not in plan["nodes"]:
        raise StandinError("%s is not a node of the plan" % node)
    configs = [d for d in _by_kind(resources, "BGPConfiguration") if d["metadata"]["name"] == "default"]
    bgp_spec = configs[0]["spec"] if configs else {}
    nodes = _node_data(plan, resources, k8s_resources, int(bgp_spec.get("asNumber", 64512)))
    me = nodes[node]
    my_ip = {4: me["ip"], 6: me["ip6"]}
    cluster_id = me["rr_cluster_id"] or ""
    peers = {4: {}, 6: {}}
    bgp_filters = _by_kind(resources, "BGPFilter")

    def add(family, prefix, ip, port, asn, **options):
        if not ip or ip == my_ip[family]:
            return  # bird.cfg.template:181/231/419: "Skipping ourselves"
        name = prefix + _protocol_id(ip, port)
        peer = {"protocol": name, "ip": ip, "port": port, "asn": int(asn), "passive": False, "rr_client": False,
                "keep_next_hop": False, "next_hop_self": False, "next_hop_keep": False, "password": False,
                "source_address": True, "multihop": prefix != "Mesh_", "description": "", "filters": []}
        peer.update(options)
        peer["import_calls"] = bgp_import_calls(bgp_filters, peer["filters"], family)
        peers[family][name] = peer

    # Node-to-node mesh, bird.cfg.template:159-213: only when this node is no reflector; peers are
    # every other node except reflectors, passive towards higher addresses (string comparison,
    # line 198), with the mesh password (lines 205-208).
    if bgp_spec.get("nodeToNodeMeshEnabled", True) and not cluster_id:
        for other in nodes.values():
            if other["rr_cluster_id"]:
                continue
            for family in (4, 6):
                if my_ip[family] and other["ip" if family == 4 else "ip6"]:
                    other_ip = other["ip" if family == 4 else "ip6"]
                    add(family, "Mesh_", other_ip, None, other["asn"], passive=other_ip > my_ip[family],
                        password=bool(bgp_spec.get("nodeMeshPassword")), description=other["name"])

    names_by_ip = {}
    for tor in plan["tor_routers"].values():
        names_by_ip[tor.get("peer_ip")] = tor["name"]
        if tor.get("peer_ip6"):
            names_by_ip[tor["peer_ip6"]] = tor["name"]

    def selected(spec, labels, name):
        """Whether a node is on the local side of a BGPPeer (node, nodeSelector, or every node)."""
        if spec.get("node"):
            return spec["node"] == name
        if spec.get("nodeSelector"):
            return selector_matches(spec["nodeSelector"], labels)
        return True

    for peer in _by_kind(resources, "BGPPeer"):
        spec = peer["spec"]
        # Node_ for node-specific peers (node or nodeSelector), Global_ for the others
        # (bird.cfg.template:216-307 and 403-492).
        prefix = "Node_" if spec.get("node") or spec.get("nodeSelector") else "Global_"
        # keepOriginalNextHop -> "next hop keep" on eBGP only (bird.cfg.template:288-290);
        # nextHopMode Self/Keep (lines 291-296); password from the Secret (lines 285-287).
        options = {"filters": list(spec.get("filters") or []),
                   "keep_next_hop": bool(spec.get("keepOriginalNextHop")),
                   "next_hop_self": spec.get("nextHopMode") == "Self",
                   "next_hop_keep": spec.get("nextHopMode") == "Keep",
                   "password": bool(spec.get("password"))}
        if spec.get("peerIP"):
            if not selected(spec, me["labels"], node):
                continue
            ip, port = _split_peer_ip(spec["peerIP"])
            family = ipaddress.ip_address(ip).version
            asn = int(spec["asNumber"])
            add(family, prefix, ip, port, asn, description=names_by_ip.get(ip, ip),
                # rr client towards a same-AS peer of another cluster (bird.cfg.template:281-284).
                rr_client=bool(cluster_id) and asn == me["asn"], **options)
            continue
        if not spec.get("peerSelector"):
            continue
        # A peering between calico nodes is configured on both ends: a node on the local side
        # peers with the nodes peerSelector picks, and a picked node peers back with every node
        # of the local side (calico-node's confd sees the peering from either node).
        others = []
        if selected(spec, me["labels"], node):
            others += [o for o in nodes.values() if selector_matches(spec["peerSelector"], o["labels"])]
        if selector_matches(spec["peerSelector"], me["labels"]):
            others += [o for o in nodes.values() if selected(spec, o["labels"], o["name"])]
        for other in others:
            if other["name"] == node:
                continue
            for family in (4, 6):
                other_ip = other["ip" if family == 4 else "ip6"]
                if not (my_ip[family] and other_ip):
                    continue
                # A calico-node peer: passive towards a higher address (bird.cfg.template:275-277),
                # rr client when this node reflects and the peer is outside its cluster (281-284).
                add(family, prefix, other_ip, None, other["asn"], description=other["name"],
                    passive=other_ip > my_ip[family],
                    rr_client=bool(cluster_id) and other["asn"] == me["asn"] and other["rr_cluster_id"] != cluster_id,
                    **options)

    pools = {4: [], 6: []}
    for pool in _by_kind(resources, "IPPool"):
        spec = pool["spec"]
        family = ipaddress.ip_network(spec["cidr"]).version
        # bird_ipam.cfg.template:4-8 / 65-73 (export) and 90-108 (kernel programming).
        pools[family].append({"cidr": spec["cidr"], "export": not spec.get("disableBGPExport", False),
                              "vxlan": spec.get("vxlanMode", "Never") != "Never"})
    communities = {c["name"]: c["value"] for c in bgp_spec.get("communities") or []}
    advertisements = {4: [], 6: []}
    for entry in bgp_spec.get("prefixAdvertisements") or []:
        # bird.cfg.template:1-28: a community name resolves to its value; "a:b" is a standard
        # community, "a:b:c" a large one.
        values = [communities.get(c, c).split(":") for c in entry.get("communities") or []]
        advertisements[ipaddress.ip_network(entry["cidr"]).version].append({"cidr": entry["cidr"], "communities": values})

    block4, block6 = lab_pod_block(plan, node, 4), (lab_pod_block(plan, node, 6) if me["ip6"] else None)
    return {
        "node": node,
        "ip": me["ip"],
        "ip6": me["ip6"],
        "asn": me["asn"],
        # bird.cfg.template:39-43: the node's IPv4 address is the router id (bird6 too).
        "router_id": me["ip"],
        "listen_port": bgp_spec.get("listenPort"),
        "rr_cluster_id": cluster_id,
        "labels": me["labels"],
        "peers": sorted(peers[4].values(), key=lambda p: p["protocol"]),
        "peers6": sorted(peers[6].values(), key=lambda p: p["protocol"]),
        "pools": pools[4],
        "pools6": pools[6],
        "bgp_filter_functions": bgp_filter_functions(bgp_filters, 4),
        "bgp_filter_functions6": bgp_filter_functions(bgp_filters, 6),
        "advertisements": advertisements[4],
        "advertisements6": advertisements[6],
        "password": password or "",
        "pod_block": block4,
        "pod_address": str(next(ipaddress.ip_network(block4).hosts())),
        "pod_block6": block6,
        "pod_address6": str(next(ipaddress.ip_network(block6).hosts())) if block6 else None,
    }


class FilterModule(object):
    def filters(self):
        return {"lab_bird_config": lab_bird_config, "lab_pod_block": lab_pod_block}
