# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""BGP session state of a ToR from each platform's JSON summary, checked against the plan.

Standard library only: used on FRR routers by the ``frr_bgp_verify`` module and on the
controller by the ``tor_session_problems`` filter for EOS, NX-OS and Junos.

Summaries parsed:
* FRR ``show bgp summary json``
* EOS ``show ip bgp summary | json``
* NX-OS ``show ip bgp summary | json``
* Junos ``show bgp summary | display json``
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json

ESTABLISHED = "Established"


def vtysh_json(run_command, command, vtysh="vtysh", vty_socket=None):
    """One FRR show command's JSON answer; RuntimeError naming the command when vtysh fails."""
    argv = [vtysh] + (["--vty_socket", vty_socket] if vty_socket else []) + ["-c", command]
    rc, out, err = run_command(argv)
    if rc != 0:
        raise RuntimeError("vtysh -c '%s' failed (rc=%s): %s" % (command, rc, (err or out).strip()))
    return json.loads(out or "{}")


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _address(text):
    """'10.0.1.11', '*10.0.1.11' (FRR dynamic) or '10.0.1.11+179' (Junos) -> '10.0.1.11'."""
    text = str(text).lstrip("*").split("+", 1)[0].strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def _junos_data(entry, key):
    values = _as_list(entry.get(key))
    if not values:
        return None
    value = values[0]
    return value.get("data") if isinstance(value, dict) else value


def parse_summary(platform, summary):
    """{peer address: {"state": str, "asn": int|None}} from one platform's summary."""
    peers = {}
    if platform == "frr":
        for family in (summary or {}).values():
            if not isinstance(family, dict):
                continue
            for address, peer in (family.get("peers") or {}).items():
                entry = peers.setdefault(_address(address), {"state": peer.get("state"), "asn": peer.get("remoteAs")})
                if peer.get("state") != ESTABLISHED:
                    entry["state"] = peer.get("state")
    elif platform == "eos":
        for vrf_name, vrf in ((summary or {}).get("vrfs") or {}).items():
            if vrf_name != "default":
                continue
            for address, peer in (vrf.get("peers") or {}).items():
                peers[_address(address)] = {"state": peer.get("peerState"), "asn": _int(peer.get("asn"))}
    elif platform == "nxos":
        for vrf in _as_list(((summary or {}).get("TABLE_vrf") or {}).get("ROW_vrf")):
            if vrf.get("vrf-name-out", "default") != "default":
                continue
            for af in _as_list((vrf.get("TABLE_af") or {}).get("ROW_af")):
                for saf in _as_list((af.get("TABLE_saf") or {}).get("ROW_saf")):
                    for peer in _as_list((saf.get("TABLE_neighbor") or {}).get("ROW_neighbor")):
                        state = peer.get("state")
                        # NX-OS puts the received prefix count in "state" once Established.
                        if str(state).isdigit():
                            state = ESTABLISHED
                        peers[_address(peer.get("neighborid"))] = {"state": state, "asn": _int(peer.get("neighboras"))}
    elif platform == "junos":
        for info in _as_list((summary or {}).get("bgp-information")):
            for peer in _as_list(info.get("bgp-peer")):
                state = _junos_data(peer, "peer-state")
                if state == "Establ":
                    state = ESTABLISHED
                peers[_address(_junos_data(peer, "peer-address"))] = {
                    "state": state, "asn": _int(_junos_data(peer, "peer-as"))}
    else:
        raise ValueError("unknown platform %r" % platform)
    return peers


def parse_summaries(platform, summaries):
    """parse_summary() of one summary or of a list of them (EOS and NX-OS print the IPv6
    sessions in a summary of their own), each JSON text or data, merged."""
    peers = {}
    for one in summaries if isinstance(summaries, list) else [summaries]:
        if isinstance(one, str):
            one = json.loads(one or "{}")
        peers.update(parse_summary(platform, one))
    return peers


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def expected_sessions(neighbors, family=None):
    """One entry per session: a neighbour with ``ip6`` (dual stack) has an IPv6 session too.

    ``neighbors`` is plan.tor_routers[*].neighbors; ``family`` 4 or 6 keeps the sessions of
    that family only. The ToR renderers and every reader of the router side expand the
    plan's neighbours here, so they agree on what a router's sessions are.
    """
    sessions = []
    for neighbor in neighbors:
        if family in (None, 4):
            sessions.append({"node": neighbor["node"], "ip": neighbor["ip"], "asn": neighbor["asn"], "family": 4})
        if neighbor.get("ip6") and family in (None, 6):
            sessions.append({"node": neighbor["node"], "ip": neighbor["ip6"], "asn": neighbor["asn"], "family": 6})
    return sessions


def session_problems(expected, observed, check_asn=True, family=None):
    """One message per expected node session that is missing or not Established.

    ``expected``: [{node, ip, ip6, asn}] from plan.tor_routers[*].neighbors.
    ``observed``: parse_summary() output. Messages name the node and its address.
    """
    problems = []
    for neighbor in expected_sessions(expected, family):
        address = _address(neighbor["ip"])
        peer = observed.get(address)
        label = "%s (%s, AS %s)" % (neighbor["node"], address, neighbor["asn"])
        if peer is None:
            problems.append("%s: no BGP session configured on the router" % label)
        elif peer.get("state") != ESTABLISHED:
            problems.append("%s: session is %s, not Established" % (label, peer.get("state") or "unknown"))
        elif check_asn and peer.get("asn") is not None and int(peer["asn"]) != int(neighbor["asn"]):
            problems.append("%s: peer reports AS %s, the plan expects AS %s" % (label, peer["asn"], neighbor["asn"]))
    return problems


def summary_report(expected, observed):
    """Per session: node name, address, family, state (for a readable module result)."""
    report = []
    for neighbor in expected_sessions(expected):
        peer = observed.get(_address(neighbor["ip"])) or {}
        report.append({"node": neighbor["node"], "ip": neighbor["ip"], "asn": neighbor["asn"],
                       "family": neighbor["family"], "state": peer.get("state") or "missing"})
    return report


def wait_for_sessions(fetch_summary, platform, expected, timeout, interval=2.0, clock=None, sleep=None):
    """Poll ``fetch_summary()`` until every expected session is Established or ``timeout`` s pass.

    Returns (problems, report, seconds waited); problems is empty on success.
    """
    import time

    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    start = clock()
    while True:
        observed = parse_summary(platform, fetch_summary())
        problems = session_problems(expected, observed)
        elapsed = clock() - start
        if not problems or elapsed >= timeout:
            return problems, summary_report(expected, observed), round(elapsed, 1)
        sleep(min(interval, max(timeout - elapsed, 0.1)))
