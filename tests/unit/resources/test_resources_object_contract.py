"""What the apply step and calicoctl rely on in every rendered object, beyond the designs'
specs: DNS-1123 names (RFC 1123 labels joined by '-', at most 253 characters), the ownership
label and the managed-fields annotation (RFC 6901 JSON pointers, '/' in a key escaped as '~1'),
the singleton mark, key order, the file headers, IPv6 and GTSM ToR sessions, the import filter,
and the password Secret and its RBAC."""

from __future__ import annotations

import json

import pytest
import yaml
from plans import DESIGNS, RACK_LABEL, UPSTREAM_DIR, make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils import resources
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext, RenderError

MANAGED_BY = "app.kubernetes.io/managed-by"
FIELDS = "onprem.calico/managed-fields"
SINGLETON = "onprem.calico/singleton"


def by_name(objects, kind):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


@pytest.mark.parametrize("parts, name", [
    (("onprem-calico-rack", "R1", "ToR_1a"), "onprem-calico-rack-r1-tor-1a"),
    (("onprem-calico", "node01.example.com"), "onprem-calico-node01-example-com"),
    (("a", "", None, "b"), "a-b"),  # empty parts add no separator
    (("--x--", "!y!"), "x-y"),
    (("Node 7",), "node-7"),
])
def test_dns_names(parts, name):
    assert resources._dns_name(*parts) == name


def test_dns_names_are_cut_to_253_without_a_trailing_dash():
    assert resources._dns_name("a" * 300) == "a" * 253
    # the cut lands right after a separator: the dash goes too
    assert resources._dns_name("a" * 252, "b") == "a" * 252


def test_an_owned_object_is_labelled_and_lists_its_fields(ctx):
    rs = resources.build(make_plan(password=True, **DESIGNS["tor_as_per_rack"]), ctx)
    peer = by_name(rs.calico, "BGPPeer")["onprem-calico-rack-r1-tor1a"]
    assert list(peer) == ["apiVersion", "kind", "metadata", "spec"]
    assert list(peer["metadata"]) == ["name", "labels", "annotations"]
    assert peer["metadata"]["labels"] == {MANAGED_BY: "onprem.calico"}
    assert peer["metadata"]["annotations"] == {FIELDS: json.dumps([
        "/spec/asNumber", "/spec/nodeSelector", "/spec/password/secretKeyRef/key", "/spec/password/secretKeyRef/name",
        "/spec/peerIP"])}
    assert list(peer["spec"]) == sorted(peer["spec"])
    status = by_name(rs.calico, "CalicoNodeStatus")["onprem-calico-node01"]
    # a list is one field: the live list is replaced, not merged
    assert json.loads(status["metadata"]["annotations"][FIELDS]) == ["/spec/classes", "/spec/node", "/spec/updatePeriodSeconds"]


def test_a_singleton_is_marked_not_labelled(ctx):
    rs = resources.build(make_plan(**DESIGNS["full_mesh"]), ctx)
    config = by_name(rs.calico, "BGPConfiguration")["default"]
    assert config["metadata"] == {"name": "default", "annotations": {
        FIELDS: json.dumps(["/spec/asNumber", "/spec/listenPort", "/spec/nodeToNodeMeshEnabled"]), SINGLETON: "true"}}
    pool = by_name(rs.calico, "IPPool")["default-ipv4-ippool"]
    assert pool["metadata"]["annotations"][SINGLETON] == "true" and "labels" not in pool["metadata"]
    assert json.loads(pool["metadata"]["annotations"][FIELDS]) == [
        "/spec/blockSize", "/spec/cidr", "/spec/disabled", "/spec/ipipMode", "/spec/natOutgoing", "/spec/nodeSelector",
        "/spec/vxlanMode"]


def test_kubernetes_node_patches_escape_slashes_in_their_pointers(ctx):
    rs = resources.build(make_plan(**DESIGNS["route_reflectors"]), ctx)
    node = by_name(rs.kubernetes, "Node")["node01"]
    assert (node["apiVersion"], node["kind"]) == ("v1", "Node")
    assert list(node["metadata"]) == ["name", "labels", "annotations"]
    annotations = node["metadata"]["annotations"]
    assert list(annotations) == sorted(annotations)
    assert annotations["projectcalico.org/RouteReflectorClusterID"] == "244.0.0.1" and annotations[SINGLETON] == "true"
    assert json.loads(annotations[FIELDS]) == [
        "/metadata/annotations/projectcalico.org~1RouteReflectorClusterID", "/metadata/labels/onprem.calico~1rack",
        "/metadata/labels/route-reflector"]
    assert node["metadata"]["labels"] == {RACK_LABEL: "r1", "route-reflector": "true"}
    assert list(node["metadata"]["labels"]) == [RACK_LABEL, "route-reflector"]


