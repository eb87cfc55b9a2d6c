"""The cluster lock's rules and its lock file (plugins/module_utils/cluster_lock.py)."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from ansible_collections.onprem.calico.plugins.module_utils import cluster_lock as cl

NOW = dt.datetime(2026, 11, 29, 18, 0, 0, tzinfo=dt.timezone.utc)
HOUR = dt.timedelta(hours=1)


def test_holder_is_the_awx_job_when_there_is_one():
    assert cl.holder_identity(job_id=4711, user="awx", controller="ee-1", pid=7) == "awx-job-4711"
    assert cl.holder_identity(job_id="", user="alice", controller="laptop", pid=1234) == "alice@laptop:1234"


def test_decide_free_ours_held_stale():
    assert cl.decide("", None, "me", NOW, 3600, False, "L") == "take"
    assert cl.decide("me", NOW - 5 * HOUR, "me", NOW, 3600, False, "L") == "ours"
    with pytest.raises(cl.LockHeld) as held:
        cl.decide("awx-job-9", NOW - dt.timedelta(minutes=10), "me", NOW, 3600, True, "L")
    message = str(held.value)
    assert "awx-job-9" in message and "2026-11-29T17:50:00.000000Z" in message and "(600 s ago)" in message
    # Fresh locks are never broken, even when asked to.
    assert "another run is changing this cluster" in message
    with pytest.raises(cl.LockHeld) as stale:
        cl.decide("awx-job-9", NOW - 2 * HOUR, "me", NOW, 3600, False, "L")
    assert "stale" in str(stale.value) and "calico_lock_break=true" in str(stale.value)
    assert cl.decide("awx-job-9", NOW - 2 * HOUR, "me", NOW, 3600, True, "L") == "break"


def test_time_round_trip_is_kubernetes_microtime():
    text = cl.format_time(NOW)
    assert text == "2026-11-29T18:00:00.000000Z"
    assert cl.parse_time(text) == NOW
    assert cl.parse_time("2026-11-29T18:00:00Z") == NOW


def test_file_lock_excludes_other_holders_and_releases_only_its_own(tmp_path):
    path = str(tmp_path / "art" / "prod.lock")
    assert cl.acquire_file(path, "alice@a:1", NOW, 3600, False) == (True, "")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    with open(path) as handle:
        assert json.load(handle) == {"holder": "alice@a:1", "acquired": "2026-11-29T18:00:00.000000Z", "timeout": 3600}
    assert cl.acquire_file(path, "alice@a:1", NOW, 3600, False) == (False, "alice@a:1")  # re-entrant
    with pytest.raises(cl.LockHeld, match=r"held by alice@a:1 since 2026-11-29T18:00:00.000000Z \(60 s ago\)"):
        cl.acquire_file(path, "bob@b:2", NOW + dt.timedelta(seconds=60), 3600, True)
    assert cl.release_file(path, "bob@b:2") is False and os.path.exists(path)
    assert cl.release_file(path, "alice@a:1") is True and not os.path.exists(path)
    assert cl.release_file(path, "alice@a:1") is False
    assert sorted(os.listdir(tmp_path / "art")) == []  # no temporary files left behind


def test_stale_file_lock_is_broken_only_when_asked(tmp_path):
    path = str(tmp_path / "prod.lock")
    cl.acquire_file(path, "killed@a:1", NOW - 4 * HOUR, 3600, False)
    with pytest.raises(cl.LockHeld, match="stale"):
        cl.acquire_file(path, "bob@b:2", NOW, 3600, False)
    assert cl.acquire_file(path, "bob@b:2", NOW, 3600, True) == (True, "killed@a:1")
    with pytest.raises(cl.LockHeld, match="bob@b:2"):
        cl.acquire_file(path, "carol@c:3", NOW, 3600, True)


def test_check_mode_reads_and_refuses_but_writes_nothing(tmp_path):
    path = str(tmp_path / "prod.lock")
    assert cl.acquire_file(path, "alice@a:1", NOW, 3600, False, check_mode=True) == (True, "")
    assert not os.path.exists(path)
    cl.acquire_file(path, "alice@a:1", NOW, 3600, False)
    with pytest.raises(cl.LockHeld):
        cl.acquire_file(path, "bob@b:2", NOW, 3600, False, check_mode=True)
    assert cl.release_file(path, "alice@a:1", check_mode=True) is True and os.path.exists(path)


def test_unreadable_lock_file_is_held_not_ignored(tmp_path):
    path = tmp_path / "prod.lock"
    path.write_text("{half written")
    with pytest.raises(cl.LockHeld, match="an unreadable lock file"):
        cl.acquire_file(str(path), "bob@b:2", NOW, 3600, True)


def test_lease_body_and_holder():
    body = cl.lease_body("kube-system", "onprem-calico-prod", "awx-job-1", NOW, 600, resource_version="42")
    assert body["metadata"]["resourceVersion"] == "42"
    assert body["spec"] == {"leaseDurationSeconds": 600, "holderIdentity": "awx-job-1",
                            "acquireTime": "2026-11-29T18:00:00.000000Z", "renewTime": "2026-11-29T18:00:00.000000Z"}
    assert cl.lease_holder(body) == ("awx-job-1", NOW)
    released = cl.lease_body("kube-system", "onprem-calico-prod", "", NOW, 600)
    assert cl.lease_holder(released) == ("", None)
