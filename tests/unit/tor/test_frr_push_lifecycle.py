"""The FRR push as a router sees it: check, test, back up, reload, prove, persist; and restore.

Driven in process through FrrRouter against frr_router_sim's daemon-less router, with FRR's
own vtysh -C and frr-reload.py --test computing the checks (tests/integration/tor/ does the
same with running daemons). What a user relies on: the candidate is checked before anything
is applied, a refused or failed push leaves the router and the disk as they were (or rolls
back), check mode writes nothing, every file holding the configuration is mode 0600, and a
backup that still holds a rotated-out password does not outlive the rotation.
"""

from __future__ import annotations

import json
import os
import stat
import time

import pytest
from frr_router_sim import SimulatedFrr, have_frr_tools

from ansible_collections.onprem.calico.plugins.module_utils import frr_tor_config as ftc
from ansible_collections.onprem.calico.plugins.module_utils.frr_tor_config import FrrConfigError, FrrRouter

pytestmark = pytest.mark.skipif(not have_frr_tools(), reason="needs FRR's vtysh and frr-reload.py (make apt)")

# A ToR with its own uplink session and ECMP limit, before the collection's first push.
RUNNING = """frr version 8.4.4
frr defaults traditional
hostname tor1
!
router bgp 65001
 bgp router-id 10.255.0.1
 neighbor 172.31.0.1 remote-as 65002
 !
 address-family ipv4 unicast
  maximum-paths ibgp 2
 exit-address-family
exit
!
end
"""
PREFIX = "CALICO-"
OWNED_ADDED = [
    "router bgp 65001 / neighbor CALICO-NODES peer-group",
    "router bgp 65001 / neighbor CALICO-NODES remote-as internal",
    "router bgp 65001 / neighbor CALICO-NODES password ********",
    "router bgp 65001 / neighbor 10.1.1.11 peer-group CALICO-NODES",
    "router bgp 65001 / address-family ipv4 unicast / neighbor CALICO-NODES route-reflector-client",
    "ip prefix-list CALICO-NODES-IN seq 10 permit 10.244.0.0/16 le 32",
]
MEMBER_LINE = " neighbor 10.1.1.11 peer-group CALICO-NODES"


def owned(password="s3cret", extra_router_lines=()):
    """What the collection renders for tor1: its peer group, one node, one filter."""
    return "\n".join(
        ["ip prefix-list CALICO-NODES-IN seq 10 permit 10.244.0.0/16 le 32", "!",
         "router bgp 65001", " neighbor CALICO-NODES peer-group", " neighbor CALICO-NODES remote-as internal"]
        + ([" neighbor CALICO-NODES password %s" % password] if password else [])
        + list(extra_router_lines)
        + [MEMBER_LINE, " !", " address-family ipv4 unicast", "  neighbor CALICO-NODES route-reflector-client",
           " exit-address-family", "exit", "!", ""])


def router_for(disk, running=RUNNING, **behaviour):
    sim = SimulatedFrr(running, str(disk / "sim"), **behaviour)
    return FrrRouter(sim), sim


def push(router, disk, config=None, **kwargs):
    kwargs.setdefault("backup_dir", str(disk / "backups"))
    kwargs.setdefault("config_file", str(disk / "saved-frr.conf"))
    return ftc.apply_owned(router, config or owned(), PREFIX, **kwargs)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_push_checks_the_candidate_applies_it_and_proves_it_took(disk):
    router, sim = router_for(disk)
    result = push(router, disk)
    assert sim.kinds() == ["show", "check", "test", "reload", "test", "show"]
    check, first_test, reload, proof = sim.calls[1:5]
    # The file checked and tested is the candidate: the operator's lines plus the owned ones, private.
    assert first_test.path == check.path and check.mode == 0o600
    assert " neighbor 172.31.0.1 remote-as 65002" in check.content and MEMBER_LINE in check.content
    assert reload.content == check.content and reload.mode == 0o600 and proof.content == check.content
    assert result["changed"] is True
    assert sorted(result["lines_added"]) == sorted(OWNED_ADDED) and result["lines_removed"] == []
    assert result["router_wide_added"] == [] and result["findings"] == []
    assert MEMBER_LINE in sim.running and " neighbor 172.31.0.1 remote-as 65002" in sim.running
    assert os.listdir(disk / "tmp") == [], "the candidate's private directory is removed"


def test_the_backup_holds_the_previous_configuration_privately(disk):
    router, sim = router_for(disk)
    result = push(router, disk)
    backup = result["backup_file"]
    assert os.path.dirname(backup) == str(disk / "backups")
    assert open(backup).read() == RUNNING and mode(backup) == 0o600
    assert mode(disk / "backups") == 0o700


