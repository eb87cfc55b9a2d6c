"""Managed-field patching, prune, pool immutability/drift, mesh deferral, Node patches, session checks."""

from __future__ import annotations

import copy
import json

import pytest
from plans import DESIGNS, make_plan

from ansible_collections.onprem.calico.plugins.module_utils import calico_reconcile as rc
from ansible_collections.onprem.calico.plugins.plugin_utils import resources


class FakeCalico:
    """In-memory stand-in for the calicoctl client (list/create/replace/delete)."""

    def __init__(self, objects=()):
        self.store = {}
        self.writes = []
        for obj in objects:
            self.store[(obj["kind"], obj["metadata"]["name"])] = copy.deepcopy(obj)

    def list(self, kind):
        return [copy.deepcopy(o) for (k, _name), o in sorted(self.store.items()) if k == kind]

    def create(self, obj):
        key = (obj["kind"], obj["metadata"]["name"])
        assert key not in self.store
        self.writes.append(("create",) + key)
        self.store[key] = copy.deepcopy(obj)

    def replace(self, obj):
        key = (obj["kind"], obj["metadata"]["name"])
        assert key in self.store
        self.writes.append(("replace",) + key)
        self.store[key] = copy.deepcopy(obj)

    def delete(self, kind, name):
        self.writes.append(("delete", kind, name))
        del self.store[(kind, name)]


def calico_node_default_pool(cidr="192.168.0.0/16"):
    """The pool calico-node creates from the manifest env, with server defaults filled in."""
    return {"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
            "metadata": {"name": "default-ipv4-ippool", "resourceVersion": "7", "uid": "u1"},
            "spec": {"cidr": cidr, "blockSize": 26, "ipipMode": "Always", "vxlanMode": "Never",
                     "natOutgoing": True, "nodeSelector": "all()", "allowedUses": ["Workload", "Tunnel"],
                     "assignmentMode": "Automatic"}}


def desired(ctx, **kw):
    return resources.build(make_plan(**kw), ctx).calico


def test_first_run_creates_second_run_changes_nothing(ctx):
    want = desired(ctx, **DESIGNS["tor_as_per_rack"])
    client = FakeCalico([calico_node_default_pool()])
    first = rc.reconcile(client, want)
    kinds = [(a["action"], a["kind"]) for a in first["actions"]]
    assert kinds[0] == ("create", "BGPConfiguration")
    assert ("replace", "IPPool") in kinds  # only "disabled" is new on calico-node's pool
    pool_action = [a for a in first["actions"] if a["kind"] == "IPPool"][0]
    assert pool_action["fields"] == ["/metadata/annotations", "/spec/disabled"]
    assert len([k for k in kinds if k == ("create", "BGPPeer")]) == 4
    pool = client.store[("IPPool", "default-ipv4-ippool")]
    assert pool["spec"]["allowedUses"] == ["Workload", "Tunnel"]  # unmanaged server default kept
    assert "app.kubernetes.io/managed-by" not in pool["metadata"].get("labels", {})
    writes = len(client.writes)
    second = rc.reconcile(client, want)
    assert second["actions"] == [] and len(client.writes) == writes
    assert second["pool_drift"] == []


def test_check_mode_writes_nothing(ctx):
    client = FakeCalico([calico_node_default_pool()])
    result = rc.reconcile(client, desired(ctx, **DESIGNS["route_reflectors"]), check_mode=True)
    assert result["actions"] and client.writes == []


def test_prune_deletes_only_owned_objects_the_plan_dropped(ctx):
    client = FakeCalico([calico_node_default_pool()])
    rc.reconcile(client, desired(ctx, **DESIGNS["tor_as_per_rack"]))
    foreign = {"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer", "metadata": {"name": "someone-elses"},
               "spec": {"peerIP": "10.9.9.9", "asNumber": 65009}}
    client.store[("BGPPeer", "someone-elses")] = foreign
    plan = make_plan(**DESIGNS["tor_as_per_rack"])
    for node in ("node03", "node04"):
        plan["nodes"][node]["peers"] = [p for p in plan["nodes"][node]["peers"] if p["name"] != "tor2b"]
    result = rc.reconcile(client, resources.build(plan, ctx).calico)
    assert [(a["action"], a["name"]) for a in result["actions"]] == [("delete", "onprem-calico-rack-r2-tor2b")]
    assert ("BGPPeer", "someone-elses") in client.store
    # Switching the design off removes every owned peer and status but never the singletons.
    result = rc.reconcile(client, desired(ctx, **DESIGNS["none"]))
    deleted = sorted((a["kind"], a["name"]) for a in result["actions"] if a["action"] == "delete")
    assert ("BGPPeer", "onprem-calico-rack-r1-tor1a") in deleted
    assert ("CalicoNodeStatus", "onprem-calico-node01") in deleted
    assert not [d for d in deleted if d[0] in ("BGPConfiguration", "IPPool")]
    assert ("BGPConfiguration", "default") in client.store
    assert client.writes[-1][0] == "delete" and client.writes[-1][1] == "CalicoNodeStatus"


