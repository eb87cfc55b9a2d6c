"""Scale out on the built-in lab: a node added to the inventory is prepared, peered and verified by
the ordinary site run, which touches nothing else but the node's rack ToR.

The default design (as_per_rack) converges with the six nodes of inventory/lab; then the node
r2-w3 (inventory/lab-scale-out/node.yml, a new container on rack r2's network) is added as an
operator adds a host, with an extra inventory source, and the same site run (lab/site.sh: the
product's stages plus the calico-node stand-in) runs again. The machines are read themselves
(vtysh, BIRD's control socket, the kernels); per-host changes come from the PLAY RECAP.

A whole new rack is not run here: it needs a ToR container on a new rack network and the spine's
pre-existing uplink configuration for it (lab scaffolding, playbooks/lab/prepare.yml), and a full
extra converge of every node (a new rack subnet changes every node's firewall). What a new rack
changes is checked against the plan and the report in tests/unit/lifecycle.
"""

from __future__ import annotations

import ipaddress
import os
import sys

import pytest

from labtools import (
    INVENTORY,
    LAB,
    REPO,
    SITE,
    bird_sessions,
    converge,
    kernel_routes,
    lab_changed,
    ping,
    pod_address,
    podman_exec,
    router_routes,
    router_sessions,
    run,
)

EXTRA = os.path.join(REPO, "inventory", "lab-scale-out", "node.yml")
ENV = {"LAB_DESIGN": "as_per_rack"}
NEW, NEW_IP = "r2-w3", "10.77.2.14"
EXISTING = ["r1-cp", "r1-w1", "r1-w2", "r2-cp", "r2-w1", "r2-w2"]
RACK_OF = {n: n[:2] for n in EXISTING + [NEW]}
RACK_IP = {"r2-cp": "10.77.2.11", "r2-w1": "10.77.2.12", "r2-w2": "10.77.2.13"}
TOR_IP = {"tor1a": "10.77.1.2", "tor1b": "10.77.1.3", "tor2a": "10.77.2.2"}
RACK_TORS = {"r1": ["tor1a", "tor1b"], "r2": ["tor2a"]}
# The lab's pod blocks: block N of 10.244.0.0/16 (/26) for the N-th node name in sorted order
# (lab_standin.py lab_pod_block); r2-w3 sorts last, so the existing nodes keep theirs.
BLOCK = dict(zip(sorted(EXISTING + [NEW]), map(str, ipaddress.ip_network("10.244.0.0/16").subnets(new_prefix=26))))
# Files the host role writes on every node (roles/calico_host/defaults/main.yml).
HOST_FILES = ("/etc/sysctl.d/90-calico.conf", "/etc/nftables.d/onprem-calico.nft", "/etc/modules-load.d/calico.conf",
              "/etc/NetworkManager/conf.d/calico.conf")


def host_files(node):
    """{path: content} of the host role's files present on ``node``."""
    out = {}
    for path in HOST_FILES:
        proc = podman_exec(node, "cat", path, check=False)
        if proc.returncode == 0:
            out[path] = proc.stdout
    return out


@pytest.fixture(scope="module")
def scale_out(lab, artifacts_root):
    """The six-node lab converged, then r2-w3 added and site run again, then once more."""
    before, artifacts = converge("as_per_rack", artifacts_root)
    assert before.rc == 0, before.tail(120)
    # From here on the lab is not what converge() left: later tests converge again.
    lab_changed("as_per_rack + " + NEW)
    try:
        up = run([sys.executable, LAB, "up", "-i", INVENTORY, "-i", EXTRA], env=ENV)
        assert up.rc == 0, up.tail()
        fresh = host_files(NEW)
        added = run([SITE, "-i", EXTRA, "-e", "calico_artifacts_dir=" + artifacts], env=ENV)
        print("scale out (site with the added node): %.1f s" % added.seconds)
        yield {"fresh": fresh, "added": added, "artifacts": artifacts}
    finally:
        # The other tests know six nodes; the ToR neighbour left behind goes with their next push.
        run(["podman", "rm", "-f", "-t", "0", "calico-lab-" + NEW])


def test_the_added_node_converges(scale_out):
    added = scale_out["added"]
    assert added.rc == 0, added.tail(150)
    recap = added.recap
    assert NEW in recap and all(r["failed"] == 0 and r["unreachable"] == 0 for r in recap.values()), recap


