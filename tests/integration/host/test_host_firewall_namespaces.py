"""Real packets through the calico_host firewall rules (nftables table, ufw rules) in network
namespaces: a host namespace with the rendered rules loaded and listeners on its ports, a client
namespace that sends from a node address, a pod address and an outsider, over IPv4 and IPv6.

The plan is the case of issue 19: dual stack with an IPv4 node subnet and no IPv6 one, VXLAN and
WireGuard, pods allowed to reach 6443/tcp only. From a pod address an unplanned host port (2222,
which an admin opened to everyone) is unreachable and 6443 is reachable; the nodes' IPv6 addresses
reach BGP and VXLAN, and the WireGuard ports get their datagrams (this kernel has no WireGuard: a
UDP listener stands in)."""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import host_firewall
from test_host_templates import make_plan, render_firewall_files

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

HOST4, HOST6 = "10.0.1.11", "fd00:1::11"
NODE4, NODE6 = "10.0.1.12", "fd00:1::12"          # the other node: a plan source
POD4, POD6 = "10.244.1.5", "fd00:10:244::5"        # a pod of the pools
OUT4, OUT6 = "192.0.2.200", "2001:db8::200"        # in no plan source
UNPLANNED = 2222                                   # an admin's port open to everyone
TCP_PORTS = (179, 6443, UNPLANNED)
UDP_PORTS = (4789, 51820, 51821)

LISTENER = textwrap.dedent("""
    import select, socket, sys
    log = open(sys.argv[1], "a", buffering=1)
    socks = []
    for port in %(tcp)r:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", port)); s.listen(16); socks.append(s)
    for port in %(udp)r:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", port)); socks.append(s)
    print("ready", file=log)
    while True:
        for s in select.select(socks, [], [], 60)[0]:
            if s.type == socket.SOCK_STREAM:
                s.accept()[0].close()
            else:
                data, peer = s.recvfrom(100)
                print("udp %%s %%s" %% (s.getsockname()[1], data.decode()), file=log)
""") % {"tcp": TCP_PORTS, "udp": UDP_PORTS}

CLIENT = textwrap.dedent("""
    import json, socket, sys
    results = {}
    for source, target, proto, port in json.loads(sys.argv[1]):
        family = socket.AF_INET6 if ":" in target else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
        s.settimeout(1.5)
        s.bind((source, 0))
        key = "%s %s %s/%s" % (source, target, port, proto)
        try:
            if proto == "tcp":
                s.connect((target, port)); results[key] = True
            else:
                s.sendto(key.replace(" ", "_").encode(), (target, port)); results[key] = "sent"
        except OSError:
            results[key] = False
        s.close()
    print(json.dumps(results))
""")


def sh(*args, check=True):
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if check:
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    plan = make_plan(
        {"calico_cluster_name": "t19", "calico_pod_cidr": "10.244.0.0/16", "calico_pod_cidr_v6": "fd00:10:244::/56",
         "calico_encapsulation": "vxlan", "calico_wireguard": True, "calico_node_subnets": ["10.0.1.0/24"],
         "calico_host_ports_from_pods": ["6443/tcp"]},
        {"n1": {"ansible_host": HOST4, "calico_node_ip6": HOST6}, "n2": {"ansible_host": NODE4, "calico_node_ip6": NODE6}})
    return plan, render_firewall_files(plan, tmp_path_factory.mktemp("ns-firewall"))


@pytest.fixture
def pair(tmp_path):
    """Two namespaces on a veth pair; the client holds every source address, the host routes back."""
    tag = "%d" % os.getpid()
    host, client = "fwh" + tag, "fwc" + tag
    sh("ip", "netns", "add", host)
    sh("ip", "netns", "add", client)
    listener = None
    try:
        sh("ip", "link", "add", "hv", "netns", host, "type", "veth", "peer", "name", "cv", "netns", client)
        for ns, dev, addrs in ((host, "hv", [HOST4 + "/24", HOST6 + "/64"]),
                               (client, "cv", [NODE4 + "/24", NODE6 + "/64", POD4 + "/32", OUT4 + "/32", POD6 + "/128", OUT6 + "/128"])):
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "set", dev, "up")
            for addr in addrs:
                sh("ip", "-n", ns, "addr", "add", addr, "dev", dev, *(["nodad"] if ":" in addr else []))
        for route in ("10.244.0.0/16", "192.0.2.0/24", "fd00:10:244::/56", "2001:db8::/64"):
            sh("ip", "-n", host, "route", "add", route, "dev", "hv")
        log = tmp_path / "listener.log"
        script = tmp_path / "listener.py"
        script.write_text(LISTENER)
        listener = subprocess.Popen(["ip", "netns", "exec", host, sys.executable, str(script), str(log)])
        for _attempt in range(100):
            if log.exists() and "ready" in log.read_text():
                break
            time.sleep(0.05)
        else:
            pytest.fail("listener did not start")
        yield host, client, log
    finally:
        if listener:
            listener.kill()
            listener.wait()
        sh("ip", "netns", "del", client, check=False)
        sh("ip", "netns", "del", host, check=False)