def test_a_field_the_plan_stops_managing_is_removed(ctx):
    plan = make_plan(**DESIGNS["tor_as_per_rack"])
    plan["bgp"]["service_external_ips"] = ["203.0.113.0/24"]
    client = FakeCalico()
    rc.reconcile(client, resources.build(plan, ctx).calico)
    client.store[("BGPConfiguration", "default")]["spec"]["logSeverityScreen"] = "Debug"  # set by an admin
    plan["bgp"]["service_external_ips"] = []
    result = rc.reconcile(client, resources.build(plan, ctx).calico)
    assert [(a["kind"], a["fields"]) for a in result["actions"]] == [
        ("BGPConfiguration", ["/metadata/annotations/onprem.calico~1managed-fields", "/spec/serviceExternalIPs"])]
    spec = client.store[("BGPConfiguration", "default")]["spec"]
    assert "serviceExternalIPs" not in spec and spec["logSeverityScreen"] == "Debug"


def test_pool_cidr_or_block_size_change_is_refused_with_the_migration(ctx):
    live = calico_node_default_pool(cidr="10.244.0.0/16")
    client = FakeCalico([live])
    want = desired(ctx, **DESIGNS["full_mesh"])
    with pytest.raises(rc.ReconcileError) as err:
        rc.reconcile(client, want)
    assert client.writes == []  # nothing written, not even the BGPConfiguration
    message = err.value.messages[0]
    assert message.startswith("IPPool default-ipv4-ippool: cidr 10.244.0.0/16 -> 192.168.0.0/16 refused.")
    assert "add the new pool under a new name" in message and "set disabled: true on the old" in message
    result = rc.reconcile(client, want, allow_pool_recreate=True)
    assert [a for a in result["actions"] if a["kind"] == "IPPool"][0]["action"] == "recreate"
    assert client.store[("IPPool", "default-ipv4-ippool")]["spec"]["cidr"] == "192.168.0.0/16"
    assert ("delete", "IPPool", "default-ipv4-ippool") in client.writes


def test_block_size_change_and_equivalent_cidr_spelling():
    live = calico_node_default_pool()
    want = copy.deepcopy(live)
    want["spec"]["cidr"] = "192.168.0.1/16"  # same network, non-canonical spelling
    assert rc.pool_immutable_changes(live, want) == []
    want["spec"]["blockSize"] = 24
    assert rc.pool_immutable_changes(live, want) == [("blockSize", 26, 24)]


def test_second_pool_for_the_same_cidr_is_refused(ctx):
    other = calico_node_default_pool()
    other["metadata"]["name"] = "hand-made"
    with pytest.raises(rc.ReconcileError) as err:
        rc.reconcile(FakeCalico([other]), desired(ctx, **DESIGNS["full_mesh"]))
    assert "CIDR 192.168.0.0/16 is already used by the live pool hand-made" in err.value.messages[0]


def test_missing_calico_node_is_an_error_with_etcd(ctx):
    with pytest.raises(rc.ReconcileError) as err:
        rc.reconcile(FakeCalico(), desired(ctx, datastore="etcd", **DESIGNS["route_reflectors"]))
    assert err.value.messages[0].startswith("Node node01: no Calico Node of that name exists yet")


