"""Per-rack pools and the pool exhaustion forecast (issue 17), through the plan core."""

import copy

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.pools import _tunnel_addresses, forecast_figures
from plan_inputs import base, tor_base


def plan_of(inv):
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    return result


def pools_by_name(plan):
    return {p["name"]: p for p in plan["ip_pools"]}


def racked(**cluster):
    """The two-rack ToR cluster with rack indexes 0 and 3."""
    inv = tor_base(calico_pod_cidr="10.244.0.0/16", **cluster)
    inv.cluster["calico_racks"] = copy.deepcopy(inv.cluster["calico_racks"])
    inv.cluster["calico_racks"]["r1"]["index"] = 0
    inv.cluster["calico_racks"]["r2"]["index"] = 3
    return inv


# --- forecast arithmetic ------------------------------------------------------------------


def pool(cidr, block, family=4, ipip="Never", vxlan="Never", name="p"):
    return {"name": name, "cidr": cidr, "block_size": block, "family": family, "ipip_mode": ipip, "vxlan_mode": vxlan}


@pytest.mark.parametrize(
    "entry, wireguard, tunnels",
    [
        (pool("10.0.0.0/16", 26, ipip="Always"), False, 1),
        (pool("10.0.0.0/16", 26, ipip="CrossSubnet"), False, 1),
        (pool("10.0.0.0/16", 26, vxlan="Always"), False, 1),
        (pool("fd00::/64", 122, family=6, vxlan="CrossSubnet"), False, 1),
        (pool("10.0.0.0/16", 26), False, 0),
        (pool("fd00::/64", 122, family=6), False, 0),
        (pool("10.0.0.0/16", 26, vxlan="Always"), True, 2),
        (pool("fd00::/64", 122, family=6), True, 1),
    ],
)
def test_tunnel_addresses_per_encapsulation(entry, wireguard, tunnels):
    assert _tunnel_addresses(entry, wireguard) == tunnels


def test_need_is_rounded_up_to_whole_blocks_per_node():
    nodes = frozenset(["a", "b", "c"])
    # 64 pods fill one /26; the IPIP tunnel address needs a second block.
    plain = forecast_figures([pool("10.0.0.0/22", 26)], nodes, 64, False)
    assert (plain["blocks_per_node"], plain["needed"], plain["capacity"]) == (1, 192, 1024)
    tunnelled = forecast_figures([pool("10.0.0.0/22", 26, ipip="Always")], nodes, 64, False)
    assert (tunnelled["addresses_per_node"], tunnelled["blocks_per_node"], tunnelled["needed"]) == (65, 2, 384)
    assert tunnelled["percent"] == 37.5


def test_ipv6_figures():
    # 110 pods + the VXLAN-v6 tunnel address = 111: two /122 blocks (64 addresses each) per node.
    figures = forecast_figures([pool("fd00:10::/120", 122, family=6, vxlan="Always")], frozenset(["a", "b"]), 110, False)
    assert figures == {
        "nodes": 2, "addresses_per_node": 111, "blocks_per_node": 2, "block_size": 122,
        "needed": 256, "capacity": 256, "percent": 100.0, "pools": ["p"],
    }
    big = forecast_figures([pool("fd00:10::/56", 122, family=6)], frozenset(["a"]), 110, False)
    assert big["capacity"] == 2 ** 72 and big["percent"] == 0.0


# --- forecast in preflight: the 80 % and 100 % edges ---------------------------------------

# Two all() pools serve the same nodes and share the need: 256 + 64 = 320 addresses. With 63 pods
# and the IPIP tunnel address every node needs exactly one /26 block (64 addresses).
SHARED_POOLS = [{"name": "big", "cidr": "10.244.0.0/24"}, {"name": "small", "cidr": "10.244.1.0/26"}]


def shared(nodes):
    return base(nodes=nodes, calico_pod_cidr="10.244.0.0/16", calico_ip_pools=SHARED_POOLS, calico_max_pods_per_node=63)


def test_exactly_80_percent_is_quiet():
    result = plan_of(shared(4))  # 4 x 64 = 256 of 320
    assert result.warnings == []
    figures = pools_by_name(result.plan)["big"]["forecast"]
    assert (figures["needed"], figures["capacity"], figures["percent"], figures["pools"]) == (256, 320, 80.0, ["big", "small"])
    assert pools_by_name(result.plan)["small"]["forecast"] == figures