def test_etcd_node_objects_manage_labels_and_bgp_fields(ctx):
    plan = make_plan(datastore="etcd", **DESIGNS["tor_as_per_node"])
    node = by_name(resources.build(plan, ctx).calico, "Node")["node03"]
    assert node["spec"] == {"bgp": {"asNumber": 65103}}
    assert json.loads(node["metadata"]["annotations"][FIELDS]) == ["/metadata/labels/onprem.calico~1rack", "/spec/bgp/asNumber"]
    assert node["metadata"]["annotations"][SINGLETON] == "true" and node["metadata"]["labels"] == {RACK_LABEL: "r2"}


def test_a_node_with_nothing_to_manage_gets_no_object(ctx):
    for datastore in ("kubernetes", "etcd"):
        plan = make_plan(datastore=datastore, **DESIGNS["full_mesh"])
        plan["nodes"]["node02"]["labels"] = {}
        rs = resources.build(plan, ctx)
        nodes = by_name(rs.kubernetes if datastore == "kubernetes" else rs.calico, "Node")
        assert "node02" not in nodes and "node01" in nodes


def test_without_bgp_nodes_keep_their_labels_but_get_no_as(ctx):
    plan = make_plan(datastore="etcd", **DESIGNS["none"])
    for node in plan["nodes"].values():
        node.update(asn=65100, asn_source="node", route_reflector=True, route_reflector_cluster_id="244.0.0.1")
    rs = resources.build(plan, ctx)
    node = by_name(rs.calico, "Node")["node01"]
    assert node["spec"] == {} and node["metadata"]["labels"] == {RACK_LABEL: "r1", "route-reflector": "true"}
    plan["cluster"]["datastore"] = "kubernetes"
    patch = by_name(resources.build(plan, ctx).kubernetes, "Node")["node01"]
    assert "projectcalico.org/ASNumber" not in patch["metadata"]["annotations"]
    assert "projectcalico.org/RouteReflectorClusterID" not in patch["metadata"]["annotations"]


def test_node_as_is_set_only_when_it_is_not_the_global_one():
    assert resources.node_asn({"asn": 65001, "asn_source": "rack"}) == 65001
    assert resources.node_asn({"asn": 64512, "asn_source": "global"}) is None
    assert resources.node_asn({"asn": 64512}) is None


def test_resource_file_headers_say_what_and_how(ctx):
    plan = make_plan(password=True, **DESIGNS["tor_as_per_rack"])
    files = {a.path: a for a in resources.render(plan, ctx)}
    calico = files["calico-resources.yaml"]
    first, second, third = calico.content.splitlines()[:3]
    assert first == "# Calico 3.31.7 BGP and IPAM resources for cluster lab (kubernetes datastore), rendered by onprem.calico."
    assert "calico_bgp role (calicoctl)" in second and "app.kubernetes.io/managed-by=onprem.calico" in second
    assert "onprem.calico/managed-fields" in third
    assert (calico.mode, calico.secret) == ("0644", False)
    assert calico.content.count("\n---\n") + calico.content.startswith("---\n") == len(resources.build(plan, ctx).calico)
    k8s = files["calico-resources-k8s.yaml"]
    assert k8s.content.startswith("# Kubernetes objects of the BGP stage (kubernetes.core)")
    assert (k8s.mode, k8s.secret) == ("0644", False)
    assert files["secrets/calico-bgp-password.yaml"].content.startswith("# BGP password Secret: keep private.\n---\n")


def test_etcd_without_password_has_no_kubernetes_file(ctx):
    files = [a.path for a in resources.render(make_plan(datastore="etcd", **DESIGNS["tor_as_per_rack"]), ctx)]
    assert files == ["calico-resources.yaml"]


def test_ipv6_tor_sessions_and_ttl_security(ctx):
    plan = make_plan(**DESIGNS["tor_as_per_rack"])
    plan["bgp"]["ttl_security_hops"] = 1
    for node in plan["nodes"].values():
        for peer in node["peers"]:
            peer["ip6"] = "fd00:%s::1" % peer["name"][-2:]
    peers = by_name(resources.build(plan, ctx).calico, "BGPPeer")
    assert sorted(peers) == sorted(n + s for n in ("onprem-calico-rack-r1-tor1a", "onprem-calico-rack-r1-tor1b",
                                                   "onprem-calico-rack-r2-tor2a", "onprem-calico-rack-r2-tor2b")
                                   for s in ("", "-v6"))
    assert peers["onprem-calico-rack-r1-tor1b-v6"]["spec"] == {
        "asNumber": 65001, "nodeSelector": "%s == 'r1'" % RACK_LABEL, "peerIP": "fd00:1b::1", "ttlSecurity": 1}
    assert peers["onprem-calico-rack-r1-tor1b"]["spec"]["ttlSecurity"] == 1


