"""The sessions verify expects and how it reads CalicoNodeStatus, for both families, and the
mesh default (issue 18: the mutation run found IPv6 and the mesh default untested).

Calico facts used: the node-to-node mesh peers every node with every other node, over IPv6 too
when both have an IPv6 address; BGPConfiguration's nodeToNodeMeshEnabled defaults to true (and
with no BGPConfiguration at all the mesh runs); CalicoNodeStatus reports status.bgp.peersV4 /
peersV6 ({peerIP, state}) and status.routes.routesV4 / routesV6 ({destination, learnedFrom.peerIP}).
"""

from __future__ import annotations

import json

from ansible_collections.onprem.calico.plugins.module_utils import calico_reconcile as rc

NODES = {
    "a": {"ip": "10.0.0.1", "ip6": "fd00::1", "peers": [{"ip": "10.0.0.254", "kind": "tor"}]},
    "b": {"ip": "10.0.0.2", "ip6": "fd00::2",
          "peers": [{"ip": "10.0.0.254", "name": "tor1", "kind": "tor"}, {"ip": "fd00::fe", "name": "tor1", "kind": "tor"}]},
    "c": {"ip": "10.0.0.3", "peers": []},  # IPv4 only
}


def test_the_mesh_covers_both_families_where_both_nodes_have_them():
    expected = rc.expected_sessions(NODES, True)
    # A plan peer without a name is named by its address.
    assert expected["a"] == {"10.0.0.254": "10.0.0.254", "10.0.0.2": "b", "fd00::2": "b", "10.0.0.3": "c"}
    assert expected["b"] == {"10.0.0.254": "tor1", "fd00::fe": "tor1", "10.0.0.1": "a", "fd00::1": "a", "10.0.0.3": "c"}
    # c has no IPv6 address: no IPv6 session towards it or from it.
    assert expected["c"] == {"10.0.0.1": "a", "10.0.0.2": "b"}


def test_kinds_select_the_mesh_or_the_plan_peers():
    assert rc.expected_sessions(NODES, True, kinds=["mesh"])["a"] == {"10.0.0.2": "b", "fd00::2": "b", "10.0.0.3": "c"}
    assert rc.expected_sessions(NODES, True, kinds=["tor"])["b"] == {"10.0.0.254": "tor1", "fd00::fe": "tor1"}
    assert rc.expected_sessions(NODES, False)["c"] == {}


def test_the_report_reads_ipv6_peers_and_counts_routes_per_peer():
    expected = {"b": {"10.0.0.254": "tor1", "fd00::fe": "tor1", "10.0.0.1": "a"}}
    status = {"spec": {"node": "b"}, "status": {
        "bgp": {"peersV4": [{"peerIP": "10.0.0.254", "state": "Established"}],
                "peersV6": [{"peerIP": "fd00::fe", "state": "Established"}]},
        "routes": {"routesV4": [{"destination": "0.0.0.0/0", "learnedFrom": {"peerIP": "10.0.0.254", "sourceType": "BGPPeer"}}],
                   "routesV6": [{"destination": "::/0", "learnedFrom": {"peerIP": "fd00::fe", "sourceType": "BGPPeer"}},
                                {"destination": "fd00:99::/64", "learnedFrom": {"peerIP": "fd00::fe", "sourceType": "BGPPeer"}}]}}}
    report, failing = rc.session_report(expected, [status])
    assert report["b"] == {"established": ["10.0.0.254", "fd00::fe"],
                           "missing": [{"peer": "a", "ip": "10.0.0.1", "state": "no session"}],
                           "routes": {"10.0.0.254": 1, "fd00::fe": 2}, "status_reported": True}
    assert failing == ["b"]


def bgp_configuration(mesh):
    return {"apiVersion": "projectcalico.org/v3", "kind": "BGPConfiguration",
            "metadata": {"name": "default", "annotations": {
                rc.MANAGED_FIELDS_ANNOTATION: json.dumps(["/spec/asNumber", "/spec/nodeToNodeMeshEnabled"]),
                rc.SINGLETON_ANNOTATION: "true"}},
            "spec": {"asNumber": 64512, "nodeToNodeMeshEnabled": mesh}}


