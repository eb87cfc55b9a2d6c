"""Junos rack aggregates under ownership (issue 17): the push brings the owned aggregate routes
exactly to the plan and never touches the site's own.

An aggregate route under ``routing-options`` (``aggregate`` for IPv4, ``rib inet6.0 aggregate``
for IPv6) is owned when it names a ``CALICO-*`` policy, as the rendered ones do
(``CALICO-RACK-AGGREGATE``); the site's aggregates name none or their own. The documents come
from the real plan core and Junos renderer; what ``prepare`` loads is applied to the fake
device's configuration (tests/fakes/netconf_server.py, Junos ``load replace`` semantics) to
check the configuration that results. The same through the real NETCONF connection:
tests/integration/tor/test_junos_netconf.py.
"""

from __future__ import annotations

import copy
import os
import sys
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.onprem.calico.plugins.module_utils.junos_tor_config import READ_FILTER, JunosPushError, prepare
from ansible_collections.onprem.calico.plugins.plugin_utils import tor
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from plan_inputs import tor_base

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "fakes"))
from netconf_server import FakeJunos  # noqa: E402  pylint: disable=wrong-import-position

SITE_AGGREGATES = """
    <aggregate>
      <route><name>10.99.0.0/16</name></route>
      <route><name>10.98.0.0/16</name><policy>SITE-AGGREGATE</policy></route>
    </aggregate>
    <rib><name>inet6.0</name><aggregate><route><name>fd00:99::/48</name></route></aggregate></rib>"""
SITE_POLICIES = """
    <policy-statement><name>SITE-AGGREGATE</name><term><name>ALL</name><then><accept/></then></term></policy-statement>
    <policy-statement><name>SITE-OUT</name><term><name>ALL</name><then><accept/></then></term></policy-statement>"""


def junos_plan(index=0, rack_pools=True, dual_stack=False):
    """The plan with tor1 on Junos: rack r1 at ``index`` (r2 at 3), or no rack pools."""
    cluster = {"calico_pod_cidr": "10.244.0.0/16"}
    if dual_stack:
        cluster["calico_pod_cidr_v6"] = "fd00:10:244::/56"
    if rack_pools:
        cluster["calico_rack_pool_prefix_length"] = 22
        if dual_stack:
            cluster["calico_rack_pool_prefix_length_v6"] = 64
    inv = tor_base(**cluster)
    inv.cluster["calico_racks"] = copy.deepcopy(inv.cluster["calico_racks"])
    for rack, rack_index, subnet in (("r1", index, "fd00:1:1::/64"), ("r2", 3, "fd00:1:2::/64")):
        if rack_pools:
            inv.cluster["calico_racks"][rack]["index"] = rack_index
        if dual_stack:
            inv.cluster["calico_racks"][rack]["subnets"].append(subnet)
    if dual_stack:
        for name, host in inv.hosts.items():
            last = host.get("ansible_host", host.get("calico_tor_peer_ip", "")).rsplit(".", 1)[-1]
            rack = 1 if name in ("a1", "a2", "tor1") else 2
            host["calico_tor_peer_ip6" if name.startswith("tor") else "calico_node_ip6"] = "fd00:1:%d::%s" % (rack, last)
    inv.hosts["tor1"].update(calico_tor_platform="junos", ansible_network_os="junipernetworks.junos.junos",
                             ansible_connection="ansible.netcommon.netconf")
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    return result.plan


def junos_document(**plan_options):
    """tor1's rendered Junos document."""
    return next(a.content for a in tor.render(junos_plan(**plan_options), RenderContext()) if a.path.startswith("tor/tor1."))


def device(aggregates="", policies="", groups=""):
    """A Junos router with BGP, the site's own objects and whatever owned ones a run left."""
    return FakeJunos("<configuration><routing-options><router-id>10.255.0.1</router-id>"
                     "<autonomous-system><as-number>65001</as-number></autonomous-system>%s</routing-options>"
                     "<policy-options>%s</policy-options><protocols><bgp>%s</bgp></protocols></configuration>"
                     % (aggregates, policies, groups))


def push_to(fake, document):
    """prepare() against the router's reading, then the load as the device applies it (committed)."""
    reading = ET.tostring(fake.filtered(ET.fromstring(READ_FILTER)), encoding="unicode")
    prepared = prepare(document, reading, "CALICO-", 65001)
    fake.load(ET.fromstring('<load-configuration action="replace" format="xml">%s</load-configuration>'
                            % prepared["config"]))
    fake.commit(ET.Element("commit-configuration"))
    return prepared