def test_ttl_security_is_for_tor_sessions_only(ctx):
    plan = make_plan(**DESIGNS["route_reflectors"])
    plan["bgp"]["ttl_security_hops"] = 1
    assert "ttlSecurity" not in by_name(resources.build(plan, ctx).calico, "BGPPeer")["onprem-calico-route-reflectors"]["spec"]


def test_the_import_filter_and_its_ipv6_rules(ctx):
    plan = make_plan(**DESIGNS["tor_as_per_rack"])
    v4 = [{"action": "Accept", "matchOperator": "In", "cidr": "192.168.0.0/16"}, {"action": "Reject"}]
    v6 = [{"action": "Accept", "matchOperator": "In", "cidr": "fd00:10:244::/56"}, {"action": "Reject"}]
    plan["bgp"]["tor_import_filter"] = {"name": "onprem-calico-tor-import", "import_v4": v4, "import_v6": []}
    rs = resources.build(plan, ctx)
    assert by_name(rs.calico, "BGPFilter")["onprem-calico-tor-import"]["spec"] == {"importV4": v4}
    assert {tuple(p["spec"]["filters"]) for p in by_name(rs.calico, "BGPPeer").values()} == {("onprem-calico-tor-import",)}
    plan["bgp"]["tor_import_filter"]["import_v6"] = v6
    bgp_filter = by_name(resources.build(plan, ctx).calico, "BGPFilter")["onprem-calico-tor-import"]
    assert bgp_filter["spec"] == {"importV4": v4, "importV6": v6}
    assert bgp_filter["metadata"]["labels"] == {MANAGED_BY: "onprem.calico"}


def test_a_tor_shared_across_racks_gets_per_node_peers(ctx):
    plan = make_plan(**DESIGNS["tor_as_per_rack"])
    shared = {"name": "spine", "ip": "10.0.0.1", "asn": 65500, "kind": "tor"}
    for node in plan["nodes"].values():
        node["peers"] = [dict(shared)]
    peers = by_name(resources.build(plan, ctx).calico, "BGPPeer")
    assert sorted(peers) == ["onprem-calico-node-node0%d-spine" % i for i in range(1, 5)]
    assert peers["onprem-calico-node-node03-spine"]["spec"] == {"asNumber": 65500, "node": "node03", "peerIP": "10.0.0.1"}


def test_route_reflector_and_mesh_peers_are_not_tor_sessions(ctx):
    plan = make_plan(**DESIGNS["route_reflectors"])
    peers = by_name(resources.build(plan, ctx).calico, "BGPPeer")
    assert list(peers) == ["onprem-calico-route-reflectors"]


def test_password_rbac_names_and_binds_exactly(ctx):
    plan = make_plan(password=True, **DESIGNS["tor_as_per_rack"])
    plan["bgp"]["password"].update(secret_name="bgp-auth", secret_key="key", namespace="calico-system")
    rs = resources.build(plan, ctx)
    role, binding = rs.kubernetes[:2]
    assert (role["apiVersion"], role["kind"], binding["apiVersion"], binding["kind"]) == (
        "rbac.authorization.k8s.io/v1", "Role", "rbac.authorization.k8s.io/v1", "RoleBinding")
    for obj in (role, binding):
        assert obj["metadata"] == {"name": "bgp-auth-reader", "namespace": "calico-system", "labels": {MANAGED_BY: "onprem.calico"}}
    assert role["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["bgp-auth"],
                              "verbs": ["get", "list", "watch"]}]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "bgp-auth-reader"}
    # calico-node runs as the calico-node ServiceAccount in kube-system in the upstream manifests
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "calico-node", "namespace": "kube-system"}]
    assert rs.secret == {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                         "metadata": {"name": "bgp-auth", "namespace": "calico-system", "labels": {MANAGED_BY: "onprem.calico"}},
                         "stringData": {"key": "not-in-artifacts-7f3a"}}
    ref = {"secretKeyRef": {"name": "bgp-auth", "key": "key"}}
    assert all(p["spec"]["password"] == ref for p in by_name(rs.calico, "BGPPeer").values())


def test_a_numeric_password_is_written_as_a_string(ctx):
    ctx.secrets = {"bgp_password": 12345}
    secret = resources.build(make_plan(password=True, **DESIGNS["full_mesh"]), ctx).secret
    assert secret["stringData"] == {"password": "12345"}


def test_the_password_is_needed_only_when_the_secret_is_rendered(ctx):
    ctx.secrets = {}
    plan = make_plan(password=True, **DESIGNS["tor_as_per_rack"])
    rs = resources.build(plan, ctx, with_secret=False)
    assert rs.secret is None and [o["kind"] for o in rs.kubernetes[:2]] == ["Role", "RoleBinding"]
    with pytest.raises(RenderError) as raised:
        resources.build(plan, ctx)
    assert raised.value.messages == [
        "calico_bgp_password: the plan enables BGP passwords but no password was given to the renderer; define "
        "calico_bgp_password (vaulted) in the inventory"]


