"""A router for in-process tests of the FRR push: the ``run`` callable FrrRouter is given.

No FRR daemon runs in a unit test, so the simulated router answers ``show running-config``
from a text it keeps and takes a ``--reload`` by adopting the file it was given. The rest is
FRR's own tools, which work without daemons: ``vtysh -C -f`` checks a file's syntax and
``frr-reload.py --test --input <running>`` computes the changes a reload would make.
Every command is recorded (with the file it was given, as it was at that moment).
"""

from __future__ import annotations

import os
import subprocess

VTYSH = "/usr/bin/vtysh"
FRR_RELOAD = "/usr/lib/frr/frr-reload.py"
# What vtysh prints before the configuration (FRR 8.4 "show running-config").
SHOW_BANNER = "Building configuration...\n\nCurrent configuration:\n"


def run_tool(argv):
    """Run one of FRR's tools for real: (rc, stdout, stderr)."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


def have_frr_tools():
    return os.access(VTYSH, os.X_OK) and os.path.isfile(FRR_RELOAD)


class Call:
    """One command the router was given, with the file it named (the last argument)."""

    def __init__(self, argv):
        self.argv = list(argv)
        self.path = argv[-1]
        self.content = None
        self.mode = None
        if os.path.isfile(self.path):
            with open(self.path) as handle:
                self.content = handle.read()
            self.mode = os.stat(self.path).st_mode & 0o777

    @property
    def kind(self):
        if "-C" in self.argv:
            return "check"
        if "--test" in self.argv:
            return "test"
        if "--reload" in self.argv:
            return "reload"
        return "show"


# frr-reload.py --test output by (running, candidate): the same pair recurs across tests and the
# script takes a good part of a second on a busy machine.
_DELTAS = {}


class SimulatedFrr:
    """``run(argv) -> (rc, stdout, stderr)`` of one router.

    ``reload_drops``: lines a reload does not take (the first ``len`` reloads each drop the
    next one), like a transition FRR needs a second pass for. ``failing_reloads``: how many
    reloads fail first (bgpd refusing a line), each leaving the running configuration as it
    was. ``test_output``: scripted ``--test`` output instead of frr-reload.py's, one text for
    every call or a list of texts, one per call in turn.
    """

    def __init__(self, running, workdir, reload_drops=(), failing_reloads=0, test_output=None):
        self.running = running
        self.workdir = workdir
        self.reload_drops = list(reload_drops)
        self.failing_reloads = failing_reloads
        self.test_output = test_output
        self.calls = []

    def kinds(self):
        return [call.kind for call in self.calls]

    def __call__(self, argv):
        call = Call(argv)
        self.calls.append(call)
        if call.kind == "show":
            assert argv[-2:] == ["-c", "show running-config"], argv
            return 0, SHOW_BANNER + self.running, ""
        if call.kind == "check":
            return run_tool(argv)
        if call.kind == "test":
            if isinstance(self.test_output, list):
                return 0, self.test_output.pop(0), ""
            if self.test_output is not None:
                return 0, self.test_output, ""
            return self._deltas(argv)
        if self.failing_reloads:
            self.failing_reloads -= 1
            return 1, "", "Failed to execute bgpd command"
        running = call.content
        if self.reload_drops:
            dropped = self.reload_drops.pop(0)
            running = "".join(line for line in running.splitlines(True) if line.rstrip("\n") != dropped)
        self.running = running
        return 0, "", ""

    def _deltas(self, argv):
        with open(argv[-1]) as handle:
            key = (self.running, handle.read())
        if key[0] == key[1]:
            return 0, "", ""  # what frr-reload.py prints for identical configurations: no section
        if key not in _DELTAS:
            running_file = os.path.join(self.workdir, "simulated-running.conf")
            with open(running_file, "w") as handle:
                handle.write(self.running)
            _DELTAS[key] = run_tool(argv[:-1] + ["--input", running_file, argv[-1]])
        return _DELTAS[key]