def aggregates(fake):
    """{(rib, prefix): [policies]} of every aggregate route on the device."""
    routing = fake.active.find("routing-options")
    found = {}
    for rib, holder in [(None, routing)] + [(r.findtext("name"), r) for r in routing.findall("rib")]:
        for route in holder.findall("aggregate/route"):
            found[(rib, route.findtext("name"))] = [p.text for p in route.findall("policy")]
    return found


def policy_names(fake):
    return sorted(p.findtext("name") for p in fake.active.iterfind("policy-options/policy-statement"))


SITE = {(None, "10.99.0.0/16"): [], (None, "10.98.0.0/16"): ["SITE-AGGREGATE"], ("inet6.0", "fd00:99::/48"): []}


def test_first_push_adds_the_rack_aggregates_beside_the_sites_own():
    fake = device(SITE_AGGREGATES, SITE_POLICIES)
    prepared = push_to(fake, junos_document(dual_stack=True))
    assert prepared["removed"] == []
    assert aggregates(fake) == {**SITE, (None, "10.244.0.0/22"): ["CALICO-RACK-AGGREGATE"],
                                ("inet6.0", "fd00:10:244::/64"): ["CALICO-RACK-AGGREGATE"]}
    assert {"SITE-AGGREGATE", "SITE-OUT", "CALICO-TO-UPLINKS", "CALICO-RACK-AGGREGATE"} <= set(policy_names(fake))


def test_a_second_push_deletes_nothing_and_leaves_the_configuration_as_it_was():
    fake = device(SITE_AGGREGATES, SITE_POLICIES)
    document = junos_document(dual_stack=True)
    push_to(fake, document)
    before = ET.tostring(fake.active, encoding="unicode")
    assert push_to(fake, document)["removed"] == []
    assert ET.tostring(fake.active, encoding="unicode") == before


def test_a_changed_rack_index_replaces_the_owned_aggregate_in_both_families():
    fake = device(SITE_AGGREGATES, SITE_POLICIES)
    push_to(fake, junos_document(index=0, dual_stack=True))
    prepared = push_to(fake, junos_document(index=5, dual_stack=True))
    assert prepared["removed"] == ["routing-options aggregate route 10.244.0.0/22",
                                   "routing-options rib inet6.0 aggregate route fd00:10:244::/64"]
    assert aggregates(fake) == {**SITE, (None, "10.244.20.0/22"): ["CALICO-RACK-AGGREGATE"],
                                ("inet6.0", "fd00:10:244:5::/64"): ["CALICO-RACK-AGGREGATE"]}
    # Only the stale owned routes are named for deletion: the site's are not in the document at all.
    loaded = ET.fromstring(prepared["config"])
    deleted = [r.findtext("name") for r in loaded.iter("route") if r.get("delete") == "delete"]
    assert deleted == ["10.244.0.0/22", "fd00:10:244::/64"]
    assert not {"10.99.0.0/16", "10.98.0.0/16", "fd00:99::/48"} & {r.findtext("name") for r in loaded.iter("route")}


def test_rack_pools_turned_off_remove_every_owned_aggregate_object():
    fake = device(SITE_AGGREGATES, SITE_POLICIES)
    push_to(fake, junos_document(dual_stack=True))
    prepared = push_to(fake, junos_document(rack_pools=False, dual_stack=True))
    assert sorted(prepared["removed"]) == [
        "policy-statement CALICO-RACK-AGGREGATE", "policy-statement CALICO-TO-UPLINKS",
        "routing-options aggregate route 10.244.0.0/22", "routing-options rib inet6.0 aggregate route fd00:10:244::/64"]
    assert aggregates(fake) == SITE
    assert "CALICO-TO-UPLINKS" not in policy_names(fake) and "SITE-AGGREGATE" in policy_names(fake)


def test_an_owned_route_is_recognised_by_its_policy_not_by_its_prefix():
    # A leftover owned route of another rack index, with a second policy the operator added:
    # still owned (it names CALICO-RACK-AGGREGATE), so it goes.
    leftover = ('<aggregate><route><name>10.244.40.0/22</name><policy>CALICO-RACK-AGGREGATE</policy>'
                '<policy>SITE-AGGREGATE</policy></route></aggregate>')
    fake = device(leftover, SITE_POLICIES)
    prepared = push_to(fake, junos_document())
    assert prepared["removed"] == ["routing-options aggregate route 10.244.40.0/22"]
    assert aggregates(fake) == {(None, "10.244.0.0/22"): ["CALICO-RACK-AGGREGATE"]}