def test_exactly_100_percent_warns_naming_pools_figures_and_fix():
    result = plan_of(shared(5))  # 5 x 64 = 320 of 320
    (warning,) = [str(w) for w in result.warnings]
    assert warning.startswith("calico_ip_pools[big]: pools big (10.244.0.0/24), small (10.244.1.0/26)")
    assert "5 node(s) can need 320 addresses" in warning and "100.0 % of the 320" in warning
    assert "1 block(s) of /26 each for 63 pods and 1 tunnel address(es)" in warning
    assert "a larger cidr for calico_ip_pools[big]" in warning and "calico_max_pods_per_node" in warning


def test_above_100_percent_fails():
    result = build_plan(shared(6))  # 384 of 320
    assert result.plan is None
    (error,) = [str(e) for e in result.errors]
    assert "6 node(s) can need 384 addresses" in error and "120.0 % of the 320 it holds: pods will find no address." in error


def test_default_pool_forecast_names_the_pod_cidr():
    result = build_plan(base(nodes=8, calico_pod_cidr="10.244.0.0/24"))
    (error,) = [str(e) for e in result.errors]
    assert error.startswith("calico_pod_cidr: pool default-ipv4-ippool (10.244.0.0/24): its 8 node(s) can need 1024 addresses")
    assert "a larger calico_pod_cidr" in error


def test_disabled_pools_and_hand_written_selectors_get_no_forecast():
    pools = [
        {"name": "old", "cidr": "10.244.0.0/24", "disabled": True},
        {"name": "gpu", "cidr": "10.244.1.0/24", "node_selector": "gpu == 'true'"},
        {"name": "main", "cidr": "10.244.64.0/18"},
    ]
    plan = plan_of(base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=pools)).plan
    by_name = pools_by_name(plan)
    assert by_name["old"]["forecast"] is None and by_name["gpu"]["forecast"] is None
    assert by_name["main"]["forecast"]["nodes"] == 4


# --- rack pools ---------------------------------------------------------------------------


def test_rack_pools_are_carved_by_index_and_select_the_rack():
    result = plan_of(racked(calico_rack_pool_prefix_length=22))
    plan = result.plan
    assert [(p["name"], p["cidr"], p["node_selector"], p["racks"], p["origin"]) for p in plan["ip_pools"]] == [
        ("rack-r1-ipv4", "10.244.0.0/22", "onprem.calico/rack in {'r1'}", ["r1"], "rack"),
        ("rack-r2-ipv4", "10.244.12.0/22", "onprem.calico/rack in {'r2'}", ["r2"], "rack"),
    ]
    # No all() pool: calico-node creates none.
    assert plan["manifest"]["no_default_pools"] is True
    assert plan["racks"]["r2"]["index"] == 3
    assert pools_by_name(plan)["rack-r1-ipv4"]["forecast"]["nodes"] == 2
    assert plan["rack_pools"] == [
        {"family": 4, "pod_cidr": "10.244.0.0/16", "prefix_length": 22, "slots": 64, "used": 2, "free": 62, "free_above_highest_index": 60}
    ]


def test_rack_pools_off_leave_the_plan_as_before():
    plan = plan_of(racked()).plan
    assert [p["name"] for p in plan["ip_pools"]] == ["default-ipv4-ippool"]
    assert plan["rack_pools"] == [] and plan["manifest"]["no_default_pools"] is False


def test_rack_pool_forecast_counts_only_the_racks_nodes():
    # /24 per rack: two nodes need 2 x 128 = 256 = 100 % (no tunnel: encapsulation none); a third fails.
    inv = racked(calico_rack_pool_prefix_length=24)
    warning = [str(w) for w in plan_of(inv).warnings]
    assert len(warning) == 2 and all("its 2 node(s) can need 256 addresses" in w for w in warning)
    assert "a shorter calico_rack_pool_prefix_length (larger rack pools)" in warning[0]
    inv.groups["k8s_cluster"].append("a3")
    inv.groups["kube_node"].append("a3")
    inv.hosts["a3"] = {"ansible_host": "10.1.1.13", "calico_rack": "r1"}
    errors = [str(e) for e in build_plan(inv).errors]
    assert errors == [e for e in errors if "rack-r1-ipv4" in e] and len(errors) == 1


def test_previous_pool_is_kept_for_every_node_during_migration():
    plan = plan_of(racked(calico_rack_pool_prefix_length=22, calico_rack_pools_previous_cidr="172.16.0.0/16")).plan
    previous = pools_by_name(plan)["default-ipv4-ippool"]
    assert (previous["cidr"], previous["node_selector"], previous["disabled"], previous["origin"]) == ("172.16.0.0/16", "all()", False, "previous")
    # calico-node keeps its default pool from the manifest env vars.
    assert plan["manifest"]["no_default_pools"] is False


