# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# MIT License (see LICENSE)
"""Lab scaffolding: what calico-node's confd would write for BIRD 1.6, from the rendered resources.

The built-in lab has no Kubernetes, so no calico-node runs. Each lab node runs BIRD 1.6 and
BIRD6 (Debian's ``bird`` package, the generation calico-node's BIRD fork is built on) on
calico-node's control sockets, configured by playbooks/lab/calico_node_standin.yml from exactly
what calico-node would read from the datastore: BGPConfiguration, IPPools, BGPPeers and the
Node labels/AS/cluster id of calico-resources.yaml and calico-resources-k8s.yaml, plus a pod
block of the plan's pool (the one lab-only decision). The rules follow confd of the release the
plan installs (RELEASE_RULES: 3.30.7, 3.31.7, 3.32.1; projectcalico/calico at that tag,
confd/etc/calico/confd/templates/ and, from 3.32, confd/pkg/backends/calico/bgp_processor.go);
each rule cites the file and lines it comes from at that tag. Not part of the product path.
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


# --- The confd rules of each release ------------------------------------------------------------
#
# calico-node's confd writes BIRD's configuration from templates in projectcalico/calico,
# confd/etc/calico/confd/templates/ (TEMPLATES below); from 3.32 the peers, filters and pools
# are worked out in Go first (confd/pkg/backends/calico/bgp_processor.go) and the templates
# only print them. One entry per release the collection installs (catalog.MANIFEST_SHA256),
# each citing the file and lines at that release's tag. What differs (docs/lab.md):
# - 3.31: BGPPeer.localASNumber ("local as", and the AS a peer is compared with);
# - 3.32: every peer, mesh included, imports through a filter that lets a higher-priority route
#   override (bgp_local_pref <-> kernel metric), exports with its priority, the kernel gets the
#   metric of BGP routes, calico_aggr lets a higher-priority /32 out, Felix programs workload
#   routes with metric 1024, and BGPPeer.keepaliveTime is honoured.

TEMPLATES = "confd/etc/calico/confd/templates"
BIRD_INT_MAX = 2147483647  # template_funcs.go BirdIntMaxValue (2^31-1), 3.32
NORMAL_ROUTE_PRIORITY = 1024  # BGPConfiguration ipv4/ipv6NormalRoutePriority default, 3.32
OVERRIDE_PREFERENCE = 200  # bgp_processor.go birdOverridePreference, 3.32

# 3.30.7 and 3.31.7 share every template but bird.cfg.template / bird6.cfg.template (same blobs
# of bird_ipam, bird6_ipam, bird_aggr, bird6_aggr and template_funcs' BGPFilter code), and the
# lines of bird.cfg.template up to the peers (line 216).
_TEMPLATE_ERA = {
    "communities": "bird.cfg.template:1-28",
    "router_id": "bird.cfg.template:34-43",
    "listen": "bird.cfg.template:57-69",
    "debug": "bird.cfg.template:71-90 (LOGGING: debug { states } unless loglevel says otherwise)",
    "kernel": "bird.cfg.template:92-106",
    "device": "bird.cfg.template:108-112",
    "direct": "bird.cfg.template:120-135",
    "bgp_template": "bird.cfg.template:139-152",
    "filter_functions": "bird.cfg.template:154-157, template_funcs.go:179-193 (BGPFilterFunctionName), "
                        "247-390 (BGPFilterBIRDFuncs), 57-96 (filterStatement)",
    "mesh": "bird.cfg.template:159-213 (Mesh_<ip>; the peer's listen port 170-176, 184; import all 186; "
            "export 188-191; passive 198-200; password 205-208; none on a reflector 160-164)",
    "reject_disabled_pools": "bird_ipam.cfg.template:2-9",
    "export_function": "bird_ipam.cfg.template:11-74 (reject_tunnel_routes, reject_local_routes, "
                       "calico_export_to_bgp_peers)",
    "kernel_filter": "bird_ipam.cfg.template:76-112 (krt_tunnel left out: vanilla BIRD lacks it)",
    "static": "bird_aggr.cfg.template:2-57",
    "aggr": "bird_aggr.cfg.template:59-78",
}

RELEASE_RULES = {
    "3.30.7": dict(_TEMPLATE_ERA, **{
        "release": "3.30.7", "local_as": False, "keepalive_time": False, "route_priority": False,
        "pod_route_metric": 0,
        "global_peers": "bird.cfg.template:216-307 (Global_<ip>[_port_<n>] 230; ttl 231-237; neighbor 238; "
                        "source 239-241; import filter 242-253; export 254-267; passive 268-270; restart 271-273; "
                        "rr client 274-277; password 278-280; next hop 281-289; allow local as 290-292)",
        "node_peers": "bird.cfg.template:389-478 (Node_<ip>[_port_<n>] 404; ttl 405-411; neighbor 412; "
                      "source 413-415; import filter 416-427; export 428-441; restart 442-444; rr client 445-448; "
                      "password 449-451; next hop 452-460; allow local as 461-463)",
        "node_peer_port": "client.go:898-961 (nodeAsBGPPeers: port 930-935), peerIP of a node 610-625",
        "pod_route": "felix/routetable/route_table.go:1245-1253 (IPv4 workload routes without a metric)",
    }),
    "3.31.7": dict(_TEMPLATE_ERA, **{
        "release": "3.31.7", "local_as": True, "keepalive_time": False, "route_priority": False,
        "pod_route_metric": 0,
        "global_peers": "bird.cfg.template:216-307 (Global_<ip>[_port_<n>] 234; effective AS 219-222; ttl 235-241; "
                        "local as 242-244; neighbor 245; source 246-248; import filter 249-260; export 261-274; "
                        "passive 275-277; restart 278-280; rr client 281-284; password 285-287; next hop 288-296; "
                        "allow local as 297-299)",
        "node_peers": "bird.cfg.template:403-492 (Node_<ip>[_port_<n>] 422; effective AS 407-410; ttl 423-429; "
                      "local as 430-432; neighbor 433; source 434-436; import filter 437-448; export 449-462; "
                      "restart 463-465; rr client 466-469; password 470-472; next hop 473-481; "
                      "allow local as 482-484)",
        "node_peer_port": "client.go:915-979 (nodeAsBGPPeers: port 947-952), peerIP of a node 618-633",
        "pod_route": "felix/routetable/route_table.go:1245-1253 (IPv4 workload routes without a metric)",
    }),
    "3.32.1": {
        "release": "3.32.1", "local_as": True, "keepalive_time": True, "route_priority": True,
        "pod_route_metric": NORMAL_ROUTE_PRIORITY,
        "communities": "bird.cfg.template:3-12, bgp_processor.go:816-885",
        "router_id": "bird.cfg.template:18, bgp_processor.go:165-180",
        "listen": "bird.cfg.template:20-23, bgp_processor.go:182-197",
        "debug": "bgp_processor.go:148-163 (debug { states } unless loglevel says otherwise)",
        "kernel": "bird.cfg.template:25-39",
        "device": "bird.cfg.template:41-47",
        "direct": "bird.cfg.template:49-62, bgp_processor.go:199-216",
        "bgp_template": "bird.cfg.template:66-79",
        "filter_functions": "bird.cfg.template:81-84, template_funcs.go:327-341 (BGPFilterFunctionName), "
                            "410-503 (BGPFilterBIRDFuncs), 73-148 (filterStatement)",
        "mesh": "bgp_processor.go:266-407 (Mesh_<ip>; none on a reflector 270-274; the peer's listen port 357-362; "
                "passive 383-386; import and export filters 388-401), printed by bird.cfg.template:86-145",
        "global_peers": "bgp_processor.go:409-610 (Global_<ip>[_port_<n>] 502-511; local as 524-526; ttl 528-533; "
                        "source 535-538; effective AS 540-544; next hop 577-587; rr client 589-598; passive 600-607), "
                        "printed by bird.cfg.template:86-145",
        "node_peers": "bgp_processor.go:418-610 (as Global_, prefix Node_; never passive by itself 600-607), "
                      "printed by bird.cfg.template:86-145",
        "import_filter": "bgp_processor.go:678-725 (BGPFilters, then a higher priority overrides: preference 200)",
        "export_filter": "bgp_processor.go:727-803 (kernel metric <-> bgp_local_pref, BGPFilters, "
                         "calico_export_to_bgp_peers(same AS))",
        "keepalive": "bird.cfg.template:124-126, client.go:2044-2046 (BGPPeer.keepaliveTime)",
        "reject_disabled_pools": "bird_ipam.cfg.template:26-28, bgp_processor.go:927-931, 996-999",
        "export_function": "bird_ipam.cfg.template:4-63 (reject_tunnel_routes, reject_local_routes, "
                           "calico_export_to_bgp_peers)",
        "kernel_filter": "bird_ipam.cfg.template:65-85, bgp_processor.go:218-238 (metric of BGP routes), "
                         "887-1079 (pools; krt_tunnel left out: vanilla BIRD lacks it)",
        "static": "bird_aggr.cfg.template:4-59",
        "aggr": "bird_aggr.cfg.template:61-82 (a /32 with a metric below 1024 leaves, 72 and 78)",
        "node_peer_port": "client.go:915-979 (nodeAsBGPPeers: port 947-952), peerIP of a node 618-633",
        "pod_route": "felix/config/config_params.go:472 (IPv4NormalRoutePriority 1024), "
                     "felix/dataplane/linux/endpoint_mgr.go:999-1014",
    },
}


def confd_rules(version):
    """The confd rules of the Calico release ``version`` (the plan's cluster.version)."""
    rules = RELEASE_RULES.get(str(version))
    if rules is None:
        raise StandinError("Calico %s: the lab stand-in follows the confd templates of %s only; compare that release's "
                           "confd templates (%s) and add its rules to playbooks/lab/filter_plugins/lab_standin.py"
                           % (version, ", ".join(sorted(RELEASE_RULES)), TEMPLATES))
    return dict(rules, tag="v" + rules["release"])


_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_DURATION_SECONDS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}


