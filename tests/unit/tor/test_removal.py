"""Uninstall on every platform: the removal configuration, sent through each platform's push
logic, takes every owned object away and nothing else (FRR is proved on real routers in
tests/integration/tor/test_frr_uninstall.py)."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest
from sample_plan import make_plan

from ansible_collections.onprem.calico.plugins.module_utils.cli_tor_config import changes
from ansible_collections.onprem.calico.plugins.plugin_utils.tor import router_config
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.removal import removal_config

RECORDED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recorded")


def recorded(name):
    return open(os.path.join(RECORDED, name), encoding="utf-8").read()


def test_eos_removal_sends_only_owned_removals():
    plan = make_plan("as_per_rack", platforms=("eos",), racks=1, password=True)
    result = changes(recorded("eos-running.conf"), removal_config(plan, "tor1"), "CALICO-", "eos")
    commands = result["commands"].splitlines()
    assert "   no neighbor CALICO-NODES" in commands
    assert "   no neighbor 10.0.1.11" in commands and "   no neighbor 10.0.1.99" in commands
    assert "no ip prefix-list CALICO-OLD-LIST" in commands
    # Only removals are sent, and nothing foreign.
    assert all(line.lstrip().startswith("no ") or line == "router bgp 65001" for line in commands), commands
    assert "SPINE" not in result["commands"] and "172.31." not in result["commands"] and "router-id" not in result["commands"]
    assert result["after"].strip() == ""


@pytest.mark.parametrize("platform,running", [("eos", "eos-running.conf"), ("nxos", "nxos-running.conf")])
def test_a_router_without_calico_objects_needs_nothing(platform, running):
    plan = make_plan("as_per_rack", platforms=(platform,), racks=1)
    asn = plan["tor_routers"]["tor1"]["asn"]
    text = recorded(running)
    header = next(line for line in text.splitlines() if line.startswith("router bgp "))
    bare = text.replace(header, "router bgp %s" % asn)
    first = changes(bare, removal_config(plan, "tor1"), "CALICO-", platform)
    # What is left once the removal commands ran: only foreign lines; removing again sends nothing.
    left = "\n".join(line for line in bare.splitlines()
                     if "CALICO-" not in line and not any(ip in line for ip in ("10.0.1.1", "10.0.1.9")))
    assert first["changed"] is True
    assert changes(left, removal_config(plan, "tor1"), "CALICO-", platform)["changed"] is False


@pytest.mark.parametrize("design,mode", [("as_per_rack", "explicit"), ("as_per_node", "listen_range")])
def test_junos_removal_deletes_exactly_the_objects_the_push_replaces(design, mode):
    plan = make_plan(design, platforms=("junos",), racks=1, neighbor_mode=mode, pool_v6="fd00:10:244::/48")
    pushed = ET.fromstring(router_config(plan, "tor1"))
    removed = ET.fromstring(removal_config(plan, "tor1"))

    def objects(tree, attribute, value):
        return {(el.tag, el.findtext("name")) for el in tree.iter() if el.get(attribute) == value}

    assert objects(removed, "delete", "delete") == objects(pushed, "replace", "replace")
    assert removed.find("routing-options") is None


def test_frr_removal_keeps_only_the_router_wide_lines():
    plan = make_plan("as_per_rack", platforms=("frr",), racks=1)
    text = removal_config(plan, "tor1")
    lines = text.splitlines()
    assert lines[0].startswith("router bgp ") and lines[-1] == "exit"
    assert all(line.startswith((" bgp router-id ", " bgp graceful-restart ")) for line in lines[1:-1])
