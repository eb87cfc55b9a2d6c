"""Live state every converged node must show, whatever the firewall: read from /proc, the
kernel's own view, and the drop-in files, and compared with the plan."""

import re


def sysctl_path(name):
    return "/proc/sys/" + name.replace(".", "/")


def test_sysctls_live_and_persisted(host, node, plan):
    sysctls = plan["host_preparation"]["sysctls"]
    dropin = host.file("/etc/sysctl.d/90-calico.conf")
    assert dropin.exists and dropin.mode == 0o644
    persisted = dict(re.findall(r"^\s*([\w.]+)\s*=\s*(\S+)\s*$", dropin.content_string, re.M))
    assert persisted == sysctls
    for name, value in sysctls.items():
        proc = host.file(sysctl_path(name))
        if proc.mode & 0o200 == 0:
            continue  # read-only in a container's namespace (nf_conntrack_max): file only
        assert proc.content_string.strip() == value, name


def test_forwarding_and_rp_filter_as_calico_needs(host, node):
    assert host.file("/proc/sys/net/ipv4/ip_forward").content_string.strip() == "1"
    # Felix refuses the loose value 2 unless told to ignore it.
    assert host.file("/proc/sys/net/ipv4/conf/all/rp_filter").content_string.strip() in ("0", "1")


def test_modules_load_file_lists_present_modules(host, node, plan):
    wanted = {m["name"] for m in plan["host_preparation"]["kernel_modules"]}
    listed = {line.strip() for line in host.file("/etc/modules-load.d/calico.conf").content_string.splitlines()
              if line.strip() and not line.startswith("#")}
    # A module whose feature does not work here (ipip on these CI kernels) must not be persisted.
    ipip_works = host.run("unshare --net ip link add t0 type ipip").rc == 0
    expected = wanted if ipip_works else wanted - {"ipip"}
    assert listed == expected


def test_networkmanager_dropin_marks_calico_interfaces(host, node, plan):
    content = host.file("/etc/NetworkManager/conf.d/calico.conf").content_string
    for spec in plan["host_preparation"]["networkmanager_unmanaged"]:
        assert spec in content
