"""The lab stand-in follows the confd rules of the release being installed (docs/lab.md, "The
stand-in per release"): rule selection, and the BIRD configuration it renders per release."""

import os
import shutil
import subprocess

import jinja2
import pytest
import yaml

from inventory_loader import load_inventory
from testpaths import REPO, UPSTREAM_DIR

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog, resources
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan

FILTER_CALL = "'bgp_onprem-calico-tor-import_importFilterV4'();"
NODE_IMAGE = "localhost/calico-lab-node:latest"


def rendered(plan):
    files = {a.path: a.content for a in resources.render(plan, RenderContext())}
    return (list(yaml.safe_load_all(files["calico-resources.yaml"])),
            list(yaml.safe_load_all(files["calico-resources-k8s.yaml"])))


def at_release(plan, version):
    plan["cluster"]["version"] = version
    return plan


def bird_cfg(cfg, family=4):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(REPO + "/playbooks/lab/templates"), trim_blocks=True)
    return env.get_template("etc/calico/bird.cfg.j2").render(lab_bird=cfg, lab_family=family, inventory_hostname=cfg["node"])


def tor_peer(calico, ip):
    return next(o for o in calico if o["kind"] == "BGPPeer" and o["spec"].get("peerIP") == ip)


def test_every_release_the_collection_installs_has_its_rules(standin):
    assert sorted(standin.RELEASE_RULES) == sorted(catalog.SUPPORTED_VERSIONS)
    for version in catalog.SUPPORTED_VERSIONS:
        rules = standin.confd_rules(version)
        assert rules["release"] == version and rules["tag"] == "v" + version
        # Every rule cites a file and lines of that release.
        for key in ("mesh", "global_peers", "node_peers", "export_function", "kernel_filter", "aggr", "pod_route"):
            assert ".go:" in rules[key] or ".template:" in rules[key], (version, key)


def test_a_release_without_rules_is_refused_naming_the_known_ones(lab_plan, standin):
    calico, k8s = rendered(lab_plan)
    with pytest.raises(standin.StandinError, match=r"Calico 3\.33\.0: .*3\.30\.7, 3\.31\.7, 3\.32\.1"):
        standin.lab_bird_config("r1-w1", at_release(lab_plan, "3.33.0"), calico, k8s)


@pytest.mark.parametrize("version", ["3.30.7", "3.31.7"])
def test_template_releases_filter_through_calico_export_to_bgp_peers(lab_plan, standin, version):
    cfg = standin.lab_bird_config("r1-w1", at_release(lab_plan, version), *rendered(lab_plan))
    text = bird_cfg(cfg)
    assert "by the confd rules of Calico %s (projectcalico/calico v%s)" % (version, version) in text
    # iBGP with the rack's ToRs (AS 65001): the filters, then accept; export as to an internal peer.
    assert text.count("  import filter {\n    %s\n    accept;\n  };" % FILTER_CALL) == 2
    assert text.count("  export filter {\n    calico_export_to_bgp_peers(true);\n    reject;\n  };") == 2
    # No route priority before 3.32.
    assert "krt_metric" not in text and "preference" not in text
    assert "  if ( net = 10.244.0.64/26 ) then { accept; }\n  if ( net ~ 10.244.0.64/26 ) then { reject; }" in text
    assert cfg["pod_route_metric"] == 0


