"""Helpers of the end-to-end tests: running the lab scripts and reading the machines themselves
(vtysh on the routers, BIRD's control socket and the kernel on the nodes)."""

import ipaddress
import json
import os
import re
import subprocess
import sys
import time

from ansible_collections.onprem.calico.plugins.module_utils.bird_control import parse_protocols_all, sessions_by_peer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(REPO, "lab", "lab.py")
SITE = os.path.join(REPO, "lab", "site.sh")
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
INVENTORY = os.path.join(REPO, "inventory", "lab")
DESIGNS_DIR = os.path.join(REPO, "inventory", "lab-designs")
PREFIX = "calico-lab-"
RECAP_RE = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


class Run:
    def __init__(self, argv, proc, seconds):
        self.argv, self.rc, self.seconds = argv, proc.returncode, seconds
        self.output = proc.stdout + proc.stderr

    @property
    def recap(self):
        """{host: {"ok", "changed", "unreachable", "failed"}} from the PLAY RECAP."""
        return {m.group(1): dict(zip(("ok", "changed", "unreachable", "failed"), map(int, m.groups()[1:])))
                for m in RECAP_RE.finditer(self.output)}

    def tail(self, lines=80):
        return "\n".join(self.output.splitlines()[-lines:])

    def changed_tasks(self):
        """Each task that reported a change, with what it printed (its diff under --diff)."""
        blocks = re.split(r"\n(?=TASK \[)", self.output)
        return "\n".join(block for block in blocks if re.search(r"^changed: ", block, re.M))


def run(argv, timeout=1500, env=None):
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False,
                          env=dict(os.environ, **(env or {})))
    return Run(argv, proc, time.monotonic() - start)


def design_args(design):
    """ansible-playbook arguments of a lab design (what lab/design.sh adds)."""
    args = ["-e", "@" + os.path.join(DESIGNS_DIR, design + ".yml")]
    hosts = os.path.join(DESIGNS_DIR, design + ".hosts.yml")
    return args + (["-i", hosts] if os.path.exists(hosts) else [])


def podman_exec(host, *command, check=True):
    proc = subprocess.run(["podman", "exec", PREFIX + host, *command], capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError("%s: %s failed: %s" % (host, " ".join(command), proc.stderr or proc.stdout))
    return proc


def router_sessions(router):
    """{peer address: state} of every BGP neighbour of an FRR router (both address families),
    or None when bgpd does not answer."""
    proc = podman_exec(router, "vtysh", "-c", "show bgp summary json", check=False)
    if proc.returncode != 0:
        return None
    out = {}
    for family in json.loads(proc.stdout or "{}").values():
        for address, peer in (family.get("peers") or {}).items():
            out[address] = peer["state"]
    return out


def router_routes(router, family=4):
    """{prefix: [next hops]} of the BGP routes in the router's kernel."""
    return kernel_routes(router, family, "bgp")


def bgp_prefixes(router, family=4):
    """Every prefix in an FRR router's BGP table (best path or not), read with vtysh."""
    afi = "ipv6" if family == 6 else "ipv4"
    return set(json.loads(podman_exec(router, "vtysh", "-c", "show bgp %s unicast json" % afi).stdout or "{}").get("routes") or {})


def bgp_next_hops(router, prefix):
    """The global next hops of the best (multi)paths of ``prefix`` in an FRR router's BGP table."""
    afi = "ipv6" if ":" in prefix else "ipv4"
    out = json.loads(podman_exec(router, "vtysh", "-c", "show bgp %s unicast %s json" % (afi, prefix)).stdout or "{}")
    return [hop["ip"] for path in out.get("paths") or [] if path.get("bestpath") or path.get("multipath")
            for hop in path.get("nexthops") or [] if hop.get("scope", "global") == "global"]


def bird_sessions(node, family=4):
    """{neighbour address: BGP state} from the node's BIRD (calico-node's control socket)."""
    socket = "/var/run/calico/bird%s.ctl" % ("6" if family == 6 else "")
    out = podman_exec(node, "birdc%s" % ("6" if family == 6 else ""), "-s", socket, "show", "protocols", "all").stdout
    return sessions_by_peer(parse_protocols_all(out.splitlines()))


def kernel_routes(host, family=4, proto="bird"):
    """{prefix: sorted next hops} of the routes ``proto`` put in the host's kernel ('blackhole' for
    a blackhole route)."""
    out = podman_exec(host, "ip", "-%d" % family, "-j", "route", "show", "proto", proto).stdout
    routes = {}
    for entry in json.loads(out or "[]"):
        dst = entry["dst"]
        if dst != "default" and "/" not in dst:
            dst += "/32" if family == 4 else "/128"
        hops = [entry["gateway"]] if entry.get("gateway") else [h["gateway"] for h in entry.get("nexthops") or []]
        routes[dst] = sorted(hops) or [entry.get("type", "?")]
    return routes


def pod_address(node, family=4):
    """The address of the stand-in's pod on a node (network namespace ``pod``, calico_node_standin.yml)."""
    out = podman_exec(node, "ip", "-n", "pod", "-o", "-%d" % family, "addr", "show", "dev", "eth0").stdout
    found = [ipaddress.ip_address(a) for a in re.findall(r"inet6? (\S+)/(?:32|128)", out)]
    assert len(found) == 1, "%s: expected one pod address in the pod namespace, found %s" % (node, found)
    return str(found[0])


def ping(source_node, source_ip, target_ip):
    """A ping from the pod on ``source_node`` (whose address is ``source_ip``): forwarded by the
    node like real pod traffic."""
    assert pod_address(source_node, 6 if ":" in source_ip else 4) == source_ip
    return podman_exec(source_node, "ip", "netns", "exec", "pod", "ping", "-c", "2", "-i", "0.2", "-W", "2", target_ip, check=False)


_CONVERGED = {}


def converge(design, artifacts_root):
    """The first run of a design on the lab: lab.py up (prepare.yml resets the machines when the
    design changes) then lab/site.sh. Cached: each design converges once per session, and the
    lab stays in the last design converged."""
    if design not in _CONVERGED:
        env = {"LAB_DESIGN": design}
        artifacts = os.path.join(artifacts_root, design)
        up = run([sys.executable, LAB, "up"], env=env)
        assert up.rc == 0, up.tail()
        _CONVERGED.clear()
        _CONVERGED[design] = (run([SITE, "-e", "calico_artifacts_dir=" + artifacts], env=env), artifacts)
    return _CONVERGED[design]


def lab_changed(state):
    """Record that a test took the lab beyond what converge() left (e.g. a node added): the next
    converge() of any design runs again, and untouched_lab() recreates the containers."""
    _CONVERGED.clear()
    _CONVERGED[state] = None


def untouched_lab(design):
    """The lab as `lab.py up` leaves new containers, in ``design``: recreated when a design was
    converged on it in this session (a reset for another design keeps the nodes' host
    configuration, which a test of a first apply must not find)."""
    if _CONVERGED:
        for action in ("down", "up"):
            result = run([sys.executable, LAB, action], env={"LAB_DESIGN": design})
            assert result.rc == 0, result.tail()
        _CONVERGED.clear()
