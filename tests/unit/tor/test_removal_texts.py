"""The exact text the uninstall push sends to an FRR, EOS or NX-OS router.

FRR keeps the router's identity and the graceful-restart timers the plan set (FRR's defaults
are restart-time 120 and stalepath-time 360, "BGP" in the FRR 8.4 user guide; only other
values are rendered): they govern the uplinks too. Every other owned line goes, and no
password is sent. EOS and NX-OS get the bare ``router bgp`` context.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sample_plan import make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils.tor import router_config
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.removal import removal_config


def plan_with_timers(platform, restart_time, stalepath_time):
    plan = make_plan("as_per_node", platforms=(platform,), racks=1, neighbor_mode="listen_range", password=True)
    plan["tor_routers"]["tor1"]["graceful_restart"] = {"restart_time": restart_time, "stalepath_time": stalepath_time}
    return plan


def test_frr_removal_keeps_the_router_id_and_the_planned_restart_timers():
    assert removal_config(plan_with_timers("frr", 60, 300), "tor1") == (
        "router bgp 65101\n bgp router-id 10.255.0.1\n bgp graceful-restart restart-time 60\n"
        " bgp graceful-restart stalepath-time 300\nexit\n")


def test_frr_removal_with_frr_default_timers_is_the_router_id_alone():
    assert removal_config(plan_with_timers("frr", 120, 360), "tor1") == "router bgp 65101\n bgp router-id 10.255.0.1\nexit\n"


@pytest.mark.parametrize("platform", ["eos", "nxos"])
def test_cli_removal_is_the_bare_router_context(platform):
    assert removal_config(plan_with_timers(platform, 60, 300), "tor1") == "router bgp 65101\n"


@pytest.mark.parametrize("design, mode", [("as_per_rack", "listen_range"), ("as_per_node", "explicit")])
def test_junos_removal_deletes_what_the_push_replaces_in_the_other_neighbour_modes(design, mode):
    # The node AS list exists only for eBGP listen ranges, the rack-local AS path only for iBGP reflection.
    plan = make_plan(design, platforms=("junos",), racks=1, neighbor_mode=mode)
    pushed = ET.fromstring(router_config(plan, "tor1"))
    removed = ET.fromstring(removal_config(plan, "tor1"))

    def objects(tree, attribute, value):
        return sorted((el.tag, el.findtext("name")) for el in tree.iter() if el.get(attribute) == value)

    assert objects(removed, "delete", "delete") == objects(pushed, "replace", "replace")
    assert "as-list" not in {tag for tag, _name in objects(removed, "delete", "delete")}
