"""What plan_actions and reconcile hand back and refuse, in full: every field of a create,
replace, recreate and delete record (the module's diff and result show them), every refusal's
whole text, refusals collected past the first one, the write order by kind, the safe defaults,
prune=False honoured, the managed-fields record kept whole while the mesh is deferred, and the
documented fault point of the BGP stage (issue 18: the mutation run left these unasserted).
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.onprem.calico.plugins.module_utils import calico_reconcile as rc
from ansible_collections.onprem.calico.plugins.module_utils.calicoctl import CalicoctlError

API = "projectcalico.org/v3"
OWNED = {rc.MANAGED_BY_LABEL: rc.MANAGED_BY_VALUE}


def record(*paths):
    return {rc.MANAGED_FIELDS_ANNOTATION: json.dumps(list(paths))}


def pool(name, cidr, block=26, live=False):
    """A pool as the renderer writes it (owned, cidr and blockSize managed); ``live`` adds what
    the API server maintains."""
    obj = {"apiVersion": API, "kind": "IPPool",
           "metadata": {"name": name, "labels": dict(OWNED), "annotations": record("/spec/blockSize", "/spec/cidr")},
           "spec": {"cidr": cidr, "blockSize": block}}
    if live:
        obj["metadata"]["resourceVersion"] = "41"
        obj["metadata"]["uid"] = "uid-" + name
    return obj


def peer(name, peer_ip, live=False):
    obj = {"apiVersion": API, "kind": "BGPPeer",
           "metadata": {"name": name, "labels": dict(OWNED), "annotations": record("/spec/asNumber", "/spec/peerIP")},
           "spec": {"peerIP": peer_ip, "asNumber": 65001}}
    if live:
        obj["metadata"]["resourceVersion"] = "9"
    return obj


def config(mesh, password=False):
    paths = ["/spec/asNumber", "/spec/nodeToNodeMeshEnabled"]
    spec = {"asNumber": 64512, "nodeToNodeMeshEnabled": mesh}
    if password:
        spec["nodeMeshPassword"] = {"secretKeyRef": {"name": "bgp-secrets", "key": "password"}}
        paths += ["/spec/nodeMeshPassword/secretKeyRef/key", "/spec/nodeMeshPassword/secretKeyRef/name"]
    annotations = record(*paths)
    annotations[rc.SINGLETON_ANNOTATION] = "true"
    return {"apiVersion": API, "kind": "BGPConfiguration", "metadata": {"name": "default", "annotations": annotations},
            "spec": spec}


def refusals(desired, live, **kwargs):
    with pytest.raises(rc.ReconcileError) as err:
        rc.plan_actions(desired, live, prune=False, **kwargs)
    return err.value.messages


def test_a_create_record_names_the_object_and_lists_the_fields_it_sets():
    actions = rc.plan_actions([peer("onprem-calico-tor1", "10.0.1.254")], {"BGPPeer": []})["actions"]
    assert actions == [{"action": "create", "kind": "BGPPeer", "name": "onprem-calico-tor1", "before": None,
                        "after": peer("onprem-calico-tor1", "10.0.1.254"), "fields": ["/spec/asNumber", "/spec/peerIP"]}]


def test_a_replace_record_shows_the_live_object_without_server_fields():
    live = peer("onprem-calico-tor1", "10.0.1.254", live=True)
    actions = rc.plan_actions([peer("onprem-calico-tor1", "10.0.1.253")], {"BGPPeer": [live]})["actions"]
    assert [(a["action"], a["fields"]) for a in actions] == [("replace", ["/spec/peerIP"])]
    assert actions[0]["before"] == peer("onprem-calico-tor1", "10.0.1.254")
    assert actions[0]["after"]["spec"]["peerIP"] == "10.0.1.253"


def test_a_delete_record_shows_what_goes_and_nothing_after():
    live = peer("onprem-calico-gone", "10.0.9.254", live=True)
    actions = rc.plan_actions([], {"BGPPeer": [live]})["actions"]
    assert actions == [{"action": "delete", "kind": "BGPPeer", "name": "onprem-calico-gone",
                        "before": peer("onprem-calico-gone", "10.0.9.254"), "after": None, "fields": []}]


def test_a_recreate_record_names_the_immutable_fields_and_shows_the_old_pool():
    live = pool("rack-r1", "10.244.0.0/24", 26, live=True)
    actions = rc.plan_actions([pool("rack-r1", "10.245.0.0/24", 28)], {"IPPool": [live]},
                              allow_pool_recreate=True)["actions"]
    assert [(a["action"], a["name"], a["fields"]) for a in actions] == [("recreate", "rack-r1", ["cidr", "blockSize"])]
    assert actions[0]["before"] == pool("rack-r1", "10.244.0.0/24", 26)
    assert actions[0]["after"]["spec"] == {"cidr": "10.245.0.0/24", "blockSize": 28}


def test_a_recreate_does_not_stop_the_objects_after_it():
    live = {"IPPool": [pool("rack-r1", "10.244.0.0/24", live=True)], "BGPPeer": []}
    desired = [peer("onprem-calico-tor1", "10.0.1.254"), pool("rack-r1", "10.245.0.0/24")]
    actions = rc.plan_actions(desired, live, allow_pool_recreate=True)["actions"]
    # Written in Calico's dependency order: pools before the peers that route them.
    assert [(a["action"], a["kind"]) for a in actions] == [("recreate", "IPPool"), ("create", "BGPPeer")]


def test_objects_are_written_in_dependency_order_whatever_order_they_come_in():
    desired = [peer("onprem-calico-tor1", "10.0.1.254"), pool("rack-r1", "10.244.0.0/24"), config(True)]
    actions = rc.plan_actions(desired, {"BGPPeer": [], "IPPool": [], "BGPConfiguration": []})["actions"]
    assert [a["kind"] for a in actions] == ["BGPConfiguration", "IPPool", "BGPPeer"]


def test_a_pool_change_is_refused_by_default_with_every_field_named():
    live = {"IPPool": [pool("rack-r1", "10.244.0.0/24", 26, live=True)]}
    messages = refusals([pool("rack-r1", "10.245.0.0/24", 28)], live)
    assert messages == ["IPPool rack-r1: cidr 10.244.0.0/24 -> 10.245.0.0/24, blockSize 26 -> 28 refused. " + rc.POOL_MIGRATION]


def test_every_refused_pool_is_reported_not_only_the_first():
    live = {"IPPool": [pool("a", "10.244.0.0/24", live=True), pool("b", "10.244.1.0/24", live=True),
                       pool("hand-made", "10.246.0.0/24")]}
    desired = [pool("a", "10.245.0.0/24"), pool("b", "10.245.1.0/24"), pool("c", "10.246.0.0/24"),
               pool("d", "10.246.0.0/24")]
    messages = refusals(desired, live)
    assert [m.split(":", 1)[0] for m in messages] == ["IPPool a", "IPPool b", "IPPool c", "IPPool d"]
    assert messages[2] == (
        "IPPool c: CIDR 10.246.0.0/24 is already used by the live pool hand-made; a second pool for the same "
        "CIDR is refused. Name the pool hand-made in calico_ip_pools, or delete the live pool first")


def test_a_missing_calico_node_is_refused_with_the_whole_fix():
    node = {"apiVersion": API, "kind": "Node", "metadata": {"name": "node07"}, "spec": {}}
    assert refusals([node], {"Node": []}) == [
        "Node node07: no Calico Node of that name exists yet; calico-node creates it when it starts "
        "(run the manifest stage first, check the node name)"]


def test_turning_the_mesh_off_is_immediate_unless_deferral_is_asked_for():
    live = {"BGPConfiguration": [config(True)]}
    result = rc.plan_actions([config(False)], live, prune=False)
    assert result["mesh_deferred"] is False
    assert result["actions"][0]["after"]["spec"]["nodeToNodeMeshEnabled"] is False


def test_a_deferred_mesh_keeps_its_password_and_the_whole_managed_fields_record():
    desired = config(False)
    desired["spec"]["serviceExternalIPs"] = [{"cidr": "203.0.113.0/24"}]
    desired["metadata"]["annotations"] = dict(desired["metadata"]["annotations"], **record(
        "/spec/asNumber", "/spec/nodeToNodeMeshEnabled", "/spec/serviceExternalIPs"))
    result = rc.plan_actions([desired], {"BGPConfiguration": [config(True, password=True)]}, prune=False,
                             defer_mesh_disable=True)
    after = result["actions"][0]["after"]
    assert after["spec"]["nodeToNodeMeshEnabled"] is True
    assert after["spec"]["nodeMeshPassword"] == {"secretKeyRef": {"name": "bgp-secrets", "key": "password"}}
    # The record still lists every field the plan manages, so a later run can remove any of them,
    # plus the password the final run removes.
    assert json.loads(after["metadata"]["annotations"][rc.MANAGED_FIELDS_ANNOTATION]) == [
        "/spec/asNumber", "/spec/nodeMeshPassword/secretKeyRef/key", "/spec/nodeMeshPassword/secretKeyRef/name",
        "/spec/nodeToNodeMeshEnabled", "/spec/serviceExternalIPs"]


class Client:
    """The calicoctl client's four calls over a dict, recording the writes."""

    def __init__(self, objects):
        self.store = dict(((o["kind"], o["metadata"]["name"]), o) for o in objects)
        self.writes = []

    def list(self, kind):
        return [o for (k, _name), o in sorted(self.store.items()) if k == kind]

    def create(self, obj):
        self.writes.append(("create", obj["kind"], obj["metadata"]["name"]))
        self.store[(obj["kind"], obj["metadata"]["name"])] = obj

    def replace(self, obj):
        self.writes.append(("replace", obj["kind"], obj["metadata"]["name"]))
        self.store[(obj["kind"], obj["metadata"]["name"])] = obj

    def delete(self, kind, name):
        self.writes.append(("delete", kind, name))
        del self.store[(kind, name)]