@pytest.mark.skipif(os.geteuid() != 0, reason="giving the file another owner needs root")
def test_the_applied_configuration_is_saved_where_frr_reads_it_at_start(disk):
    saved = disk / "saved-frr.conf"
    saved.write_text("! before\n")
    os.chmod(saved, 0o640)
    os.chown(saved, 1234, 5678)
    router, sim = router_for(disk)
    push(router, disk)
    assert saved.read_text() == sim.running
    assert mode(saved) == 0o600
    assert (os.stat(saved).st_uid, os.stat(saved).st_gid) == (1234, 5678), "FRR's file keeps its owner"


def test_a_new_saved_file_is_private_and_no_saved_file_is_written_when_none_is_named(disk):
    router, sim = router_for(disk)
    push(router, disk)
    assert mode(disk / "saved-frr.conf") == 0o600 and (disk / "saved-frr.conf").read_text() == sim.running
    router, sim = router_for(disk)
    push(router, disk, config_file=None)
    assert sorted(os.listdir(disk)) == ["backups", "etc-frr", "saved-frr.conf", "sim", "tmp"]


def test_the_result_never_shows_the_password(disk):
    router, _sim = router_for(disk)
    result = push(router, disk)
    assert "s3cret" not in json.dumps(result)
    assert result["diff"]["before"] == RUNNING and "neighbor CALICO-NODES password ********" in result["diff"]["after"]
    assert (result["diff"]["before_header"], result["diff"]["after_header"]) == ("running-config", "running-config (merged)")


def test_check_mode_reports_the_change_and_changes_nothing(disk):
    router, sim = router_for(disk)
    result = push(router, disk, check_mode=True)
    assert result["changed"] is True and sorted(result["lines_added"]) == sorted(OWNED_ADDED)
    assert sim.kinds() == ["show", "check", "test"] and sim.running == RUNNING
    assert result["backup_file"] is None
    assert sorted(os.listdir(disk)) == ["etc-frr", "sim", "tmp"] and os.listdir(disk / "tmp") == []


def test_a_second_push_of_the_same_plan_changes_nothing(disk):
    router, sim = router_for(disk)
    push(router, disk)
    del sim.calls[:]
    result = push(router, disk)
    assert result["changed"] is False and result["lines_added"] == [] and result["lines_removed"] == []
    assert sim.kinds() == ["show", "check", "test"] and result["backup_file"] is None
    assert len(os.listdir(disk / "backups")) == 1


def test_a_candidate_vtysh_rejects_is_never_tested_or_applied(disk):
    router, sim = router_for(disk)
    with pytest.raises(FrrConfigError, match="^vtysh -C rejected the merged configuration: .*Unknown command"):
        push(router, disk, owned(extra_router_lines=[" neighbor CALICO-NODES remote-ass internal"]))
    assert sim.kinds() == ["show", "check"] and sim.running == RUNNING
    assert not os.path.exists(disk / "backups") and not os.path.exists(disk / "saved-frr.conf")


def test_a_change_to_a_line_the_collection_does_not_own_stops_the_push(disk):
    said = ("\nLines To Delete\n===============\nrouter bgp 65001\n no neighbor 172.31.0.1 remote-as 65002\n"
            "no hostname tor1\n\nLines To Add\n============\nrouter bgp 65001\n neighbor CALICO-NODES peer-group\n")
    router, sim = router_for(disk, test_output=said)
    with pytest.raises(FrrConfigError) as caught:
        push(router, disk)
    assert str(caught.value) == ("refusing to push: frr-reload.py would change lines the collection does not own: "
                                 "router bgp 65001 / no neighbor 172.31.0.1 remote-as 65002; no hostname tor1")
    assert sim.kinds() == ["show", "check", "test"] and not os.path.exists(disk / "backups")


def test_the_router_identity_is_the_collections_only_in_a_router_it_creates(disk):
    identity = [" bgp router-id 10.255.0.9"]
    router, sim = router_for(disk, running="frr version 8.4.4\nhostname tor1\n!\nend\n")
    result = push(router, disk, owned(extra_router_lines=identity))
    assert "router bgp 65001 / bgp router-id 10.255.0.9" in result["lines_added"]
    assert "router bgp 65001" in result["lines_added"] and " bgp router-id 10.255.0.9" in sim.running
    # The same lines against an existing router that has no router id: its identity stays its own.
    router, sim = router_for(disk, running=RUNNING.replace(" bgp router-id 10.255.0.1\n", ""),
                             test_output="\nLines To Add\n============\nrouter bgp 65001\n bgp router-id 10.255.0.9\n")
    with pytest.raises(FrrConfigError, match="router bgp 65001 / bgp router-id 10.255.0.9$"):
        push(router, disk, owned(extra_router_lines=identity), check_mode=True)


