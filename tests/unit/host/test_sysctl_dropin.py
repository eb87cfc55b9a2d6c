"""calico_sysctl: the drop-in is owned whole, live values are set where the kernel lets the host,
unknown keys fail before anything changes; and the module for real, in a throw-away network
namespace of this machine's kernel (root only)."""

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.onprem.calico.plugins.module_utils import sysctl_dropin as sd

from testpaths import REPO

ROOT = os.geteuid() == 0


@pytest.fixture
def proc(tmp_path):
    """A /proc/sys stand-in: {key: (value, mode)} -> files."""
    root = tmp_path / "proc-sys"

    def make(entries):
        for key, (value, mode) in entries.items():
            path = root / key.replace(".", "/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(value + "\n")
            path.chmod(mode)
        return str(root)
    return make


def test_a_fresh_host_gets_the_file_and_the_live_values(proc, tmp_path):
    root = proc({"net.ipv4.ip_forward": ("0", 0o644), "net.ipv4.conf.all.rp_filter": ("2", 0o644)})
    dropin = str(tmp_path / "sysctl.d" / "90-calico.conf")
    wanted = {"net.ipv4.ip_forward": "1", "net.ipv4.conf.all.rp_filter": 1}
    found = sd.assess(wanted, dropin, root)
    assert found["file"]["changed"] and found["file"]["before"] is None
    assert found["live"] == {"net.ipv4.ip_forward": {"before": "0", "after": "1"},
                             "net.ipv4.conf.all.rp_filter": {"before": "2", "after": "1"}}
    sd.apply(found, root)
    assert open(dropin).read() == sd.HEADER + "net.ipv4.ip_forward=1\nnet.ipv4.conf.all.rp_filter=1\n"
    assert os.stat(dropin).st_mode & 0o777 == 0o644
    assert open(os.path.join(root, "net/ipv4/ip_forward")).read().strip() == "1"
    again = sd.assess(wanted, dropin, root)
    assert not again["file"]["changed"] and again["live"] == {}


def test_keys_the_plan_dropped_leave_the_file_and_their_live_value_stays(proc, tmp_path):
    root = proc({"net.ipv4.ip_forward": ("1", 0o644), "net.ipv4.tcp_keepalive_time": ("600", 0o644)})
    dropin = tmp_path / "90-calico.conf"
    dropin.write_text("net.ipv4.ip_forward=1\nnet.ipv4.tcp_keepalive_time=600\n")
    dropin.chmod(0o644)
    found = sd.assess({"net.ipv4.ip_forward": "1"}, str(dropin), root)
    assert found["file"]["changed"] and found["live"] == {}
    sd.apply(found, root)
    assert "tcp_keepalive_time" not in dropin.read_text()
    assert open(os.path.join(root, "net/ipv4/tcp_keepalive_time")).read().strip() == "600"


def test_read_only_keys_go_to_the_file_only(proc, tmp_path):
    root = proc({"net.netfilter.nf_conntrack_max": ("65536", 0o444)})
    found = sd.assess({"net.netfilter.nf_conntrack_max": 262144}, str(tmp_path / "f.conf"), root)
    assert found["readonly"] == ["net.netfilter.nf_conntrack_max"] and found["live"] == {}
    assert "net.netfilter.nf_conntrack_max=262144\n" in found["file"]["after"]


def test_unknown_keys_fail_before_anything_is_written(proc, tmp_path):
    root = proc({"net.ipv4.ip_forward": ("0", 0o644)})
    dropin = tmp_path / "f.conf"
    with pytest.raises(sd.SysctlError) as err:
        sd.assess({"net.ipv4.ip_forward": "1", "net.bridge.bridge-nf-call-iptables": "1", "no.such": "1"}, str(dropin), root)
    assert "net.bridge.bridge-nf-call-iptables, no.such do not exist on this kernel" in str(err.value)
    assert "Fix:" in str(err.value)
    assert not dropin.exists()
    assert open(os.path.join(root, "net/ipv4/ip_forward")).read().strip() == "0"


def test_multi_value_sysctls_compare_with_whitespace_collapsed(proc, tmp_path):
    root = proc({"net.ipv4.ip_local_port_range": ("32768\t60999", 0o644)})
    found = sd.assess({"net.ipv4.ip_local_port_range": "32768   60999"}, str(tmp_path / "f.conf"), root)
    assert found["live"] == {}
    assert "net.ipv4.ip_local_port_range=32768 60999\n" in found["file"]["after"]


def test_same_content_with_a_loose_mode_is_rewritten_0644(proc, tmp_path):
    root = proc({"net.ipv4.ip_forward": ("1", 0o644)})
    dropin = tmp_path / "f.conf"
    dropin.write_text(sd.render({"net.ipv4.ip_forward": "1"}))
    dropin.chmod(0o666)
    found = sd.assess({"net.ipv4.ip_forward": "1"}, str(dropin), root)
    assert found["file"]["changed"] and found["file"]["before"] == found["file"]["after"]
    sd.apply(found, root)
    assert os.stat(dropin).st_mode & 0o777 == 0o644


def test_diffs_show_the_file_and_the_live_values(proc, tmp_path):
    root = proc({"net.ipv4.ip_forward": ("0", 0o644)})
    found = sd.assess({"net.ipv4.ip_forward": "1"}, str(tmp_path / "f.conf"), root)
    file_diff, live_diff = sd.diffs(found)
    assert file_diff["before"] == "" and "net.ipv4.ip_forward=1" in file_diff["after"]
    assert (live_diff["before"], live_diff["after"]) == ("net.ipv4.ip_forward=0\n", "net.ipv4.ip_forward=1\n")


def run_module(tmp_path, *runs):
    """Run plugins/modules/calico_sysctl.py as Ansible would (an arguments file), once per entry
    of ``runs``, all in one new network namespace so the host's own sysctls are never touched."""
    module = os.path.join(REPO, "plugins", "modules", "calico_sysctl.py")
    script = []
    for index, args in enumerate(runs):
        args_file = tmp_path / ("args%d.json" % index)
        args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        script.append("%s %s %s; echo" % (sys.executable, module, args_file))
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, ".collections"))
    proc = subprocess.run(["unshare", "--net", "sh", "-c", "; ".join(script)],
                          capture_output=True, text=True, env=env, check=False)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