def test_reconcile_without_prune_leaves_owned_objects_the_plan_dropped():
    client = Client([peer("onprem-calico-gone", "10.0.9.254", live=True)])
    result = rc.reconcile(client, [peer("onprem-calico-tor1", "10.0.1.254")], prune=False)
    assert [(a["action"], a["name"]) for a in result["actions"]] == [("create", "onprem-calico-tor1")]
    assert ("BGPPeer", "onprem-calico-gone") in client.store


def test_the_mid_apply_fault_point_stops_the_bgp_stage_after_one_write(monkeypatch):
    # docs/operations.md: bgp_resources_mid_apply fails the BGP stage after the first Calico write,
    # as a datastore failing there would (a calicoctl error).
    monkeypatch.setenv("ONPREM_CALICO_FAULT", "bgp_resources_mid_apply")
    client = Client([])
    desired = [config(True), peer("onprem-calico-tor1", "10.0.1.254")]
    with pytest.raises(CalicoctlError) as err:
        rc.reconcile(client, desired)
    assert "fault injected at bgp_resources_mid_apply" in str(err.value)
    assert client.writes == [("create", "BGPConfiguration", "default")]
    monkeypatch.delenv("ONPREM_CALICO_FAULT")
    rc.reconcile(client, desired)
    assert rc.reconcile(client, desired)["actions"] == []


