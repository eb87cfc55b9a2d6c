"""The pool exhaustion forecast as the operator reads it: two pools serving the same nodes share
the need and add their capacity, and the warning and error say it whole (issue 18: the forecast's
texts were asserted by fragments only).

Arithmetic from Calico's IPAM: a node claims whole blocks (a /26 block holds 64 addresses), each
pod takes one address and each tunnel device (tunl0, vxlan.calico, wireguard.cali) one more.
"""

from __future__ import annotations

from plan_inputs import base

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan


def two_pools(nodes, encapsulation="none", **cluster):
    """Two all() pools of 256 + 64 addresses; 63 pods and no tunnel fill exactly one /26 block per node."""
    return base(nodes=nodes, calico_pod_cidr="10.244.0.0/16", calico_encapsulation=encapsulation, calico_max_pods_per_node=63,
                calico_ip_pools=[{"name": "a", "cidr": "10.244.0.0/24"}, {"name": "b", "cidr": "10.244.1.0/26"}], **cluster)


def test_pools_serving_the_same_nodes_share_one_forecast():
    result = build_plan(two_pools(4))
    assert result.ok and not result.warnings
    figures = {p["name"]: p["forecast"] for p in result.plan["ip_pools"]}
    assert figures["a"] == figures["b"] == {
        "nodes": 4, "addresses_per_node": 63, "blocks_per_node": 1, "block_size": 26, "needed": 256, "capacity": 320,
        "percent": 80.0, "pools": ["a", "b"]}


def test_a_full_pair_of_pools_warns_naming_both_and_the_figures():
    result = build_plan(two_pools(5))
    (warning,) = result.warnings
    assert warning.subject == "calico_ip_pools[a]"
    assert warning.message == ("pools a (10.244.0.0/24), b (10.244.1.0/26): its 5 node(s) can need 320 addresses "
                               "(1 block(s) of /26 each for 63 pods), 100.0 % of the 320 it holds.")
    assert warning.fix == ("a larger cidr for calico_ip_pools[a], a block size that fits one node's 63 addresses with less waste, "
                           "or a lower calico_max_pods_per_node.")


def test_an_overfull_pool_is_an_error_that_counts_the_tunnel_addresses():
    # VXLAN adds vxlan.calico's address: 64 per node still fits one /26; six nodes need 384 of 320.
    result = build_plan(two_pools(6, encapsulation="vxlan"))
    (error,) = [e for e in result.errors if "can need" in e.message]
    assert error.message == ("pools a (10.244.0.0/24), b (10.244.1.0/26): its 6 node(s) can need 384 addresses "
                             "(1 block(s) of /26 each for 63 pods and 1 tunnel address(es)), 120.0 % of the 320 it holds: "
                             "pods will find no address.")


def test_wireguard_s_interface_address_counts_towards_each_node():
    # wireguard.cali takes an address from the pool too: 63 pods + 1 = a full /26 per node.
    result = build_plan(two_pools(4, calico_wireguard=True))
    assert result.ok, [str(e) for e in result.errors]
    forecast = result.plan["ip_pools"][0]["forecast"]
    assert (forecast["addresses_per_node"], forecast["blocks_per_node"], forecast["needed"]) == (64, 1, 256)
