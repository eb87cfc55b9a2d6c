"""EOS / NX-OS pushes: only the difference between owned objects on the router and the rendered
ones is sent; stale owned objects go; encrypted passwords do not count as a change; the AS is
checked first. Running configurations under recorded/ are written from the vendors' documented
``show running-config`` forms: a rack already configured by an older release of the collection,
with a retired node, an encrypted password and a spine uplink.
"""

from __future__ import annotations

import os

import pytest
from sample_plan import make_plan

from ansible_collections.onprem.calico.plugins.module_utils.cli_tor_config import CliConfigError, changes, parse
from ansible_collections.onprem.calico.plugins.plugin_utils.tor import router_config

RECORDED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recorded")
PASSWORD = "s3cret"


def recorded(name):
    return open(os.path.join(RECORDED, name), encoding="utf-8").read()


def rendered(platform, design="as_per_rack", **kwargs):
    plan = make_plan(design, platforms=(platform,), racks=1, password=True, **kwargs)
    return router_config(plan, "tor1", PASSWORD)


def apply(running, result):
    """What the router would hold after the commands: good enough to check convergence."""
    tree = parse(running)
    return tree, parse(result["commands"])


def test_eos_push_sends_only_the_difference_and_removes_the_retired_node():
    result = changes(recorded("eos-running.conf"), rendered("eos"), "CALICO-", "eos")
    commands = result["commands"].splitlines()
    # The retired node goes whole, the stale list goes, the blanket next-hop-self goes.
    assert "   no neighbor 10.0.1.99" in commands
    assert "no ip prefix-list CALICO-OLD-LIST" in commands
    assert "   no neighbor CALICO-NODES next-hop-self" in commands
    # New node, new lists and route-map entries.
    assert "   neighbor 10.0.1.12 peer group CALICO-NODES" in commands
    assert "ip prefix-list CALICO-POOL-BLOCKS-V4" in commands
    assert "ip as-path access-list CALICO-RACK-LOCAL permit ^$ any" in commands
    # Unchanged lines are not sent (their sessions do not flap), foreign ones never.
    text = result["commands"]
    assert "neighbor 10.0.1.11 peer group" not in text and "node11" not in text
    assert "SPINE" not in text and "172.31.0.1" not in text and "maximum-paths" not in text
    assert "router-id" not in text
    # The encrypted password on the router equals the plan's: not re-sent.
    assert "password" not in text
    assert PASSWORD not in result["commands_redacted"]


def test_second_run_reports_nothing_to_do():
    # The router after the first push, as EOS prints it (password encrypted again).
    after = rendered("eos").replace(f"password {PASSWORD}", "password 7 RI4Vq8z4hDWdYk3ZqLhfqQ==")
    after = after.replace("router bgp 65001\n", "router bgp 65001\n   router-id 10.255.0.1\n   maximum-paths 4 ecmp 4\n")
    result = changes(after, rendered("eos"), "CALICO-", "eos")
    assert result["changed"] is False and result["commands"] == ""


def test_password_rotation_is_sent_when_asked():
    after = rendered("eos").replace(f"password {PASSWORD}", "password 7 RI4Vq8z4hDWdYk3ZqLhfqQ==")
    result = changes(after, rendered("eos"), "CALICO-", "eos", update_password="always")
    assert result["commands"] == f"router bgp 65001\n   neighbor CALICO-NODES password {PASSWORD}\n"
    assert result["commands_redacted"] == "router bgp 65001\n   neighbor CALICO-NODES password <redacted>\n"


def test_diff_shows_every_password_form_redacted():
    result = changes(recorded("eos-running.conf"), rendered("eos"), "CALICO-", "eos", update_password="always")
    assert "RI4Vq8z4hDWdYk3ZqLhfqQ==" not in result["before"] and PASSWORD not in result["after"]
    assert "neighbor CALICO-NODES password <redacted>" in result["before"]
    assert "neighbor CALICO-NODES password <redacted>" in result["after"]
    assert "SPINE" not in result["before"]  # only owned objects are shown


def test_nxos_push_replaces_changed_entries_and_removes_the_retired_neighbour():
    result = changes(recorded("nxos-running.conf"), rendered("nxos", "as_per_node"), "CALICO-", "nxos")
    commands = result["commands"].splitlines()
    assert "no ip prefix-list CALICO-NODE-PREFIXES-V4 seq 30 permit 10.0.0.0/8 le 32" in commands
    assert "  no neighbor 10.0.1.98" in commands
    assert "  neighbor 10.0.1.12" in commands and "    inherit peer CALICO-NODES" in commands
    assert result["router_wide_added"] == ["bestpath as-path multipath-relax"]
    assert "  bestpath as-path multipath-relax" in commands
    text = result["commands"]
    assert "password" not in text and "SPINE" not in text and "172.31.0.1" not in text
    assert "maximum-paths" not in text and "router-id" not in text
    assert "neighbor 10.0.1.11" not in text