def session(node, peer_name, kind, family, node_ip, peer_ip, peer_asn):
    return {"node": node, "peer": peer_name, "kind": kind, "family": family, "node_ip": node_ip, "peer_ip": peer_ip,
            "peer_asn": peer_asn}


def test_mesh_sessions_carry_the_other_nodes_as_and_both_families():
    # as_per_node style: every node its own AS; a mesh session is towards the other node's AS,
    # over IPv6 between the nodes' IPv6 addresses. A node already peered by the plan (here a
    # reflector) gets that one session, not a second mesh session.
    nodes = {
        "a": {"ip": "10.0.0.1", "ip6": "fd00::1", "asn": 65001,
              "peers": [{"name": "b", "ip": "10.0.0.2", "asn": 65002, "kind": "route_reflector"}]},
        "b": {"ip": "10.0.0.2", "ip6": "fd00::2", "asn": 65002, "peers": []},
        "c": {"ip": "10.0.0.3", "ip6": "fd00::3", "asn": 65003, "peers": []},
    }
    assert rc.planned_sessions(nodes, True) == [
        session("a", "b", "route_reflector", 4, "10.0.0.1", "10.0.0.2", 65002),
        session("a", "c", "mesh", 4, "10.0.0.1", "10.0.0.3", 65003),
        session("a", "c", "mesh", 6, "fd00::1", "fd00::3", 65003),
        session("b", "a", "mesh", 4, "10.0.0.2", "10.0.0.1", 65001),
        session("b", "a", "mesh", 6, "fd00::2", "fd00::1", 65001),
        session("b", "c", "mesh", 4, "10.0.0.2", "10.0.0.3", 65003),
        session("b", "c", "mesh", 6, "fd00::2", "fd00::3", 65003),
        session("c", "a", "mesh", 4, "10.0.0.3", "10.0.0.1", 65001),
        session("c", "a", "mesh", 6, "fd00::3", "fd00::1", 65001),
        session("c", "b", "mesh", 4, "10.0.0.3", "10.0.0.2", 65002),
        session("c", "b", "mesh", 6, "fd00::3", "fd00::2", 65002),
    ]
