"""Each BGP design and datastore rendered from small plans, asserted object by object."""

from __future__ import annotations

import json

import pytest
import yaml
from plans import DESIGNS, GLOBAL_ASN, NODE_ASN, NODE_IPS, RACK_ASN, RACK_LABEL, RELEASES, TOR_ASN_DOWNWARD, UPSTREAM_DIR, make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils import crd_schema, resources
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderError

MANAGED = {"app.kubernetes.io/managed-by": "onprem.calico"}


def objects(rs, kind):
    return {o["metadata"]["name"]: o for o in rs.calico if o["kind"] == kind}


def k8s(rs, kind):
    return {o["metadata"]["name"]: o for o in rs.kubernetes if o["kind"] == kind}


def managed_fields(obj):
    return json.loads(obj["metadata"]["annotations"]["onprem.calico/managed-fields"])


@pytest.mark.parametrize("design", sorted(DESIGNS))
@pytest.mark.parametrize("datastore", ["kubernetes", "etcd"])
def test_every_design_is_valid_in_every_release(design, datastore, release, ctx):
    plan = make_plan(datastore=datastore, version=release, password=design != "none", **DESIGNS[design])
    rs = resources.build(plan, ctx)
    schemas = crd_schema.load_release(release, UPSTREAM_DIR)
    for obj in rs.calico:
        assert obj["apiVersion"] == "projectcalico.org/v3"
        assert schemas.validate(obj) == []
        # Every object records what it manages, and owned ones carry the label.
        assert managed_fields(obj)
        singleton = obj["kind"] in ("Node", "BGPConfiguration") or obj["metadata"]["name"].startswith("default-")
        assert (obj["metadata"].get("labels", {}).get("app.kubernetes.io/managed-by") == "onprem.calico") != singleton


def test_full_mesh(ctx):
    rs = resources.build(make_plan(**DESIGNS["full_mesh"]), ctx)
    config = objects(rs, "BGPConfiguration")["default"]
    assert config["spec"] == {"asNumber": GLOBAL_ASN, "nodeToNodeMeshEnabled": True, "listenPort": 179}
    assert "labels" not in config["metadata"]  # a singleton is never labelled for pruning
    assert objects(rs, "BGPPeer") == {}
    assert sorted(objects(rs, "CalicoNodeStatus")) == ["onprem-calico-" + n for n in sorted(NODE_IPS)]
    status = objects(rs, "CalicoNodeStatus")["onprem-calico-node01"]
    assert status["spec"] == {"node": "node01", "classes": ["Agent", "BGP", "Routes"], "updatePeriodSeconds": 30}
    nodes = k8s(rs, "Node")
    # Global AS: no per-node ASNumber annotation; the rack label is still managed.
    assert nodes["node01"]["metadata"]["labels"] == {RACK_LABEL: "r1"}
    assert "projectcalico.org/ASNumber" not in nodes["node01"]["metadata"]["annotations"]


@pytest.mark.parametrize("datastore", ["kubernetes", "etcd"])
def test_route_reflectors(datastore, ctx):
    rs = resources.build(make_plan(datastore=datastore, **DESIGNS["route_reflectors"]), ctx)
    assert objects(rs, "BGPConfiguration")["default"]["spec"]["nodeToNodeMeshEnabled"] is False
    peers = objects(rs, "BGPPeer")
    assert list(peers) == ["onprem-calico-route-reflectors"]
    assert peers["onprem-calico-route-reflectors"]["spec"] == {
        "nodeSelector": "all()", "peerSelector": "route-reflector == 'true'"}
    assert peers["onprem-calico-route-reflectors"]["metadata"]["labels"] == MANAGED
    if datastore == "kubernetes":
        nodes = k8s(rs, "Node")
        assert objects(rs, "Node") == {}
        for rr in ("node01", "node03"):
            assert nodes[rr]["metadata"]["labels"] == {RACK_LABEL: nodes[rr]["metadata"]["labels"][RACK_LABEL],
                                                       "route-reflector": "true"}
            assert nodes[rr]["metadata"]["annotations"]["projectcalico.org/RouteReflectorClusterID"] == "244.0.0.1"
        assert "route-reflector" not in nodes["node02"]["metadata"]["labels"]
        assert "projectcalico.org/RouteReflectorClusterID" not in nodes["node02"]["metadata"]["annotations"]
    else:
        nodes = objects(rs, "Node")
        assert k8s(rs, "Node") == {}
        assert nodes["node01"]["spec"] == {"bgp": {"routeReflectorClusterID": "244.0.0.1"}}
        assert nodes["node01"]["metadata"]["labels"] == {RACK_LABEL: "r1", "route-reflector": "true"}
        assert nodes["node02"]["spec"] == {} and nodes["node02"]["metadata"]["labels"] == {RACK_LABEL: "r1"}
        assert "/spec" not in managed_fields(nodes["node02"])  # an empty spec must not wipe the live one


