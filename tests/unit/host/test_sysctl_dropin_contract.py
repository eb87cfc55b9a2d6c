"""calico_sysctl's contract, the parts the mutation run (issue 18) found no in-process test for:
the real /proc/sys as the default, the atomic drop-in write, errors that name the key, the
fault point the host fault tests use, and the diffs Ansible shows."""

import contextlib
import ctypes
import os
import subprocess
import tempfile

import pytest

from ansible_collections.onprem.calico.plugins.module_utils import fault_injection
from ansible_collections.onprem.calico.plugins.module_utils import sysctl_dropin as sd

ROOT = os.geteuid() == 0
CLONE_NEWNET = 0x40000000  # <sched.h>


@contextlib.contextmanager
def new_network_namespace():
    """This thread in a new network namespace for the block, then back in its own.

    /proc/sys/net shows the namespace of the thread that reads it, so the module's default
    /proc/sys is the real kernel while the host's own values stay untouched. In process, not a
    subprocess: the test runs this interpreter's module (the one a mutation run changes).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    with open("/proc/self/ns/net") as own:
        if libc.unshare(CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET) failed")
        try:
            yield
        finally:
            if libc.setns(own.fileno(), CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back to the original network namespace failed")


def read_proc(key):
    with open(sd.proc_path(key)) as handle:
        return handle.read().strip()


@pytest.mark.skipif(not ROOT, reason="needs root for a network namespace")
def test_the_running_kernel_is_the_default_in_a_new_network_namespace(tmp_path):
    # Calico needs forwarding on (net.ipv4.ip_forward=1, kernel ip-sysctl docs) and, with it,
    # accept_ra=2 on interfaces that take router advertisements, or their default route expires.
    dropin = str(tmp_path / "90-calico.conf")
    assert sd.proc_path("net.ipv4.ip_forward") == "/proc/sys/net/ipv4/ip_forward"
    with new_network_namespace():
        with open("/proc/sys/net/ipv4/ip_forward", "w") as handle:
            handle.write("0\n")
        subprocess.run(["ip", "link", "add", "mut0", "type", "veth", "peer", "name", "mut0p"], check=True)
        for interface, accept_ra in (("mut0", "1"), ("mut0p", "0")):
            with open("/proc/sys/net/ipv6/conf/%s/accept_ra" % interface, "w") as handle:
                handle.write(accept_ra + "\n")
        wanted = sd.keep_router_advertisements({"net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1"}, dropin)
        assessment = sd.assess(wanted, dropin)
        sd.apply(assessment)
        outcome = {
            "wanted": list(wanted),
            "changed": sorted(assessment["live"]),
            "after": {key: read_proc(key) for key in wanted},
            "again": sd.assess(wanted, dropin)["live"],
        }
    assert outcome["wanted"] == ["net.ipv6.conf.mut0.accept_ra", "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"]
    assert "net.ipv4.ip_forward" in outcome["changed"]
    assert outcome["after"] == {"net.ipv6.conf.mut0.accept_ra": "2", "net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1"}
    assert outcome["again"] == {}


def test_the_unknown_key_error_is_whole(tmp_path):
    root = tmp_path / "proc"
    root.mkdir()
    with pytest.raises(sd.SysctlError) as err:
        sd.assess({"net.no_such": "1"}, str(tmp_path / "90-calico.conf"), proc_root=str(root))
    assert str(err.value) == ("sysctl(s) net.no_such do not exist on this kernel. Fix: load the module that "
                              "provides them, or drop them from calico_sysctl_overrides.")


def test_a_read_only_key_does_not_hide_the_writable_keys_after_it(tmp_path):
    root = tmp_path / "proc"
    for key, value, mode in (("net/netfilter/nf_conntrack_max", "65536", 0o444), ("net/ipv4/ip_forward", "0", 0o644)):
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_text(value + "\n")
        (root / key).chmod(mode)
    found = sd.assess({"net.netfilter.nf_conntrack_max": "262144", "net.ipv4.ip_forward": "1"},
                      str(tmp_path / "90-calico.conf"), proc_root=str(root))
    assert found["readonly"] == ["net.netfilter.nf_conntrack_max"]
    assert found["live"] == {"net.ipv4.ip_forward": {"before": "0", "after": "1"}}


def test_an_empty_value_that_is_wanted_empty_is_no_change(tmp_path):
    # A string sysctl can be empty (kernel.core_pattern cleared); empty is then what is wanted.
    root = tmp_path / "proc"
    (root / "kernel").mkdir(parents=True)
    (root / "kernel" / "core_pattern").write_text("")
    found = sd.assess({"kernel.core_pattern": ""}, str(tmp_path / "90-calico.conf"), proc_root=str(root))
    assert found["live"] == {}


def test_a_missing_sysctl_d_is_created_0755(tmp_path):
    # Only root may add files that systemd-sysctl applies at boot: not group- or world-writable.
    path = tmp_path / "etc" / "sysctl.d" / "90-calico.conf"
    old = os.umask(0)
    try:
        sd.write_file(str(path), "net.ipv4.ip_forward=1\n")
    finally:
        os.umask(old)
    assert os.stat(path.parent).st_mode & 0o777 == 0o755
    assert os.stat(path).st_mode & 0o777 == 0o644


def test_a_relative_path_is_written_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sd.write_file("90-calico.conf", "net.ipv4.ip_forward=1\n")
    assert os.listdir(tmp_path) == ["90-calico.conf"]


def test_the_temporary_file_is_made_beside_the_drop_in(tmp_path):
    # rename() is atomic only within one file system (EXDEV otherwise): the temporary copy must
    # sit in the drop-in's own directory, here a tmpfs that is not the one holding /tmp.
    if os.stat("/dev/shm").st_dev == os.stat(tempfile.gettempdir()).st_dev:
        pytest.skip("/dev/shm and the temporary directory share a file system here")
    directory = os.path.join("/dev/shm", "calico-sysctl-%s" % tmp_path.name)
    try:
        sd.write_file(os.path.join(directory, "90-calico.conf"), "net.ipv4.ip_forward=1\n")
        assert os.listdir(directory) == ["90-calico.conf"]
    finally:
        subprocess.run(["rm", "-rf", directory], check=True)


def test_a_failed_write_leaves_no_temporary_file_and_raises_the_cause(tmp_path):
    # The drop-in's path is a directory: rename() fails, the half-made copy must not stay.
    (tmp_path / "90-calico.conf").mkdir()
    with pytest.raises(IsADirectoryError):
        sd.write_file(str(tmp_path / "90-calico.conf"), "net.ipv4.ip_forward=1\n")
    assert os.listdir(tmp_path) == ["90-calico.conf"]


def test_a_failed_live_write_names_the_key_and_the_reason(tmp_path):
    root = tmp_path / "proc"
    (root / "net" / "ipv4" / "ip_forward").mkdir(parents=True)  # opening it for writing fails
    assessment = {"file": {"changed": False}, "live": {"net.ipv4.ip_forward": {"before": "0", "after": "1"}}}
    with pytest.raises(sd.SysctlError) as err:
        sd.apply(assessment, proc_root=str(root))
    assert str(err.value) == "writing net.ipv4.ip_forward=1 failed: Is a directory"


def test_the_fault_point_stops_after_the_drop_in_before_the_live_values(tmp_path, monkeypatch):
    # tests/integration/faults/test_host_faults.py injects this point by name.
    assert "hosts_sysctl_after_dropin" in fault_injection.POINTS
    monkeypatch.setenv(fault_injection.ENVIRONMENT, "hosts_sysctl_after_dropin")
    root = tmp_path / "proc"
    (root / "net" / "ipv4").mkdir(parents=True)
    (root / "net" / "ipv4" / "ip_forward").write_text("0\n")
    dropin = str(tmp_path / "90-calico.conf")
    assessment = sd.assess({"net.ipv4.ip_forward": "1"}, dropin, proc_root=str(root))
    with pytest.raises(sd.SysctlError, match="fault injected at hosts_sysctl_after_dropin"):
        sd.apply(assessment, proc_root=str(root))
    assert open(dropin).read() == sd.HEADER + "net.ipv4.ip_forward=1\n"
    assert (root / "net" / "ipv4" / "ip_forward").read_text() == "0\n"


def test_diffs_name_the_file_and_list_every_live_change(tmp_path):
    root = tmp_path / "proc"
    for key in ("net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding"):
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_text("0\n")
    dropin = str(tmp_path / "90-calico.conf")
    assessment = sd.assess({"net.ipv6.conf.all.forwarding": "1", "net.ipv4.ip_forward": "1"}, dropin, proc_root=str(root))
    assert sd.diffs(assessment) == [
        {"before_header": dropin, "after_header": dropin, "before": "",
         "after": sd.HEADER + "net.ipv6.conf.all.forwarding=1\nnet.ipv4.ip_forward=1\n"},
        {"before_header": "live sysctls", "after_header": "live sysctls",
         "before": "net.ipv4.ip_forward=0\nnet.ipv6.conf.all.forwarding=0\n",
         "after": "net.ipv4.ip_forward=1\nnet.ipv6.conf.all.forwarding=1\n"},
    ]


def test_yaml_booleans_are_written_as_the_kernel_numbers():
    # An inventory's `net.ipv4.ip_forward: true` is YAML's boolean; /proc/sys and sysctl.d take 1 / 0.
    assert sd.render({"net.ipv4.ip_forward": True, "net.ipv4.conf.all.rp_filter": False}) == (
        sd.HEADER + "net.ipv4.ip_forward=1\nnet.ipv4.conf.all.rp_filter=0\n")