@pytest.mark.parametrize(
    "change, fragments",
    [
        ({"calico_rack_pools_previous_cidr": "10.244.128.0/17"}, ("calico_rack_pools_previous_cidr", "overlaps calico_pod_cidr 10.244.0.0/16")),
        ({"calico_rack_pool_prefix_length": 27}, ("calico_rack_pool_prefix_length", "/27 is not between the pod CIDR's /16 and the block size /26")),
        ({"calico_rack_pool_prefix_length": 18, "r2_index": 4}, ("calico_racks.r2.index", "4 is beyond the 4 rack pools of /18", "indexes 0..3")),
        ({"r2_index": 0}, ("calico_racks.r2.index", "index 0 is already rack r1's")),
        ({"r2_index": -1}, ("calico_racks.r2.index", "-1 is not a whole number")),
        ({"r2_index": None}, ("calico_racks.r2.index", "is not set; rack pools place each rack by its index")),
        ({"calico_rack_pool_prefix_length_v6": 64}, ("calico_rack_pool_prefix_length_v6", "no IPv6 pod CIDR")),
    ],
)
def test_rack_pool_errors_name_the_variable(change, fragments):
    change = dict(change)
    inv = racked(calico_rack_pool_prefix_length=change.pop("calico_rack_pool_prefix_length", 22))
    if "r2_index" in change:
        index = change.pop("r2_index")
        inv.cluster["calico_racks"]["r2"].pop("index")
        if index is not None:
            inv.cluster["calico_racks"]["r2"]["index"] = index
    inv.cluster.update(change)
    result = build_plan(inv)
    assert result.plan is None
    errors = [str(e) for e in result.errors]
    assert any(all(f in e for f in fragments) for e in errors), errors


def test_rack_pools_overlapping_an_explicit_pool_are_refused():
    inv = racked(calico_rack_pool_prefix_length=22, calico_ip_pools=[{"name": "extra", "cidr": "10.244.12.0/24"}])
    errors = [str(e) for e in build_plan(inv).errors]
    assert any("10.244.12.0/22 overlaps pool extra" in e or "overlaps pool rack-r2-ipv4" in e for e in errors), errors


def test_dual_stack_rack_pools():
    inv = racked(calico_rack_pool_prefix_length=22, calico_rack_pool_prefix_length_v6=64, calico_pod_cidr_v6="fd00:10:244::/56",
                 calico_encapsulation="none")
    for rack, i in (("r1", 1), ("r2", 2)):
        inv.cluster["calico_racks"][rack]["subnets"].append("fd00:1:%d::/64" % i)
    for name, hv in inv.hosts.items():
        last = hv.get("ansible_host", hv.get("calico_tor_peer_ip", "")).rsplit(".", 1)[-1]
        rack = 1 if name in ("a1", "a2", "tor1") else 2
        hv["calico_tor_peer_ip6" if name.startswith("tor") else "calico_node_ip6"] = "fd00:1:%d::%s" % (rack, last)
    plan = plan_of(inv).plan
    assert pools_by_name(plan)["rack-r2-ipv6"]["cidr"] == "fd00:10:244:3::/64"
    assert [(h["family"], h["slots"], h["used"]) for h in plan["rack_pools"]] == [(4, 64, 2), (6, 256, 2)]


# --- the figures in report.md and in preflight's output -----------------------------------


def test_report_shows_the_forecast_per_pool_and_the_headroom():
    from ansible_collections.onprem.calico.plugins.plugin_utils.report import build_report, pool_forecast_lines, render_markdown

    plan = plan_of(racked(calico_rack_pool_prefix_length=22)).plan
    markdown = render_markdown(build_report(plan))
    assert "| rack-r2-ipv4 | 10.244.12.0/22 | /26 | onprem.calico/rack in {'r2'} | no | 2 | 256 | 1024 | 25.0 % |" in markdown
    assert "- rack pools IPv4: 2 of 64 /22 pools of 10.244.0.0/16 used, 62 free (60 above the highest index)" in markdown
    assert pool_forecast_lines(plan)[0] == "pool rack-r1-ipv4 (10.244.0.0/22): 2 node(s) x 2 block(s) of /26 = 256 of 1024 addresses (25.0 %)"
