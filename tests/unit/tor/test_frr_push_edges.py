"""Edges of the FRR push: what frr-reload.py --test may print around its sections, the safety
net reading every change, the private-file writer, the push's defaults and retries.

frr-reload.py (FRR 8.4) prints "Lines To Delete" / "Lines To Add" sections, each line under
its context lines; with --stdout its own log lines ("<date> <time>,<ms> <LEVEL>: ...") go there too.
"""

from __future__ import annotations

import os
import stat
import time

import pytest
from frr_router_sim import have_frr_tools
from test_frr_push_lifecycle import MEMBER_LINE, RUNNING, owned, push, router_for

from ansible_collections.onprem.calico.plugins.module_utils import frr_tor_config as ftc
from ansible_collections.onprem.calico.plugins.module_utils.frr_tor_config import FrrConfigError

needs_frr = pytest.mark.skipif(not have_frr_tools(), reason="needs FRR's vtysh and frr-reload.py (make apt)")


def test_lines_before_the_first_section_and_log_lines_between_changes_are_not_changes():
    said = ("Loading Python 3 modules\n"
            "\nLines To Delete\n===============\nrouter bgp 65001\n no neighbor 10.1.1.12 peer-group CALICO-NODES\n"
            "2026-11-30 01:00:00,123  WARNING: bgpd: line 3 took long\n"
            "no ip prefix-list CALICO-OLD seq 5 permit 10.0.0.0/8\n")
    assert ftc.parse_reload_test(said) == (
        [(("router bgp 65001",), "no neighbor 10.1.1.12 peer-group CALICO-NODES"),
         ((), "no ip prefix-list CALICO-OLD seq 5 permit 10.0.0.0/8")], [])


def test_every_change_after_an_owned_router_identity_line_is_still_read():
    # A router the push creates: its router id is the collection's, the uplink after it is not.
    changes = [(("router bgp 65001",), "bgp router-id 10.255.0.9"),
               (("router bgp 65001",), "neighbor 172.31.0.1 remote-as 65002")]
    assert ftc.foreign_changes(changes, "CALICO-", set(), "65001", router_created=True) == changes[1:]


def test_a_router_wide_line_inside_an_address_family_is_not_the_collections():
    change = [(("router bgp 65001", "address-family ipv4 unicast"), "bgp listen limit 100")]
    assert ftc.foreign_changes(change, "CALICO-", set(), "65001") == change


def test_a_private_file_is_written_beside_its_target_and_replaces_it_whole(tmp_path, monkeypatch):
    # The temporary file is renamed over the target: same directory, so the rename is atomic.
    renames = []
    real_rename = os.rename
    monkeypatch.setattr(os, "rename", lambda src, dst: renames.append((src, dst)) or real_rename(src, dst))
    target = tmp_path / "frr.conf"
    target.write_text("old\n")
    os.chmod(target, 0o644)
    ftc.write_private(str(target), "neighbor CALICO-NODES password s3cret\n")
    assert target.read_text() == "neighbor CALICO-NODES password s3cret\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    ((src, dst),) = renames
    assert os.path.dirname(src) == str(tmp_path) and dst == str(target)
    assert os.path.basename(src).startswith("."), "a half-written file is hidden, never a frr-*.conf"
    assert os.listdir(tmp_path) == ["frr.conf"]


def test_a_private_file_named_without_a_directory_lands_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ftc.write_private("frr.conf", "hostname tor1\n")
    assert (tmp_path / "frr.conf").read_text() == "hostname tor1\n" and os.listdir(tmp_path) == ["frr.conf"]


def test_a_failed_write_leaves_the_target_as_it_was_and_no_temporary_file(tmp_path):
    target = tmp_path / "frr.conf"
    target.write_text("old\n")
    with pytest.raises(TypeError, match="must be str"):
        ftc.write_private(str(target), b"not text")
    assert target.read_text() == "old\n" and os.listdir(tmp_path) == ["frr.conf"]


@needs_frr
def test_the_candidate_is_frr_conf_in_a_private_directory(disk):
    router, sim = router_for(disk)
    push(router, disk, check_mode=True)
    check = sim.calls[1]
    assert os.path.basename(check.path) == "frr.conf"
    assert os.path.dirname(os.path.dirname(check.path)) == str(disk / "tmp")
    assert os.path.basename(os.path.dirname(check.path)).startswith("onprem-calico-frr-"), "a leftover says whose it is"


@needs_frr
def test_five_backups_are_kept_unless_told_otherwise(disk):
    (disk / "backups").mkdir()
    for year in range(2020, 2026):
        (disk / "backups" / ("frr-%d0101T000000.conf" % year)).write_text("! earlier\n")
    router, _sim = router_for(disk)
    result = ftc.apply_owned(router, owned(), "CALICO-", backup_dir=str(disk / "backups"))
    assert sorted(os.listdir(disk / "backups")) == sorted(
        ["frr-%d0101T000000.conf" % year for year in range(2022, 2026)] + [os.path.basename(result["backup_file"])])


