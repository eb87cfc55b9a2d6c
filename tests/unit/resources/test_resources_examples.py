"""The example inventories through build_plan() and the resources renderer, object by object."""

from __future__ import annotations

import pytest
import yaml
from plans import RELEASES, UPSTREAM_DIR

from ansible_collections.onprem.calico.plugins.plugin_utils import crd_schema, resources


def objects(rs, kind):
    return {o["metadata"]["name"]: o for o in rs.calico if o["kind"] == kind}


def node_patches(rs):
    return {o["metadata"]["name"]: o["metadata"] for o in rs.kubernetes if o["kind"] == "Node"}


@pytest.mark.parametrize("version", RELEASES)
def test_every_example_renders_valid_resources_for_every_release(each_example, example_plan, version, ctx):
    plan = example_plan(each_example)
    plan["cluster"]["version"] = version
    rs = resources.build(plan, ctx)
    schemas = crd_schema.load_release(version, UPSTREAM_DIR)
    assert rs.calico
    for obj in rs.calico:
        assert schemas.validate(obj) == []
    artifact = {a.path: a for a in resources.render(plan, ctx)}["calico-resources.yaml"]
    docs = [d for d in yaml.safe_load_all(artifact.content) if d]
    assert docs == rs.calico  # the file is exactly the validated set


def test_kdd_small_is_a_full_mesh(example_plan, ctx):
    plan = example_plan("kdd-small")
    rs = resources.build(plan, ctx)
    assert objects(rs, "BGPConfiguration")["default"]["spec"] == {
        "asNumber": plan["bgp"]["asn"], "nodeToNodeMeshEnabled": True, "listenPort": 179}
    assert objects(rs, "BGPPeer") == {}
    assert sorted(objects(rs, "IPPool")) == ["default-ipv4-ippool"]
    assert objects(rs, "IPPool")["default-ipv4-ippool"]["spec"]["cidr"] == plan["cluster"]["pod_cidr"]
    assert sorted(o["spec"]["node"] for o in objects(rs, "CalicoNodeStatus").values()) == sorted(plan["nodes"])
    assert node_patches(rs) == {}  # no racks, global AS: nothing to put on the Nodes


def test_kdd_typha_uses_route_reflectors(example_plan, ctx):
    plan = example_plan("kdd-typha")
    rs = resources.build(plan, ctx)
    assert plan["bgp"]["route_reflectors"] == ["node004", "node005"]
    assert objects(rs, "BGPConfiguration")["default"]["spec"]["nodeToNodeMeshEnabled"] is False
    assert {n: p["spec"] for n, p in objects(rs, "BGPPeer").items()} == {
        "onprem-calico-route-reflectors": {"nodeSelector": "all()", "peerSelector": "route-reflector == 'true'"}}
    patches = node_patches(rs)
    assert sorted(patches) == ["node004", "node005"]
    for name in patches:
        assert patches[name]["labels"] == {"route-reflector": "true"}
        assert patches[name]["annotations"]["projectcalico.org/RouteReflectorClusterID"] == \
            plan["nodes"][name]["route_reflector_cluster_id"]
        assert "projectcalico.org/ASNumber" not in patches[name]["annotations"]


def test_etcd_example_writes_calico_objects_only(example_plan, ctx):
    plan = example_plan("etcd")
    rs = resources.build(plan, ctx)
    assert plan["cluster"]["datastore"] == "etcd"
    assert objects(rs, "BGPConfiguration")["default"]["spec"]["nodeToNodeMeshEnabled"] is True
    pool = objects(rs, "IPPool")["default-ipv4-ippool"]["spec"]
    assert (pool["cidr"], pool["ipipMode"], pool["vxlanMode"]) == ("172.16.0.0/16", "Never", "CrossSubnet")
    assert rs.kubernetes == [] and objects(rs, "Node") == {}


def test_tor_as_per_rack_one_as_per_rack_both_tors_mesh_off(example_plan, ctx):
    plan = example_plan("tor-as-per-rack")
    rs = resources.build(plan, ctx)
    assert objects(rs, "BGPConfiguration")["default"]["spec"]["nodeToNodeMeshEnabled"] is False
    rack_asns = {rack["name"]: rack["asn"] for rack in plan["racks"].values()}
    assert len(set(rack_asns.values())) == len(rack_asns) == 4  # one AS per rack
    peers = objects(rs, "BGPPeer")
    expected = {}
    for rack in plan["racks"].values():
        assert len(rack["tor_routers"]) == 2
        for tor in rack["tor_routers"]:
            expected["onprem-calico-rack-%s-%s" % (rack["name"], tor)] = {
                "asNumber": rack["asn"], "nodeSelector": "onprem.calico/rack == '%s'" % rack["name"],
                "peerIP": plan["tor_routers"][tor]["peer_ip"], "filters": ["onprem-calico-tor-import"]}
    assert {n: p["spec"] for n, p in peers.items()} == expected
    # What the nodes take from their ToRs: the pool's routes, then nothing else (issue 17).
    assert objects(rs, "BGPFilter")["onprem-calico-tor-import"]["spec"] == {
        "importV4": [{"action": "Accept", "matchOperator": "In", "cidr": plan["cluster"]["pod_cidr"]}, {"action": "Reject"}]}
    patches = node_patches(rs)
    assert sorted(patches) == sorted(plan["nodes"])
    for name, node in plan["nodes"].items():
        assert patches[name]["labels"] == {"onprem.calico/rack": node["rack"]}
        assert patches[name]["annotations"]["projectcalico.org/ASNumber"] == str(rack_asns[node["rack"]])
    assert objects(rs, "BGPConfiguration")["default"]["spec"]["serviceClusterIPs"] == [
        {"cidr": plan["cluster"]["service_cidr"]}]
