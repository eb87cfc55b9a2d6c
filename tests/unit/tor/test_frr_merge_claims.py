"""What the FRR merge claims inside an existing ``router bgp`` and what it leaves (issue 18: the
mutation run found these cases unasserted): a planned node address an operator once configured
as a plain neighbour is replaced, not left to conflict; an old listen range and listen limit of
the collection's peer group go; an operator's own address family the plan does not use is kept;
an address family the configuration leaves open is closed; a neighbour deleted whole is ours.
"""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.module_utils.frr_tor_config import foreign_changes, merge

# The collection's objects for rack r1 as the renderer writes them (FRR syntax): one peer group,
# its listen range and limit, two planned members.
OWNED = """router bgp 65001
 neighbor CALICO-NODES peer-group
 neighbor CALICO-NODES remote-as internal
 bgp listen range 10.0.1.0/24 peer-group CALICO-NODES
 bgp listen limit 64
 neighbor 10.0.1.11 peer-group CALICO-NODES
 neighbor 10.0.1.12 peer-group CALICO-NODES
 !
 address-family ipv4 unicast
  neighbor CALICO-NODES route-reflector-client
 exit-address-family
exit
!
"""


def router_block(text):
    """The default-VRF router bgp block of a merged configuration, as lines."""
    block = text[text.index("router bgp 65001\n"):]
    return block[:block.index("\nexit\n") + len("\nexit")].split("\n")


def test_a_planned_node_address_configured_by_hand_is_taken_over():
    running = ("hostname tor1\n!\nrouter bgp 65001\n neighbor 10.0.1.11 remote-as 65011\n"
               " neighbor 10.0.1.11 description hand-made\n neighbor 172.31.0.1 remote-as 65002\n"
               " address-family ipv4 unicast\n  neighbor 10.0.1.11 activate\n  neighbor 172.31.0.1 activate\n"
               " exit-address-family\nexit\n!\nend\n")
    block = router_block(merge(running, OWNED, "CALICO-"))
    # The node is a member of the plan's peer group now; its old session settings would fight it.
    assert not [line for line in block if "10.0.1.11" in line and "peer-group CALICO-NODES" not in line]
    assert " neighbor 10.0.1.11 peer-group CALICO-NODES" in block
    # The spine uplink is the operator's and stays, in both places.
    assert " neighbor 172.31.0.1 remote-as 65002" in block and "  neighbor 172.31.0.1 activate" in block


def test_the_old_listen_range_and_limit_of_the_peer_group_are_replaced():
    running = ("router bgp 65001\n neighbor CALICO-NODES peer-group\n"
               " bgp listen range 10.0.9.0/24 peer-group CALICO-NODES\n bgp listen limit 100\n"
               " neighbor SPINES peer-group\n bgp listen range 10.9.0.0/24 peer-group SPINES\nexit\n!\nend\n")
    block = router_block(merge(running, OWNED, "CALICO-"))
    listen = [line.strip() for line in block if "listen" in line]
    assert listen == ["bgp listen range 10.9.0.0/24 peer-group SPINES",
                      "bgp listen range 10.0.1.0/24 peer-group CALICO-NODES", "bgp listen limit 64"]


def test_an_operator_address_family_the_plan_does_not_use_is_kept():
    evpn = [" address-family l2vpn evpn", "  neighbor 172.31.0.1 activate", "  advertise-all-vni", " exit-address-family"]
    running = "router bgp 65001\n neighbor 172.31.0.1 remote-as 65002\n" + "\n".join(evpn) + "\nexit\n!\nend\n"
    block = router_block(merge(running, OWNED, "CALICO-"))
    start = block.index(" address-family l2vpn evpn")
    assert block[start:start + 4] == evpn
    assert "  neighbor CALICO-NODES route-reflector-client" in block


def test_an_address_family_left_open_is_closed():
    owned = "router bgp 65001\n neighbor CALICO-NODES peer-group\n address-family ipv4 unicast\n  neighbor CALICO-NODES route-reflector-client\n"
    running = "router bgp 65001\n bgp router-id 10.255.0.1\n neighbor 172.31.0.1 remote-as 65002\nexit\n!\nend\n"
    assert router_block(merge(running, owned, "CALICO-")) == [
        "router bgp 65001", " bgp router-id 10.255.0.1", " neighbor 172.31.0.1 remote-as 65002",
        " neighbor CALICO-NODES peer-group", " address-family ipv4 unicast", "  neighbor CALICO-NODES route-reflector-client",
        " exit-address-family", "exit"]


def test_deleting_a_member_neighbour_whole_is_an_owned_change():
    # 'no neighbor <address>' is FRR's command that removes a neighbour with all its settings.
    context = ("router bgp 65001",)
    assert foreign_changes([(context, "no neighbor 10.0.1.99")], "CALICO-", {"10.0.1.99"}, "65001") == []
    spine = [(context, "no neighbor 172.31.0.1")]
    assert foreign_changes(spine, "CALICO-", {"10.0.1.99"}, "65001") == spine