def test_calico_node_fields_patched_without_touching_the_rest(ctx):
    nodes = []
    for name, ip in (("node01", "10.0.1.11"), ("node02", "10.0.1.12"), ("node03", "10.0.2.13"), ("node04", "10.0.2.14")):
        nodes.append({"apiVersion": "projectcalico.org/v3", "kind": "Node",
                      "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
                      "spec": {"bgp": {"ipv4Address": ip + "/24"}}})
    client = FakeCalico(nodes)
    rc.reconcile(client, desired(ctx, datastore="etcd", **DESIGNS["tor_as_per_rack"]))
    node = client.store[("Node", "node03")]
    assert node["spec"]["bgp"] == {"ipv4Address": "10.0.2.13/24", "asNumber": 65002}
    assert node["metadata"]["labels"] == {"kubernetes.io/hostname": "node03", "onprem.calico/rack": "r2"}
    # Back to the global AS: the per-node AS goes, the address stays.
    rc.reconcile(client, desired(ctx, datastore="etcd", **DESIGNS["full_mesh"]))
    assert client.store[("Node", "node03")]["spec"]["bgp"] == {"ipv4Address": "10.0.2.13/24"}


def test_mesh_stays_on_until_reflectors_are_verified(ctx):
    client = FakeCalico([calico_node_default_pool()])
    rc.reconcile(client, desired(ctx, password=True, **DESIGNS["full_mesh"]))
    want = desired(ctx, password=True, **DESIGNS["route_reflectors"])
    phase1 = rc.reconcile(client, want, defer_mesh_disable=True)
    assert phase1["mesh_deferred"] is True
    config = client.store[("BGPConfiguration", "default")]["spec"]
    assert config["nodeToNodeMeshEnabled"] is True and "nodeMeshPassword" in config
    assert ("BGPPeer", "onprem-calico-route-reflectors") in client.store
    phase2 = rc.reconcile(client, want)
    assert phase2["mesh_deferred"] is False
    config = client.store[("BGPConfiguration", "default")]["spec"]
    assert config["nodeToNodeMeshEnabled"] is False and "nodeMeshPassword" not in config
    assert rc.reconcile(client, want, defer_mesh_disable=True)["actions"] == []


def test_pool_drift_by_field_for_both_families():
    want = [
        {"metadata": {"name": "default-ipv4-ippool"}, "spec": {"cidr": "192.168.0.0/16", "natOutgoing": True,
                                                               "blockSize": 26, "disabled": False}},
        {"metadata": {"name": "default-ipv6-ippool"}, "spec": {"cidr": "fd00:10:244::/56", "blockSize": 122}},
    ]
    live = [calico_node_default_pool(),
            {"metadata": {"name": "old-v6"}, "spec": {"cidr": "fd00:99::/56", "blockSize": 122}}]
    live[0]["spec"]["natOutgoing"] = False
    assert rc.pool_drift(want, live) == [
        {"pool": "default-ipv4-ippool", "family": 4, "field": "natOutgoing", "plan": True, "live": False},
        {"pool": "default-ipv6-ippool", "family": 6, "field": "(pool)", "plan": "fd00:10:244::/56", "live": None},
        {"pool": "old-v6", "family": 6, "field": "(pool)", "plan": None, "live": "fd00:99::/56"},
    ]


class FakeKubernetes:
    """The small Kubernetes client interface the Node patch logic needs: get_node / patch_node (merge)."""

    def __init__(self, nodes):
        self.nodes = copy.deepcopy(nodes)
        self.patches = []

    def get_node(self, name):
        return copy.deepcopy(self.nodes[name])

    def patch_node(self, name, patch):
        self.patches.append((name, patch))
        meta = self.nodes[name]["metadata"]
        for key, changes in patch["metadata"].items():
            target = meta.setdefault(key, {})
            for k, v in changes.items():
                if v is None:
                    target.pop(k, None)
                else:
                    target[k] = v


def apply_node_patches(client, rendered):
    for entry in rendered:
        patch = rc.node_merge_patch(client.get_node(entry["metadata"]["name"]), entry)
        if patch:
            client.patch_node(entry["metadata"]["name"], patch)


