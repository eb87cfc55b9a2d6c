"""An interrupted host preparation on this machine, without molecule: the real module
onprem.calico.calico_sysctl runs through ansible inside a network namespace of its own (its
net.* sysctls are that namespace's, the host's stay untouched) and fails after writing the
drop-in, before the live values. The rerun converges, the run after reports changed=0."""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid

import pytest

from testpaths import REPO

from ansible_collections.onprem.calico.plugins.module_utils.fault_injection import ENVIRONMENT

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)")

VENV_BIN = os.path.join(REPO, ".venv", "bin")
SYSCTLS = {"net.ipv4.conf.all.rp_filter": "1", "net.ipv4.conf.default.rp_filter": "1"}


@pytest.fixture
def netns():
    name = "d2o-" + uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def live(netns):
    return {key: subprocess.run(["ip", "netns", "exec", netns, "cat", "/proc/sys/" + key.replace(".", "/")],
                                capture_output=True, text=True, check=True).stdout.strip() for key in SYSCTLS}


def sysctl_module(netns, dropin, fault=None):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               PATH=VENV_BIN + os.pathsep + os.environ["PATH"])
    env.pop(ENVIRONMENT, None)
    if fault:
        env[ENVIRONMENT] = fault
    args = json.dumps({"sysctls": SYSCTLS, "path": dropin})
    proc = subprocess.run(["ip", "netns", "exec", netns, os.path.join(VENV_BIN, "ansible"), "localhost", "-c", "local",
                           "-e", "ansible_python_interpreter=" + os.path.join(VENV_BIN, "python"),
                           "-m", "onprem.calico.calico_sysctl", "-a", args],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=120)
    status = re.search(r"localhost \| (\w+)", proc.stdout)
    assert status, proc.stdout + proc.stderr
    return status.group(1), proc.stdout


def test_rerun_after_a_fault_between_dropin_and_live_values_converges(netns, tmp_path):
    dropin = str(tmp_path / "sysctl.d" / "90-calico.conf")
    # A new namespace copies the host's IPv4 conf/all values (devconf_inherit_init_net 0): start
    # it from 0 so the module's writes are the only way to 1, whatever the host runs with.
    for key in SYSCTLS:
        subprocess.run(["ip", "netns", "exec", netns, "sysctl", "-qw", key + "=0"], check=True)
    assert live(netns) == {key: "0" for key in SYSCTLS}
    status, out = sysctl_module(netns, dropin, fault="hosts_sysctl_after_dropin")
    assert status == "FAILED" and "fault injected at hosts_sysctl_after_dropin" in out
    with open(dropin) as handle:
        assert "net.ipv4.conf.all.rp_filter=1\n" in handle.read()  # the drop-in survives a reboot already
    assert live(netns) == {key: "0" for key in SYSCTLS}  # half done: live values not yet

    status, out = sysctl_module(netns, dropin)
    assert status == "CHANGED", out
    assert live(netns) == SYSCTLS
    status, out = sysctl_module(netns, dropin)
    assert status == "SUCCESS", out