def test_only_the_new_node_and_its_rack_tor_change(scale_out):
    added = scale_out["added"]
    assert added.rc == 0, "the scale-out run failed"
    changed = {host: r["changed"] for host, r in added.recap.items() if r["changed"]}
    # localhost: the controller's artifacts (plan.json, the renders, report.md) follow the plan.
    assert set(changed) - {"localhost"} == {NEW, "tor2a"}, "changed: %s\n%s" % (changed, added.changed_tasks())


def test_the_new_node_is_prepared_like_its_rack_mates(scale_out):
    assert scale_out["added"].rc == 0, "the scale-out run failed"
    assert scale_out["fresh"] == {}, "the new container already had the host role's files"
    prepared = host_files(NEW)
    assert "/etc/sysctl.d/90-calico.conf" in prepared and "/etc/nftables.d/onprem-calico.nft" in prepared, prepared
    assert prepared == host_files("r2-w2")  # the same drop-ins as an existing node of the rack
    assert podman_exec(NEW, "sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "1"


def test_its_sessions_are_established_on_both_ends(scale_out):
    assert scale_out["added"].rc == 0, "the scale-out run failed"
    assert bird_sessions(NEW) == {TOR_IP["tor2a"]: "Established"}
    assert router_sessions("tor2a").get(NEW_IP) == "Established"
    for tor in RACK_TORS["r1"]:  # the other rack's routers never hear of it
        assert NEW_IP not in router_sessions(tor), tor


def test_it_gets_every_block_and_its_block_reaches_the_other_rack(scale_out):
    assert scale_out["added"].rc == 0, "the scale-out run failed"
    routes = kernel_routes(NEW)
    assert routes[BLOCK[NEW]] == ["blackhole"]
    for other in EXISTING:
        # Same rack: reflected by the ToR with the owner as next hop; other rack: via the ToR.
        allowed = ([TOR_IP["tor2a"]], [RACK_IP[other]]) if RACK_OF[other] == "r2" else ([TOR_IP["tor2a"]],)
        assert routes.get(BLOCK[other]) in allowed, (other, routes)
    for node in ("r1-cp", "r1-w1", "r1-w2"):
        assert kernel_routes(node)[BLOCK[NEW]] == sorted(TOR_IP[t] for t in RACK_TORS["r1"]), node
    assert BLOCK[NEW] in router_routes("spine")
    result = ping("r1-cp", pod_address("r1-cp"), pod_address(NEW))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ttl=59" in result.stdout, result.stdout  # both nodes, both ToRs and the spine


def test_the_report_says_what_changed_where(scale_out):
    added = scale_out["added"]
    assert added.rc == 0, "the scale-out run failed"
    with open(os.path.join(scale_out["artifacts"], "report.md"), encoding="utf-8") as handle:
        report = handle.read()
    assert "**All 10 BGP sessions Established.**" in report
    section = report.split("## What changed where", 1)[1].split("\n## ", 1)[0]
    assert "`plan.previous.json`" in section
    assert "- **node r2-w3**: added: rack r2, 10.77.2.14, AS 65002, peers tor2a" in section, section
    assert "- **router tor2a**: neighbors: r2-w3 added" in section, section
    assert "- **rack r2**: nodes: r2-w3 added" in section, section
    for untouched in EXISTING + RACK_TORS["r1"]:
        assert "**node %s**" % untouched not in section and "**router %s**" % untouched not in section
    assert "Unchanged: 6 node(s), 2 router(s), 1 rack(s)." in section
    # The run's own summary says it too.
    assert "plan changes against plan.previous.json:" in added.output
    assert "router tor2a: neighbors: r2-w3 added" in added.output


def test_a_further_run_changes_nothing(scale_out):
    assert scale_out["added"].rc == 0, "the scale-out run failed"
    again = run([SITE, "--diff", "-i", EXTRA, "-e", "calico_artifacts_dir=" + scale_out["artifacts"]], env=ENV)
    assert again.rc == 0, again.tail(120)
    changed = {host: r["changed"] for host, r in again.recap.items() if r["changed"]}
    assert changed == {}, "second run changed: %s\n%s" % (changed, again.changed_tasks())
    print("no-op rerun with the added node: %.1f s" % again.seconds)
