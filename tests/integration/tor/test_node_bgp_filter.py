"""The node-side BGPFilter on real FRR ToRs and BIRD nodes (issue 17, item 4).

The lab of test_frr_tor; r1n01 applies the plan's BGPFilter as the lab stand-in applies it
(calico-node's confd rules), r1n02 imports everything as calico-node does without a filter.
tor1a is then misconfigured to send everything down: a foreign route reaches r1n02's kernel
but not r1n01's, while r1n01 still learns the pool blocks.
"""

from __future__ import annotations

import os
import shutil

import pytest

from lab import TorLab, build_lab_plan

from ansible_collections.onprem.calico.plugins.modules import frr_tor_config
from ansible_collections.onprem.calico.plugins.plugin_utils import resources
from ansible_collections.onprem.calico.plugins.plugin_utils import tor as tor_renderer
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("bird") or not os.path.exists("/usr/lib/frr/bgpd"),
    reason="needs root, FRR and BIRD (make apt)",
)

FOREIGN = "198.51.100.0/24"  # in no pool: a route a misconfigured ToR must not get into a node


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    plan = build_lab_plan(str(tmp_path_factory.mktemp("bgpfilter")))
    filters = resources.bgp_filters(plan)
    assert [f["spec"]["importV4"][-1] for f in filters] == [{"action": "Reject"}]
    tor_lab = TorLab(plan, tag="tbf")
    try:
        tor_lab.start(node_bgp_filters={"r1n01": filters})
        artifacts = {a.path: a.content for a in tor_renderer.render(plan, RenderContext())}
        for tor in tor_lab.tors():
            params = {
                "state": "merged", "config": artifacts[f"tor/{tor}.conf"], "object_prefix": "CALICO-", "restore_from": None,
                "backup_dir": os.path.join(tor_lab.lab.rundir(tor), "backups"), "keep_backups": 5,
                "config_file": os.path.join(tor_lab.lab.rundir(tor), "saved-frr.conf"), "vtysh": "vtysh",
                "vty_socket": tor_lab.lab.vty_socket(tor), "frr_reload": "/usr/lib/frr/frr-reload.py",
            }
            result = frr_tor_config.run_module(params, tor_lab.runner(tor), check_mode=False)
            assert not result.get("failed"), result
        # The misconfiguration: tor1a originates a foreign prefix and sends the nodes everything.
        tor_lab.lab.exec("tor1a", "ip", "route", "add", "blackhole", FOREIGN)
        tor_lab.lab.vtysh("tor1a", "configure terminal", "route-map CALICO-TO-NODES permit 5", "exit",
                          "router bgp 65001", "address-family ipv4 unicast", f"network {FOREIGN}")
        yield tor_lab
    finally:
        tor_lab.close()


def kernel_route(lab, node, prefix):
    return lab.lab.exec(node, "ip", "route", "show", prefix).stdout.strip()


def test_a_foreign_route_reaches_a_node_without_the_filter(lab):
    # The control: the ToR really sends it, and calico-node's default import takes it.
    route = lab.lab.wait_for(lambda: kernel_route(lab, "r1n02", FOREIGN) or None, timeout=40, what=f"{FOREIGN} on r1n02")
    assert "via 10.0.1.2" in route


def test_the_filter_keeps_it_out_of_the_nodes_kernel_but_not_the_pool_blocks(lab):
    other_rack_block = lab.blocks["r2n01"]
    lab.lab.wait_for(lambda: kernel_route(lab, "r1n01", other_rack_block) or None, timeout=40, what=f"{other_rack_block} on r1n01")
    lab.lab.wait_for(lambda: kernel_route(lab, "r1n02", FOREIGN) or None, timeout=40, what=f"{FOREIGN} on r1n02")
    # r1n01 received it from tor1a (the session carries it) and its import filter rejected it.
    received = lab.lab.birdc("r1n01", "show route all")
    assert kernel_route(lab, "r1n01", FOREIGN) == ""
    assert FOREIGN not in received
