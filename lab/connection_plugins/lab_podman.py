# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection to the lab's systemd containers through `podman exec`, with pipelining.

Lab scaffolding, not part of the collection's interface: the built-in lab reaches its nodes and
ToRs with this plugin (inventory/lab sets ansible_connection: lab_podman; ansible.cfg adds
lab/connection_plugins to the plugin path).

Why not containers.podman.podman: that plugin has no pipelining and mounts the container's
filesystem on every task, so each task costs a host several podman commands (about 3 s per task
on the 6 lab nodes of a 2-core machine). Here a pipelined task is one `podman exec -i` that feeds
the module to Python on stdin, as SSH with pipelining does on a real fleet (about 1.2 s per task
on the same machine), and files move through the same exec (no mount, no paused container).
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: lab_podman
short_description: Run tasks in the lab's podman containers, pipelined
description:
  - Executes commands in a running podman container with C(podman exec -i); modules are
    pipelined (sent on standard input), and files are copied through the same exec.
  - Needs root's podman on the controller (the lab's containers are rootful).
author: onprem.calico maintainers (@onprem-calico)
options:
  remote_addr:
    description: Name or ID of the container.
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
  podman_executable:
    description: The podman binary on the controller.
    default: podman
    vars:
      - name: ansible_podman_executable
    env:
      - name: ANSIBLE_PODMAN_EXECUTABLE
  pipelining:
    description: Send modules on standard input instead of copying them into the container first.
    type: boolean
    default: true
    vars:
      - name: ansible_pipelining
"""

import shlex
import shutil
import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

display = Display()


class Connection(ConnectionBase):
    transport = "lab_podman"
    has_pipelining = True

    def _podman_argv(self, *args):
        binary = shutil.which(self.get_option("podman_executable"))
        if not binary:
            raise AnsibleError("%s not found on the controller's PATH" % self.get_option("podman_executable"))
        return [binary] + list(args)

    def _exec(self, argv, in_data=None):
        display.vvv("LAB_PODMAN %s" % " ".join(shlex.quote(to_text(a)) for a in argv), host=self._container)
        proc = subprocess.run([to_bytes(a) for a in argv], input=in_data, capture_output=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    def _connect(self):
        self._container = self.get_option("remote_addr")
        self._connected = True
        return self

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        # -i only when there is input: without it podman leaves stdin closed, which some commands want.
        interactive = ["-i"] if in_data is not None else []
        argv = self._podman_argv("exec", *interactive, self._container, "/bin/sh", "-c", to_text(cmd))
        rc, stdout, stderr = self._exec(argv, in_data)
        if rc == 125:  # podman's own failure (no such container, not running), not the command's
            raise AnsibleConnectionFailure("podman exec in %s failed: %s" % (self._container, to_text(stderr).strip()))
        return rc, stdout, stderr

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        with open(to_bytes(in_path), "rb") as source:
            data = source.read()
        rc, stdout, stderr = self._exec(
            self._podman_argv("exec", "-i", self._container, "/bin/sh", "-c", "cat > %s" % shlex.quote(out_path)), data)
        if rc != 0:
            raise AnsibleError("copying %s to %s:%s failed: %s" % (in_path, self._container, out_path, to_text(stderr)))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        rc, stdout, stderr = self._exec(self._podman_argv("exec", self._container, "cat", in_path))
        if rc != 0:
            raise AnsibleError("reading %s:%s failed: %s" % (self._container, in_path, to_text(stderr)))
        with open(to_bytes(out_path), "wb") as target:
            target.write(stdout)

    def close(self):
        self._connected = False