@pytest.mark.parametrize("datastore", ["kubernetes", "etcd"])
def test_tor_as_per_rack(datastore, ctx):
    rs = resources.build(make_plan(datastore=datastore, **DESIGNS["tor_as_per_rack"]), ctx)
    assert objects(rs, "BGPConfiguration")["default"]["spec"]["nodeToNodeMeshEnabled"] is False
    peers = objects(rs, "BGPPeer")
    assert sorted(peers) == ["onprem-calico-rack-r1-tor1a", "onprem-calico-rack-r1-tor1b",
                             "onprem-calico-rack-r2-tor2a", "onprem-calico-rack-r2-tor2b"]
    assert peers["onprem-calico-rack-r1-tor1b"]["spec"] == {
        "asNumber": RACK_ASN["r1"], "nodeSelector": "%s == 'r1'" % RACK_LABEL, "peerIP": "10.0.1.2"}
    assert peers["onprem-calico-rack-r2-tor2a"]["spec"] == {
        "asNumber": RACK_ASN["r2"], "nodeSelector": "%s == 'r2'" % RACK_LABEL, "peerIP": "10.0.2.1"}
    for name in NODE_IPS:
        rack = "r1" if name in ("node01", "node02") else "r2"
        if datastore == "kubernetes":
            node = k8s(rs, "Node")[name]
            assert node["metadata"]["annotations"]["projectcalico.org/ASNumber"] == str(RACK_ASN[rack])
            assert node["metadata"]["labels"] == {RACK_LABEL: rack}
        else:
            node = objects(rs, "Node")[name]
            assert node["spec"] == {"bgp": {"asNumber": RACK_ASN[rack]}}
            assert node["metadata"]["labels"] == {RACK_LABEL: rack}


def test_tor_as_per_node(ctx):
    rs = resources.build(make_plan(**DESIGNS["tor_as_per_node"]), ctx)
    peers = objects(rs, "BGPPeer")
    assert len(peers) == 4
    assert peers["onprem-calico-rack-r2-tor2b"]["spec"] == {
        "asNumber": 65020, "nodeSelector": "%s == 'r2'" % RACK_LABEL, "peerIP": "10.0.2.2"}
    for name, asn in NODE_ASN.items():
        assert k8s(rs, "Node")[name]["metadata"]["annotations"]["projectcalico.org/ASNumber"] == str(asn)
    assert "numAllowedLocalASNumbers" not in json.dumps(rs.calico)  # distinct AS per node: no loop


def test_tor_downward_default(ctx):
    rs = resources.build(make_plan(**DESIGNS["tor_downward_default"]), ctx)
    config = objects(rs, "BGPConfiguration")["default"]["spec"]
    assert config["asNumber"] == GLOBAL_ASN and config["nodeToNodeMeshEnabled"] is False
    for peer in objects(rs, "BGPPeer").values():
        assert peer["spec"]["asNumber"] == TOR_ASN_DOWNWARD
        # Only a default route comes down, so no AS-loop override on the Calico side.
        assert "numAllowedLocalASNumbers" not in peer["spec"]
    for node in k8s(rs, "Node").values():
        assert "projectcalico.org/ASNumber" not in node["metadata"]["annotations"]


