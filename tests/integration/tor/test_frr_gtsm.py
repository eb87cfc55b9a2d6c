"""TTL security (GTSM, calico_bgp_ttl_security) on real FRR and BIRD 2 in network namespaces.

One rack: the ToR (FRR, the collection's rendered configuration pushed by its push code), a
node on the rack subnet, and a second node two hops away behind a forwarding router. Both
nodes run BIRD 2 with ``ttl security yes`` (what calico-node gets from ``ttlSecurity`` on
its BGPPeer). iBGP (as_per_rack) is used on purpose: without GTSM an iBGP session crosses any
number of hops, so the far node reaching Established without GTSM and never with it is the
proof that the rendered ``ttl-security hops 1`` is what keeps it out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from lab import TIMERS

from netlab import NetLab

from ansible_collections.onprem.calico.plugins.modules import frr_tor_config
from ansible_collections.onprem.calico.plugins.plugin_utils.tor import router_config

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("bird") or not os.path.exists("/usr/lib/frr/bgpd"),
    reason="needs root, FRR and BIRD (make apt)",
)

ASN = 65001
TOR_IP, NEAR_IP, FAR_IP, MID_RACK_IP, MID_FAR_IP = "10.9.1.1", "10.9.1.11", "10.9.2.11", "10.9.1.254", "10.9.2.1"


def lab_plan(ttl_security):
    """A one-rack as_per_rack plan (shape of docs/plan.md) whose second node sits behind a router."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                    "unit", "tor"))
    from sample_plan import make_plan  # pylint: disable=import-outside-toplevel

    plan = make_plan("as_per_rack", platforms=("frr",), racks=1, timers=TIMERS, ttl_security=ttl_security)
    router = plan["tor_routers"]["tor1"]
    router["asn"], router["peer_ip"] = ASN, TOR_IP
    router["neighbors"] = [{"node": "near", "ip": NEAR_IP, "ip6": None, "asn": ASN},
                           {"node": "far", "ip": FAR_IP, "ip6": None, "asn": ASN}]
    return plan


def bird_node(address, multihop):
    return "\n".join([
        f"router id {address};",
        "protocol device { scan time 2; }",
        "protocol bgp tor { local %s as %d; neighbor %s as %d; %s ttl security yes; hold time %d; keepalive time %d; "
        "connect retry time %d; error wait time 1, 3; ipv4 { import all; export none; }; }"
        % (address, ASN, TOR_IP, ASN, "multihop;" if multihop else "direct;", TIMERS["hold"], TIMERS["keepalive"],
           TIMERS["connect_retry"]),
    ]) + "\n"


@pytest.fixture(scope="module")
def lab():
    netlab = NetLab("gtsm")
    try:
        netlab.add_switch("r1")
        for host in ("tor1", "near", "mid", "far"):
            netlab.add_host(host, forwarding=host == "mid")
        netlab.attach("tor1", "r1", f"{TOR_IP}/24")
        netlab.attach("near", "r1", f"{NEAR_IP}/24")
        netlab.attach("mid", "r1", f"{MID_RACK_IP}/24")
        netlab.link("mid", f"{MID_FAR_IP}/24", "far", f"{FAR_IP}/24")
        netlab.exec("far", "ip", "route", "add", "default", "via", MID_FAR_IP)
        netlab.exec("tor1", "ip", "route", "add", "10.9.2.0/24", "via", MID_RACK_IP)
        netlab.start_frr("tor1", f"frr defaults traditional\nhostname tor1\n!\nrouter bgp {ASN}\nexit\n!\n")
        netlab.start_bird("near", bird_node(NEAR_IP, multihop=False))
        netlab.start_bird("far", bird_node(FAR_IP, multihop=True))
        yield netlab
    finally:
        netlab.close()


def push(netlab, plan):
    def run(argv):
        proc = subprocess.run(netlab.exec_cmd("tor1") + list(argv), capture_output=True, text=True, timeout=60, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    params = {"state": "merged", "config": router_config(plan, "tor1"), "object_prefix": "CALICO-",
              "restore_from": None, "backup_dir": os.path.join(netlab.rundir("tor1"), "backups"), "keep_backups": 5,
              "config_file": "", "vtysh": "vtysh", "vty_socket": netlab.vty_socket("tor1"),
              "frr_reload": "/usr/lib/frr/frr-reload.py"}
    return frr_tor_config.run_module(params, run, check_mode=False)


def states(netlab):
    peers = netlab.vtysh_json("tor1", "show bgp summary json").get("ipv4Unicast", {}).get("peers", {})
    return {ip: peer["state"] for ip, peer in peers.items()}


def test_without_gtsm_the_far_node_peers_too(lab):
    push(lab, lab_plan(ttl_security=False))
    # BIRD insists on GTSM from its side, so the control needs it off there as well.
    lab.reconfigure_bird("near", bird_node(NEAR_IP, multihop=False).replace(" ttl security yes;", ""))
    lab.reconfigure_bird("far", bird_node(FAR_IP, multihop=True).replace(" ttl security yes;", ""))
    lab.wait_for(lambda: states(lab) == {NEAR_IP: "Established", FAR_IP: "Established"}, timeout=60,
                 what="both sessions Established without GTSM")


def test_with_gtsm_only_the_direct_node_peers(lab):
    result = push(lab, lab_plan(ttl_security=True))
    assert any("ttl-security hops 1" in line for line in result["lines_added"]), result["lines_added"]
    for node, address, multihop in (("near", NEAR_IP, False), ("far", FAR_IP, True)):
        lab.reconfigure_bird(node, bird_node(address, multihop))
        lab.birdc(node, "restart tor")  # a new session under the new TTL rules
    lab.wait_for(lambda: states(lab).get(NEAR_IP) == "Established", timeout=60, what="the direct node Established")
    # FRR applies GTSM to the running session without a reset: the far node's old session
    # ends when its packets stop passing (hold time).
    lab.wait_for(lambda: states(lab).get(FAR_IP) != "Established", timeout=4 * TIMERS["hold"],
                 what="the far node's old session to end")
    # Its packets arrive with TTL 254 and the kernel drops them (IP_MINTTL 255): it keeps
    # trying (connect retry 5 s) and never gets past Connect/Active. Watch several retries.
    seen = set()
    for _second in range(4 * TIMERS["connect_retry"]):
        seen.add(states(lab).get(FAR_IP))
        time.sleep(1)
    assert "Established" not in seen and "OpenConfirm" not in seen and "OpenSent" not in seen, seen
    assert states(lab)[NEAR_IP] == "Established"
    # BIRD's view of the old session lags FRR's until its own hold timer runs out; once it has,
    # the far node cannot get a session back either.
    lab.wait_for(lambda: "BGP state:          Established" not in lab.birdc("far", "show protocols all tor"),
                 timeout=4 * TIMERS["hold"], what="the far node's BIRD to see its session end")
