"""The owned configuration of a router with every Calico object taken away (uninstall).

The push paths replace the owned objects on the router with the rendered ones; given this
text instead, they remove them and touch nothing else:

- FRR and EOS / NX-OS: the ``router bgp <asn>`` context alone. The merge removes every owned
  neighbour, peer group, listen range, prefix list, route map and AS-path list. On FRR the
  router-wide lines the plan decided (router id, graceful-restart timers) stay as they are:
  they govern the uplinks too, and changing the router id would reset every session. EOS and
  NX-OS pushes never send those lines in the first place.
- Junos: the same objects ``render_junos`` writes for this router, each marked
  ``delete="delete"``. The push deletes every other owned object on the router too, as ones
  the plan no longer has: the rack-pool policies and the aggregate routes naming a
  ``CALICO-*`` policy (the only part of ``routing-options`` the collection owns).
"""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils.tor.common import uses_rack_local
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.frr import router_lines
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import TorModel, build_model

FRR_KEPT_ROUTER_LINES = (" bgp router-id ", " bgp graceful-restart ")


def _frr(model: TorModel) -> str:
    kept = [line for line in router_lines(model) if line.startswith(FRR_KEPT_ROUTER_LINES)]
    return "\n".join([f"router bgp {model.asn}"] + kept + ["exit", ""])


def _cli(model: TorModel) -> str:
    return f"router bgp {model.asn}\n"


def _junos_delete(tag: str, name: str, indent: int) -> list[str]:
    pad = "  " * indent
    return [f'{pad}<{tag} delete="delete">', f"{pad}  <name>{name}</name>", f"{pad}</{tag}>"]


def _junos(model: TorModel) -> str:
    names = model.names
    policies = _junos_delete("policy-statement", names.import_policy, 2)
    policies += _junos_delete("policy-statement", names.export_policy, 2)
    if uses_rack_local(model):
        policies += _junos_delete("as-path", names.rack_local, 2)
    if model.neighbor_mode == "listen_range" and not model.ibgp:
        policies += _junos_delete("as-list", names.node_asns, 2)
    groups = []
    for family in model.families:
        groups += _junos_delete("group", names.group(family), 3)
    out = ["<configuration>", f"  <!-- {model.name}: onprem.calico uninstall, owned objects deleted -->"]
    # Groups first: they reference the policies.
    out += ["  <protocols>", "    <bgp>"] + groups + ["    </bgp>", "  </protocols>"]
    out += ["  <policy-options>"] + policies + ["  </policy-options>", "</configuration>", ""]
    return "\n".join(out)


REMOVERS = {"frr": _frr, "eos": _cli, "nxos": _cli, "junos": _junos}


def removal_config(plan, router_name: str) -> str:
    """What the push of ``router_name`` sends so that no Calico object is left on it."""
    # Nothing removed carries the password: removing needs none.
    model = build_model(dict(plan["tor_routers"][router_name], password_enabled=False))
    return REMOVERS[model.platform](model)