def test_3_32_carries_route_priority_through_import_export_and_kernel(lab_plan, standin):
    cfg = standin.lab_bird_config("r1-w1", at_release(lab_plan, "3.32.1"), *rendered(lab_plan))
    text = bird_cfg(cfg)
    assert "by the confd rules of Calico 3.32.1 (projectcalico/calico v3.32.1)" in text
    # bgp_processor.go:678-725: the filters, then a route of higher priority may override.
    assert text.count("  import filter {\n    %s\n    if (defined(bgp_local_pref)&&(bgp_local_pref > 2147482623)) then\n"
                      "      preference = 200;\n    accept;\n  };" % FILTER_CALL) == 2
    # bgp_processor.go:727-803: metric <-> local preference first, then the export function.
    assert text.count("  export filter {\n    if (defined(source) && source = RTS_BGP && defined(bgp_local_pref)) then {\n"
                      "      krt_metric = 2147483647 - bgp_local_pref;\n    } else {\n"
                      "      if (!defined(krt_metric)) then { krt_metric = 1024; }\n"
                      "      bgp_local_pref = 2147483647 - krt_metric;\n    }\n"
                      "    calico_export_to_bgp_peers(true);\n    reject;\n  };") == 2
    # bird_aggr.cfg.template:72: a /32 of the block with a metric below 1024 leaves the node...
    assert "  if ( net ~ 10.244.0.64/26 && krt_metric < 1024 ) then { accept; }" in text
    # ...so the pod's route gets 1024, as Felix 3.32 programs it, and stays on the node.
    assert cfg["pod_route_metric"] == 1024
    assert "filter calico_kernel_programming {\n  if (defined(source) && (source = RTS_BGP) && !defined(krt_metric)) then {" in text


def test_mesh_imports_everything_before_3_32_and_exports_by_same_as_from_3_32(lab_plan, standin):
    calico, k8s = rendered(lab_plan)
    for obj in calico:
        if obj["kind"] == "BGPConfiguration":
            obj["spec"]["nodeToNodeMeshEnabled"] = True
    old = {p["description"]: p for p in standin.lab_bird_config("r1-w1", at_release(lab_plan, "3.31.7"), calico, k8s)["peers"]}
    new = {p["description"]: p for p in standin.lab_bird_config("r1-w1", at_release(lab_plan, "3.32.1"), calico, k8s)["peers"]}
    # r2-w2 is in AS 65002, r1-w1 in 65001.
    assert old["r2-w2"]["import_filter"] is None  # bird.cfg.template:186 "import all"
    assert old["r2-w2"]["export_filter"] == ["calico_export_to_bgp_peers(true);", "reject;"]  # line 189
    assert new["r2-w2"]["import_filter"][-1] == "accept;" and "preference = 200;" in new["r2-w2"]["import_filter"][-2]
    assert new["r2-w2"]["export_filter"][-2:] == ["calico_export_to_bgp_peers(false);", "reject;"]
    assert new["r1-cp"]["export_filter"][-2] == "calico_export_to_bgp_peers(true);"
    text = bird_cfg(standin.lab_bird_config("r1-w1", at_release(lab_plan, "3.31.7"), calico, k8s))
    assert "protocol bgp Mesh_10_77_2_13 from bgp_template {\n  neighbor 10.77.2.13 port 179 as 65002;\n" \
           "  source address 10.77.1.12;\n  import all;\n" in text


def test_local_as_number_is_honoured_from_3_31(lab_plan, standin):
    calico, k8s = rendered(lab_plan)
    tor_peer(calico, "10.77.1.2")["spec"].update(localASNumber=65100, keepOriginalNextHop=True)
    by_release = {}
    for version in ("3.30.7", "3.31.7"):
        peers = standin.lab_bird_config("r1-w1", at_release(lab_plan, version), calico, k8s)["peers"]
        by_release[version] = next(p for p in peers if p["ip"] == "10.77.1.2")
    # 3.30.7 has no localASNumber: the session stays iBGP, keepOriginalNextHop does nothing.
    assert by_release["3.30.7"]["local_asn"] is None and by_release["3.30.7"]["next_hop_keep"] is False
    assert by_release["3.30.7"]["export_filter"][-2] == "calico_export_to_bgp_peers(true);"
    # 3.31.7 (bird.cfg.template:407-410, 430-432, 473-475): local as 65100 makes the ToR an eBGP peer.
    assert by_release["3.31.7"]["local_asn"] == 65100 and by_release["3.31.7"]["next_hop_keep"] is True
    assert by_release["3.31.7"]["export_filter"][-2] == "calico_export_to_bgp_peers(false);"
    assert "  local as 65100;\n  neighbor 10.77.1.2 as 65001;" in bird_cfg(
        standin.lab_bird_config("r1-w1", at_release(lab_plan, "3.31.7"), calico, k8s))