def test_a_neighbor_of_the_running_peer_group_is_owned_even_when_the_plan_drops_it(disk):
    # 10.1.1.12 left the plan: removing it is the collection's change, not a foreign one.
    running = RUNNING.replace(" neighbor 172.31.0.1 remote-as 65002\n", " neighbor 172.31.0.1 remote-as 65002\n"
                              " neighbor CALICO-NODES peer-group\n neighbor 10.1.1.12 peer-group CALICO-NODES\n")
    said = "\nLines To Delete\n===============\nrouter bgp 65001\n no neighbor 10.1.1.12 peer-group CALICO-NODES\n"
    router, _sim = router_for(disk, running=running, test_output=said)
    result = push(router, disk, check_mode=True)
    assert result["lines_removed"] == ["router bgp 65001 / no neighbor 10.1.1.12 peer-group CALICO-NODES"]


def test_a_router_wide_line_the_design_needs_is_named_in_the_result(disk):
    router, sim = router_for(disk)
    result = push(router, disk, owned(extra_router_lines=[" bgp bestpath as-path multipath-relax"]))
    assert result["router_wide_added"] == ["bgp bestpath as-path multipath-relax"]
    assert " bgp bestpath as-path multipath-relax" in sim.running


@pytest.mark.parametrize("maximum_paths, session_type, found", [(4, "ibgp", "maximum-paths ibgp is 2 but the plan expects 4 paths"),
                                                                (2, "ibgp", None), (None, "ibgp", None)])
def test_an_ecmp_limit_below_the_plan_is_a_finding_and_stays(disk, maximum_paths, session_type, found):
    router, sim = router_for(disk)
    result = push(router, disk, maximum_paths=maximum_paths, session_type=session_type)
    assert [f[:len(found)] for f in result["findings"]] == ([found] if found else [])
    assert "  maximum-paths ibgp 2\n" in sim.running


def test_a_transition_frr_needs_two_passes_for_is_completed(disk):
    router, sim = router_for(disk, reload_drops=[MEMBER_LINE])
    result = push(router, disk)
    assert sim.kinds() == ["show", "check", "test", "reload", "test", "reload", "test", "show"]
    assert result["changed"] is True and MEMBER_LINE in sim.running
    assert (disk / "saved-frr.conf").read_text() == sim.running


def test_a_difference_left_after_two_passes_rolls_back_to_the_backup(disk):
    router, sim = router_for(disk, reload_drops=[MEMBER_LINE, MEMBER_LINE])
    with pytest.raises(FrrConfigError) as caught:
        push(router, disk)
    (backup,) = [str(disk / "backups" / name) for name in os.listdir(disk / "backups")]
    assert str(caught.value) == (
        "after frr-reload.py --reload the running configuration still differs "
        "(router bgp 65001 / neighbor 10.1.1.11 peer-group CALICO-NODES); the previous configuration from %s was restored"
        % backup)
    assert sim.kinds() == ["show", "check", "test", "reload", "test", "reload", "test", "reload"]
    assert sim.calls[-1].content == RUNNING and sim.running == RUNNING
    assert not os.path.exists(disk / "saved-frr.conf"), "a rolled-back push saves nothing"


def test_a_reload_failing_half_way_rolls_back_to_the_backup(disk):
    router, sim = router_for(disk, failing_reloads=1)
    with pytest.raises(FrrConfigError, match=r"^frr-reload.py --reload failed \(rc=1\): Failed to execute bgpd command; "
                                             r"the previous configuration from .*/backups/frr-\d{8}T\d{6}\.conf was restored$"):
        push(router, disk)
    assert sim.kinds() == ["show", "check", "test", "reload", "reload"] and sim.calls[-1].content == RUNNING


@pytest.mark.parametrize("fault, kinds", [("tor_frr_after_backup", ["show", "check", "test"]),
                                          ("tor_frr_mid_apply", ["show", "check", "test", "reload", "reload"])])
def test_an_injected_fault_leaves_the_previous_configuration_running(disk, monkeypatch, fault, kinds):
    monkeypatch.setenv("ONPREM_CALICO_FAULT", fault)
    router, sim = router_for(disk)
    with pytest.raises(FrrConfigError, match="fault injected at %s" % fault):
        push(router, disk)
    assert sim.kinds() == kinds and sim.running == RUNNING
    assert [open(disk / "backups" / name).read() for name in os.listdir(disk / "backups")] == [RUNNING]


def test_backups_are_named_by_time_and_never_overwritten(disk, monkeypatch):
    real_strftime = time.strftime
    monkeypatch.setattr(ftc.time, "strftime", lambda fmt, *when: real_strftime(fmt, time.gmtime(0)))
    (disk / "backups").mkdir()
    for name in ("frr-19700101T000000.conf", "frr-19700101T000000-1.conf"):
        (disk / "backups" / name).write_text("! an earlier push\n")
    router, _sim = router_for(disk)
    result = push(router, disk)
    assert result["backup_file"] == str(disk / "backups" / "frr-19700101T000000-2.conf")
    assert (disk / "backups" / "frr-19700101T000000.conf").read_text() == "! an earlier push\n"