def _seconds(duration):
    """A Kubernetes duration ("120s", "1m30s") as the whole seconds confd writes (client.go:
    math.Round(d.Seconds())); None when unset."""
    if duration in (None, ""):
        return None
    text = str(duration)
    parts = _DURATION_RE.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise StandinError("duration %r: not understood by the lab stand-in" % (duration,))
    return int(round(sum(float(n) * _DURATION_SECONDS[u] for n, u in parts)))


def _protocol_id(ip, port=None):
    # The protocol id is the address with "." (bird6: ":") -> "_", plus "_port_N" for a peer on
    # a port of its own (bird.cfg.template:223-229 at v3.31.7; bgp_processor.go:502-511 at v3.32.1).
    ident = ip.replace(".", "_").replace(":", "_")
    return ident + ("_port_%d" % port if port else "")


# --- BGPFilter: template_funcs.go, the same for the rule fields below in every release ---------

_FILTER_OPERATORS = {"Equal": "=", "NotEqual": "!=", "In": "~", "NotIn": "!~"}  # operatorLUT
_FILTER_RULE_FIELDS = {"action", "matchOperator", "cidr", "prefixLength"}
_BIRD_SYMBOL_MAX = 64  # BGPFilterFunctionName: longer names are truncated and hashed


def bgp_filter_function_name(name, direction, family):
    """BGPFilterFunctionName: 'bgp_<filter>_<direction>FilterV<family>'."""
    text = "bgp_%s_%sFilterV%d" % (name, direction, family)
    if len(text) > _BIRD_SYMBOL_MAX:
        raise StandinError("BGPFilter %s: the stand-in does not shorten names beyond %d characters" % (name, _BIRD_SYMBOL_MAX))
    return "'%s'" % text