def test_peer_options_per_release(lab_plan, standin):
    calico, k8s = rendered(lab_plan)
    tor_peer(calico, "10.77.1.2")["spec"].update(ttlSecurity=1, maxRestartTime="2m", keepaliveTime="10s",
                                                 numAllowedLocalASNumbers=1)
    for version in catalog.SUPPORTED_VERSIONS:
        text = bird_cfg(standin.lab_bird_config("r1-w1", at_release(lab_plan, version), calico, k8s))
        block = text[text.index("protocol bgp Node_10_77_1_2 "):]
        block = block[:block.index("\n}\n")]
        assert "  ttl security on;\n  multihop 1;\n" in block and "graceful restart time 120;" in block
        assert "allow local as 1;" in block
        # BGPPeer.keepaliveTime reaches BIRD from 3.32 (bird.cfg.template:124-126 at v3.32.1).
        assert ("keepalive time 10;" in block) is (version == "3.32.1"), version
        other = text[text.index("protocol bgp Node_10_77_1_3 "):]
        assert "  ttl security off;\n  multihop;\n" in other[:other.index("\n}\n")]


def test_unsupported_bgpfilter_fields_are_refused(standin):
    rule = {"action": "Accept", "matchOperator": "In", "cidr": "10.0.0.0/8", "peerType": "eBGP"}
    with pytest.raises(standin.StandinError, match="peerType not supported"):
        standin.bgp_filter_functions([{"metadata": {"name": "f"}, "spec": {"importV4": [rule]}}], 4)


def design_plan(design):
    with open(os.path.join(REPO, "inventory", "lab-designs", design + ".yml"), encoding="utf-8") as handle:
        extra = yaml.safe_load(handle) or {}
    extra["calico_manifest_mirror"] = UPSTREAM_DIR
    result = build_plan(load_inventory(os.path.join(REPO, "inventory", "lab"), extra_vars=extra))
    assert result.ok, [str(e) for e in result.errors]
    return result.plan


def reflector(calico, k8s):
    """r1-cp reflects (cluster 244.0.0.1) for every node, beside the mesh, all with a password."""
    secret = {"secretKeyRef": {"name": "bgp", "key": "password"}}
    for obj in calico:
        if obj["kind"] == "BGPConfiguration":
            obj["spec"].update(nodeToNodeMeshEnabled=True, nodeMeshPassword=secret)
    for obj in k8s:
        if obj["kind"] == "Node" and obj["metadata"]["name"] == "r1-cp":
            obj["metadata"]["annotations"]["projectcalico.org/RouteReflectorClusterID"] = "244.0.0.1"
            obj["metadata"]["labels"]["route-reflector"] = "true"
    calico.append({"kind": "BGPPeer", "metadata": {"name": "to-rr"},
                   "spec": {"nodeSelector": "all()", "peerSelector": "has(route-reflector)", "password": secret}})


def ipv6(plan, calico):
    """IPv6 node addresses, an IPv6 pool and IPv6 ToR sessions, as in the dual_stack design."""
    for node in plan["nodes"].values():
        node["ip6"] = "fd00:77:%s::%s" % (node["ip"].split(".")[2], node["ip"].split(".")[3])
    plan["ip_pools"].append({"name": "v6", "family": 6, "cidr": "fd00:244::/56", "block_size": 122,
                             "disabled": False, "node_selector": "all()"})
    calico.append({"kind": "IPPool", "metadata": {"name": "v6"}, "spec": {"cidr": "fd00:244::/56"}})
    for obj in list(calico):
        if obj["kind"] == "BGPPeer" and obj["spec"].get("peerIP", "").startswith("10.77.1."):
            copy = {"kind": "BGPPeer", "metadata": {"name": obj["metadata"]["name"] + "-v6"},
                    "spec": dict(obj["spec"], peerIP="fd00:77:1::" + obj["spec"]["peerIP"].split(".")[3])}
            calico.append(copy)


