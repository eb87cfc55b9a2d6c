"""The lab's calico-node stand-in: BIRD inputs read from the rendered resources."""

import yaml

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import resources
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext


def rendered(plan):
    """calico-resources.yaml and calico-resources-k8s.yaml as the render stage writes them."""
    files = {a.path: a.content for a in resources.render(plan, RenderContext())}
    return (list(yaml.safe_load_all(files["calico-resources.yaml"])),
            list(yaml.safe_load_all(files["calico-resources-k8s.yaml"])))


def test_node_peers_and_as_come_from_the_resources(lab_plan, standin):
    calico, k8s = rendered(lab_plan)
    cfg = standin.lab_bird_config("r1-w1", lab_plan, calico, k8s)
    assert cfg["asn"] == 65001  # from the Node's projectcalico.org/ASNumber annotation
    assert cfg["labels"] == {"onprem.calico/rack": "r1"}
    # BGPPeers with a nodeSelector are node-specific peers: "Node_<ip>", multihop without ttl
    # security (bird.cfg.template:422-429 at v3.31.7).
    assert [(p["description"], p["ip"], p["asn"], p["protocol"], p["mesh"], p["ttl_security"]) for p in cfg["peers"]] == [
        ("tor1a", "10.77.1.2", 65001, "Node_10_77_1_2", False, 0), ("tor1b", "10.77.1.3", 65001, "Node_10_77_1_3", False, 0)]
    assert cfg["release"] == lab_plan["cluster"]["version"] == "3.31.7"
    assert cfg["listen_port"] == 179 and cfg["router_id"] == "10.77.1.12" and cfg["peers6"] == []
    other = standin.lab_bird_config("r2-cp", lab_plan, calico, k8s)
    assert other["asn"] == 65002 and [p["description"] for p in other["peers"]] == ["tor2a"]


def test_changed_resources_change_the_standin(lab_plan, standin):
    """The stand-in follows the resources, not the plan: an edited peer shows up."""
    calico, k8s = rendered(lab_plan)
    for obj in calico:
        if obj["kind"] == "BGPPeer" and obj["spec"]["peerIP"] == "10.77.2.2":
            obj["spec"]["asNumber"] = 65099
    assert standin.lab_bird_config("r2-w2", lab_plan, calico, k8s)["peers"][0]["asn"] == 65099


def test_mesh_peers_every_other_node_passive_towards_higher_addresses(lab_plan, standin):
    calico, k8s = rendered(lab_plan)
    for obj in calico:
        if obj["kind"] == "BGPConfiguration":
            obj["spec"]["nodeToNodeMeshEnabled"] = True
    peers = {p["description"]: p for p in standin.lab_bird_config("r1-w1", lab_plan, calico, k8s)["peers"]}
    assert "r1-w1" not in peers and {"r1-cp", "r2-w2", "tor1a", "tor1b"} <= set(peers)
    # bird.cfg.template:183-184 and 198-200: Mesh_<ip> (no port in the name) on the peer's listen
    # port, passive towards a (string-)higher address, no multihop.
    assert peers["r2-w2"]["protocol"] == "Mesh_10_77_2_13" and peers["r2-w2"]["passive"] is True
    assert peers["r2-w2"]["port"] == 179 and peers["r2-w2"]["ttl_security"] is None
    assert peers["r1-cp"]["passive"] is False and peers["r1-cp"]["mesh"] is True


