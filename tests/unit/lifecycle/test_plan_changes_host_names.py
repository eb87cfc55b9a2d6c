"""changed_hosts names each host by its whole inventory name, even one that holds a space.

The plan builder accepts a ToR router's inventory hostname as it is, spaces included; the report's
changed_hosts must give that name back whole, so that it matches the inventory again."""

from __future__ import annotations

from plan_inputs import plan_of, tor_base

from ansible_collections.onprem.calico.plugins.plugin_utils import plan_changes


def with_router_named(inv, old, new):
    inv.hosts[new] = inv.hosts.pop(old)
    inv.groups["tor_routers"] = [new if name == old else name for name in inv.groups["tor_routers"]]
    for rack in inv.cluster["calico_racks"].values():
        rack["tor_routers"] = [new if name == old else name for name in rack["tor_routers"]]
    return inv


def test_a_router_whose_name_holds_a_space_is_listed_by_its_whole_name():
    before = plan_of(with_router_named(tor_base(), "tor1", "tor 1 a"))
    inv = with_router_named(tor_base(), "tor1", "tor 1 a")
    inv.groups["k8s_cluster"].append("a3")
    inv.groups["kube_node"].append("a3")
    inv.hosts["a3"] = {"ansible_host": "10.1.1.13", "calico_rack": "r1"}
    changes = plan_changes.compare(before, plan_of(inv))
    assert {c.where: c.what for c in changes.changes}["router tor 1 a"] == ["neighbors: a3 added"]
    assert plan_changes.changed_hosts(changes) == ["a3", "tor 1 a"]
