"""Helpers of the end-to-end tests: running the lab scripts and reading the containers."""

import os
import re
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(REPO, "lab", "lab.py")
SITE = os.path.join(REPO, "lab", "site.sh")
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
INVENTORY = os.path.join(REPO, "inventory", "lab")
PREFIX = "calico-lab-"
RECAP_RE = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


class Run:
    def __init__(self, argv, proc, seconds):
        self.argv, self.rc, self.seconds = argv, proc.returncode, seconds
        self.output = proc.stdout + proc.stderr

    @property
    def recap(self):
        """{host: {"ok", "changed", "unreachable", "failed"}} from the PLAY RECAP."""
        return {m.group(1): dict(zip(("ok", "changed", "unreachable", "failed"), map(int, m.groups()[1:])))
                for m in RECAP_RE.finditer(self.output)}

    def tail(self, lines=80):
        return "\n".join(self.output.splitlines()[-lines:])


def run(argv, timeout=900):
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)
    return Run(argv, proc, time.monotonic() - start)


def podman_exec(host, *command, check=True):
    proc = subprocess.run(["podman", "exec", PREFIX + host, *command], capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("%s: %s failed: %s" % (host, " ".join(command), proc.stderr or proc.stdout))
    return proc
