"""Behaviour of the firewall, whatever the backend: a TCP port the plan opens on this host accepts
connections from the plan's sources and not from elsewhere. Clients run in network namespaces
inside the container, each with one source address, so real packets cross the real ruleset."""

import base64
import ipaddress

import pytest

OUTSIDER = "192.0.2.200"  # TEST-NET-1: in no plan source

LISTENER = """
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', PORT))
s.listen(8)
s.settimeout(30)
end = time.time() + 30
while time.time() < end:
    try:
        c, _ = s.accept()
        c.close()
    except OSError:
        break
"""


class Clients:
    """One namespace per source address, created on first use."""

    def __init__(self, host, target):
        self.host = host
        self.target = target
        self.names = {}

    def namespace(self, address, calico=False):
        """The namespace that sends from ``address``; with ``calico`` its host side is named like a
        pod's interface (cali...), else like any other link of the host."""
        if (address, calico) not in self.names:
            name = "src%d" % len(self.names)
            host_side = "cali" + name if calico else name + "-h"
            result = self.host.run(
                "ip netns add {ns} && ip link add {hs} type veth peer name {ns}-n && "
                "ip link set {ns}-n netns {ns} && ip link set {hs} up && "
                "ip -n {ns} link set {ns}-n up && ip -n {ns} link set lo up && "
                "ip -n {ns} addr add {addr}/32 dev {ns}-n && "
                "ip -n {ns} route add default dev {ns}-n && "
                "ip route add {addr}/32 dev {hs}".format(ns=name, hs=host_side, addr=address))
            assert result.rc == 0, result.stderr
            self.names[(address, calico)] = (name, host_side)
        return self.names[(address, calico)][0]

    def connects(self, address, port, calico=False, target=None):
        code = "import socket; socket.create_connection(('%s', %d), timeout=2)" % (target or self.target, port)
        return self.host.run("ip netns exec %s python3 -c \"%s\"" % (self.namespace(address, calico), code)).rc == 0


def listen(host, port):
    script = base64.b64encode(LISTENER.replace("PORT", str(port)).encode()).decode()
    started = host.run(
        "nohup timeout 30 python3 -c \"import base64; exec(base64.b64decode('%s'))\" >/dev/null 2>&1 &" % script)
    assert started.rc == 0
    # Wait until it listens: a loaded CI machine may take a while to start python.
    waited = host.run("for i in $(seq 50); do ss -Hltn 'sport = :%d' | grep -q . && exit 0; sleep 0.2; done; exit 1" % port)
    assert waited.rc == 0, "listener on %d did not start" % port


def insider_of(sources):
    network = ipaddress.ip_network([s for s in sources if ":" not in s][0])
    return str(network[200] if network.num_addresses > 256 else network[-2])


@pytest.fixture
def clients(host, hostvars):
    made = Clients(host, hostvars["calico_node_ip"])
    yield made
    for name, host_side in made.names.values():
        host.run("ip netns del %s; ip link del %s" % (name, host_side))


def test_plan_ports_accept_plan_sources_only(host, clients, host_rules):
    rules = [r for r in host_rules if r["protocol"] == "tcp" and any(":" not in s for s in r["sources"])]
    if not rules:
        pytest.skip("no TCP rule for this host")
    for rule in rules:
        insider = insider_of(rule["sources"])
        listen(host, rule["port"])
        assert clients.connects(insider, rule["port"]), \
            "%s: %s/tcp refused from %s, a plan source" % (rule["name"], rule["port"], insider)
        assert not clients.connects(OUTSIDER, rule["port"]), \
            "%s: %s/tcp accepted from %s, not a plan source" % (rule["name"], rule["port"], OUTSIDER)


UNPLANNED = 2222  # a port the plan does not list: pods must not reach it


def pod_address(plan):
    cidr = ipaddress.ip_network([c for c in plan["host_preparation"]["pod_cidrs"] if ":" not in c][0])
    return str(cidr[7 * 256 + 7])


@pytest.mark.parametrize("calico", [True, False], ids=["from-a-pod-interface", "pod-address-on-another-link"])
def test_pods_reach_only_the_listed_host_ports(host, clients, node, plan, calico):
    ports = [p["port"] for p in plan["host_preparation"]["ports_from_pods"] if p["protocol"] == "tcp"]
    assert ports, "the scenario lists a TCP port pods may reach"
    pod = pod_address(plan)
    for port in ports:
        listen(host, port)
        assert clients.connects(pod, port, calico=calico), "%d/tcp (listed) refused to pod %s" % (port, pod)
    listen(host, UNPLANNED)
    assert not clients.connects(pod, UNPLANNED, calico=calico), "%d/tcp (not listed) reachable from pod %s" % (UNPLANNED, pod)
    bgp = [r for r in plan["host_preparation"]["firewall_rules"] if r["name"] == "calico-bgp"]
    if bgp:
        listen(host, bgp[0]["port"])
        assert not clients.connects(pod, bgp[0]["port"], calico=calico), "BGP reachable from pod %s" % pod
