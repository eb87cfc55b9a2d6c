# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run at a time: the cluster lock's rules and its two stores (standard library only).

A lock names its holder (an AWX job id, or user@controller:pid) and when it was taken. A run
that finds the lock held by someone else stops at once and names them; a lock older than its
timeout may be broken, and only when the caller asks for it (nobody can tell from here whether
an old holder is still running).

Two stores:
- a Kubernetes Lease (coordination.k8s.io/v1): every controller that reaches the API sees it,
  and the API server's resourceVersion check decides which of two racing runs wins;
- a file next to the artifacts (render-only and lab runs): created with link(2), which fails
  when the file exists, so it protects the runs of one controller only.
"""

from __future__ import annotations

import json
import os
import datetime as _dt

LEASE_API_VERSION = "coordination.k8s.io/v1"
MANAGED_BY = {"app.kubernetes.io/managed-by": "onprem.calico"}


class LockHeld(Exception):
    """Another run holds the lock; the message names it and says how to go on."""


class LockConflict(Exception):
    """The store refused a write because the lock changed since it was read (a racing run)."""


class NotFound(Exception):
    """The store has no lock object."""


def utcnow():
    return _dt.datetime.now(_dt.timezone.utc)


def format_time(moment):
    # Kubernetes MicroTime: RFC 3339 with microseconds, UTC.
    return moment.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text):
    text = text.strip().replace("Z", "+00:00")
    moment = _dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)


def holder_identity(job_id=None, user=None, controller=None, pid=None):
    """The holder's name: the AWX job when there is one (other runs see it in AWX), else who
    started ansible-playbook where."""
    if job_id not in (None, ""):
        return "awx-job-%s" % job_id
    return "%s@%s:%s" % (user or "unknown", controller or "unknown", pid if pid is not None else "unknown")


def decide(current_holder, acquired, holder, now, timeout, break_stale, where):
    """What to do with a lock found in the store: ``"take"`` (free), ``"ours"`` (this run
    already holds it) or ``"break"`` (stale and breaking was asked for). Raises LockHeld."""
    if not current_holder:
        return "take"
    if current_holder == holder:
        return "ours"
    age = int((now - acquired).total_seconds()) if acquired else None
    started = format_time(acquired) if acquired else "an unknown time"
    if age is not None and age > timeout:
        if break_stale:
            return "break"
        raise LockHeld(
            "%s is held by %s since %s (%d s ago, longer than calico_lock_timeout=%d s): it is stale unless that run is "
            "still going. Check that it is not, then rerun with -e calico_lock_break=true to break it."
            % (where, current_holder, started, age, timeout))
    raise LockHeld(
        "%s is held by %s since %s%s: another run is changing this cluster. Wait for it to finish; a lock older than "
        "calico_lock_timeout=%d s can be broken with -e calico_lock_break=true."
        % (where, current_holder, started, "" if age is None else " (%d s ago)" % age, timeout))


# --- Lease ------------------------------------------------------------------------------------

def lease_holder(lease):
    """(holder, acquired) of a Lease; holder is "" when released."""
    spec = (lease or {}).get("spec") or {}
    acquired = spec.get("acquireTime")
    return spec.get("holderIdentity") or "", parse_time(acquired) if acquired else None


def lease_body(namespace, name, holder, now, timeout, resource_version=None):
    metadata = {"name": name, "namespace": namespace, "labels": dict(MANAGED_BY)}
    if resource_version:
        metadata["resourceVersion"] = resource_version
    spec = {"leaseDurationSeconds": timeout}
    if holder:
        spec.update(holderIdentity=holder, acquireTime=format_time(now), renewTime=format_time(now))
    return {"apiVersion": LEASE_API_VERSION, "kind": "Lease", "metadata": metadata, "spec": spec}


def acquire_lease(store, namespace, name, holder, now, timeout, break_stale, check_mode=False):
    """Take the Lease through ``store`` (get/create/replace, raising NotFound and LockConflict).
    Returns (changed, previous holder or "")."""
    where = "The cluster lock (Lease %s/%s)" % (namespace, name)
    try:
        current = store.get(namespace, name)
    except NotFound:
        current = None
    previous, acquired = lease_holder(current)
    action = decide(previous, acquired, holder, now, timeout, break_stale, where)
    if action == "ours":
        return False, previous
    if check_mode:
        return True, previous
    try:
        if current is None:
            store.create(namespace, lease_body(namespace, name, holder, now, timeout))
        else:
            store.replace(namespace, name, lease_body(namespace, name, holder, now, timeout,
                                                      current["metadata"]["resourceVersion"]))
    except LockConflict:
        # Someone wrote the Lease between our read and our write: name them.
        winner, won_at = lease_holder(store.get(namespace, name))
        raise LockHeld("%s was taken by %s at %s while this run was taking it: another run is changing this cluster."
                       % (where, winner or "another run", format_time(won_at) if won_at else "the same moment"))
    return True, previous


def release_lease(store, namespace, name, holder, now, timeout, check_mode=False, delete=False):
    """Release the Lease if this holder has it: kept as an object with the holder cleared, or
    deleted with ``delete`` (an uninstall leaves nothing behind). Returns changed."""
    try:
        current = store.get(namespace, name)
    except NotFound:
        return False
    if lease_holder(current)[0] != holder:
        return False
    if check_mode:
        return True
    version = current["metadata"]["resourceVersion"]
    if delete:
        try:
            # The precondition keeps a Lease another run took in between: it is theirs now.
            store.delete(namespace, name, version)
        except LockConflict:
            return False
    else:
        store.replace(namespace, name, lease_body(namespace, name, "", now, timeout, version))
    return True


# --- file -------------------------------------------------------------------------------------

def _read_file_lock(path):
    """(holder, acquired) of a lock file, or ("", None) when there is none."""
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
    except FileNotFoundError:
        return "", None
    except ValueError:
        # Unreadable: treat it as held by an unknown run taken at an unknown time.
        return "an unreadable lock file", None
    return record.get("holder") or "", parse_time(record["acquired"]) if record.get("acquired") else None


def _create_file_lock(path, holder, now, timeout):
    """Create ``path`` holding the record, atomically: the record is written to a private file and
    hard-linked into place; link(2) fails when the lock exists, so exactly one run creates it."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"holder": holder, "acquired": format_time(now), "timeout": timeout}, handle)
            handle.write("\n")
        os.link(tmp, path)
    finally:
        os.unlink(tmp)


def acquire_file(path, holder, now, timeout, break_stale, check_mode=False):
    """Take the lock file. Returns (changed, previous holder or "")."""
    where = "The cluster lock (file %s, this controller's runs only)" % path
    previous, acquired = _read_file_lock(path)
    action = decide(previous, acquired, holder, now, timeout, break_stale, where)
    if action == "ours":
        return False, previous
    if check_mode:
        return True, previous
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    if action == "break":
        # Rename first: of two runs breaking the same stale lock, one rename finds the file gone.
        aside = "%s.broken.%d" % (path, os.getpid())
        try:
            os.rename(path, aside)
            os.unlink(aside)
        except FileNotFoundError:
            pass
    try:
        _create_file_lock(path, holder, now, timeout)
    except FileExistsError:
        winner, won_at = _read_file_lock(path)
        raise LockHeld("%s was taken by %s at %s while this run was taking it: another run is changing this cluster."
                       % (where, winner or "another run", format_time(won_at) if won_at else "the same moment"))
    return True, previous


def release_file(path, holder, check_mode=False):
    """Remove the lock file if this holder has it. Returns changed."""
    if _read_file_lock(path)[0] != holder:
        return False
    if not check_mode:
        os.unlink(path)
    return True
