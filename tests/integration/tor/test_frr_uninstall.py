"""Uninstall on real FRR ToRs: the removal configuration through the ordinary push module takes
every Calico object away and leaves the router as it was before the collection, spine uplinks
Established; a second removal changes nothing; check mode shows the removal and changes nothing."""

from __future__ import annotations

import os
import shutil

import pytest

from lab import TorLab, build_lab_plan

from ansible_collections.onprem.calico.plugins.modules import frr_bgp_verify, frr_tor_config
from ansible_collections.onprem.calico.plugins.plugin_utils.tor import router_config
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.removal import removal_config

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("bird") or not os.path.exists("/usr/lib/frr/bgpd"),
    reason="needs root, FRR and BIRD (make apt)",
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    plan = build_lab_plan(str(tmp_path_factory.mktemp("torrm")))
    tor_lab = TorLab(plan, tag="rm")
    try:
        tor_lab.start()
        tor_lab.pristine = {tor: tor_lab.lab.vtysh(tor, "show running-config") for tor in tor_lab.tors()}
        for tor in tor_lab.tors():
            frr_tor_config.run_module(push(tor_lab, tor, router_config(plan, tor)), tor_lab.runner(tor), check_mode=False)
        yield tor_lab
    finally:
        tor_lab.close()


def push(lab, tor, config):
    rundir = lab.lab.rundir(tor)
    return {"state": "merged", "config": config, "object_prefix": lab.plan["tor_routers"][tor]["object_prefix"],
            "restore_from": None, "backup_dir": os.path.join(rundir, "backups"), "keep_backups": 5,
            "config_file": os.path.join(rundir, "saved-frr.conf"), "vtysh": "vtysh",
            "vty_socket": lab.lab.vty_socket(tor), "frr_reload": "/usr/lib/frr/frr-reload.py"}


def spine_states(lab, tor):
    peers = lab.lab.vtysh_json(tor, "show bgp summary json")["ipv4Unicast"]["peers"]
    return {ip: p["state"] for ip, p in peers.items() if ip.startswith("172.31.")}


def without_router_id(config):
    # A router id stays on purpose (removal.py); on a router that had BGP before the push it is
    # the router's own, never added or removed. Everything else must be as before.
    return [line for line in config.splitlines() if not line.strip().startswith("bgp router-id")]


def test_installed_sessions_are_up_first(lab):
    for tor in lab.tors():
        params = {"neighbors": lab.plan["tor_routers"][tor]["neighbors"], "timeout": 30, "interval": 1,
                  "vtysh": "vtysh", "vty_socket": lab.lab.vty_socket(tor)}
        ok, result = frr_bgp_verify.run_module(params, lab.runner(tor))
        assert ok, result["problems"]


def test_check_mode_shows_the_removal_and_changes_nothing(lab):
    tor = "tor2a"
    before = lab.lab.vtysh(tor, "show running-config")
    result = frr_tor_config.run_module(push(lab, tor, removal_config(lab.plan, tor)), lab.runner(tor), check_mode=True)
    assert result["changed"] is True
    assert "router bgp 65002 / no neighbor CALICO-NODES peer-group" in result["lines_removed"]
    # frr-reload.py lists prefix-list removals as added "no ..." lines: nothing else may be added.
    assert all(line.split(" / ")[-1].startswith("no ") for line in result["lines_added"]), result["lines_added"]
    assert lab.lab.vtysh(tor, "show running-config") == before


def test_removal_leaves_the_router_as_it_was(lab):
    for tor in lab.tors():
        result = frr_tor_config.run_module(push(lab, tor, removal_config(lab.plan, tor)), lab.runner(tor), check_mode=False)
        assert result["changed"] is True
        running = lab.lab.vtysh(tor, "show running-config")
        assert "CALICO-" not in running
        assert without_router_id(running) == without_router_id(lab.pristine[tor])
        # The router's identity is its own: the push never added a router id to it, nor removed one.
        assert ("bgp router-id" in running) == ("bgp router-id" in lab.pristine[tor])
        # The saved file FRR starts with holds the same.
        with open(os.path.join(lab.lab.rundir(tor), "saved-frr.conf")) as handle:
            assert "CALICO-" not in handle.read()
    for tor in lab.tors():
        lab.lab.wait_for(lambda tor=tor: set(spine_states(lab, tor).values()) == {"Established"},
                         timeout=30, what="%s spine uplinks" % tor)
        assert not [ip for ip in lab.lab.vtysh_json(tor, "show bgp summary json")["ipv4Unicast"]["peers"]
                    if ip.startswith("10.0.")]


def test_second_removal_changes_nothing(lab):
    for tor in lab.tors():
        result = frr_tor_config.run_module(push(lab, tor, removal_config(lab.plan, tor)), lab.runner(tor), check_mode=False)
        assert result["changed"] is False, result["lines_removed"] + result["lines_added"]
