# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin onprem.calico.cluster_lock: names the holder on the controller, then runs the
module where the task runs (the API host for a Lease, the controller for a lock file)."""

from __future__ import annotations

import getpass
import os
import socket

from ansible.plugins.action import ActionBase

from ansible_collections.onprem.calico.plugins.module_utils.cluster_lock import holder_identity


def controller_holder(task_vars):
    """The AWX job when AWX runs us, else user@controller:pid of ansible-playbook (the worker
    running this action is its child)."""
    job_id = task_vars.get("tower_job_id") or task_vars.get("awx_job_id")
    return holder_identity(job_id=job_id, user=getpass.getuser(), controller=socket.gethostname(), pid=os.getppid())


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        args.setdefault("holder", controller_holder(task_vars))
        result.update(self._execute_module(module_name="onprem.calico.cluster_lock", module_args=args, task_vars=task_vars))
        return result