def test_reflector_rules_are_the_same_in_every_release(lab_plan, standin):
    calico, k8s = rendered(lab_plan)
    reflector(calico, k8s)
    for version in catalog.SUPPORTED_VERSIONS:
        rr = standin.lab_bird_config("r1-cp", at_release(lab_plan, version), calico, k8s, password="s")
        clients = {p["description"]: p for p in rr["peers"] if p["protocol"].startswith("Node_1")}
        assert not [p for p in rr["peers"] if p["mesh"]], version
        # r1-w1 shares the reflector's AS (65001): a client; r2-w2 (AS 65002) is an eBGP peer.
        assert clients["r1-w1"]["protocol"] == "Node_10_77_1_12_port_179" and clients["r1-w1"]["rr_client"], version
        assert not clients["r2-w2"]["rr_client"] and clients["r2-w2"]["password"], version
        assert not clients["r1-w1"]["passive"] and not clients["r2-w2"]["passive"], version
        text = bird_cfg(rr)
        assert "  rr client;\n  rr cluster id 244.0.0.1;\n  password \"s\";" in text, version


def test_selector_peers_take_no_local_as(lab_plan, standin):
    """client.go nodeAsBGPPeers copies neither localASNumber nor numAllowedLocalASNumbers to a
    peer picked by a selector; a peerIP peer has both (from 3.31 for localASNumber)."""
    calico, k8s = rendered(lab_plan)
    reflector(calico, k8s)
    calico[-1]["spec"].update(localASNumber=65100, numAllowedLocalASNumbers=2)
    peers = standin.lab_bird_config("r1-w1", at_release(lab_plan, "3.32.1"), calico, k8s)["peers"]
    to_rr = next(p for p in peers if p["description"] == "r1-cp")
    assert to_rr["local_asn"] is None and to_rr["allow_local_as"] is None and to_rr["protocol"].endswith("_port_179")


def _image_present():
    if not shutil.which("podman"):
        return False
    return subprocess.run(["podman", "image", "exists", NODE_IMAGE], check=False).returncode == 0


@pytest.mark.skipif(not _image_present(), reason="needs the lab's node image (BIRD 1.6.8): make demo builds it")
def test_bird_1_6_accepts_every_release_and_design(standin, tmp_path):
    """What each release's rules render is parsed by the lab's own BIRD 1.6.8 / BIRD6 (bird -p)."""
    count = 0
    for design in ("as_per_rack", "downward_default", "ipv6", "reflector"):
        plan = design_plan("downward_default" if design == "downward_default" else "as_per_rack")
        calico, k8s = rendered(plan)
        # The L2 and dual-stack designs' inventories need a full Ansible run to load: their
        # rules are built here from the default design's resources.
        if design == "reflector":
            reflector(calico, k8s)
        if design == "ipv6":
            ipv6(plan, calico)
        for version in catalog.SUPPORTED_VERSIONS:
            for node in ("r1-cp", "r1-w1"):
                cfg = standin.lab_bird_config(node, at_release(plan, version), calico, k8s, password="lab-secret")
                for family in (4, 6) if cfg["ip6"] else (4,):
                    (tmp_path / ("%s-%s-%s-%d.cfg" % (design, version, node, family))).write_text(bird_cfg(cfg, family))
                    count += 1
    script = 'for f in /t/*.cfg; do case $f in *-6.cfg) b=bird6;; *) b=bird;; esac; $b -p -c $f || { echo "$f"; exit 1; }; done'
    env = dict(os.environ, CONTAINERS_CONF=os.path.join(REPO, "tests", "images", "containers.conf"))
    result = subprocess.run(["podman", "run", "--rm", "--network", "none", "-v", "%s:/t:ro,Z" % tmp_path, NODE_IMAGE,
                             "sh", "-c", script], capture_output=True, text=True, check=False, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "protocol bgp Node_fd00_77_1__2 from bgp_template" in (tmp_path / "ipv6-3.32.1-r1-w1-6.cfg").read_text()
    assert count == 30  # 4 x 3 releases x 2 nodes, and bird6 of both nodes in ipv6