def test_no_password_objects_without_bgp(ctx):
    rs = resources.build(make_plan(password=True, **DESIGNS["none"]), ctx)
    assert rs.secret is None and not [o for o in rs.kubernetes if o["kind"] in ("Role", "RoleBinding")]


def test_rendered_yaml_round_trips(ctx):
    plan = make_plan(password=True, dual_stack=True, **DESIGNS["tor_as_per_rack"])
    files = {a.path: a for a in resources.render(plan, ctx)}
    rs = resources.build(plan, ctx)
    assert [d for d in yaml.safe_load_all(files["calico-resources-k8s.yaml"].content) if d] == rs.kubernetes
    assert [d for d in yaml.safe_load_all(files["secrets/calico-bgp-password.yaml"].content) if d] == [rs.secret]


def test_objects_come_in_the_order_they_must_be_written(ctx):
    """Global settings, pools and nodes first, then the filter before the sessions naming it,
    then status objects; within a kind, by name (stable files between runs)."""
    plan = make_plan(datastore="etcd", password=True, **DESIGNS["tor_as_per_rack"])
    plan["bgp"]["tor_import_filter"] = {"name": "onprem-calico-tor-import", "import_v4": [{"action": "Reject"}], "import_v6": []}
    calico = resources.build(plan, ctx).calico
    kinds = [o["kind"] for o in calico]
    assert sorted(set(kinds), key=kinds.index) == ["BGPConfiguration", "IPPool", "Node", "BGPFilter", "BGPPeer", "CalicoNodeStatus"]
    for kind in ("BGPPeer", "CalicoNodeStatus"):
        names = [o["metadata"]["name"] for o in calico if o["kind"] == kind]
        assert names == sorted(names) and len(names) == 4


def test_gate_messages_read_every_release_from_the_plans_mirror():
    """Without an upstream directory the schemas come from calico_manifest_mirror, for the plan's
    release and for the other releases a gate message names."""
    plan = make_plan(**DESIGNS["tor_as_per_rack"])
    plan["manifest"]["mirror"] = UPSTREAM_DIR
    plan["bgp"]["peer_extra"] = {"keepaliveTime": "30s"}
    with pytest.raises(RenderError) as raised:
        resources.build(plan, RenderContext(secrets={}))
    assert raised.value.messages == [
        "calico_bgp_peer_extra.keepaliveTime: BGPPeer.spec.keepaliveTime is not in the Calico 3.31.7 CRD schema; "
        "the field exists from Calico 3.32.1. Raise calico_version or drop the setting"]


def test_each_document_reads_like_calicoctl_prints_it(ctx):
    """Keys in the conventional order (apiVersion, kind, metadata with the name first, spec), not
    sorted: the file is reviewed by people and diffed between runs."""
    plan = make_plan(password=True, **DESIGNS["tor_as_per_rack"])
    files = {a.path: a.content for a in resources.render(plan, ctx)}
    for document in files["calico-resources.yaml"].split("\n---\n")[1:]:
        lines = document.splitlines()
        assert lines[0] == "apiVersion: projectcalico.org/v3" and lines[1].startswith("kind: ")
        assert lines[2] == "metadata:" and lines[3].startswith("  name: ")
    pool = files["calico-resources.yaml"].split("kind: IPPool\n", 1)[1]
    assert pool.index("  cidr: ") < pool.index("  blockSize: ")  # the plan's order, not alphabetical
    for document in files["calico-resources-k8s.yaml"].split("\n---\n")[1:]:
        lines = document.splitlines()
        assert lines[2] == "metadata:" and lines[3].startswith("  name: ")


def test_nodes_whose_ipv6_session_differs_do_not_share_a_rack_peer(ctx):
    plan = make_plan(**DESIGNS["tor_as_per_rack"])
    plan["nodes"]["node01"]["peers"][0]["ip6"] = "fd00:1::1"  # only node01 has an IPv6 session to tor1a
    peers = by_name(resources.build(plan, ctx).calico, "BGPPeer")
    assert "onprem-calico-rack-r1-tor1a" not in peers
    assert peers["onprem-calico-node-node01-tor1a-v6"]["spec"] == {"asNumber": 65001, "node": "node01", "peerIP": "fd00:1::1"}
    assert peers["onprem-calico-node-node02-tor1a"]["spec"] == {"asNumber": 65001, "node": "node02", "peerIP": "10.0.1.1"}
    assert "onprem-calico-node-node02-tor1a-v6" not in peers
    assert "onprem-calico-rack-r1-tor1b" in peers