def test_kubernetes_node_patches_are_idempotent_and_remove_what_the_plan_dropped(ctx):
    live = {name: {"apiVersion": "v1", "kind": "Node",
                   "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name},
                                "annotations": {"node.alpha.kubernetes.io/ttl": "0"}}}
            for name in ("node01", "node02", "node03", "node04")}
    client = FakeKubernetes(live)
    rendered = [o for o in resources.build(make_plan(**DESIGNS["route_reflectors"]), ctx).kubernetes if o["kind"] == "Node"]
    apply_node_patches(client, rendered)
    node01 = client.nodes["node01"]["metadata"]
    assert node01["labels"] == {"kubernetes.io/hostname": "node01", "onprem.calico/rack": "r1", "route-reflector": "true"}
    assert node01["annotations"]["projectcalico.org/RouteReflectorClusterID"] == "244.0.0.1"
    assert json.loads(node01["annotations"]["onprem.calico/managed-fields"]) == [
        "/metadata/annotations/projectcalico.org~1RouteReflectorClusterID",
        "/metadata/labels/onprem.calico~1rack", "/metadata/labels/route-reflector"]
    count = len(client.patches)
    apply_node_patches(client, rendered)
    assert len(client.patches) == count  # second run: no patch at all
    rendered = [o for o in resources.build(make_plan(**DESIGNS["full_mesh"]), ctx).kubernetes if o["kind"] == "Node"]
    client.patches = []
    apply_node_patches(client, rendered)
    assert [name for name, _patch in client.patches] == ["node01", "node03"]
    assert client.patches[0][1]["metadata"]["labels"] == {"route-reflector": None}
    node01 = client.nodes["node01"]["metadata"]
    assert node01["labels"] == {"kubernetes.io/hostname": "node01", "onprem.calico/rack": "r1"}
    assert "projectcalico.org/RouteReflectorClusterID" not in node01["annotations"]
    assert node01["annotations"]["node.alpha.kubernetes.io/ttl"] == "0"


def test_expected_sessions_and_report():
    plan = make_plan(**DESIGNS["tor_as_per_rack"])
    expected = rc.expected_sessions(plan["nodes"], plan["bgp"]["node_to_node_mesh"])
    assert expected["node01"] == {"10.0.1.1": "tor1a", "10.0.1.2": "tor1b"}
    statuses = [{"spec": {"node": "node01"}, "status": {"bgp": {"peersV4": [
        {"peerIP": "10.0.1.1", "state": "Established", "type": "GlobalPeer"},
        {"peerIP": "10.0.1.2", "state": "Active", "type": "GlobalPeer"}]},
        "routes": {"routesV4": [{"destination": "0.0.0.0/0", "learnedFrom": {"peerIP": "10.0.1.1", "sourceType": "BGPPeer"}}]}}}]
    report, failing = rc.session_report(expected, statuses)
    assert failing == ["node01", "node02", "node03", "node04"]
    assert report["node01"] == {"established": ["10.0.1.1"],
                                "missing": [{"peer": "tor1b", "ip": "10.0.1.2", "state": "Active"}],
                                "routes": {"10.0.1.1": 1}, "status_reported": True}
    assert report["node02"]["missing"][0]["state"] == "no status reported"
    mesh = rc.expected_sessions(make_plan(**DESIGNS["full_mesh"])["nodes"], True)
    assert sorted(mesh["node01"]) == ["10.0.1.12", "10.0.2.13", "10.0.2.14"]
    rr_plan = make_plan(**DESIGNS["route_reflectors"])
    only_rr = rc.expected_sessions(rr_plan["nodes"], True, kinds=["route_reflector"])
    assert only_rr["node02"] == {"10.0.1.11": "node01", "10.0.2.13": "node03"}


def test_expected_sessions_hold_the_ipv6_tor_sessions_of_a_dual_stack_node():
    """calico-node's BIRD6 peers only with IPv6 neighbours: a ToR peer with ip6 is a second
    session, and CalicoNodeStatus (peersV6) must show it Established too."""
    nodes = {"n1": {"ip": "10.0.1.11", "ip6": "fd00:1::11", "peers": [
        {"name": "tor1", "ip": "10.0.1.1", "ip6": "fd00:1::1", "asn": 65001, "kind": "tor"}]}}
    assert [(s["family"], s["node_ip"], s["peer_ip"]) for s in rc.planned_sessions(nodes, False)] == [
        (4, "10.0.1.11", "10.0.1.1"), (6, "fd00:1::11", "fd00:1::1")]
    expected = rc.expected_sessions(nodes, False)
    assert expected == {"n1": {"10.0.1.1": "tor1", "fd00:1::1": "tor1"}}
    status = [{"spec": {"node": "n1"}, "status": {"bgp": {
        "peersV4": [{"peerIP": "10.0.1.1", "state": "Established", "type": "GlobalPeer"}],
        "peersV6": [{"peerIP": "fd00:1::1", "state": "Connect", "type": "GlobalPeer"}]}}}]
    report, failing = rc.session_report(expected, status)
    assert failing == ["n1"]
    assert report["n1"]["missing"] == [{"peer": "tor1", "ip": "fd00:1::1", "state": "Connect"}]