def test_turning_the_mesh_off_is_deferred_when_it_runs_by_default():
    # No BGPConfiguration yet, or one that leaves nodeToNodeMeshEnabled out: the mesh is on.
    unset = bgp_configuration(True)
    del unset["spec"]["nodeToNodeMeshEnabled"]
    for live in ([], [unset]):
        result = rc.plan_actions([bgp_configuration(False)], {"BGPConfiguration": live}, prune=False, defer_mesh_disable=True)
        assert result["mesh_deferred"] is True
        assert result["actions"][0]["after"]["spec"]["nodeToNodeMeshEnabled"] is True
    # Already off: nothing to defer.
    result = rc.plan_actions([bgp_configuration(False)], {"BGPConfiguration": [bgp_configuration(False)]},
                             prune=False, defer_mesh_disable=True)
    assert result["mesh_deferred"] is False and result["actions"] == []


def test_removing_a_field_drops_the_parents_it_empties_and_tolerates_a_missing_one():
    # A field the plan stops managing goes, with the mappings it leaves empty up to the top
    # (an empty spec left behind would differ from what calicoctl returns on the next read).
    obj = {"spec": {"bgp": {"asNumber": 64512}}, "kind": "Node"}
    rc.del_path(obj, "/spec/bgp/asNumber")
    assert obj == {"kind": "Node"}
    # Recorded once, since removed by someone else: nothing to do, no error.
    obj = {"spec": {"bgp": {}}, "kind": "Node"}
    rc.del_path(obj, "/spec/bgp/asNumber")
    assert obj == {"kind": "Node"}


def live_pool(name, cidr, labels=None, annotations=None):
    return {"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
            "metadata": {"name": name, "labels": labels or {}, "annotations": annotations or {}},
            "spec": {"cidr": cidr, "blockSize": 26}}


def test_prune_never_deletes_a_singleton_even_if_it_carries_the_label():
    owned = {rc.MANAGED_BY_LABEL: rc.MANAGED_BY_VALUE}
    live = {"IPPool": [live_pool("default-ipv4-ippool", "10.244.0.0/16", owned, {rc.SINGLETON_ANNOTATION: "true"}),
                       live_pool("old-rack", "10.245.0.0/24", owned),
                       live_pool("someone-elses", "10.246.0.0/24")]}
    actions = rc.plan_actions([], live)["actions"]
    assert [(a["action"], a["name"]) for a in actions] == [("delete", "old-rack")]


def test_every_refusal_is_in_the_error_message():
    desired = [{"apiVersion": "projectcalico.org/v3", "kind": "Node", "metadata": {"name": name}, "spec": {}}
               for name in ("n1", "n2")]
    try:
        rc.plan_actions(desired, {"Node": []}, prune=False)
    except rc.ReconcileError as err:
        assert len(err.messages) == 2
        assert str(err) == "%s; %s" % tuple(err.messages)
        assert str(err).startswith("Node n1: no Calico Node of that name exists yet")
    else:
        raise AssertionError("a Node that calico-node has not created must be refused")


def test_a_field_that_appears_as_null_is_a_changed_field():
    # A key holding null is sent in the object written; an absent key is not: the two differ.
    assert rc.diff_paths({"spec": {}}, {"spec": {"nodeSelector": None}}) == ["/spec/nodeSelector"]
    assert rc.diff_paths({"spec": {"nodeSelector": None}}, {"spec": {}}) == ["/spec/nodeSelector"]


def test_pool_drift_goes_on_past_a_missing_pool_and_reads_a_pool_without_a_cidr():
    def pool(name, cidr, **spec):
        return {"metadata": {"name": name}, "spec": dict({"cidr": cidr} if cidr else {}, **spec)}

    desired = [pool("new", "10.1.0.0/24", natOutgoing=True), pool("kept", "10.2.0.0/24", natOutgoing=True)]
    live = [pool("kept", "10.2.0.0/24", natOutgoing=False), pool("broken", None)]
    assert rc.pool_drift(desired, live) == [
        {"pool": "new", "family": 4, "field": "(pool)", "plan": "10.1.0.0/24", "live": None},
        {"pool": "kept", "family": 4, "field": "natOutgoing", "plan": True, "live": False},
        {"pool": "broken", "family": None, "field": "(pool)", "plan": None, "live": None},
    ]