def test_none_renders_pools_only(ctx):
    rs = resources.build(make_plan(**DESIGNS["none"]), ctx)
    assert [o["kind"] for o in rs.calico] == ["IPPool"]
    assert rs.secret is None and not [o for o in rs.kubernetes if o["kind"] in ("Role", "RoleBinding")]


def test_node_with_its_own_tor_sessions_gets_a_per_node_peer(ctx):
    plan = make_plan(**DESIGNS["tor_as_per_rack"])
    plan["nodes"]["node02"]["peers"] = plan["nodes"]["node02"]["peers"][:1]  # only tor1a
    peers = objects(resources.build(plan, ctx), "BGPPeer")
    assert peers["onprem-calico-rack-r1-tor1a"]["spec"]["nodeSelector"] == "%s == 'r1'" % RACK_LABEL
    assert "onprem-calico-rack-r1-tor1b" not in peers
    assert peers["onprem-calico-node-node01-tor1b"]["spec"] == {"asNumber": 65001, "node": "node01",
                                                                "peerIP": "10.0.1.2"}


def test_bgp_configuration_extras(ctx):
    plan = make_plan(**DESIGNS["tor_as_per_rack"])
    plan["bgp"].update(listen_port=1790, service_cluster_ips=["10.96.0.0/12"],
                       service_external_ips=["203.0.113.0/24"], service_loadbalancer_ips=["198.51.100.0/24"],
                       communities=[{"name": "calico", "value": "64512:100"}],
                       prefix_advertisements=[{"cidr": "10.244.0.0/16", "communities": ["calico"]}])
    spec = objects(resources.build(plan, ctx), "BGPConfiguration")["default"]["spec"]
    assert spec["listenPort"] == 1790
    assert spec["serviceClusterIPs"] == [{"cidr": "10.96.0.0/12"}]
    assert spec["serviceExternalIPs"] == [{"cidr": "203.0.113.0/24"}]
    assert spec["serviceLoadBalancerIPs"] == [{"cidr": "198.51.100.0/24"}]
    assert spec["communities"] == [{"name": "calico", "value": "64512:100"}]
    # calicoctl refuses communities without a prefixAdvertisement that uses them (issue 13, defect 4).
    assert spec["prefixAdvertisements"] == [{"cidr": "10.244.0.0/16", "communities": ["calico"]}]


def test_pools_per_rack_and_dual_stack(ctx):
    plan = make_plan(dual_stack=True, **DESIGNS["tor_as_per_rack"])
    plan["ip_pools"].append({"name": "rack-r1", "family": 4, "cidr": "10.10.0.0/20", "block_size": 28,
                             "ipip_mode": "Never", "vxlan_mode": "CrossSubnet", "nat_outgoing": False,
                             "node_selector": "%s == 'r1'" % RACK_LABEL, "disabled": True, "default": False,
                             "racks": ["r1"], "namespace_selector": None})
    pools = objects(resources.build(plan, ctx), "IPPool")
    assert pools["default-ipv6-ippool"]["spec"]["cidr"] == "fd00:10:244::/56"
    assert pools["default-ipv6-ippool"]["spec"]["blockSize"] == 122
    assert "labels" not in pools["default-ipv6-ippool"]["metadata"]
    assert pools["rack-r1"]["spec"] == {"cidr": "10.10.0.0/20", "blockSize": 28, "ipipMode": "Never",
                                        "vxlanMode": "CrossSubnet", "natOutgoing": False,
                                        "nodeSelector": "%s == 'r1'" % RACK_LABEL, "disabled": True}
    assert pools["rack-r1"]["metadata"]["labels"] == MANAGED