@pytest.mark.parametrize("keep, kept_earlier", [(2, ["frr-20250101T000000.conf"]),
                                                (1, []),
                                                (0, ["frr-20230101T000000.conf", "frr-20240101T000000.conf",
                                                     "frr-20250101T000000.conf"]),
                                                # Below zero is no limit either, never "delete the oldest".
                                                (-1, ["frr-20230101T000000.conf", "frr-20240101T000000.conf",
                                                      "frr-20250101T000000.conf"])])
def test_only_the_newest_backups_are_kept(disk, keep, kept_earlier):
    (disk / "backups").mkdir()
    earlier = ["frr-20230101T000000.conf", "frr-20240101T000000.conf", "frr-20250101T000000.conf"]
    for name in earlier + ["notes.txt", "frr-20200101T000000.conf.orig"]:
        (disk / "backups" / name).write_text("! kept by the operator\n")
    router, _sim = router_for(disk)
    result = push(router, disk, keep_backups=keep)
    names = sorted(os.listdir(disk / "backups"))
    assert names == sorted(kept_earlier + [os.path.basename(result["backup_file"]), "notes.txt", "frr-20200101T000000.conf.orig"])


def test_backups_holding_a_rotated_out_password_are_purged(disk):
    (disk / "backups").mkdir()
    old = owned(password="0ld-secret")
    files = {"frr-20240101T000000.conf": old, "frr-20240102T000000.conf": owned(password="n3w-secret"),
             "frr-20240103T000000.conf": owned(password=None), "frr-x.txt": old}
    for name, text in files.items():
        (disk / "backups" / name).write_text(text)
    router, sim = router_for(disk, running=ftc.merge(RUNNING, old, PREFIX))
    result = push(router, disk, owned(password="n3w-secret"))
    assert " neighbor CALICO-NODES password n3w-secret" in sim.running
    assert result["purged_backups"] == [str(disk / "backups" / "frr-20240101T000000.conf"), result["purged_backups"][1]]
    assert len(result["purged_backups"]) == 2 and result["backup_file"] is None, "this push's backup held the old password"
    assert sorted(os.listdir(disk / "backups")) == ["frr-20240102T000000.conf", "frr-20240103T000000.conf", "frr-x.txt"]


def test_restore_brings_back_the_previous_configuration(disk):
    router, sim = router_for(disk)
    backup = push(router, disk)["backup_file"]
    del sim.calls[:]
    result = ftc.restore(router, backup, config_file=str(disk / "saved-frr.conf"))
    assert sim.kinds() == ["show", "test", "reload", "show"]
    assert sim.calls[1].path == backup and sim.calls[2].content == RUNNING
    assert sim.running == RUNNING and (disk / "saved-frr.conf").read_text() == RUNNING
    assert result["changed"] is True and result["backup_file"] == backup
    # frr-reload.py removes a prefix-list entry by adding its "no" form, and the peer group's
    # members with the group (it deletes no member line of its own).
    assert result["lines_added"] == ["no " + OWNED_ADDED[-1]]
    assert sorted(line.replace(" / no ", " / ") for line in result["lines_removed"]) == sorted(
        line for line in OWNED_ADDED[:-1] if "10.1.1.11" not in line)
    assert "s3cret" not in json.dumps(result)
    assert (result["diff"]["before_header"], result["diff"]["after_header"], result["diff"]["after"]) == (
        "running-config", backup, RUNNING)
    assert "neighbor CALICO-NODES password ********" in result["diff"]["before"]


def test_restore_in_check_mode_or_of_the_running_configuration_changes_nothing(disk):
    router, sim = router_for(disk)
    backup = push(router, disk)["backup_file"]
    applied = sim.running
    del sim.calls[:]
    result = ftc.restore(router, backup, check_mode=True, config_file=str(disk / "saved-frr.conf"))
    assert result["changed"] is True and sim.kinds() == ["show", "test"] and sim.running == applied
    assert (disk / "saved-frr.conf").read_text() == applied
    ftc.restore(router, backup)
    del sim.calls[:]
    result = ftc.restore(router, backup, config_file=str(disk / "saved-frr.conf"))
    assert result["changed"] is False and result["lines_removed"] == [] and sim.kinds() == ["show", "test"]


def test_restore_of_a_missing_backup_touches_nothing(disk):
    router, sim = router_for(disk)
    missing = str(disk / "backups" / "frr-20240101T000000.conf")
    with pytest.raises(FrrConfigError, match="^backup %s does not exist; nothing to restore$" % missing):
        ftc.restore(router, missing)
    assert sim.calls == []
