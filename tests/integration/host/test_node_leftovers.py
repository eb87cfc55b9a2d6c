"""calico_node_leftovers' logic against real iptables, nft and iproute2 in a network namespace.

The namespace is made to look like a node calico-node ran on (cali-* chains with jumps from the
built-in chains, Felix's nftables table, a BIRD route kept on purpose, vxlan.calico, the CNI
files), next to the admin's own rules, routes and devices; the cleanup must take exactly
Calico's part away, report it in check mode without touching anything, and find nothing the
second time.
"""

import os
import shutil
import subprocess
import uuid

import pytest

from ansible_collections.onprem.calico.plugins.module_utils import node_leftovers

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("iptables-nft") or not shutil.which("nft"),
    reason="needs root, iptables-nft and nft")


def sh(ns, *argv, stdin=None):
    proc = subprocess.run(["ip", "netns", "exec", ns] + list(argv), input=stdin, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def must(ns, *argv, stdin=None):
    rc, out, err = sh(ns, *argv, stdin=stdin)
    assert rc == 0, "%s: %s" % (" ".join(argv), err)
    return out


@pytest.fixture
def node(tmp_path):
    ns = "lo-%s" % uuid.uuid4().hex[:8]
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        must(ns, "ip", "link", "set", "lo", "up")
        must(ns, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
        must(ns, "ip", "addr", "add", "10.0.1.11/24", "dev", "eth0")
        must(ns, "ip", "link", "set", "eth0", "up")
        must(ns, "ip", "link", "set", "eth1", "up")
        # The admin's own state, which must survive.
        must(ns, "ip", "route", "add", "192.168.50.0/24", "via", "10.0.1.1")
        must(ns, "iptables-nft", "-N", "ADMIN")
        must(ns, "iptables-nft", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ADMIN")
        must(ns, "nft", "add", "table", "inet", "admin")
        # What calico-node leaves.
        for table, chain, parent in (("filter", "cali-INPUT", "INPUT"), ("filter", "cali-FORWARD", "FORWARD"),
                                     ("nat", "cali-PREROUTING", "PREROUTING")):
            must(ns, "iptables-nft", "-t", table, "-N", chain)
            must(ns, "iptables-nft", "-t", table, "-I", parent, "-m", "comment", "--comment", "cali:abc", "-j", chain)
        must(ns, "iptables-nft", "-N", "cali-from-wl-dispatch")
        must(ns, "iptables-nft", "-A", "cali-FORWARD", "-j", "cali-from-wl-dispatch")
        must(ns, "nft", "add", "table", "ip", "calico")
        must(ns, "ip", "route", "add", "blackhole", "10.244.1.0/26", "proto", "bird")
        must(ns, "ip", "route", "add", "10.244.2.0/26", "via", "10.0.1.12", "proto", "bird")
        must(ns, "ip", "link", "add", "vxlan.calico", "type", "vxlan", "id", "4096", "dstport", "4789", "dev", "eth0")
        for name in ("etc/cni/net.d/10-calico.conflist", "etc/cni/net.d/calico-kubeconfig",
                     "etc/cni/net.d/05-other.conflist", "opt/cni/bin/calico", "opt/cni/bin/calico-ipam",
                     "opt/cni/bin/bridge", "var/lib/calico/nodename"):
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x\n")
        yield ns, tmp_path
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


def patterns(root):
    return [str(root / p) for p in ("etc/cni/net.d/10-calico.conflist", "etc/cni/net.d/calico-kubeconfig",
                                    "opt/cni/bin/calico*", "var/lib/calico")]


def which(name):
    return shutil.which(name) is not None


def test_removes_calico_leftovers_and_nothing_else(node):
    ns, root = node

    def run(argv, stdin=None):
        return sh(ns, *argv, stdin=stdin)

    found = node_leftovers.assess(run, which, patterns(root))
    lines = node_leftovers.summary(found)
    assert "device vxlan.calico" in lines
    assert "route -4 10.244.1.0/26 (proto bird, table main)" in lines
    assert "route -4 10.244.2.0/26 (proto bird, table main)" in lines
    assert "iptables-nft chain nat/cali-PREROUTING" in lines
    assert "nft table ip calico" in lines
    assert "path %s" % (root / "opt/cni/bin/calico-ipam") in lines
    before_rules = must(ns, "iptables-nft-save")
    assert "cali-INPUT" in before_rules  # assess alone (check mode) changes nothing

    node_leftovers.remove(run, found)

    rules = must(ns, "iptables-nft-save")
    assert "cali-" not in rules
    assert "-A INPUT -p tcp -m tcp --dport 22 -j ADMIN" in rules
    assert must(ns, "ip", "route", "show", "table", "all", "proto", "bird").strip() == ""
    assert "192.168.50.0/24 via 10.0.1.1" in must(ns, "ip", "route", "show")
    assert "vxlan.calico" not in must(ns, "ip", "link", "show")
    tables = must(ns, "nft", "list", "tables")
    assert "table ip calico" not in tables and "table inet admin" in tables
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == [
        "etc/cni/net.d/05-other.conflist", "opt/cni/bin/bridge"]
    assert node_leftovers.is_empty(node_leftovers.assess(run, which, patterns(root)))


def test_iptables_cleanup_keeps_foreign_jumps():
    save = "\n".join([
        "*filter", ":INPUT ACCEPT [0:0]", ":cali-INPUT - [0:0]", ":KUBE-FW - [0:0]",
        '-A INPUT -m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT',
        "-A INPUT -j KUBE-FW", "-A cali-INPUT -j ACCEPT", "COMMIT", "*nat", ":POSTROUTING ACCEPT [0:0]", "COMMIT"])
    text, names = node_leftovers.iptables_cleanup(save)
    assert names == ["filter/cali-INPUT"]
    assert text == ('*filter\n-D INPUT -m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT\n'
                    "-F cali-INPUT\n-X cali-INPUT\nCOMMIT\n")
    assert node_leftovers.iptables_cleanup("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n") == ("", [])
