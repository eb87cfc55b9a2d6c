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
    assert [(p["name"], p["ip"], p["asn"], p["protocol"]) for p in cfg["peers"]] == [
        ("tor1a", "10.77.1.2", 65001, "Node_10_77_1_2"), ("tor1b", "10.77.1.3", 65001, "Node_10_77_1_3")]
    other = standin.lab_bird_config("r2-cp", lab_plan, calico, k8s)
    assert other["asn"] == 65002 and [p["name"] for p in other["peers"]] == ["tor2a"]


def test_changed_resources_change_the_standin(lab_plan, standin):
    """The stand-in follows the resources, not the plan: an edited peer shows up."""
    calico, k8s = rendered(lab_plan)
    for obj in calico:
        if obj["kind"] == "BGPPeer" and obj["spec"]["peerIP"] == "10.77.2.2":
            obj["spec"]["asNumber"] = 65099
    assert standin.lab_bird_config("r2-w2", lab_plan, calico, k8s)["peers"][0]["asn"] == 65099


def test_mesh_enabled_peers_with_every_other_node(lab_plan, standin):
    calico, k8s = rendered(lab_plan)
    for obj in calico:
        if obj["kind"] == "BGPConfiguration":
            obj["spec"]["nodeToNodeMeshEnabled"] = True
    peers = standin.lab_bird_config("r1-cp", lab_plan, calico, k8s)["peers"]
    names = [p["name"] for p in peers]
    assert "r1-cp" not in names and {"r1-w1", "r2-w2", "tor1a", "tor1b"} <= set(names)


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
        standin.selector_matches("rack in {'r1', 'r2'}", {"rack": "r1"})


BIRDC = """BIRD 2.0.12 ready.
Name       Proto      Table      State  Since         Info
device1    Device     ---        up     09:38:25.397
kernel1    Kernel     master4    up     09:41:14.928
lab_pod_block Static     master4    up     09:41:14.927
Node_10_77_1_2 BGP        ---        up     09:41:40.205  Established
Node_10_77_1_3 BGP        ---        start  09:55:02.117  Active        Socket: Connection refused
Node_10_77_1_4 BGP        ---        down   09:55:02.117
"""


def test_bird_sessions_parse_states(standin):
    assert standin.lab_bird_sessions(BIRDC) == {
        "10.77.1.2": "Established", "10.77.1.3": "Active", "10.77.1.4": "down"}