def test_pool_drift_compares_cidrs_as_networks():
    # The same IPv6 network written two ways is no drift (pool_immutable_changes agrees).
    desired = [{"metadata": {"name": "v6"}, "spec": {"cidr": "fd00:10:244::/56"}}]
    live = [{"metadata": {"name": "v6"}, "spec": {"cidr": "fd00:10:244:0:0::/56"}}]
    assert rc.pool_drift(desired, live) == []
    assert rc.pool_immutable_changes(live[0], desired[0]) == []


def test_pool_drift_reads_an_omitted_false_as_false():
    # Calico leaves natOutgoing and disabled out of a pool when they are false (omitempty).
    desired = [{"metadata": {"name": "p"}, "spec": {"cidr": "10.1.0.0/24", "natOutgoing": False, "disabled": False, "blockSize": 26}}]
    live = [{"metadata": {"name": "p"}, "spec": {"cidr": "10.1.0.0/24", "blockSize": 26}}]
    assert rc.pool_drift(desired, live) == []
    live[0]["spec"]["blockSize"] = 28
    assert rc.pool_drift(desired, live) == [{"pool": "p", "family": 4, "field": "blockSize", "plan": 26, "live": 28}]


def test_compared_and_shown_objects_leave_out_what_the_server_maintains():
    # The API server sets resourceVersion, uid, creationTimestamp, generation, managedFields and
    # status; a diff that showed them would change on every read.
    live = {"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
            "metadata": {"name": "p", "resourceVersion": "7", "uid": "u1", "creationTimestamp": "2026-11-29T00:00:00Z",
                         "generation": 2, "managedFields": [{"manager": "calicoctl"}], "labels": {}, "annotations": {}},
            "spec": {"cidr": "10.1.0.0/24"}, "status": {"conditions": []}}
    original = json.loads(json.dumps(live))
    assert rc.comparable(live) == {"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": "p"},
                                   "spec": {"cidr": "10.1.0.0/24"}}
    assert live == original  # the live object itself is left as it was read
    assert rc.comparable(None) is None and rc.comparable({}) == {}


def test_a_namespaced_object_is_created_in_its_namespace():
    # The BGP password Secret lives in a namespace (password.namespace in the plan); created without it
    # they would land in the default namespace.
    desired = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "bgp", "namespace": "kube-system",
               "annotations": {rc.MANAGED_FIELDS_ANNOTATION: json.dumps(["/data/password"])}}, "data": {"password": "eA=="}}
    assert rc.merge_managed(None, desired)["metadata"]["namespace"] == "kube-system"


def test_pointer_helpers_read_missing_fields_copy_values_and_ignore_bad_records():
    assert rc.get_path({"spec": {}}, "/spec/asNumber", "unset") == "unset"
    source, target = {"bgp": {"communities": ["65000:1"]}}, {}
    rc.set_path(target, "/spec/bgp", source["bgp"])
    source["bgp"]["communities"].append("65000:2")
    assert target == {"spec": {"bgp": {"communities": ["65000:1"]}}}
    recorded = {"metadata": {"annotations": {rc.MANAGED_FIELDS_ANNOTATION: json.dumps(["spec", "/spec/a", 5])}}}
    assert rc.recorded_paths(recorded) == ["/spec/a"]


def test_pointers_escape_tilde_and_slash_as_rfc_6901_says():
    assert rc.managed_paths({"metadata": {"labels": {"onprem.calico/rack": "r1", "a~b": "x"}}}) == [
        "/metadata/labels/onprem.calico~1rack", "/metadata/labels/a~0b"]
    assert rc.split_pointer("/metadata/labels/a~0b") == ["metadata", "labels", "a~b"]


def test_the_singleton_mark_follows_the_plan():
    live = {"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
            "metadata": {"name": "p", "annotations": {rc.SINGLETON_ANNOTATION: "true"}}, "spec": {}}
    desired = {"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
               "metadata": {"name": "p", "annotations": {rc.MANAGED_FIELDS_ANNOTATION: "[]"}}, "spec": {}}
    assert rc.SINGLETON_ANNOTATION not in rc.merge_managed(live, desired)["metadata"]["annotations"]
