"""Pieces every vendor renderer shares: prefix-list entries and the header comment."""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import TorModel


def prefix_entries(model: TorModel):
    """[(family, list name, seq, 'prefix[ ge N][ le M]')] of the inbound filter and default-only lists."""
    out = []
    for family, rules, name in ((4, model.accept_v4, model.names.accept_v4),
                                (6, model.accept_v6, model.names.accept_v6)):
        for rule in rules:
            text = rule.prefix
            if rule.ge is not None:
                text += f" ge {rule.ge}"
            if rule.le is not None:
                text += f" le {rule.le}"
            out.append((family, name, rule.seq, text))
    if model.send_default_only:
        out.append((4, model.names.default_v4, 10, "0.0.0.0/0"))
        if 6 in model.families:
            out.append((6, model.names.default_v6, 10, "::/0"))
    return out


def header(model: TorModel, comment: str) -> list[str]:
    return [
        f"{comment} {model.name} ({model.platform}): Calico peering for rack {model.rack_label} ({model.design})",
        f"{comment} rendered by onprem.calico; objects named {model.object_prefix}* and the node neighbours are",
        f"{comment} owned by the collection, everything else on the router is left alone.",
    ]


def listen_asn_range(model: TorModel) -> tuple[int, int]:
    """Lowest and highest node AS of the rack, for eBGP listen ranges (a dynamic peer's AS)."""
    asns = [n.asn for n in model.neighbors] or [model.asn]
    return min(asns), max(asns)


def route_map_lines(model: TorModel, indent: str, closing: tuple[str, ...] = ()) -> list[str]:
    """The import and export route maps, in the syntax FRR, EOS and NX-OS share.

    ``indent`` is the indentation of match lines; ``closing`` ends each entry (FRR: "exit").
    Without a default-only policy the export map permits everything: FRR 8 sends nothing on
    eBGP without one.
    """
    names = model.names

    def route_map(policy, lists):
        out, seq = [], 10
        for family, list_name in lists:
            if family in model.families:
                keyword = "ip" if family == 4 else "ipv6"
                out += [f"route-map {policy} permit {seq}", f"{indent}match {keyword} address prefix-list {list_name}", *closing]
                seq += 10
        return out

    lines = route_map(names.import_policy, ((4, names.accept_v4), (6, names.accept_v6)))
    if model.send_default_only:
        lines += route_map(names.export_policy, ((4, names.default_v4), (6, names.default_v6)))
    else:
        lines += [f"route-map {names.export_policy} permit 10", *closing]
    return lines


def prefix_list_and_route_map_lines(model: TorModel, indent: str) -> list[str]:
    """EOS / NX-OS prefix lists followed by the route maps."""
    lines = []
    for family, name, seq, text in prefix_entries(model):
        keyword = "ip" if family == 4 else "ipv6"
        lines.append(f"{keyword} prefix-list {name} seq {seq} permit {text}")
    return lines + route_map_lines(model, indent)