def _filter_statement(rule):
    """filterStatement: "if (<conditions>) then { <action>; }", or the bare action for a rule
    without conditions (the final reject)."""
    unsupported = sorted(set(rule) - _FILTER_RULE_FIELDS)
    if unsupported:
        # source, interface (all releases), peerType, communities, asPathPrefix, priority,
        # operations (3.32): not modelled, so refused rather than silently dropped.
        raise StandinError("BGPFilter rule %r: %s not supported by the stand-in" % (rule, ", ".join(unsupported)))
    action = "%s;" % rule["action"].lower()
    if not rule.get("cidr"):
        return action
    cidr = rule["cidr"]
    length = rule.get("prefixLength") or {}
    if length:
        # filterMatchPrefixLength: "[ cidr{min,max} ]".
        net = ipaddress.ip_network(cidr)
        low = max(net.prefixlen, int(length.get("min", net.prefixlen)))
        high = min(net.max_prefixlen, int(length.get("max", net.max_prefixlen)))
        cidr = "[ %s{%d,%d} ]" % (cidr, low, high)
    return "if ((net %s %s)) then { %s }" % (_FILTER_OPERATORS[rule["matchOperator"]], cidr, action)  # filterMatchCIDR


def bgp_filter_functions(filters, family):
    """BGPFilterBIRDFuncs: per BGPFilter with rules of the family, one BIRD function per
    direction (import, then export), rendered where bird.cfg.template prints them."""
    lines = []
    for obj in sorted(filters, key=lambda o: o["metadata"]["name"]):
        spec = obj.get("spec") or {}
        name = obj["metadata"]["name"]
        directions = [d for d in ("import", "export") if spec.get("%sV%d" % (d, family))]
        if directions:
            lines.append("# v%d BGPFilter %s" % (family, name))
        for direction in directions:
            lines.append("function %s() {" % bgp_filter_function_name(name, direction, family))
            lines += ["  " + _filter_statement(rule) for rule in spec["%sV%d" % (direction, family)]]
            lines.append("}")
    return lines


