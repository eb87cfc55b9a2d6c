"""calico_kernel_features logic: module states from the kernel's lists, probes where /lib/modules
is absent (run for real on this machine when root), and the failure message."""

import os
import subprocess

import pytest

from ansible_collections.onprem.calico.plugins.module_utils import kernel_features as kf

ROOT = os.geteuid() == 0


def entry(name, feature=None, probe=None, required=True, needed_for=None):
    return {"name": name, "feature": feature or name, "probe": probe, "required": required,
            "needed_for": needed_for or "testing"}


def no_probe(argv):
    raise AssertionError("no probe expected, got %r" % argv)


def test_parsers_normalise_names_and_suffixes():
    assert kf.parse_proc_modules("xt_set 16384 3 - Live 0x0\nip-set 57344 1 xt_set, Live 0x0\n") == {"xt_set", "ip_set"}
    builtin = "kernel/net/ipv4/ipip.ko\nkernel/drivers/net/vxlan/vxlan.ko.zst\n"
    assert kf.parse_modules_builtin(builtin) == {"ipip", "vxlan"}
    dep = "kernel/net/netfilter/xt_mark.ko.xz: kernel/net/netfilter/x_tables.ko.xz\nbogus line\n"
    assert kf.parse_modules_dep(dep) == {"xt_mark"}


def test_with_lib_modules_states_come_from_the_lists_and_probes_never_run():
    modules = [entry("xt_set"), entry("vxlan"), entry("ipip"), entry("wireguard")]
    results = kf.assess(modules, loaded={"xt_set"}, builtin={"vxlan"}, loadable={"ipip"},
                        lib_modules_present=True, run_probe=no_probe)
    assert [r["state"] for r in results] == [kf.LOADED, kf.BUILTIN, kf.LOADABLE, kf.ABSENT]
    summary = kf.summarize(results)
    assert summary["to_load"] == ["ipip"]
    assert [m["name"] for m in summary["missing"]] == ["wireguard"]


def test_loaded_counts_even_without_lib_modules():
    results = kf.assess([entry("ip_set", probe="ipset")], {"ip_set"}, set(), set(), False, no_probe)
    assert results[0]["state"] == kf.LOADED


def test_without_lib_modules_probe_result_decides():
    calls = []

    def fake(argv):
        calls.append(argv)
        script = argv[-1]
        if "type ipip" in script:
            return 2, "Error: Unknown device type.\n"
        if "ipset" in script:
            return 127, "ipset not found"
        return 0, ""

    modules = [entry("ipip", probe="link:ipip"), entry("vxlan", probe="link:vxlan"),
               entry("ip_set", feature="ipset", probe="ipset"), entry("exotic")]
    results = kf.assess(modules, set(), set(), set(), False, fake)
    assert [r["state"] for r in results] == [kf.ABSENT, kf.PROBED, kf.UNKNOWN, kf.UNKNOWN]
    assert results[0]["detail"] == "probe failed: Error: Unknown device type."
    assert all(call[:3] == ["unshare", "--net", "sh"] for call in calls)
    summary = kf.summarize(results)
    assert [m["name"] for m in summary["missing"]] == ["ipip"]
    assert len(summary["warnings"]) == 2  # the two unknowns, never failures


def test_optional_missing_module_is_a_warning():
    results = kf.assess([entry("wireguard", required=False)], set(), set(), set(), True, no_probe)
    summary = kf.summarize(results)
    assert summary["missing"] == []
    assert summary["warnings"][0].startswith("optional kernel module 'wireguard' is missing")


def test_message_names_module_feature_reason_and_fix():
    result = kf.assess([entry("ipip", probe="link:ipip", needed_for="IPIP encapsulation (calico_encapsulation=ipip)")],
                       set(), set(), set(), False, lambda argv: (2, "Error: Unknown device type."))[0]
    message = kf.missing_message(result)
    assert message.startswith("kernel module 'ipip' is missing (feature ipip), needed for IPIP encapsulation "
                              "(calico_encapsulation=ipip)")
    assert "Fix: install the kernel's extra modules package" in message
    assert "calico_encapsulation: vxlan" in message
    netfilter = kf.missing_message(dict(result, name="xt_set", feature="iptables-match:set"))
    assert "encapsulation" not in netfilter.split("Fix:")[1]


@pytest.mark.parametrize("spec, expected", [
    ("link:vxlan", [["ip", "link", "add", "calprobe0", "type", "vxlan", "id", "4242", "dstport", "4789"]]),
    ("ipset", [["ipset", "create", "calprobe", "hash:ip"]]),
    ("iptables-match:set", [["ipset", "create", "calprobe", "hash:ip"],
                            ["iptables", "-w", "-A", "INPUT", "-m", "set", "--match-set", "calprobe", "src", "-j", "ACCEPT"]]),
    ("ip6tables-match:rpfilter", [["ip6tables", "-w", "-t", "raw", "-A", "PREROUTING", "-m", "rpfilter", "--invert", "-j", "DROP"]]),
    ("iptables-match:nosuch", None),
    ("teleport", None),
])
def test_probe_specs(spec, expected):
    assert kf.probe_steps(spec) == expected


def test_every_probe_spec_of_every_example_plan_is_known(each_example, example_plan):
    for module in example_plan(each_example)["host_preparation"]["kernel_modules"]:
        assert kf.probe_command(module["name"], module.get("probe")) is not None, module


def real_probe(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stderr


@pytest.mark.skipif(not ROOT, reason="probes need root (unshare --net)")
def test_real_probes_on_this_machine():
    """This machine's kernel has vxlan and the netfilter matches built in, no ipip, no /lib/modules."""
    if os.path.isdir("/lib/modules/" + os.uname().release):
        pytest.skip("this kernel has /lib/modules; probes are not used")
    modules = [entry("vxlan", probe="link:vxlan"), entry("xt_set", probe="iptables-match:set"),
               entry("xt_conntrack", probe="iptables-match:conntrack"), entry("ipip", probe="link:ipip")]
    results = {r["name"]: r for r in kf.assess(modules, set(), set(), set(), False, real_probe)}
    assert results["vxlan"]["state"] == kf.PROBED
    assert results["xt_set"]["state"] == kf.PROBED
    assert results["xt_conntrack"]["state"] == kf.PROBED
    ipip_works = subprocess.run(["unshare", "--net", "ip", "link", "add", "t0", "type", "ipip"],
                                capture_output=True, check=False).returncode == 0
    assert results["ipip"]["state"] == (kf.PROBED if ipip_works else kf.ABSENT)
    # The probes ran in throw-away namespaces: the host has no probe link or set.
    assert subprocess.run(["ip", "link", "show", "calprobe0"], capture_output=True, check=False).returncode != 0
