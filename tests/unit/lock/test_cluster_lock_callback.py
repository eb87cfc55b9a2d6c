"""The callback that releases a failed run's Lease: the unlock run it starts carries the run's
inventories, extra variables and connection options, and the holder to release."""

from __future__ import annotations

import os

from ansible_collections.onprem.calico.plugins.callback.cluster_lock import UNLOCK_PLAYBOOK, unlock_command

from testpaths import REPO


def test_unlock_command_repeats_the_runs_inventory_vars_and_connection():
    cli_args = {"inventory": ("inventory/prod", "inventory/prod-extra.yml"),
                "extra_vars": ("calico_version=3.31.7", "@secrets.yml"),
                "remote_user": "ops", "private_key_file": "/home/ops/.ssh/id_ed25519", "check": False}
    argv = unlock_command(cli_args, "awx-job-4711", "/usr/bin/ansible-playbook")
    assert argv == ["/usr/bin/ansible-playbook", UNLOCK_PLAYBOOK,
                    "-i", "inventory/prod", "-i", "inventory/prod-extra.yml",
                    "-e", "calico_version=3.31.7", "-e", "@secrets.yml",
                    "-u", "ops", "--private-key", "/home/ops/.ssh/id_ed25519",
                    "-e", "calico_lock_holder=awx-job-4711"]
    assert os.path.realpath(UNLOCK_PLAYBOOK) == os.path.join(os.path.realpath(REPO), "playbooks", "unlock.yml")


def test_unlock_command_without_options():
    argv = unlock_command({"inventory": None, "extra_vars": ()}, "alice@laptop:1234", "ansible-playbook")
    assert argv == ["ansible-playbook", UNLOCK_PLAYBOOK, "-e", "calico_lock_holder=alice@laptop:1234"]