def test_password_is_referenced_never_embedded(ctx):
    plan = make_plan(password=True, **DESIGNS["full_mesh"])
    plan["nodes"]["node01"]["peers"] = [{"name": "tor1a", "ip": "10.0.1.1", "asn": 65001, "kind": "tor"}]
    artifacts = {a.path: a for a in resources.render(plan, ctx)}
    secret_text = ctx.secrets["bgp_password"]
    assert sorted(artifacts) == ["calico-resources-k8s.yaml", "calico-resources.yaml",
                                 "secrets/calico-bgp-password.yaml"]
    for path in ("calico-resources.yaml", "calico-resources-k8s.yaml"):
        assert secret_text not in artifacts[path].content and not artifacts[path].secret
    secret_file = artifacts["secrets/calico-bgp-password.yaml"]
    assert secret_file.mode == "0600" and secret_file.secret
    secret = [d for d in yaml.safe_load_all(secret_file.content) if d][0]
    assert secret["stringData"] == {"password": secret_text}
    assert secret["metadata"] == {"name": "calico-bgp-password", "namespace": "kube-system", "labels": MANAGED}
    calico = [d for d in yaml.safe_load_all(artifacts["calico-resources.yaml"].content) if d]
    ref = {"secretKeyRef": {"name": "calico-bgp-password", "key": "password"}}
    assert [o["spec"]["password"] for o in calico if o["kind"] == "BGPPeer"] == [ref]
    assert [o["spec"]["nodeMeshPassword"] for o in calico if o["kind"] == "BGPConfiguration"] == [ref]
    rbac = {d["kind"]: d for d in yaml.safe_load_all(artifacts["calico-resources-k8s.yaml"].content) if d}
    assert rbac["Role"]["rules"] == [{"apiGroups": [""], "resources": ["secrets"],
                                      "resourceNames": ["calico-bgp-password"], "verbs": ["get", "list", "watch"]}]
    assert rbac["RoleBinding"]["subjects"] == [{"kind": "ServiceAccount", "name": "calico-node",
                                                "namespace": "kube-system"}]
    assert rbac["RoleBinding"]["roleRef"]["name"] == rbac["Role"]["metadata"]["name"]


def test_mesh_password_only_while_the_mesh_is_on(ctx):
    rs = resources.build(make_plan(password=True, **DESIGNS["route_reflectors"]), ctx)
    assert "nodeMeshPassword" not in objects(rs, "BGPConfiguration")["default"]["spec"]


def test_password_enabled_without_a_password_is_an_error(ctx):
    ctx.secrets = {}
    with pytest.raises(RenderError) as err:
        resources.build(make_plan(password=True, **DESIGNS["tor_as_per_rack"]), ctx)
    assert err.value.messages[0].startswith("calico_bgp_password:")


@pytest.mark.parametrize("version, ok", [("3.30.7", False), ("3.31.7", False), ("3.32.1", True)])
def test_keepalive_time_is_gated_by_the_release_schema(version, ok, ctx):
    plan = make_plan(version=version, **DESIGNS["tor_as_per_rack"])
    plan["bgp"]["peer_extra"] = {"keepaliveTime": "30s"}
    if ok:
        peers = objects(resources.build(plan, ctx), "BGPPeer")
        assert {p["spec"]["keepaliveTime"] for p in peers.values()} == {"30s"}
    else:
        with pytest.raises(RenderError) as err:
            resources.build(plan, ctx)
        assert err.value.messages == [
            "calico_bgp_peer_extra.keepaliveTime: BGPPeer.spec.keepaliveTime is not in the Calico %s CRD schema; "
            "the field exists from Calico 3.32.1. Raise calico_version or drop the setting" % version]


