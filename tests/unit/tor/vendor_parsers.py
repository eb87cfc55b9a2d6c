"""The vendor collections' own parsers (what ``state: parsed`` runs), called in process.

They are the independent check of the EOS / NX-OS / Junos renderers: our text, read back by
``arista.eos``, ``cisco.nxos`` and ``junipernetworks.junos``, must give the BGP we meant.
"""

from __future__ import annotations

import importlib


class _ParsedModule:
    """The little of AnsibleModule the facts classes use in state parsed (no connection)."""

    params = {"state": "parsed"}

    def __init__(self):
        self.no_log_values = set()

    def fail_json(self, **kwargs):
        raise AssertionError("vendor parser failed: %s" % kwargs.get("msg"))


FACTS = {
    ("eos", "bgp_global"): "arista.eos.plugins.module_utils.network.eos.facts.bgp_global.bgp_global.Bgp_globalFacts",
    ("eos", "prefix_lists"): "arista.eos.plugins.module_utils.network.eos.facts.prefix_lists.prefix_lists.Prefix_listsFacts",
    ("eos", "route_maps"): "arista.eos.plugins.module_utils.network.eos.facts.route_maps.route_maps.Route_mapsFacts",
    ("nxos", "bgp_global"): "cisco.nxos.plugins.module_utils.network.nxos.facts.bgp_global.bgp_global.Bgp_globalFacts",
    ("nxos", "bgp_templates"): "cisco.nxos.plugins.module_utils.network.nxos.facts.bgp_templates.bgp_templates.Bgp_templatesFacts",
    ("nxos", "prefix_lists"): "cisco.nxos.plugins.module_utils.network.nxos.facts.prefix_lists.prefix_lists.Prefix_listsFacts",
    ("nxos", "bgp_address_family"): "cisco.nxos.plugins.module_utils.network.nxos.facts.bgp_address_family.bgp_address_family.Bgp_address_familyFacts",
    ("nxos", "route_maps"): "cisco.nxos.plugins.module_utils.network.nxos.facts.route_maps.route_maps.Route_mapsFacts",
    ("junos", "bgp_global"): "junipernetworks.junos.plugins.module_utils.network.junos.facts.bgp_global.bgp_global.Bgp_globalFacts",
}


def parsed(platform: str, resource: str, text: str):
    """What ``<collection>.<platform>_<resource>`` with ``state: parsed`` returns for ``text``."""
    module_path, class_name = ("ansible_collections." + FACTS[(platform, resource)]).rsplit(".", 1)
    facts_class = getattr(importlib.import_module(module_path), class_name)
    if platform == "junos":
        # The Junos facts read configuration/... below the reply element.
        text = "<rpc-reply>" + text.split("-->", 1)[1].replace("</configuration>", "") + "</configuration></rpc-reply>"
        text = text.replace("<rpc-reply>", "<rpc-reply><configuration>", 1)
    facts = facts_class(_ParsedModule()).populate_facts(None, {"ansible_network_resources": {}}, data=text)
    return facts["ansible_network_resources"].get(resource)