def bgp_filter_calls(filters, names, family, direction="import"):
    """The calls a peer's import (export) filter makes: the function of each BGPFilter it names
    that exists and has rules of the family and direction, in the peer's order."""
    by_name = dict((o["metadata"]["name"], o) for o in filters)
    key = "%sV%d" % (direction, family)
    return [bgp_filter_function_name(n, direction, family) for n in names
            if ((by_name.get(n) or {}).get("spec") or {}).get(key)]


def bgp_import_calls(filters, names, family):
    return bgp_filter_calls(filters, names, family, "import")


def _import_filter(rules, calls, mesh):
    """The lines of a peer's import filter; None for "import all" (a mesh peer before 3.32)."""
    if not rules["route_priority"]:
        return None if mesh else ["%s();" % c for c in calls] + ["accept;"]
    return ["%s();" % c for c in calls] + [
        "if (defined(bgp_local_pref)&&(bgp_local_pref > %d)) then" % (BIRD_INT_MAX - NORMAL_ROUTE_PRIORITY),
        "  preference = %d;" % OVERRIDE_PREFERENCE,
        "accept;"]


def _export_filter(rules, calls, same_as):
    lines = []
    if rules["route_priority"]:
        lines += ["if (defined(source) && source = RTS_BGP && defined(bgp_local_pref)) then {",
                  "  krt_metric = %d - bgp_local_pref;" % BIRD_INT_MAX,
                  "} else {",
                  "  if (!defined(krt_metric)) then { krt_metric = %d; }" % NORMAL_ROUTE_PRIORITY,
                  "  bgp_local_pref = %d - krt_metric;" % BIRD_INT_MAX,
                  "}"]
    return lines + ["%s();" % c for c in calls] + [
        "calico_export_to_bgp_peers(%s);" % ("true" if same_as else "false"), "reject;"]


def _kernel_metric_lines(rules):
    """3.32: BGP routes reach the kernel with the metric their priority asks for."""
    if not rules["route_priority"]:
        return []
    return ["if (defined(source) && (source = RTS_BGP) && !defined(krt_metric)) then {",
            "    krt_metric = %d;" % NORMAL_ROUTE_PRIORITY,
            "    if (defined(bgp_local_pref)) then {",
            "        krt_metric = %d - bgp_local_pref;" % BIRD_INT_MAX,
            "    }",
            "    if (krt_metric < %d) then {" % NORMAL_ROUTE_PRIORITY,
            "        preference = %d;" % OVERRIDE_PREFERENCE,
            "    }",
            "}"]


