"""Juniper Junos: the configuration elements each design needs, read back as XML.

Expected statements from the Junos "BGP User Guide" (group ``type internal|external``,
``cluster`` makes the group's peers reflector clients, ``peer-as`` per neighbour, ``allow`` for
dynamic peers with ``peer-as-list`` for eBGP, ``multipath multiple-as``, ``hold-time``,
``family inet|inet6 unicast prefix-limit maximum N teardown``) and the "Routing Policies"
guide (``route-filter <prefix> exact | prefix-length-range /a-/b``, ``as-path`` lists whose
regular expression ``()`` is the empty path, ``policy-options as-list members a-b``,
``then next-hop self``, ``routing-options aggregate route`` and ``rib inet6.0 aggregate``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from design_render import PASSWORD, POOL_V6, one_rack_plan, rendered_lines

from ansible_collections.onprem.calico.plugins.plugin_utils import tor


def configuration(design, aggregates=(), **options):
    return ET.fromstring("\n".join(rendered_lines(design, "junos", aggregates, **options)))


def match_text(element):
    """A route filter or from-condition as one short string, e.g. 'route-filter 10.0.0.0/8 /8-/32'."""
    if element.tag == "route-filter":
        kind = element[1]
        return f"route-filter {element.findtext('address')} {'exact' if kind.tag == 'exact' else kind.text}"
    return f"{element.tag} {element.text}"


def then_text(element):
    return "next-hop self" if element.tag == "next-hop" and element.find("self") is not None else element.tag


def policy(config, name):
    """[(term, [from conditions], [actions])] of a policy statement, in order."""
    statements = [p for p in config.iter("policy-statement") if p.findtext("name") == name]
    assert len(statements) == 1, name
    out = []
    for term in statements[0].findall("term"):
        conditions = term.find("from")
        out.append((term.findtext("name"), [match_text(e) for e in conditions] if conditions is not None else [],
                    [then_text(e) for e in term.find("then")]))
    return out


def groups(config):
    return {g.findtext("name"): g for g in config.find("protocols/bgp").findall("group")}


def neighbours(group):
    return [(n.findtext("name"), n.findtext("description"), n.findtext("peer-as")) for n in group.findall("neighbor")]


REJECT_REST = ("REJECT-REST", [], ["reject"])


def test_as_per_rack_groups_are_internal_reflector_clusters_of_explicit_neighbours():
    config = configuration("as_per_rack", pool_v6=POOL_V6, password=True)
    by_name = groups(config)
    assert list(by_name) == ["CALICO-NODES", "CALICO-NODES-V6"]
    for name, family, members in (("CALICO-NODES", "inet", [("10.0.1.11", "node11", None), ("10.0.1.12", "node12", None)]),
                                  ("CALICO-NODES-V6", "inet6", [("fd00:0:1::b", "node11", None), ("fd00:0:1::c", "node12", None)])):
        group = by_name[name]
        assert group.findtext("type") == "internal"
        assert group.findtext("cluster") == "10.255.0.1"
        assert group.findtext("import") == "CALICO-FROM-NODES" and group.findtext("export") == "CALICO-TO-NODES"
        assert group.findtext("authentication-key") == PASSWORD and group.findtext("hold-time") == "9"
        assert list(group.find("multipath")) == []  # one AS: no multiple-as
        assert group.findtext(f"family/{family}/unicast/prefix-limit/maximum") == "12000"
        assert group.find(f"family/{family}/unicast/prefix-limit/teardown") is not None
        assert neighbours(group) == members
        assert group.find("allow") is None and group.find("peer-as-list") is None
    assert by_name["CALICO-NODES-V6"].findtext("description") == "Calico nodes of rack r1 (IPv6)"


def test_as_per_rack_export_keeps_the_node_next_hop_only_for_reflected_blocks():
    config = configuration("as_per_rack", pool_v6=POOL_V6, send_default=True)
    v4_blocks = "route-filter 192.168.0.0/16 /26-/32"
    v6_blocks = "route-filter fd00:10:244::/56 /122-/128"
    assert policy(config, "CALICO-TO-NODES") == [
        ("RACK-POOL-BLOCKS-V4", ["family inet", "as-path CALICO-RACK-LOCAL", v4_blocks], ["accept"]),
        ("POOL-BLOCKS-V4", ["family inet", v4_blocks], ["next-hop self", "accept"]),
        ("DEFAULT-V4", ["family inet", "route-filter 0.0.0.0/0 exact"], ["next-hop self", "accept"]),
        ("RACK-POOL-BLOCKS-V6", ["family inet6", "as-path CALICO-RACK-LOCAL", v6_blocks], ["accept"]),
        ("POOL-BLOCKS-V6", ["family inet6", v6_blocks], ["next-hop self", "accept"]),
        ("DEFAULT-V6", ["family inet6", "route-filter ::/0 exact"], ["next-hop self", "accept"]),
        REJECT_REST,
    ]
    as_paths = config.findall("policy-options/as-path")
    assert [(a.findtext("name"), a.findtext("path")) for a in as_paths] == [("CALICO-RACK-LOCAL", "()")]


def test_import_accepts_the_pool_blocks_and_service_ranges_per_family():
    config = configuration("as_per_node", pool_v6=POOL_V6)
    assert policy(config, "CALICO-FROM-NODES") == [
        ("CALICO-NODE-PREFIXES-V4", ["family inet", "route-filter 192.168.0.0/16 /26-/32", "route-filter 10.96.0.0/12 /12-/32"],
         ["accept"]),
        ("CALICO-NODE-PREFIXES-V6", ["family inet6", "route-filter fd00:10:244::/56 /122-/128"], ["accept"]),
        REJECT_REST,
    ]


def test_as_per_node_groups_are_external_with_each_node_as_and_multiple_as_multipath():
    config = configuration("as_per_node", pool_v6=POOL_V6)
    by_name = groups(config)
    assert neighbours(by_name["CALICO-NODES"]) == [("10.0.1.11", "node11", "65011"), ("10.0.1.12", "node12", "65012")]
    assert neighbours(by_name["CALICO-NODES-V6"]) == [("fd00:0:1::b", "node11", "65011"), ("fd00:0:1::c", "node12", "65012")]
    for group in by_name.values():
        assert group.findtext("type") == "external" and group.find("cluster") is None
        assert [child.tag for child in group.find("multipath")] == ["multiple-as"]
        assert group.find("authentication-key") is None
    # eBGP changes the next hop by itself: no next-hop term, no AS-path list.
    assert policy(config, "CALICO-TO-NODES") == [
        ("POOL-BLOCKS-V4", ["family inet", "route-filter 192.168.0.0/16 /26-/32"], ["accept"]),
        ("POOL-BLOCKS-V6", ["family inet6", "route-filter fd00:10:244::/56 /122-/128"], ["accept"]),
        REJECT_REST,
    ]
    assert config.find("policy-options/as-path") is None


def test_downward_default_sends_only_the_default_learned_from_the_uplinks():
    config = configuration("downward_default", pool_v6=POOL_V6)
    assert policy(config, "CALICO-TO-NODES") == [
        ("DEFAULT-V4", ["family inet", "route-filter 0.0.0.0/0 exact"], ["accept"]),
        ("DEFAULT-V6", ["family inet6", "route-filter ::/0 exact"], ["accept"]),
        REJECT_REST,
    ]
    assert neighbours(groups(config)["CALICO-NODES"]) == [("10.0.1.11", "node11", "64512"), ("10.0.1.12", "node12", "64512")]


def test_ibgp_dynamic_peers_are_allowed_per_family_without_an_as_list():
    config = configuration("as_per_rack", neighbor_mode="listen_range", pool_v6=POOL_V6)
    by_name = groups(config)
    assert [a.text for a in by_name["CALICO-NODES"].findall("allow")] == ["10.0.1.0/24"]
    assert [a.text for a in by_name["CALICO-NODES-V6"].findall("allow")] == ["fd00:0:1::/64"]
    for group in by_name.values():
        assert group.find("peer-as-list") is None and group.find("neighbor") is None
        assert group.findtext("type") == "internal"
    assert config.find("policy-options/as-list") is None


def test_ebgp_dynamic_peers_must_come_from_the_rack_node_as_range():
    config = configuration("as_per_node", neighbor_mode="listen_range")
    as_lists = config.findall("policy-options/as-list")
    assert [(a.findtext("name"), a.findtext("members"), a.get("replace")) for a in as_lists] == [
        ("CALICO-NODES-ASNS", "65011-65012", "replace")]
    group = groups(config)["CALICO-NODES"]
    assert group.findtext("peer-as-list") == "CALICO-NODES-ASNS"
    assert [a.text for a in group.findall("allow")] == ["10.0.1.0/24"]


def test_rack_pool_aggregates_are_routing_options_routes_with_the_owned_policy():
    config = configuration("as_per_rack", aggregates=("192.168.0.0/22", "fd00:10:244::/60"), pool_v6=POOL_V6)
    v4_routes = config.findall("routing-options/aggregate/route")
    assert [(r.findtext("name"), r.findtext("policy"), r.get("replace")) for r in v4_routes] == [
        ("192.168.0.0/22", "CALICO-RACK-AGGREGATE", "replace")]
    rib = config.find("routing-options/rib")
    assert rib.findtext("name") == "inet6.0"
    assert [(r.findtext("name"), r.findtext("policy")) for r in rib.findall("aggregate/route")] == [
        ("fd00:10:244::/60", "CALICO-RACK-AGGREGATE")]
    assert policy(config, "CALICO-TO-UPLINKS") == [
        ("RACK-AGGREGATE-V4-10", ["family inet", "protocol aggregate", "route-filter 192.168.0.0/22 exact"], ["accept"]),
        ("RACK-SPECIFICS-V4-10", ["family inet", "route-filter 192.168.0.0/22 /23-/32"], ["reject"]),
        ("RACK-AGGREGATE-V6-10", ["family inet6", "protocol aggregate", "route-filter fd00:10:244::/60 exact"], ["accept"]),
        ("RACK-SPECIFICS-V6-10", ["family inet6", "route-filter fd00:10:244::/60 /61-/128"], ["reject"]),
    ]
    assert policy(config, "CALICO-RACK-AGGREGATE") == [
        ("CONTRIBUTORS-V4-10", ["family inet", "route-filter 192.168.0.0/22 /23-/32"], ["accept"]),
        ("CONTRIBUTORS-V6-10", ["family inet6", "route-filter fd00:10:244::/60 /61-/128"], ["accept"]),
        REJECT_REST,
    ]


def test_ipv6_only_aggregate_renders_no_ipv4_aggregate_container():
    config = configuration("as_per_rack", aggregates=("fd00:10:244::/60",), pool_v6=POOL_V6)
    assert config.find("routing-options/aggregate") is None
    assert config.find("routing-options/rib/aggregate/route/name").text == "fd00:10:244::/60"


def test_without_aggregates_there_is_no_uplink_policy_and_no_routing_options():
    config = configuration("as_per_rack")
    assert config.find("routing-options") is None
    names = [p.findtext("name") for p in config.iter("policy-statement")]
    assert names == ["CALICO-FROM-NODES", "CALICO-TO-NODES"]


def test_every_element_is_indented_two_spaces_per_level():
    # The artifact is read and diffed by people (and the push prints it): a consistent layout,
    # one element per line, two spaces per nesting level, in every design.
    for design, options in (("as_per_rack", {"pool_v6": POOL_V6, "password": True, "send_default": True}),
                            ("as_per_node", {"neighbor_mode": "listen_range", "pool_v6": POOL_V6}),
                            ("as_per_node", {}), ("downward_default", {})):
        lines = rendered_lines(design, "junos", ("192.168.0.0/22", "fd00:10:244::/60"), **options)
        assert lines[0] == "<configuration>" and lines[-1] == "</configuration>"
        depth = 0
        body = lines[lines.index("  -->") + 1:-1]
        for line in body:
            closing = line.lstrip().startswith("</")
            depth -= closing
            assert line == "  " * (depth + 1) + line.lstrip(), (design, line)
            opens = not closing and not line.endswith("/>") and "</" not in line
            depth += opens
        assert depth == 0


def test_text_with_xml_special_characters_is_escaped():
    # A password may hold any character; NETCONF must receive it as text, not as markup.
    password = 'a<b>&"c'
    text = tor.router_config(one_rack_plan("as_per_rack", "junos", password=True), "tor1", password)
    assert '<authentication-key>a&lt;b&gt;&amp;"c</authentication-key>' in text
    assert groups(ET.fromstring(text))["CALICO-NODES"].findtext("authentication-key") == password


def test_cluster_needs_both_reflector_clients_and_a_cluster_id():
    # Junos makes a group's peers reflector clients with "cluster <id>": without an id there is
    # nothing to render, and an id alone (no reflection planned) must not turn reflection on.
    for client, cluster_id in ((True, None), (False, "10.255.0.1")):
        plan = one_rack_plan("as_per_rack", "junos")
        plan["tor_routers"]["tor1"].update(route_reflector_client=client, cluster_id=cluster_id)
        config = ET.fromstring(tor.router_config(plan, "tor1"))
        assert groups(config)["CALICO-NODES"].find("cluster") is None, (client, cluster_id)


def test_each_rack_pool_of_a_family_gets_its_own_aggregate_route():
    config = configuration("as_per_rack", aggregates=("192.168.0.0/22", "192.168.8.0/22"))
    assert [r.findtext("name") for r in config.findall("routing-options/aggregate/route")] == ["192.168.0.0/22", "192.168.8.0/22"]
    assert [t[0] for t in policy(config, "CALICO-TO-UPLINKS")] == [
        "RACK-AGGREGATE-V4-10", "RACK-SPECIFICS-V4-10", "RACK-AGGREGATE-V4-20", "RACK-SPECIFICS-V4-20"]


def test_load_replace_swaps_each_owned_object_whole_and_merges_the_containers():
    # load-configuration action="replace" replaces only elements marked replace="replace": every
    # owned object (so a stale term or neighbour goes), never a container the site shares.
    config = configuration("as_per_node", aggregates=("192.168.0.0/22", "fd00:10:244::/60"), neighbor_mode="listen_range",
                           pool_v6=POOL_V6)
    marked = [(e.tag, e.findtext("name")) for e in config.iter() if e.get("replace") == "replace"]
    assert marked == [
        ("policy-statement", "CALICO-FROM-NODES"), ("policy-statement", "CALICO-TO-NODES"), ("as-list", "CALICO-NODES-ASNS"),
        ("policy-statement", "CALICO-TO-UPLINKS"), ("policy-statement", "CALICO-RACK-AGGREGATE"),
        ("route", "192.168.0.0/22"), ("route", "fd00:10:244::/60"),
        ("group", "CALICO-NODES"), ("group", "CALICO-NODES-V6"),
    ]