@pytest.mark.skipif(not ROOT, reason="needs root for a network namespace")
def test_module_on_the_real_kernel_in_a_network_namespace(tmp_path):
    dropin = str(tmp_path / "90-calico.conf")
    host_forwarding = open("/proc/sys/net/ipv4/ip_forward").read()
    wanted = {"net.ipv4.ip_forward": "1", "net.ipv4.conf.all.rp_filter": "1"}
    # nf_conntrack_max is read-only outside the initial network namespace, exactly as in a container.
    if os.path.exists("/proc/sys/net/netfilter/nf_conntrack_max"):
        wanted["net.netfilter.nf_conntrack_max"] = "262144"
    off = {"sysctls": {"net.ipv4.ip_forward": "0"}, "path": dropin}
    on = {"sysctls": wanted, "path": dropin, "_ansible_diff": True}
    first_off, turned_on, again = run_module(tmp_path, off, on, on)
    assert first_off.get("failed") is None, first_off
    assert turned_on["changed"] is True, turned_on
    assert turned_on["live"]["net.ipv4.ip_forward"] == {"before": "0", "after": "1"}
    assert turned_on["readonly"] == (["net.netfilter.nf_conntrack_max"] if len(wanted) == 3 else [])
    assert turned_on["diff"][0]["after_header"] == dropin
    assert "net.ipv4.ip_forward=1" in open(dropin).read()
    assert again["changed"] is False and again["live"] == {}, again
    assert open("/proc/sys/net/ipv4/ip_forward").read() == host_forwarding


@pytest.mark.skipif(not ROOT, reason="needs root for a network namespace")
def test_module_check_mode_changes_nothing_and_unknown_keys_fail(tmp_path):
    dropin = tmp_path / "90-calico.conf"
    checked, result = run_module(
        tmp_path,
        {"sysctls": {"net.ipv4.ip_forward": "1"}, "path": str(dropin), "_ansible_check_mode": True},
        {"sysctls": {"net.ipv4.no_such_key": "1"}, "path": str(dropin), "fail_prefix": "node1"})
    assert checked["changed"] is True and checked["file_changed"] is True
    assert result["failed"] is True
    assert result["msg"].startswith("node1: sysctl(s) net.ipv4.no_such_key do not exist")
    assert not dropin.exists()


