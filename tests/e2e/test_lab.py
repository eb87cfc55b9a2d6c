"""End to end on the built-in lab: site.yml converges, every session is up, pods reach across
racks, a rerun changes nothing, and a dead ToR is caught, named and recovered from.

Session states and reachability are read from the routers and nodes themselves (vtysh, birdc,
ping), not from the collection's own report, which is checked separately.
"""

import ipaddress
import json
import os
import re

from labtools import INVENTORY, PLAYBOOK, SITE, podman_exec, run

RACKS = {"r1": ["r1-cp", "r1-w1", "r1-w2"], "r2": ["r2-cp", "r2-w1", "r2-w2"]}
TORS = {"tor1a": "r1", "tor1b": "r1", "tor2a": "r2"}
NODES = [n for nodes in RACKS.values() for n in nodes]
POD_CIDR = ipaddress.ip_network("10.244.0.0/16")


def tor_node_sessions(tor):
    """{peer address: state} of the node sessions (peer group CALICO-NODES) on one router."""
    proc = podman_exec(tor, "vtysh", "-c", "show bgp ipv4 unicast summary json", check=False)
    if proc.returncode != 0:
        return None
    peers = json.loads(proc.stdout).get("peers", {})
    return {ip: p["state"] for ip, p in peers.items() if ip.startswith("10.77.%s." % TORS[tor][1:])}


def bird_sessions(node):
    out = podman_exec(node, "birdc", "-r", "show", "protocols").stdout
    return {m.group(1).replace("_", "."): m.group(2)
            for m in re.finditer(r"^Node_(\S+)\s+BGP\s+\S+\s+\S+\s+\S+\s+(\S+)", out, re.M)}


def pod_address(node):
    out = podman_exec(node, "ip", "-o", "-4", "addr", "show", "dev", "lo").stdout
    found = [ipaddress.ip_address(a) for a in re.findall(r"inet (\S+)/32", out)]
    pods = [a for a in found if a in POD_CIDR]
    assert len(pods) == 1, "%s: expected one pod address on lo, found %s" % (node, found)
    return str(pods[0])


def ping(source_node, source_ip, target_ip):
    return podman_exec(source_node, "ping", "-c", "2", "-i", "0.2", "-W", "2", "-I", source_ip, target_ip, check=False)


def verify(artifacts_dir, timeout):
    return run([PLAYBOOK, "-i", INVENTORY, os.path.join("playbooks", "verify.yml"),
                "-e", "calico_artifacts_dir=" + artifacts_dir, "-e", "calico_verify_timeout=%d" % timeout])


def set_bgpd(tor, enabled):
    """Stop or start only bgpd (zebra keeps running): watchfrr follows /etc/frr/daemons on reload."""
    podman_exec(tor, "sed", "-i", "s/^bgpd=.*/bgpd=%s/" % ("yes" if enabled else "no"), "/etc/frr/daemons")
    podman_exec(tor, "systemctl", "reload", "frr.service")


def test_first_converge_succeeds(converged):
    assert converged.rc == 0, converged.tail(120)
    recap = converged.recap
    assert set(NODES + list(TORS)) <= set(recap), recap
    assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in recap.values()), recap
    print("first converge: %.1f s" % converged.seconds)


def test_every_session_established_on_both_ends(converged):
    assert converged.rc == 0, "first converge failed"
    for tor, rack in TORS.items():
        sessions = tor_node_sessions(tor)
        expected = {"10.77.%s.%d" % (rack[1:], 11 + i) for i in range(3)}
        assert set(sessions) == expected, (tor, sessions)
        assert set(sessions.values()) == {"Established"}, (tor, sessions)
    for rack, nodes in RACKS.items():
        tor_ips = {"10.77.1.2", "10.77.1.3"} if rack == "r1" else {"10.77.2.2"}
        for node in nodes:
            assert bird_sessions(node) == {ip: "Established" for ip in tor_ips}, node


def test_cross_rack_pod_reachability_through_the_tors(converged):
    assert converged.rc == 0, "first converge failed"
    pods = {node: pod_address(node) for node in NODES}
    assert len(set(pods.values())) == len(NODES)
    for source, target in (("r1-cp", "r2-w2"), ("r2-w1", "r1-w2"), ("r1-w1", "r2-cp")):
        result = ping(source, pods[source], pods[target])
        assert result.returncode == 0, "%s -> %s: %s" % (source, target, result.stdout + result.stderr)
        # Two routers on the way (own rack's ToR, then the other rack's): TTL 64 - 2.
        assert "ttl=62" in result.stdout, result.stdout
        route = podman_exec(source, "ip", "route", "get", pods[target], "from", pods[source]).stdout
        rack_tors = ("10.77.1.2", "10.77.1.3") if source.startswith("r1") else ("10.77.2.2",)
        assert any("via %s " % ip in route for ip in rack_tors), route