@needs_frr
@pytest.mark.parametrize("running, session_type, found", [
    (RUNNING, None, "maximum-paths ibgp is 2 but the plan expects 4 paths"),  # iBGP sessions unless told otherwise
    (RUNNING, "ebgp", None),  # the eBGP limit is "maximum-paths N", unset here
    (RUNNING.replace("  maximum-paths ibgp 2\n", ""), "ibgp", None),  # FRR's own default: not a finding
])
def test_which_ecmp_limit_is_read(disk, running, session_type, found):
    router, _sim = router_for(disk, running=running)
    kwargs = {"session_type": session_type} if session_type else {}
    result = push(router, disk, check_mode=True, maximum_paths=4, **kwargs)
    assert [f[:len(found)] for f in result["findings"]] == ([found] if found else [])


@needs_frr
@pytest.mark.parametrize("existing, expected", [(["frr-19700101T000000.conf"], "frr-19700101T000000-1.conf"),
                                                ([], "frr-19700101T000000.conf")])
def test_the_first_free_backup_name_is_taken(disk, monkeypatch, existing, expected):
    real_strftime = time.strftime
    monkeypatch.setattr(ftc.time, "strftime", lambda fmt, *when: real_strftime(fmt, time.gmtime(0)))
    (disk / "backups").mkdir()
    for name in existing:
        (disk / "backups" / name).write_text("! an earlier push\n")
    router, _sim = router_for(disk)
    assert push(router, disk)["backup_file"] == str(disk / "backups" / expected)


@needs_frr
def test_a_line_left_to_delete_after_the_first_pass_gets_a_second_pass(disk):
    first = "\nLines To Add\n============\nrouter bgp 65001\n neighbor CALICO-NODES peer-group\n"
    left = "\nLines To Delete\n===============\nrouter bgp 65001\n no neighbor 10.1.1.12 peer-group CALICO-NODES\n"
    router, sim = router_for(disk, test_output=[first, left, ""])
    assert push(router, disk)["changed"] is True
    assert sim.kinds() == ["show", "check", "test", "reload", "test", "reload", "test", "show"]


@needs_frr
def test_a_push_gives_up_after_two_passes(disk):
    router, sim = router_for(disk, reload_drops=[MEMBER_LINE, MEMBER_LINE, MEMBER_LINE])
    with pytest.raises(FrrConfigError, match="still differs"):
        push(router, disk)
    assert sim.kinds().count("reload") == 3, "two passes and the rollback"


def test_another_router_id_stops_the_merge_and_says_what_to_fix():
    running = RUNNING.replace("bgp router-id 10.255.0.1", "bgp router-id 10.255.0.9")
    with pytest.raises(FrrConfigError) as caught:
        ftc.merge(running, owned(extra_router_lines=[" bgp router-id 10.255.0.1"]), "CALICO-")
    assert str(caught.value) == ("the router's bgp router-id is 10.255.0.9 but the plan says 10.255.0.1; the collection "
                                 "never changes a router id: fix calico_tor_router_id or the router")


def test_a_configuration_starting_inside_a_context_is_refused_with_the_line():
    with pytest.raises(FrrConfigError) as caught:
        ftc.merge(" neighbor 10.1.1.11 peer-group CALICO-NODES\n" + RUNNING, owned(), "CALICO-")
    assert str(caught.value) == "configuration starts with an indented line: ' neighbor 10.1.1.11 peer-group CALICO-NODES'"


@needs_frr
def test_restoring_a_backup_that_only_adds_lines_is_a_change(disk):
    backup = disk / "frr-20240101T000000.conf"
    backup.write_text(RUNNING.replace(" neighbor 172.31.0.1 remote-as 65002\n",
                                      " neighbor 172.31.0.1 remote-as 65002\n neighbor 172.31.0.2 remote-as 65003\n"))
    router, sim = router_for(disk)
    result = ftc.restore(router, str(backup))
    assert result["changed"] is True and result["lines_removed"] == []
    assert result["lines_added"] == ["router bgp 65001 / neighbor 172.31.0.2 remote-as 65003"]
    assert " neighbor 172.31.0.2 remote-as 65003" in sim.running


@needs_frr
def test_every_line_still_different_is_named_when_the_push_gives_up(disk):
    first = "\nLines To Add\n============\nrouter bgp 65001\n neighbor CALICO-NODES peer-group\n"
    left = ("\nLines To Delete\n===============\nrouter bgp 65001\n no neighbor 10.1.1.12 peer-group CALICO-NODES\n"
            "\nLines To Add\n============\nrouter bgp 65001\n neighbor CALICO-NODES peer-group\n")
    router, _sim = router_for(disk, test_output=[first, left, left])
    with pytest.raises(FrrConfigError) as caught:
        push(router, disk)
    assert str(caught.value).startswith(
        "after frr-reload.py --reload the running configuration still differs (router bgp 65001 / no neighbor 10.1.1.12 "
        "peer-group CALICO-NODES; router bgp 65001 / neighbor CALICO-NODES peer-group); the previous configuration from ")
