"""calico_tor_neighbor_mode: listen_range on real FRR: dynamic node sessions, verified by name."""

from __future__ import annotations

import os
import shutil

import pytest

from lab import RACKS, TorLab, build_lab_plan

from ansible_collections.onprem.calico.plugins.modules import frr_bgp_verify, frr_tor_config
from ansible_collections.onprem.calico.plugins.plugin_utils import tor as tor_renderer
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("bird") or not os.path.exists("/usr/lib/frr/bgpd"),
    reason="needs root, FRR and BIRD (make apt)",
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    plan = build_lab_plan(str(tmp_path_factory.mktemp("torlisten")),
                          cluster_vars={"calico_tor_neighbor_mode": "listen_range"})
    tor_lab = TorLab(plan, tag="tlr")
    try:
        tor_lab.start()
        yield tor_lab
    finally:
        tor_lab.close()


def _host_frr_conf():
    """The machine's own /etc/frr/frr.conf: pushes to namespaced routers must never write it."""
    path = "/etc/frr/frr.conf"
    return (os.stat(path).st_mtime_ns, open(path, encoding="utf-8").read()) if os.path.exists(path) else None


def test_listen_range_accepts_the_rack_nodes_and_verification_names_them(lab):
    host_conf_before = _host_frr_conf()
    artifacts = {a.path: a.content for a in tor_renderer.render(lab.plan, RenderContext())}
    for tor in lab.tors():
        router = lab.plan["tor_routers"][tor]
        assert router["neighbor_mode"] == "listen_range" and router["listen_ranges"]
        for listen in router["listen_ranges"]:
            assert f"bgp listen range {listen['prefix']} peer-group CALICO-NODES" in artifacts[f"tor/{tor}.conf"]
        params = {"state": "merged", "config": artifacts[f"tor/{tor}.conf"], "object_prefix": "CALICO-",
                  "restore_from": None, "backup_dir": os.path.join(lab.lab.rundir(tor), "backups"),
                  "keep_backups": 5, "config_file": None, "vtysh": "vtysh",
                  "vty_socket": lab.lab.vty_socket(tor), "frr_reload": "/usr/lib/frr/frr-reload.py"}
        assert frr_tor_config.run_module(params, lab.runner(tor), check_mode=False)["changed"] is True
        assert frr_tor_config.run_module(params, lab.runner(tor), check_mode=False)["changed"] is False
    assert _host_frr_conf() == host_conf_before
    for tor in lab.tors():
        rack = lab.plan["tor_routers"][tor]["rack"]
        # The plan still lists the rack's nodes: verification expects each by name.
        expected = lab.plan["tor_routers"][tor]["neighbors"]
        assert {n["ip"]: n["node"] for n in expected} == {ip: n for n, ip in RACKS[rack]["nodes"].items()}
        ok, result = frr_bgp_verify.run_module(
            {"neighbors": expected, "timeout": 30, "interval": 1, "vtysh": "vtysh",
             "vty_socket": lab.lab.vty_socket(tor)}, lab.runner(tor))
        assert ok, result["problems"]
        summary = lab.lab.vtysh_json(tor, "show bgp summary json")["ipv4Unicast"]["peers"]
        dynamic = {ip for ip, peer in summary.items() if peer.get("dynamicPeer") or ip.startswith("*")}
        assert {ip.lstrip("*") for ip in dynamic} == set(RACKS[rack]["nodes"].values())
