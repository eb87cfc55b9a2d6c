"""calico_sysctl edge cases the mutation run found untested: the kernel's own all/default/lo
entries, a host without IPv6, and drop-in lines a key must be read from (issue 18)."""

import os

from ansible_collections.onprem.calico.plugins.module_utils import sysctl_dropin as sd


def make_proc(root, entries):
    for key, value in entries.items():
        path = os.path.join(root, *key.split("."))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(value + "\n")
    return root


def test_all_default_and_lo_are_never_listed_per_interface(tmp_path):
    # conf/all and conf/default are templates, not interfaces (kernel ip-sysctl docs): the
    # plan's default.accept_ra covers new interfaces, all.accept_ra reaches none that exist.
    root = make_proc(str(tmp_path / "proc"), {
        "net.ipv6.conf.all.accept_ra": "1", "net.ipv6.conf.default.accept_ra": "1",
        "net.ipv6.conf.lo.accept_ra": "1", "net.ipv6.conf.eth0.accept_ra": "1"})
    wanted = {"net.ipv6.conf.all.forwarding": "1"}
    ordered = sd.keep_router_advertisements(wanted, str(tmp_path / "90-calico.conf"), proc_root=root)
    assert ordered == {"net.ipv6.conf.eth0.accept_ra": "2", "net.ipv6.conf.all.forwarding": "1"}


def test_a_host_without_ipv6_keeps_the_plan_as_it_is(tmp_path):
    root = str(tmp_path / "proc")
    os.makedirs(root)
    wanted = {"net.ipv4.ip_forward": "1"}
    assert sd.keep_router_advertisements(wanted, str(tmp_path / "90-calico.conf"), proc_root=root) == wanted


def test_an_interface_with_no_accept_ra_reading_is_left_alone(tmp_path):
    root = make_proc(str(tmp_path / "proc"), {"net.ipv6.conf.eth0.forwarding": "0"})
    wanted = {"net.ipv6.conf.all.forwarding": "1"}
    assert sd.keep_router_advertisements(wanted, str(tmp_path / "90-calico.conf"), proc_root=root) == wanted


def test_dropin_keys_read_the_name_before_the_first_equals_sign(tmp_path):
    dropin = tmp_path / "90-calico.conf"
    dropin.write_text("# net.ipv6.conf.eth9.accept_ra = 2\n"
                      "kernel.core_pattern = |/usr/lib/dump a=b\n"
                      "a line without an equals sign\n"
                      "net.ipv6.conf.eth0.accept_ra=2\n")
    assert sd._dropin_keys(str(dropin)) == {"kernel.core_pattern", "net.ipv6.conf.eth0.accept_ra"}
    assert sd._dropin_keys(str(tmp_path / "missing.conf")) == set()
