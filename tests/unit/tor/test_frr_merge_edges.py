"""The FRR merge at its edges: every refusal in full, a VRF instance under another AS, a router
block without its closing 'exit', and the '!' separators FRR's own output uses (issue 18: the
mutation run found these paths unasserted)."""

from __future__ import annotations

import pytest
from test_frr_merge import RUNNING, owned_config

from ansible_collections.onprem.calico.plugins.module_utils.frr_tor_config import FrrConfigError, merge


def refusal(running, owned, prefix="CALICO-"):
    with pytest.raises(FrrConfigError) as error:
        merge(running, owned, prefix)
    return str(error.value)


def test_every_refusal_says_why_in_full():
    owned = owned_config()
    assert refusal(RUNNING, owned, "") == "object_prefix is empty: the collection could not tell its objects apart"
    router_block = owned[owned.index("router bgp"):]
    assert refusal(RUNNING, owned + router_block) == "the rendered configuration must hold exactly one 'router bgp <asn>' block"
    foreign_object = "ip prefix-list SPINE seq 5 permit any"
    assert refusal(RUNNING, foreign_object + "\n!\n" + owned) == "rendered line '%s' is not a CALICO-* object" % foreign_object
    other_as = RUNNING.replace("router bgp 65001\n", "router bgp 65009\n")
    assert refusal(other_as, owned) == (
        "the router runs 'router bgp 65009' but the plan says AS 65001 for it; the collection never changes "
        "a router's AS: fix calico_tor_asn / the rack AS or the router")


def test_a_vrf_instance_under_another_as_and_what_follows_it_are_kept():
    running = RUNNING.replace("router bgp 65001 vrf mgmt", "router bgp 65100 vrf mgmt")
    merged = merge(running, owned_config(), "CALICO-")
    assert "router bgp 65100 vrf mgmt\n neighbor 192.0.2.1 remote-as 65100\nexit\n!\nline vty\n exec-timeout 0 0\nexit\n!\n" in merged


def test_a_router_block_without_its_exit_gets_one():
    running = "hostname tor1\n!\nrouter bgp 65001\n bgp router-id 10.255.0.1\n neighbor 172.31.0.1 remote-as 65002\n!\nend\n"
    merged = merge(running, owned_config(), "CALICO-")
    block = merged[merged.index("router bgp 65001\n"):]
    assert block.split("\n!\n", maxsplit=1)[0].endswith("\nexit")
    assert merged.count("\nexit\n!\nrouter bgp") == 0 and merged.count("router bgp 65001\n") == 1


def test_separators_follow_blocks_not_one_line_settings():
    running = "frr version 8.4.4\nhostname tor1\ninterface lo\nexit\nrouter bgp 65001\n bgp router-id 10.255.0.1\nexit\n!\nend\n"
    merged = merge(running, owned_config(), "CALICO-")
    assert merged.startswith("frr version 8.4.4\nhostname tor1\ninterface lo\nexit\n!\nrouter bgp 65001\n")
    assert merged.endswith("\n!\nend\n") and not merged.endswith("!\n!\nend\n")


def test_a_running_config_of_one_line_settings_ends_with_a_single_separator():
    owned = owned_config()
    merged = merge("hostname tor1\nend\n", owned, "CALICO-")
    assert merged.startswith("hostname tor1\nrouter bgp 65001\n")
    assert merged.endswith("\n!\nend\n") and "!\n!" not in merged