def test_a_planned_aggregate_the_site_already_has_is_refused():
    fake = device("<aggregate><route><name>10.244.0.0/22</name><policy>SITE-AGGREGATE</policy></route></aggregate>",
                  SITE_POLICIES)
    reading = ET.tostring(fake.filtered(ET.fromstring(READ_FILTER)), encoding="unicode")
    with pytest.raises(JunosPushError, match=r"already has routing-options aggregate route 10.244.0.0/22 of its own "
                                             r"\(policy SITE-AGGREGATE\), which the collection never replaces"):
        prepare(junos_document(), reading, "CALICO-", 65001)


def test_a_rendered_route_without_an_owned_policy_is_refused():
    document = junos_document().replace("<policy>CALICO-RACK-AGGREGATE</policy>", "<policy>SITE-AGGREGATE</policy>", 1)
    reading = ET.tostring(device().filtered(ET.fromstring(READ_FILTER)), encoding="unicode")
    with pytest.raises(JunosPushError, match="aggregate route 10.244.0.0/22 without a CALICO-\\* policy"):
        prepare(document, reading, "CALICO-", 65001)


def test_the_uplink_export_chain_still_naming_a_stale_policy_stops_before_the_load():
    # The one line of docs/tor.md: the site's uplink group exports CALICO-TO-UPLINKS first.
    uplinks = ("<group><name>SPINE</name><type>external</type><export>CALICO-TO-UPLINKS</export><export>SITE-OUT</export>"
               "<neighbor><name>172.31.0.1</name><peer-as>65100</peer-as></neighbor></group>")
    fake = device(SITE_AGGREGATES, SITE_POLICIES, uplinks)
    push_to(fake, junos_document())
    before = ET.tostring(fake.active, encoding="unicode")
    with pytest.raises(JunosPushError) as refused:
        push_to(fake, junos_document(rack_pools=False))
    message = str(refused.value)
    assert "the plan no longer has CALICO-TO-UPLINKS" in message
    assert "group SPINE export names CALICO-TO-UPLINKS" in message
    assert "delete protocols bgp group <uplinks> export CALICO-TO-UPLINKS" in message
    assert ET.tostring(fake.active, encoding="unicode") == before
    # Once the site has taken the name out of its chain, the same push goes through.
    spine = next(g for g in fake.active.iterfind("protocols/bgp/group") if g.findtext("name") == "SPINE")
    spine.remove(spine.find("export"))
    assert "policy-statement CALICO-TO-UPLINKS" in push_to(fake, junos_document(rack_pools=False))["removed"]
    assert [e.text for e in spine.iter("export")] == ["SITE-OUT"]


def test_uninstall_removes_the_rack_pool_objects_the_removal_document_does_not_name():
    from ansible_collections.onprem.calico.plugins.plugin_utils.tor.removal import removal_config

    fake = device(SITE_AGGREGATES, SITE_POLICIES)
    push_to(fake, junos_document(dual_stack=True))
    prepared = push_to(fake, removal_config(junos_plan(dual_stack=True), "tor1"))
    assert {"policy-statement CALICO-RACK-AGGREGATE", "policy-statement CALICO-TO-UPLINKS", "routing-options aggregate route 10.244.0.0/22",
            "routing-options rib inet6.0 aggregate route fd00:10:244::/64"} <= set(prepared["removed"])
    assert aggregates(fake) == SITE
    assert policy_names(fake) == ["SITE-AGGREGATE", "SITE-OUT"]
    assert [g.findtext("name") for g in fake.active.iterfind("protocols/bgp/group")] == []


def test_uninstall_while_the_site_still_names_an_owned_policy_stops_before_the_load():
    from ansible_collections.onprem.calico.plugins.plugin_utils.tor.removal import removal_config

    # A site policy that matches on the owned AS path: the removal document deletes it by name.
    site_policy = ("<policy-statement><name>SITE-IN</name><term><name>LOCAL</name><from><as-path>CALICO-RACK-LOCAL</as-path>"
                   "</from><then><accept/></then></term></policy-statement>")
    fake = device(SITE_AGGREGATES, SITE_POLICIES + site_policy)
    push_to(fake, junos_document())
    with pytest.raises(JunosPushError, match="policy-statement SITE-IN as-path names CALICO-RACK-LOCAL"):
        push_to(fake, removal_config(junos_plan(), "tor1"))
