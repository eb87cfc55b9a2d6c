"""Juniper Junos: ``junipernetworks.junos.junos_bgp_global`` config plus Junos XML for the rest.

The resource module (junipernetworks.junos 11) renders the group's type, export policy, hold
time, listen range (``allow``) and neighbours. The template carries what it drops or renders
wrongly: the local AS and router id (routing-options), the import policy (rendered as a Python
list), ``cluster`` (Junos's route-reflector setting: there is no route-reflector-client
keyword), ``multipath``, graceful restart, the authentication key (masked by the module), the
prefix limit, the default route towards nodes, and the policy statements.

Both parts are Junos XML inside one ``<configuration>``: the artifact is loaded with
``junipernetworks.junos.junos_config`` (``src_format: xml``) under ``confirm``.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from ansible_collections.onprem.calico.plugins.plugin_utils.tor.common import header, listen_asn_range
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import TorModel

MODULE = "junipernetworks.junos.junos_bgp_global"
CONFIG_MODULE = "junipernetworks.junos.junos_config"
NETWORK_OS = "junipernetworks.junos.junos"


def resource_config(model: TorModel) -> dict:
    group = {"name": model.names.peer_group, "type": "internal" if model.ibgp else "external",
             "description": f"Calico nodes of rack {model.rack_label}",
             "export": model.names.export_policy, "hold_time": model.hold}
    if model.neighbor_mode == "listen_range":
        group["allow"] = [model.listen_prefix]
    else:
        group["neighbors"] = []
        for node in model.neighbors:
            entry = {"neighbor_address": node.ip, "description": node.node}
            if not model.ibgp:
                entry["peer_as"] = str(node.asn)
            group["neighbors"].append(entry)
    return {"as_number": str(model.asn), "groups": [group]}


def _el(tag, text=None, children=(), indent=0):
    pad = "  " * indent
    if text is not None:
        return [f"{pad}<{tag}>{escape(str(text))}</{tag}>"]
    if not children:
        return [f"{pad}<{tag}/>"]
    return [f"{pad}<{tag}>"] + list(children) + [f"{pad}</{tag}>"]


def template_xml(model: TorModel) -> str:
    names = model.names
    policy = []
    # Junos route filters: "<prefix> prefix-length-range /ge-/le" or "orlonger" / "exact".
    terms = []
    for family, rules, list_name in ((4, model.accept_v4, names.accept_v4), (6, model.accept_v6, names.accept_v6)):
        filters = []
        for rule in rules:
            length = int(rule.prefix.split("/")[1])
            low = rule.ge if rule.ge is not None else length
            high = rule.le if rule.le is not None else length
            filters.append(_el("route-filter", children=_el("address", rule.prefix, indent=6) + (
                _el("exact", indent=6) if low == high == length
                else _el("prefix-length-range", f"/{low}-/{high}", indent=6)), indent=5))
        if filters:
            terms += _el("term", children=_el("name", list_name, indent=4)
                         + _el("from", children=_el("family", "inet" if family == 4 else "inet6", indent=5) + sum(filters, []), indent=4)
                         + _el("then", children=_el("accept", indent=5), indent=4), indent=3)
    terms += _el("term", children=_el("name", "REJECT-REST", indent=4)
                 + _el("then", children=_el("reject", indent=5), indent=4), indent=3)
    policy += _el("policy-statement", children=_el("name", names.import_policy, indent=3) + terms, indent=2)
    if model.send_default_only:
        out_terms = []
        for family in model.families:
            default = "0.0.0.0/0" if family == 4 else "::/0"
            out_terms += _el("term", children=_el("name", f"DEFAULT-V{family}", indent=4)
                             + _el("from", children=_el("route-filter", children=_el("address", default, indent=6)
                                                        + _el("exact", indent=6), indent=5), indent=4)
                             + _el("then", children=_el("accept", indent=5), indent=4), indent=3)
        out_terms += _el("term", children=_el("name", "REJECT-REST", indent=4)
                         + _el("then", children=_el("reject", indent=5), indent=4), indent=3)
    else:
        out_terms = _el("term", children=_el("name", "ALL", indent=4)
                        + _el("then", children=_el("accept", indent=5), indent=4), indent=3)
    policy += _el("policy-statement", children=_el("name", names.export_policy, indent=3) + out_terms, indent=2)
    dynamic_ebgp = model.neighbor_mode == "listen_range" and not model.ibgp
    if dynamic_ebgp:
        # Dynamic eBGP peers each bring their own AS: accept the rack's node AS range.
        low, high = listen_asn_range(model)
        policy += _el("as-list", children=_el("name", f"{names.peer_group}-ASNS", indent=3)
                      + _el("members", f"{low}-{high}", indent=3), indent=2)

    group = _el("name", names.peer_group, indent=4)
    group += _el("import", names.import_policy, indent=4)
    if dynamic_ebgp:
        group += _el("peer-as-list", f"{names.peer_group}-ASNS", indent=4)
    if model.route_reflector_client and model.cluster_id:
        group += _el("cluster", model.cluster_id, indent=4)
    group += _el("multipath", children=_el("multiple-as", indent=5) if not model.ibgp else (), indent=4)
    if model.password:
        group += _el("authentication-key", model.password, indent=4)
    for family in model.families:
        group += _el("family", children=_el("inet" if family == 4 else "inet6", children=_el(
            "unicast", children=_el("prefix-limit", children=_el("maximum", model.maximum_prefix, indent=8)
                                    + _el("teardown", indent=8), indent=7), indent=6), indent=5), indent=4)
    routing = _el("router-id", model.router_id, indent=2) + _el("autonomous-system", children=_el(
        "as-number", model.asn, indent=3), indent=2)
    routing += _el("graceful-restart", children=_el("restart-duration", model.restart_time, indent=3), indent=2)
    if model.default_originate:
        # Junos has no per-group default-originate: a discard default route in the table,
        # sent to the nodes by the export policy, does the same.
        default_route = _el("route", children=_el("name", "0.0.0.0/0", indent=4) + _el("discard", indent=4), indent=3)
        routing += _el("static", children=default_route, indent=2)
    bgp = _el("bgp", children=_el("graceful-restart", children=_el("stale-routes-time", model.stalepath_time, indent=4), indent=3)
              + _el("group", children=group, indent=3), indent=2)
    out = (_el("routing-options", children=routing, indent=1)
           + _el("policy-options", children=policy, indent=1)
           + _el("protocols", children=bgp, indent=1))
    return "\n".join(out) + "\n"


def vendor_config(model: TorModel) -> dict:
    return {
        "platform": "junos",
        "network_os": NETWORK_OS,
        "resources": [{"module": MODULE, "config": resource_config(model)}],
        "template": template_xml(model),
        "template_module": CONFIG_MODULE,
        "comment": None,
        "header": header(model, ""),
    }