def test_route_reflector_gets_rr_clients_and_no_mesh(lab_plan, standin):
    calico, k8s = rendered(lab_plan)
    for obj in calico:
        if obj["kind"] == "BGPConfiguration":
            obj["spec"]["nodeToNodeMeshEnabled"] = True
    for obj in k8s:
        if obj["kind"] == "Node" and obj["metadata"]["name"] == "r1-cp":
            obj["metadata"]["annotations"]["projectcalico.org/RouteReflectorClusterID"] = "244.0.0.1"
            obj["metadata"]["labels"]["route-reflector"] = "true"
    calico.append({"kind": "BGPPeer", "metadata": {"name": "to-rr"},
                   "spec": {"nodeSelector": "all()", "peerSelector": "has(route-reflector)"}})
    rr = standin.lab_bird_config("r1-cp", lab_plan, calico, k8s)
    assert rr["rr_cluster_id"] == "244.0.0.1"
    # A reflector skips the mesh (bird.cfg.template:160-164)...
    assert not [p for p in rr["peers"] if p["protocol"].startswith("Mesh_")]
    # ...and peers back with every node the BGPPeer's local side selects, as reflector clients.
    clients = {p["description"]: p for p in rr["peers"] if p["protocol"].startswith("Node_1")}
    assert {"r1-w1", "r2-w2"} <= set(clients) and clients["r1-w1"]["rr_client"] is True
    # Peers picked by a selector are calico nodes reached on their listen port (client.go
    # nodeAsBGPPeers), so the port is in the name; a Node_ peer is never passive by itself.
    assert clients["r2-w2"]["protocol"] == "Node_10_77_2_13_port_179" and clients["r2-w2"]["passive"] is False
    client = standin.lab_bird_config("r1-w1", lab_plan, calico, k8s)
    # ...and the others skip it in their mesh (line 182) but peer with it through the BGPPeer.
    to_rr = [p for p in client["peers"] if p["ip"] == "10.77.1.11"]
    assert [p["protocol"] for p in to_rr] == ["Node_10_77_1_11_port_179"] and to_rr[0]["rr_client"] is False


def test_rendered_configuration_follows_confd(lab_plan, standin):
    """The template renders what BIRD 1.6 accepts (checked with the real bird in the e2e lab) and
    the rules that matter: export only pool routes, never a /32 under the node's block."""
    import jinja2  # pylint: disable=import-outside-toplevel

    from testpaths import REPO  # pylint: disable=import-outside-toplevel

    calico, k8s = rendered(lab_plan)
    cfg = standin.lab_bird_config("r1-cp", lab_plan, calico, k8s)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(REPO + "/playbooks/lab/templates"), trim_blocks=True)
    text = env.get_template("etc/calico/bird.cfg.j2").render(lab_bird=cfg, lab_family=4, inventory_hostname="r1-cp")
    assert "if ( net = 10.244.0.0/26 ) then { accept; }\n  if ( net ~ 10.244.0.0/26 ) then { reject; }" in text
    assert "if ( net ~ 10.244.0.0/16 ) then { accept; }" in text
    assert "protocol bgp Node_10_77_1_2 from bgp_template {" in text and "gateway recursive;" in text
    assert "route 10.244.0.0/26 blackhole;" in text and "listen bgp port 179;" in text


def test_pod_blocks_are_distinct_and_inside_the_pool(lab_plan, standin):
    blocks = {n: standin.lab_pod_block(lab_plan, n) for n in lab_plan["nodes"]}
    assert blocks["r1-cp"] == "10.244.0.0/26" and blocks["r2-w2"] == "10.244.1.64/26"
    assert len(set(blocks.values())) == len(blocks)
    cfg = standin.lab_bird_config("r1-w2", lab_plan, *rendered(lab_plan))
    assert cfg["pod_block"] == "10.244.0.128/26" and cfg["pod_address"] == "10.244.0.129"


@pytest.mark.parametrize("selector, labels, expected", [
    ("all()", {}, True),
    ("onprem.calico/rack == 'r1'", {"onprem.calico/rack": "r1"}, True),
    ("onprem.calico/rack == 'r1'", {"onprem.calico/rack": "r2"}, False),
    ("onprem.calico/rack != 'r1' && has(route-reflector)", {"route-reflector": "true"}, True),
    ("!has(route-reflector)", {"route-reflector": "true"}, False),
    ("", {}, False),
])
def test_selectors(standin, selector, labels, expected):
    assert standin.selector_matches(selector, labels) is expected


def test_unsupported_selector_is_an_error_not_a_mismatch(standin):
    with pytest.raises(standin.StandinError, match="not supported"):
        standin.selector_matches("rack == 'r1' || rack == 'r2'", {"rack": "r1"})
