# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: cluster_lock
type: aggregate
short_description: Release the cluster lock of a run that failed
version_added: "0.1.0"
description:
  - Ansible has no step that runs after a failed play, so a run that fails between
    C(playbooks/lock.yml) and C(playbooks/unlock.yml) would keep the cluster lock until it goes
    stale. This callback remembers the lock the run took and, when the run ends without having
    released it, releases it, only if this run still holds it.
  - A lock file (render-only and lab runs) is removed directly on the controller. A Lease is
    released by running C(playbooks/unlock.yml) with the run's inventories, extra variables,
    remote user and private key, for the run's holder.
  - A run killed with SIGKILL runs no callback; its lock stays until C(calico_lock_timeout) and is
    then broken with C(-e calico_lock_break=true) (docs/operations.md).
requirements:
  - Enabled in ansible.cfg (C(callbacks_enabled = onprem.calico.cluster_lock)) or with the
    environment variable C(ANSIBLE_CALLBACKS_ENABLED) (set by the execution environment for AWX jobs).
"""

import os
import subprocess
import sys

from ansible import context
from ansible.plugins.callback import CallbackBase

from ansible_collections.onprem.calico.plugins.module_utils import cluster_lock

UNLOCK_PLAYBOOK = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "playbooks", "unlock.yml")
# Set for the unlock run this callback starts, so that run does not start another one.
RELEASING = "ONPREM_CALICO_LOCK_RELEASING"


def unlock_command(cli_args, holder, executable):
    """ansible-playbook argv that releases ``holder``'s Lease with this run's inventory and vars."""
    argv = [executable, UNLOCK_PLAYBOOK]
    for inventory in cli_args.get("inventory") or ():
        argv += ["-i", inventory]
    for extra in cli_args.get("extra_vars") or ():
        argv += ["-e", extra]
    if cli_args.get("remote_user"):
        argv += ["-u", cli_args["remote_user"]]
    if cli_args.get("private_key_file"):
        argv += ["--private-key", cli_args["private_key_file"]]
    argv += ["-e", "calico_lock_holder=" + holder]
    return argv


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "onprem.calico.cluster_lock"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.held = None  # {"lock": ..., "holder": ...} between taking and releasing

    def _say(self, message):
        # On stderr: stdout belongs to the stdout callback, whose document (json, AWX) it would break.
        self._display.display(message, stderr=True)

    def v2_runner_on_ok(self, result):
        if result._task.action not in ("onprem.calico.cluster_lock", "cluster_lock") or context.CLIARGS.get("check"):
            return  # a check run writes no lock
        outcome = result._result
        if "lock" not in outcome:
            return
        if result._task.args.get("state", "present") == "present":
            self.held = {"lock": outcome["lock"], "holder": outcome["holder"]}
        elif self.held and outcome["holder"] == self.held["holder"]:
            self.held = None

    def v2_playbook_on_stats(self, stats):
        if not self.held or os.environ.get(RELEASING):
            return
        held, self.held = self.held, None
        lock, holder = held["lock"], held["holder"]
        if lock["backend"] == "file":
            if cluster_lock.release_file(lock["path"], holder):
                self._say("cluster lock %s: the run ended holding it; released for %s" % (lock["path"], holder))
            else:
                self._say("cluster lock %s: no longer held by %s" % (lock["path"], holder))
            return
        argv = unlock_command(context.CLIARGS, holder, sys.argv[0])
        self._say("cluster lock: the run ended holding Lease %s/%s; releasing it: %s"
                  % (lock["namespace"], lock["name"], " ".join(argv[:2])))
        proc = subprocess.run(argv, env=dict(os.environ, **{RELEASING: "1"}), capture_output=True, text=True, check=False)
        if proc.returncode:
            self._display.warning("Could not release the cluster lock (Lease %s/%s) of %s: %s\nRelease it by hand: "
                                  "ansible-playbook playbooks/unlock.yml -i INVENTORY -e calico_lock_holder=%s"
                                  % (lock["namespace"], lock["name"], holder, proc.stdout[-2000:], holder))