def probe(client, tmp_path, cases):
    script = tmp_path / "client.py"
    script.write_text(CLIENT)
    out = sh("ip", "netns", "exec", client, sys.executable, str(script), json.dumps(cases)).stdout
    return json.loads(out)


def received(log, port, source, target):
    time.sleep(0.3)
    return "udp %d %s_%s_%d/udp" % (port, source, target, port) in log.read_text()


def check_behaviour(client, log, tmp_path):
    tcp = probe(client, tmp_path, [
        [NODE4, HOST4, "tcp", 179], [NODE6, HOST6, "tcp", 179],
        [POD4, HOST4, "tcp", 6443], [POD6, HOST6, "tcp", 6443],
        [POD4, HOST4, "tcp", UNPLANNED], [POD6, HOST6, "tcp", UNPLANNED],
        [POD4, HOST4, "tcp", 179], [OUT4, HOST4, "tcp", 179], [OUT6, HOST6, "tcp", 179],
        [OUT4, HOST4, "tcp", UNPLANNED],
    ])
    key = "%s %s %d/tcp"
    assert tcp[key % (NODE4, HOST4, 179)], "IPv4 BGP from a node refused"
    assert tcp[key % (NODE6, HOST6, 179)], "IPv6 BGP from a node refused"
    assert tcp[key % (POD4, HOST4, 6443)] and tcp[key % (POD6, HOST6, 6443)], "a planned port refused to pods"
    assert not tcp[key % (POD4, HOST4, UNPLANNED)], "an unplanned host port reachable from an IPv4 pod address"
    assert not tcp[key % (POD6, HOST6, UNPLANNED)], "an unplanned host port reachable from an IPv6 pod address"
    assert not tcp[key % (POD4, HOST4, 179)], "BGP reachable from a pod address"
    assert not tcp[key % (OUT4, HOST4, 179)] and not tcp[key % (OUT6, HOST6, 179)], "BGP open to outsiders"
    assert tcp[key % (OUT4, HOST4, UNPLANNED)], "the admin's own open port was closed"
    probe(client, tmp_path, [[NODE4, HOST4, "udp", 4789], [NODE6, HOST6, "udp", 4789],
                             [NODE4, HOST4, "udp", 51820], [NODE6, HOST6, "udp", 51821], [POD6, HOST6, "udp", 4789]])
    assert received(log, 4789, NODE4, HOST4), "IPv4 VXLAN from a node dropped"
    assert received(log, 4789, NODE6, HOST6), "IPv6 VXLAN from a node dropped"
    assert received(log, 51820, NODE4, HOST4), "WireGuard (IPv4) from a node dropped"
    assert received(log, 51821, NODE6, HOST6), "WireGuard (IPv6) from a node dropped"
    assert not received(log, 4789, POD6, HOST6), "VXLAN reachable from a pod address"


def test_nftables_table(rendered, pair, tmp_path):
    _plan, out = rendered
    host, client, log = pair
    sh("ip", "netns", "exec", host, "nft", "-f", str(out / "calico.nft"))
    check_behaviour(client, log, tmp_path)


def ufw_ruleset(plan, block, family):
    """What ufw loads, reduced to the parts that decide here: before-input (loopback, replies, ND,
    our block), the user rules the role adds (one per plan rule and source), an admin's `ufw allow
    2222/tcp`, and ufw's default incoming policy deny."""
    prefix = "ufw" if family == 4 else "ufw6"
    rules = [r for r in plan["host_preparation"]["firewall_rules"] if r["group"] == "k8s_cluster"]
    user = ["-A %s-user-input -s %s -p %s --dport %s -j ACCEPT" % (prefix, r["source"], r["proto"], r["port"])
            for r in host_firewall.ufw_rules(rules) if (":" in r["source"]) == (family == 6)]
    user.append("-A %s-user-input -p tcp --dport %d -j ACCEPT" % (prefix, UNPLANNED))
    lines = ["*filter", ":INPUT DROP [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]",
             ":%s-before-input - [0:0]" % prefix, ":%s-before-forward - [0:0]" % prefix, ":%s-user-input - [0:0]" % prefix,
             "-A INPUT -j %s-before-input" % prefix, "-A INPUT -j %s-user-input" % prefix,
             "-A FORWARD -j %s-before-forward" % prefix,
             "-A %s-before-input -i lo -j ACCEPT" % prefix,
             "-A %s-before-input -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" % prefix]
    if family == 6:
        lines.append("-A ufw6-before-input -p ipv6-icmp -j ACCEPT")
    return "\n".join(lines + [block] + user + ["COMMIT", ""])


def test_ufw_rules(rendered, pair, tmp_path):
    plan, out = rendered
    host, client, log = pair
    for family, tool in ((4, "iptables-restore"), (6, "ip6tables-restore")):
        ruleset = tmp_path / ("ufw%d.rules" % family)
        ruleset.write_text(ufw_ruleset(plan, (out / ("before%d.block" % family)).read_text(), family))
        sh("ip", "netns", "exec", host, tool, str(ruleset))
    check_behaviour(client, log, tmp_path)