def test_router_advertisements_kept_before_forwarding(proc, tmp_path):
    root = proc({
        "net.ipv6.conf.all.forwarding": ("0", 0o644),
        "net.ipv6.conf.default.accept_ra": ("1", 0o644),
        "net.ipv6.conf.eth0.accept_ra": ("1", 0o644),    # takes RAs: raised
        "net.ipv6.conf.eth1.accept_ra": ("0", 0o644),    # static: left alone
        "net.ipv6.conf.eth2.accept_ra": ("2", 0o644),    # the admin's 2: not ours to list
        "net.ipv6.conf.lo.accept_ra": ("1", 0o644),
        "net.ipv6.conf.cali12.accept_ra": ("1", 0o644),  # Calico's: comes and goes
    })
    vlan = os.path.join(root, "net", "ipv6", "conf", "bond0.100")
    os.makedirs(vlan)
    with open(os.path.join(vlan, "accept_ra"), "w") as handle:
        handle.write("1\n")
    dropin = str(tmp_path / "90-calico.conf")
    wanted = {"net.ipv6.conf.all.forwarding": "1", "net.ipv6.conf.default.accept_ra": "2"}
    ordered = sd.keep_router_advertisements(wanted, dropin, ["cali*"], proc_root=root)
    assert list(ordered) == ["net.ipv6.conf.default.accept_ra", "net/ipv6/conf/bond0.100/accept_ra",
                             "net.ipv6.conf.eth0.accept_ra", "net.ipv6.conf.all.forwarding"]
    assessment = sd.assess(ordered, dropin, proc_root=root)
    assert list(assessment["live"])[-1] == "net.ipv6.conf.all.forwarding"
    sd.apply(assessment, proc_root=root)
    assert open(os.path.join(vlan, "accept_ra")).read().strip() == "2"
    # The next run finds eth0 at 2, listed in the drop-in: it stays, and nothing changes.
    again = sd.keep_router_advertisements(wanted, dropin, ["cali*"], proc_root=root)
    assert again == ordered
    second = sd.assess(again, dropin, proc_root=root)
    assert not second["file"]["changed"] and second["live"] == {}


@pytest.mark.skipif(not ROOT, reason="needs root for a network namespace")
def test_module_keeps_router_advertisements_on_the_real_kernel(tmp_path):
    dropin = str(tmp_path / "90-calico.conf")
    args = {"sysctls": {"net.ipv6.conf.all.forwarding": "1", "net.ipv6.conf.default.accept_ra": "2"}, "path": dropin,
            "keep_router_advertisements": True, "skip_interfaces": ["cali*"]}
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    module = os.path.join(REPO, "plugins", "modules", "calico_sysctl.py")
    run = "%s %s %s; echo" % (sys.executable, module, args_file)
    script = ("ip link add up0 type veth peer name up0p && ip link add cali9 type veth peer name cali9p && "
              "echo 0 > /proc/sys/net/ipv6/conf/up0p/accept_ra && %s; %s; "
              "cat /proc/sys/net/ipv6/conf/up0/accept_ra /proc/sys/net/ipv6/conf/up0p/accept_ra "
              "/proc/sys/net/ipv6/conf/cali9/accept_ra /proc/sys/net/ipv6/conf/all/forwarding" % (run, run))
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, ".collections"))
    out = subprocess.run(["unshare", "--net", "sh", "-c", script], capture_output=True, text=True, env=env, check=False)
    first, second = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert first["changed"] is True, first
    assert list(first["live"]) == ["net.ipv6.conf.default.accept_ra", "net.ipv6.conf.up0.accept_ra",
                                   "net.ipv6.conf.all.forwarding"], first
    assert second["changed"] is False, second
    assert out.stdout.split()[-4:] == ["2", "0", "1", "1"]
    assert "net.ipv6.conf.up0.accept_ra=2" in open(dropin).read()
