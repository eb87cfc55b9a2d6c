"""Retiring a node on real FRR ToRs: with the node in calico_retire the ordinary push of its
rack's routers removes its neighbour, every other session stays Established, the other rack's
router has nothing to change, and the spine uplinks are untouched."""

from __future__ import annotations

import os
import shutil

import pytest

from lab import TorLab, build_lab_plan

from ansible_collections.onprem.calico.plugins.modules import frr_bgp_verify, frr_tor_config
from ansible_collections.onprem.calico.plugins.plugin_utils.tor import router_config

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("bird") or not os.path.exists("/usr/lib/frr/bgpd"),
    reason="needs root, FRR and BIRD (make apt)",
)
RETIRED = "r1n02"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    plan = build_lab_plan(str(tmp_path_factory.mktemp("torret")))
    tor_lab = TorLab(plan, tag="rt")
    try:
        tor_lab.start()
        for tor in tor_lab.tors():
            frr_tor_config.run_module(push(tor_lab, tor, router_config(plan, tor)), tor_lab.runner(tor), check_mode=False)
        tor_lab.retired_plan = build_lab_plan(str(tmp_path_factory.mktemp("torret2")), cluster_vars={"calico_retire": [RETIRED]})
        yield tor_lab
    finally:
        tor_lab.close()


def push(lab, tor, config):
    rundir = lab.lab.rundir(tor)
    return {"state": "merged", "config": config, "object_prefix": lab.plan["tor_routers"][tor]["object_prefix"],
            "restore_from": None, "backup_dir": os.path.join(rundir, "backups"), "keep_backups": 5,
            "config_file": os.path.join(rundir, "saved-frr.conf"), "vtysh": "vtysh",
            "vty_socket": lab.lab.vty_socket(tor), "frr_reload": "/usr/lib/frr/frr-reload.py"}


def test_retired_node_leaves_its_rack_routers_only(lab):
    retired_ip = lab.plan["nodes"][RETIRED]["ip"]
    for tor in lab.tors():
        result = frr_tor_config.run_module(push(lab, tor, router_config(lab.retired_plan, tor)), lab.runner(tor),
                                           check_mode=False)
        in_rack = lab.plan["tor_routers"][tor]["rack"] == lab.plan["nodes"][RETIRED]["rack"]
        assert result["changed"] is in_rack, (tor, result["lines_removed"], result["lines_added"])
        if in_rack:
            assert not result["lines_added"]
            assert all(retired_ip in line for line in result["lines_removed"]), result["lines_removed"]
        running = lab.lab.vtysh(tor, "show running-config")
        assert f"neighbor {retired_ip} " not in running
        params = {"neighbors": lab.retired_plan["tor_routers"][tor]["neighbors"], "timeout": 30, "interval": 1,
                  "vtysh": "vtysh", "vty_socket": lab.lab.vty_socket(tor)}
        ok, verified = frr_bgp_verify.run_module(params, lab.runner(tor))
        assert ok, verified["problems"]
        peers = lab.lab.vtysh_json(tor, "show bgp summary json")["ipv4Unicast"]["peers"]
        assert retired_ip not in peers
        assert {p["state"] for ip, p in peers.items() if ip.startswith("172.31.")} == {"Established"}