def test_multipath_relax_is_never_removed():
    running = recorded("nxos-running.conf").replace("  router-id 10.255.0.1\n",
                                                    "  router-id 10.255.0.1\n  bestpath as-path multipath-relax\n")
    result = changes(running, rendered("nxos", "as_per_rack").replace("65001", "65101"), "CALICO-", "nxos")
    assert "multipath-relax" not in result["commands"] and result["router_wide_added"] == []


@pytest.mark.parametrize("platform", ["eos", "nxos"])
def test_router_with_another_as_or_without_bgp_is_refused(platform):
    running = recorded(f"{platform}-running.conf")
    other = running.replace("router bgp 651", "router bgp 659").replace("router bgp 650", "router bgp 659")
    with pytest.raises(CliConfigError, match="never changes a router's AS"):
        changes(other, rendered(platform), "CALICO-", platform)
    without = "\n".join(line for line in running.splitlines() if not line.startswith("router bgp"))
    without = "\n".join(line for line in without.splitlines() if not line.startswith(" "))
    with pytest.raises(CliConfigError, match="does not bootstrap BGP"):
        changes(without, rendered(platform), "CALICO-", platform)


# NX-OS "show checkpoint summary", in the form the Nexus configuration guide documents.
CHECKPOINT_SUMMARY = """User Checkpoint Summary
--------------------------------------------------------------------------------
1) before-upgrade:
Created by admin
Created at Sun, 09:00:00 29 Nov 2026
Size is 24,112 bytes
Description: None

2) onprem-calico-20261129T100000:
Created by admin
Created at Sun, 10:00:00 29 Nov 2026
Size is 24,380 bytes
Description: None
"""


def test_nxos_leftover_checkpoints_are_the_collections_only():
    from ansible_collections.onprem.calico.plugins.module_utils.cli_tor_config import leftover_checkpoints

    assert leftover_checkpoints(CHECKPOINT_SUMMARY) == ["onprem-calico-20261129T100000"]
    assert leftover_checkpoints("User Checkpoint Summary\n----\n") == []


def test_filters_take_the_command_modules_stdout_lists():
    from ansible_collections.onprem.calico.plugins.filter.tor import tor_nxos_leftover_checkpoints

    assert tor_nxos_leftover_checkpoints([CHECKPOINT_SUMMARY]) == ["onprem-calico-20261129T100000"]
    assert tor_nxos_leftover_checkpoints([]) == []  # EOS routers: the NX-OS task was skipped


FRR_RUNNING = """router bgp 65001
 bgp router-id 10.255.0.1
 !
 address-family ipv4 unicast
  maximum-paths 16
  maximum-paths ibgp 4
 exit-address-family
exit
"""


@pytest.mark.parametrize("running, platform, session_type, expected, finding", [
    ("eos-running.conf", "eos", "ibgp", 8, "maximum-paths is 4 but the plan expects 8 paths"),
    ("eos-running.conf", "eos", "ibgp", 4, None),
    ("nxos-running.conf", "nxos", "ebgp", 8, "maximum-paths is 4 but the plan expects 8 paths"),
    ("nxos-running.conf", "nxos", "ibgp", 2, "maximum-paths ibgp is 1 but the plan expects 2 paths"),  # default 1
    (FRR_RUNNING, "frr", "ibgp", 8, "maximum-paths ibgp is 4 but the plan expects 8 paths"),
    (FRR_RUNNING, "frr", "ebgp", 8, None),
    ("router bgp 65001\n", "frr", "ibgp", 8, None),  # FRR without the line: its build's limit, unknown here
])
def test_an_ecmp_limit_below_the_plan_is_a_finding_never_a_change(running, platform, session_type, expected, finding):
    from ansible_collections.onprem.calico.plugins.module_utils.cli_tor_config import ecmp_finding

    text = recorded(running) if running.endswith(".conf") else running
    result = ecmp_finding(text, platform, expected, session_type)
    if finding is None:
        assert result is None
    else:
        assert result.startswith(finding) and "never" not in result and "leaves it" in result


def test_the_push_reports_the_ecmp_finding_and_sends_no_maximum_paths():
    from ansible_collections.onprem.calico.plugins.filter.tor import tor_cli_changes

    plan = make_plan(platforms=("eos",), racks=1, password=True)
    result = tor_cli_changes(recorded("eos-running.conf"), plan, "tor1", PASSWORD)
    assert result["findings"] and result["findings"][0].startswith("maximum-paths is 4 but the plan expects 8 paths")
    assert "maximum-paths" not in result["commands"]


@pytest.mark.parametrize("platform, asn", [("eos", "65001"), ("nxos", "65101")])
def test_router_with_another_router_id_is_refused(platform, asn):
    running = recorded(f"{platform}-running.conf")
    own = rendered(platform).replace("router bgp 65001", "router bgp " + asn)
    assert changes(running, own, "CALICO-", platform, router_id="10.255.0.1")["changed"]  # the same id: goes on
    with pytest.raises(CliConfigError, match="router-id is 10.255.0.1 but the plan says 10.255.0.9; the collection never"):
        changes(running, own, "CALICO-", platform, router_id="10.255.0.9")