def test_report_shows_every_session(converged, artifacts_dir):
    assert converged.rc == 0, "first converge failed"
    report = open(os.path.join(artifacts_dir, "report.md")).read()
    assert "**All 9 BGP sessions Established.**" in report
    assert report.count("| Established | Established | Established |") == 9
    assert "## Skipped" in report and "no Kubernetes API server" in report
    svg = open(os.path.join(artifacts_dir, "topology.svg")).read()
    assert svg.count('class="edge"') == 9
    assert "All 9 BGP sessions Established." in converged.output  # printed at the end of the run


def test_second_run_changes_nothing(converged, artifacts_dir):
    assert converged.rc == 0, "first converge failed"
    again = run([SITE, "-e", "calico_artifacts_dir=" + artifacts_dir])
    assert again.rc == 0, again.tail(120)
    changed = {host: r["changed"] for host, r in again.recap.items() if r["changed"]}
    assert changed == {}, "second run changed: %s\n%s" % (changed, again.tail(150))
    print("no-op rerun: %.1f s" % again.seconds)


def test_dead_tor_is_named_then_recovered(converged, artifacts_dir):
    assert converged.rc == 0, "first converge failed"
    set_bgpd("tor1b", False)
    try:
        assert tor_node_sessions("tor1b") is None  # bgpd is really gone
        failed = verify(artifacts_dir, timeout=12)
        assert failed.rc != 0, failed.tail()
        message = re.search(r"BGP verification failed for nodes ([^:]+):", failed.output)
        assert message, failed.tail()
        assert message.group(1).strip() == "r1-cp, r1-w1, r1-w2"
        report = open(os.path.join(artifacts_dir, "report.md")).read()
        assert "3 of 9 BGP sessions NOT Established (nodes: r1-cp, r1-w1, r1-w2)" in report
        assert report.count("**DOWN**") == 3 and "bgpd is not running" in report
        # The fault stays where it is: the other ToRs keep every session (a ping is no proof
        # here: with graceful restart the peers keep tor1b's paths as stale for a while).
        assert set(tor_node_sessions("tor1a").values()) == {"Established"}
        assert set(tor_node_sessions("tor2a").values()) == {"Established"}
    finally:
        set_bgpd("tor1b", True)
    recovered = verify(artifacts_dir, timeout=60)
    assert recovered.rc == 0, recovered.tail()
    assert set(tor_node_sessions("tor1b").values()) == {"Established"}
    assert "**All 9 BGP sessions Established.**" in open(os.path.join(artifacts_dir, "report.md")).read()


def test_lab_connection_is_pipelined_and_moves_files_both_ways(converged, tmp_path):
    """lab/connection_plugins/lab_podman.py: one `podman exec -i` per pipelined module, and files
    go in (copy, template) and come back (fetch) byte for byte."""
    ansible = os.path.join(os.path.dirname(PLAYBOOK), "ansible")
    ping = run([ansible, "-i", INVENTORY, "r1-w1", "-m", "ansible.builtin.ping", "-vvv"])
    assert ping.rc == 0, ping.tail()
    execs = [line for line in ping.output.splitlines() if "LAB_PODMAN" in line]
    assert len(execs) == 1 and " exec -i calico-lab-r1-w1 " in execs[0], execs

    payload = "lab connection probe \u2713\n"
    copied = run([ansible, "-i", INVENTORY, "r1-w1", "-m", "ansible.builtin.copy",
                  "-a", json.dumps({"content": payload, "dest": "/tmp/lab-connection-probe", "mode": "0600"})])
    assert copied.rc == 0, copied.tail()
    assert podman_exec("r1-w1", "stat", "-c", "%a", "/tmp/lab-connection-probe").stdout.strip() == "600"
    fetched = run([ansible, "-i", INVENTORY, "r1-w1", "-m", "ansible.builtin.fetch",
                   "-a", "src=/tmp/lab-connection-probe dest=%s/ flat=true" % tmp_path])
    assert fetched.rc == 0, fetched.tail()
    assert (tmp_path / "lab-connection-probe").read_text(encoding="utf-8") == payload
