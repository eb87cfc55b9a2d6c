"""The ToR import BGPFilter (issue 17): derived by the plan core, valid for every release's CRD."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import resources
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from plan_inputs import base, tor_base


def built(inv):
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    return result.plan


def by_kind(rs, kind):
    return {o["metadata"]["name"]: o for o in rs.calico if o["kind"] == kind}


def test_valid_for_every_release_and_named_by_every_tor_peer(release, ctx):
    plan = built(tor_base("downward_default", calico_version=release, calico_asn=64512, calico_bgp_calicoctl_install=False))
    rs = resources.build(plan, ctx)  # validates every object against the release's CRD schema
    (bgp_filter,) = by_kind(rs, "BGPFilter").values()
    assert bgp_filter["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "onprem.calico"
    # downward_default sends the default: it is let in, the pool's routes too, nothing else.
    assert bgp_filter["spec"] == {"importV4": [
        {"action": "Accept", "matchOperator": "In", "cidr": "192.168.0.0/16"},
        {"action": "Accept", "matchOperator": "Equal", "cidr": "0.0.0.0/0"},
        {"action": "Reject"}]}
    peers = by_kind(rs, "BGPPeer")
    assert peers and all(p["spec"]["filters"] == ["onprem-calico-tor-import"] for p in peers.values())


def test_as_per_rack_lets_no_default_in_unless_sent():
    plan = built(tor_base())
    assert plan["bgp"]["tor_import_filter"]["import_v4"] == [
        {"action": "Accept", "matchOperator": "In", "cidr": "192.168.0.0/16"}, {"action": "Reject"}]
    sent = built(tor_base(calico_tor_send_default=True))["bgp"]["tor_import_filter"]["import_v4"]
    assert {"action": "Accept", "matchOperator": "Equal", "cidr": "0.0.0.0/0"} in sent


def test_rack_pools_and_disabled_pools_are_all_let_in():
    inv = tor_base(calico_pod_cidr="10.244.0.0/16", calico_rack_pool_prefix_length=22,
                   calico_rack_pools_previous_cidr="172.16.0.0/16")
    inv.cluster["calico_racks"] = copy.deepcopy(inv.cluster["calico_racks"])
    inv.cluster["calico_racks"]["r1"]["index"] = 0
    inv.cluster["calico_racks"]["r2"]["index"] = 1
    rules = built(inv)["bgp"]["tor_import_filter"]["import_v4"]
    # The previous pool's blocks hold pods until the migration ends; every rack's pool (both racks'
    # /22s, collapsed into one /21) arrives too.
    assert [r.get("cidr") for r in rules] == ["10.244.0.0/21", "172.16.0.0/16", None]


@pytest.mark.parametrize("mode", ["full_mesh", "route_reflectors"])
def test_no_filter_without_tor_peers(mode):
    inv = base(calico_bgp_mode=mode)
    if mode == "route_reflectors":
        inv.groups["calico_route_reflectors"] = ["n01"]
        inv.hosts["n01"]["calico_route_reflector_cluster_id"] = "244.0.0.1"
    assert built(inv)["bgp"]["tor_import_filter"] is None


def test_dual_stack_filters_both_families(ctx):
    inv = tor_base(calico_pod_cidr_v6="fd00:10:244::/56")
    for rack, i in (("r1", 1), ("r2", 2)):
        inv.cluster["calico_racks"][rack]["subnets"] = inv.cluster["calico_racks"][rack]["subnets"] + ["fd00:1:%d::/64" % i]
    for name, hv in inv.hosts.items():
        last = hv.get("ansible_host", hv.get("calico_tor_peer_ip", "")).rsplit(".", 1)[-1]
        rack = 1 if name in ("a1", "a2", "tor1") else 2
        hv["calico_tor_peer_ip6" if name.startswith("tor") else "calico_node_ip6"] = "fd00:1:%d::%s" % (rack, last)
    rs = resources.build(built(inv), ctx)
    spec = by_kind(rs, "BGPFilter")["onprem-calico-tor-import"]["spec"]
    assert spec["importV6"] == [{"action": "Accept", "matchOperator": "In", "cidr": "fd00:10:244::/56"}, {"action": "Reject"}]
