"""IPIP on a kernel without ipip: the stage fails on the host before changing anything, and says
which host, which module, which feature needs it and how to fix it."""

import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CONVERGE = os.path.join(HERE, "..", "..", "resources", "converge.yml")


def run_stage(*extra):
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    return subprocess.run(
        [ansible_playbook, "-i", os.environ["MOLECULE_INVENTORY_FILE"], CONVERGE] + list(extra),
        capture_output=True, text=True, env=env, timeout=600, check=False)


@pytest.fixture(scope="module")
def stage_run():
    return run_stage()


@pytest.fixture(scope="module")
def dry_run_with_warning():
    return run_stage("--check", "--diff", "-e", "calico_host_kernel_check=warn")


def test_kernel_really_lacks_ipip(host):
    # The scenario is only meaningful where ipip cannot be created; these CI kernels are such.
    if host.run("unshare --net ip link add t0 type ipip").rc == 0:
        pytest.skip("this kernel has ipip")


def test_stage_fails_with_host_module_feature_and_fix(host, stage_run):
    if host.run("unshare --net ip link add t0 type ipip").rc == 0:
        pytest.skip("this kernel has ipip")
    out = stage_run.stdout + stage_run.stderr
    assert stage_run.returncode != 0
    message = " ".join(out.split())  # the callback wraps long lines
    assert "onprem-calico-i4-noipip: kernel module 'ipip' is missing (feature ipip), " \
           "needed for IPIP encapsulation (calico_encapsulation=ipip)" in message
    assert "Fix: install the kernel's extra modules package" in message
    assert "or choose another encapsulation (calico_encapsulation: vxlan)" in message
    recap = re.search(r"onprem-calico-i4-noipip\s*:\s*ok=\d+\s+changed=(\d+).*failed=(\d+)", out)
    assert recap and recap.group(1) == "0" and recap.group(2) == "1", out[-3000:]


def test_dry_run_on_the_fresh_host_completes_and_warns(host, dry_run_with_warning):
    out = dry_run_with_warning.stdout + dry_run_with_warning.stderr
    assert dry_run_with_warning.returncode == 0, out[-3000:]
    message = " ".join(out.split())
    assert "kernel module 'ipip' is missing" in message
    # The dry run reports what a real run would change, on every concern.
    for task in ("Write the node's drop-ins (kernel modules to load at boot, NetworkManager)",
                 "Set the sysctls live and in the drop-in",
                 "Write the Calico nftables table and the unit that loads it at boot", "Load the table now and at every boot"):
        assert task in message, task


def test_nothing_was_changed_on_the_host(host, stage_run, dry_run_with_warning):
    for path in ("/etc/sysctl.d/90-calico.conf", "/etc/modules-load.d/calico.conf",
                 "/etc/NetworkManager/conf.d/calico.conf", "/etc/nftables.d/onprem-calico.nft"):
        assert not host.file(path).exists, path
    assert host.run("nft list table inet onprem_calico").rc != 0
