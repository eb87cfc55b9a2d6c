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


def live(host, name):
    return host.file(sysctl_path(name)).content_string.strip()


def test_forwarding_and_rp_filter_as_calico_needs(host, node, hostvars):
    """What Calico needs, stated here (kernel ip-sysctl docs, Felix), not read from the plan."""
    assert live(host, "net.ipv4.ip_forward") == "1"
    # Felix refuses the loose value 2 unless told to ignore it; the kernel copies conf.default
    # onto every cali* interface Felix creates, so it must hold an accepted value too.
    for name in ("net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter"):
        assert live(host, name) in ("0", "1"), name
    if hostvars.get("calico_pod_cidr_v6"):
        assert live(host, "net.ipv6.conf.all.forwarding") == "1"
        # 2: keep accepting router advertisements although the host now forwards.
        assert live(host, "net.ipv6.conf.default.accept_ra") == "2"


# The Linux modules behind what the inventory asks for: Felix's iptables dataplane always needs IP
# sets and the set, mark, conntrack and rpfilter matches; each encapsulation its own link type.
FELIX_MODULES = {"ip_set", "xt_set", "ip_tables", "xt_mark", "xt_conntrack", "ipt_rpfilter", "nf_conntrack"}
ENCAPSULATION_MODULE = {"ipip": "ipip", "ipip_cross_subnet": "ipip", "vxlan": "vxlan", "vxlan_cross_subnet": "vxlan"}
LINK_PROBE = {"ipip": "ipip", "vxlan": "vxlan id 42 dstport 4789", "wireguard": "wireguard"}


def test_the_features_the_inventory_asks_for_work_and_load_at_boot(host, node, hostvars):
    listed = {line.strip() for line in host.file("/etc/modules-load.d/calico.conf").content_string.splitlines()
              if line.strip() and not line.startswith("#")}
    assert FELIX_MODULES <= listed
    # The IP sets Felix programs work on this host (in a scratch network namespace).
    assert host.run("unshare --net ipset create probe hash:net").rc == 0
    links = {ENCAPSULATION_MODULE.get(hostvars.get("calico_encapsulation", "ipip"))} - {None}
    if hostvars.get("calico_wireguard"):
        links.add("wireguard")
    for module in links:
        works = host.run("unshare --net ip link add t0 type %s" % LINK_PROBE[module]).rc == 0
        # VXLAN is in every kernel these scenarios run on; IPIP is not (the missing-ipip scenario),
        # and a module whose feature does not work must not be persisted.
        assert works or module != "vxlan", module
        assert (module in listed) == works, module


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