def lab_bird_config(node, plan, resources, k8s_resources=None, password=None):
    """Everything the stand-in's bird.cfg / bird6.cfg need for ``node``, by the confd rules of
    the release the plan installs (``plan.cluster.version``).

    ``resources``: the documents of calico-resources.yaml; ``k8s_resources``: those of
    calico-resources-k8s.yaml; ``password``: the BGP password (the Secret's value), if any.
    """
    if node not in plan["nodes"]:
        raise StandinError("%s is not a node of the plan" % node)
    rules = confd_rules(plan["cluster"]["version"])
    configs = [d for d in _by_kind(resources, "BGPConfiguration") if d["metadata"]["name"] == "default"]
    bgp_spec = configs[0]["spec"] if configs else {}
    listen_port = bgp_spec.get("listenPort")
    nodes = _node_data(plan, resources, k8s_resources, int(bgp_spec.get("asNumber", 64512)))
    me = nodes[node]
    my_ip = {4: me["ip"], 6: me["ip6"]}
    node_ips = {n[key] for n in nodes.values() for key in ("ip", "ip6") if n[key]}
    cluster_id = me["rr_cluster_id"] or ""
    peers = {4: {}, 6: {}}
    bgp_filters = _by_kind(resources, "BGPFilter")

    def add(family, prefix, ip, asn, port=None, spec=None, calico_node=False, rr_cluster_id="", description=""):
        """One BIRD protocol, by the rules of the release (see RELEASE_RULES for the lines)."""
        spec = spec or {}
        if not ip or ip == my_ip[family]:
            return  # "Skipping ourselves"
        mesh = prefix == "Mesh_"
        local_asn = int(spec["localASNumber"]) if rules["local_as"] and spec.get("localASNumber") else None
        # The AS this node speaks on the session: what "same AS" (iBGP) is measured against.
        effective_asn = local_asn or me["asn"]
        same_as = int(asn) == effective_asn
        filters = list(spec.get("filters") or [])
        # Global_ and mesh peers that are calico nodes are passive towards a higher address;
        # Node_ peers only when the BGPPeer asks for it.
        passive = (mesh or (prefix == "Global_" and calico_node)) and ip > my_ip[family]
        peer = {
            "protocol": prefix + _protocol_id(ip, None if mesh else port),
            "ip": ip, "port": port, "asn": int(asn), "local_asn": local_asn, "mesh": mesh,
            "description": description,
            "ttl_security": None if mesh else int(spec.get("ttlSecurity") or 0),
            "source_address": mesh or spec.get("sourceAddress", "UseNodeIP") == "UseNodeIP",
            "filters": filters,
            "import_calls": bgp_filter_calls(bgp_filters, filters, family, "import"),
            "export_calls": bgp_filter_calls(bgp_filters, filters, family, "export"),
            "passive": passive,
            "restart_time": _seconds(spec.get("maxRestartTime")),
            "keepalive_time": _seconds(spec.get("keepaliveTime")) if rules["keepalive_time"] else None,
            # rr client: this node reflects, the peer speaks its AS and is not of its cluster.
            "rr_client": bool(cluster_id) and same_as and rr_cluster_id != cluster_id,
            "password": bool(spec.get("password")),
            # keepOriginalNextHop applies to eBGP peers; nextHopMode Keep / Self to any.
            "next_hop_keep": (bool(spec.get("keepOriginalNextHop")) and not same_as) or spec.get("nextHopMode") == "Keep",
            "next_hop_self": spec.get("nextHopMode") == "Self",
            "allow_local_as": spec.get("numAllowedLocalASNumbers"),
        }
        peer["import_filter"] = _import_filter(rules, peer["import_calls"], mesh)
        # A mesh peer exported with "true" before 3.32, with "same AS" from 3.32.
        peer["export_filter"] = _export_filter(rules, peer["export_calls"],
                                               True if mesh and not rules["route_priority"] else same_as)
        peers[family][peer["protocol"]] = peer

    # Node-to-node mesh: only when this node is no reflector; peers are every other node except
    # reflectors, on their listen port, with the mesh password.
    if bgp_spec.get("nodeToNodeMeshEnabled", True) and not cluster_id:
        mesh_password = {"password": True} if bgp_spec.get("nodeMeshPassword") else {}
        for other in nodes.values():
            if other["rr_cluster_id"]:
                continue
            for family in (4, 6):
                other_ip = other["ip" if family == 4 else "ip6"]
                if my_ip[family] and other_ip:
                    add(family, "Mesh_", other_ip, other["asn"], port=listen_port, spec=mesh_password,
                        description=other["name"])

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

    for bgp_peer in _by_kind(resources, "BGPPeer"):
        spec = bgp_peer["spec"]
        # Node_ for node-specific peers (node or nodeSelector), Global_ for the others.
        prefix = "Node_" if spec.get("node") or spec.get("nodeSelector") else "Global_"
        if spec.get("peerIP"):
            if not selected(spec, me["labels"], node):
                continue
            ip, port = _split_peer_ip(spec["peerIP"])
            # A peerIP that is a calico node's is reached on that node's listen port.
            calico_node = ip in node_ips
            if calico_node and port is None:
                port = listen_port
            add(ipaddress.ip_address(ip).version, prefix, ip, spec["asNumber"], port=port, spec=spec,
                calico_node=calico_node, description=names_by_ip.get(ip, ip))
            continue
        if not spec.get("peerSelector"):
            continue
        # A peering between calico nodes is configured on both ends: a node on the local side
        # peers with the nodes peerSelector picks, and a picked node peers back with every node
        # of the local side (calico-node's confd sees the peering from either node), each on
        # the other's listen port. Such peers take no localASNumber and no
        # numAllowedLocalASNumbers: only a peerIP peer carries them (client.go nodeAsBGPPeers).
        selector_spec = dict((k, v) for k, v in spec.items() if k not in ("localASNumber", "numAllowedLocalASNumbers"))
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
                if my_ip[family] and other_ip:
                    add(family, prefix, other_ip, other["asn"], port=listen_port, spec=selector_spec,
                        rr_cluster_id=other["rr_cluster_id"], description=other["name"])

    pools = {4: [], 6: []}
    for pool in _by_kind(resources, "IPPool"):
        spec = pool["spec"]
        family = ipaddress.ip_network(spec["cidr"]).version
        pools[family].append({"cidr": spec["cidr"], "export": not spec.get("disableBGPExport", False),
                              "vxlan": spec.get("vxlanMode", "Never") != "Never"})
    communities = {c["name"]: c["value"] for c in bgp_spec.get("communities") or []}
    advertisements = {4: [], 6: []}
    for entry in bgp_spec.get("prefixAdvertisements") or []:
        # A community name resolves to its value; "a:b" is a standard community, "a:b:c" a large one.
        values = [communities.get(c, c).split(":") for c in entry.get("communities") or []]
        advertisements[ipaddress.ip_network(entry["cidr"]).version].append({"cidr": entry["cidr"], "communities": values})

    block4, block6 = lab_pod_block(plan, node, 4), (lab_pod_block(plan, node, 6) if me["ip6"] else None)
    return {
        "node": node,
        "release": rules["release"],
        "rules": rules,
        "ip": me["ip"],
        "ip6": me["ip6"],
        "asn": me["asn"],
        # The node's IPv4 address is the router id (bird6 too: a router id has 4 octets).
        "router_id": me["ip"],
        "listen_port": listen_port,
        "rr_cluster_id": cluster_id,
        "labels": me["labels"],
        "peers": sorted(peers[4].values(), key=lambda p: p["protocol"]),
        "peers6": sorted(peers[6].values(), key=lambda p: p["protocol"]),
        "pools": pools[4],
        "pools6": pools[6],
        "bgp_filter_functions": bgp_filter_functions(bgp_filters, 4),
        "bgp_filter_functions6": bgp_filter_functions(bgp_filters, 6),
        "kernel_metric_lines": _kernel_metric_lines(rules),
        "route_priority": NORMAL_ROUTE_PRIORITY if rules["route_priority"] else None,
        "advertisements": advertisements[4],
        "advertisements6": advertisements[6],
        "password": password or "",
        "pod_block": block4,
        "pod_address": str(next(ipaddress.ip_network(block4).hosts())),
        "pod_block6": block6,
        "pod_address6": str(next(ipaddress.ip_network(block6).hosts())) if block6 else None,
        # The metric Felix gives the IPv4 route to a workload (IPv6 routes get 1024 anyway).
        "pod_route_metric": rules["pod_route_metric"],
    }


class FilterModule(object):
    def filters(self):
        return {"lab_bird_config": lab_bird_config, "lab_pod_block": lab_pod_block}