def test_local_as_number_and_namespace_selector_gates(ctx):
    plan = make_plan(version="3.30.7", **DESIGNS["tor_as_per_node"])
    plan["bgp"]["peer_extra"] = {"localASNumber": 65500, "numAllowedLocalASNumbers": 1}
    plan["ip_pools"][0]["namespace_selector"] = "all()"
    with pytest.raises(RenderError) as err:
        resources.build(plan, ctx)
    assert len(err.value.messages) == 2
    assert err.value.messages[0].startswith("calico_ip_pools[default-ipv4-ippool].namespace_selector: "
                                            "IPPool.spec.namespaceSelector")
    assert "exists from Calico 3.31.7" in err.value.messages[0]
    assert err.value.messages[1].startswith("calico_bgp_peer_extra.localASNumber:")
    plan["cluster"]["version"] = "3.31.7"
    rs = resources.build(plan, ctx)
    assert objects(rs, "IPPool")["default-ipv4-ippool"]["spec"]["namespaceSelector"] == "all()"
    assert {p["spec"]["localASNumber"] for p in objects(rs, "BGPPeer").values()} == {65500}


def test_peer_extra_cannot_override_planned_fields_or_invent_any(ctx):
    plan = make_plan(version="3.32.1", **DESIGNS["tor_as_per_rack"])
    plan["bgp"]["peer_extra"] = {"peerIP": "10.9.9.9", "keepAliveTime": "30s"}
    with pytest.raises(RenderError) as err:
        resources.build(plan, ctx)
    typo, owned = err.value.messages
    assert owned.startswith("calico_bgp_peer_extra.peerIP: BGPPeer.spec.peerIP is set from the plan")
    assert typo.startswith("calico_bgp_peer_extra.keepAliveTime: BGPPeer.spec.keepAliveTime is not a field of "
                           "BGPPeer in any Calico release checked (3.30.7, 3.31.7, 3.32.1)")


def test_schema_violation_from_bad_values_is_reported(ctx):
    plan = make_plan(**DESIGNS["tor_as_per_rack"])
    plan["bgp"]["peer_extra"] = {"nextHopMode": "Sometimes"}
    with pytest.raises(RenderError) as err:
        resources.build(plan, ctx)
    assert any("spec.nextHopMode" in m and "Calico 3.31.7 schema" in m for m in err.value.messages)


@pytest.mark.parametrize("release_version", RELEASES)
def test_kubernetes_side_objects_are_valid_kubernetes(release_version, ctx):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    plan = make_plan(version=release_version, password=True, **DESIGNS["route_reflectors"])
    rs = resources.build(plan, ctx)
    for obj in rs.kubernetes + [rs.secret]:
        kubernetes_validate.validate(obj, plan["cluster"]["kubernetes_version"], strict=True)


def test_num_allowed_local_as_numbers_is_passed_and_never_combined_with_as_override(ctx):
    plan = make_plan(**DESIGNS["tor_downward_default"])
    plan["bgp"]["peer_extra"] = {"numAllowedLocalASNumbers": 1}
    peers = objects(resources.build(plan, ctx), "BGPPeer")
    assert {p["spec"]["numAllowedLocalASNumbers"] for p in peers.values()} == {1}
    plan["tor_routers"] = {"tor1a": {"name": "tor1a", "as_override": True}, "tor1b": {"name": "tor1b"}}
    with pytest.raises(RenderError) as err:
        resources.build(plan, ctx)
    assert err.value.messages == ["calico_bgp_peer_extra.numAllowedLocalASNumbers: the ToRs tor1a already use "
                                  "as-override; use one AS-loop override, not both (see docs/bgp.md)"]


@pytest.mark.parametrize("design", sorted(DESIGNS))
def test_libyaml_and_pure_python_dumpers_write_the_same_bytes(design, ctx):
    # resources._dump uses libyaml's emitter when PyYAML has it; a controller without it must
    # write the same files, or every run from the other kind of controller would report changes.
    if not hasattr(yaml, "CSafeDumper"):
        pytest.skip("PyYAML here has no libyaml")
    plan = make_plan(datastore="etcd" if design == "route_reflectors" else "kubernetes", password=design != "none",
                     dual_stack=design == "full_mesh", **DESIGNS[design])
    rs = resources.build(plan, ctx)
    objects = rs.calico + rs.kubernetes
    assert resources.YAML_DUMPER is yaml.CSafeDumper
    assert resources._dump(objects, "", yaml.CSafeDumper) == resources._dump(objects, "", yaml.SafeDumper)
