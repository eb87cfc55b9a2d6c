# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a ToR advertises to its uplinks, checked against the rack's aggregates (rack pools).

Standard library only: used on FRR routers by the ``frr_uplink_routes`` module and on the
controller by the ``calico_verify_uplink_check`` filter for EOS, NX-OS and Junos.

The spine is not managed by the collection, so verification reads the sending side: the
routes the ToR advertises to each uplink neighbour must contain each rack aggregate of the
family and no more-specific prefix inside it (the site's export policy calls the owned
``CALICO-TO-UPLINKS``; docs/tor.md).

Uplinks are the router's BGP neighbours of the family that are not node sessions: neither a
planned node address nor inside one of the router's listen ranges (dynamic node peers).

Outputs parsed (one neighbour, one address family):
* FRR ``show bgp ipv4|ipv6 unicast neighbors <peer> advertised-routes json``
* EOS ``show ip|ipv6 bgp neighbors <peer> advertised-routes | json``
* NX-OS ``show ip bgp neighbors <peer> advertised-routes | json`` (IPv6: ``show bgp ipv6 unicast neighbors ...``)
* Junos ``show route advertising-protocol bgp <peer> | display json``
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.onprem.calico.plugins.module_utils.tor_bgp_sessions import ESTABLISHED, _address, _as_list, _junos_data


def _network(text):
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        return None


def _prefixes(texts, family):
    """The distinct networks of ``family`` among ``texts`` (anything else is dropped)."""
    out = set()
    for text in texts:
        net = _network(text)
        if net is not None and net.version == family:
            out.add(net)
    return out


def _nxos_prefixes(node, found):
    """Append every ``ipprefix`` / ``ipv6prefix`` value under an NX-OS JSON answer, at any depth,
    skipping VRFs other than default; returns ``found``."""
    if isinstance(node, list):
        for item in node:
            _nxos_prefixes(item, found)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("ipprefix", "ipv6prefix"):
                found.append(value)
            elif key == "ROW_vrf":
                _nxos_prefixes([vrf for vrf in _as_list(value) if vrf.get("vrf-name-out", "default") == "default"], found)
            else:
                _nxos_prefixes(value, found)
    return found


def parse_advertised(platform, answer, family):
    """The set of prefixes (``ipaddress`` networks of ``family``) in one advertised-routes answer."""
    answer = answer or {}
    if platform == "frr":
        texts = list((answer.get("advertisedRoutes") or {}).keys())
    elif platform == "eos":
        vrf = ((answer.get("vrfs") or {}).get("default")) or {}
        texts = list((vrf.get("bgpRouteEntries") or {}).keys())
    elif platform == "nxos":
        texts = _nxos_prefixes(answer, [])
    elif platform == "junos":
        texts = []
        for info in _as_list(answer.get("route-information")):
            for table in _as_list(info.get("route-table")):
                for route in _as_list(table.get("rt")):
                    destination = _junos_data(route, "rt-destination")
                    length = _junos_data(route, "rt-prefix-length")
                    if destination and length and "/" not in str(destination):
                        destination = "%s/%s" % (destination, length)
                    texts.append(destination)
    else:
        raise ValueError("unknown platform %r" % platform)
    return _prefixes(texts, family)


def advertised_command(platform, peer, family):
    """The read-only command whose answer ``parse_advertised`` reads."""
    if platform == "frr":
        return "show bgp %s unicast neighbors %s advertised-routes json" % ("ipv4" if family == 4 else "ipv6", peer)
    if platform == "eos" or (platform == "nxos" and family == 4):
        return "show %s bgp neighbors %s advertised-routes | json" % ("ip" if family == 4 else "ipv6", peer)
    if platform == "nxos":
        return "show bgp ipv6 unicast neighbors %s advertised-routes | json" % peer
    if platform == "junos":
        # One command for both families: parse_advertised keeps the family asked for.
        return "show route advertising-protocol bgp %s" % peer
    raise ValueError("unknown platform %r" % platform)


def uplink_peers(router, observed, family):
    """[(address, state)] of the router's uplinks of ``family``, sorted.

    ``router``: plan.tor_routers[name] (its ``neighbors`` and ``listen_ranges``).
    ``observed``: tor_bgp_sessions.parse_summary() output. A neighbour is an uplink when it is
    not a planned node address and lies in none of the router's listen ranges.
    """
    nodes = set()
    for neighbor in router.get("neighbors") or []:
        nodes.update(_address(a) for a in (neighbor.get("ip"), neighbor.get("ip6")) if a)
    ranges = [_network(r["prefix"]) for r in router.get("listen_ranges") or []]
    out = []
    for address, peer in observed.items():
        ip = _network(address)
        if ip is None or ip.version != family or address in nodes:
            continue
        if any(r is not None and r.version == family and ip.subnet_of(r) for r in ranges):
            continue
        out.append((address, peer.get("state")))
    return sorted(out, key=lambda item: ipaddress.ip_address(item[0]))


def check_uplink(aggregates, advertised):
    """(problems, row) for one uplink: each aggregate present, no more-specific of one.

    ``aggregates``: [ipaddress networks] of the uplink's family; ``advertised``: parse_advertised().
    """
    missing = sorted(str(a) for a in aggregates if a not in advertised)
    leaked = sorted((p for p in advertised if any(p != a and p.subnet_of(a) for a in aggregates)),
                    key=lambda net: (net.network_address, net.prefixlen))
    problems = []
    if missing:
        problems.append("aggregate %s not advertised" % ", ".join(missing))
    if leaked:
        shown = ", ".join(str(p) for p in leaked[:5]) + (" and %d more" % (len(leaked) - 5) if len(leaked) > 5 else "")
        problems.append("%d more-specific prefix(es) of the rack aggregate advertised: %s "
                        "(the uplink export policy must call CALICO-TO-UPLINKS, docs/tor.md)" % (len(leaked), shown))
    row = {"aggregates": sorted(str(a) for a in aggregates if a in advertised), "missing": missing,
           "specifics": [str(p) for p in leaked]}
    return problems, row


def check_router(router, observed, fetch_advertised):
    """What every Established uplink of a rack-pool router receives, per family.

    ``fetch_advertised(peer, family)`` returns the parsed advertised set (parse_advertised), or
    None when the router could not be asked for it.
    Returns ``{"uplinks": [{peer, family, state, aggregates, missing, specifics, problems}],
    "problems": [str]}``; a family with aggregates but no Established uplink is a problem of
    its own (the aggregate then reaches no spine).
    """
    uplinks, problems = [], []
    for family in (4, 6):
        aggregates = [_network(a["prefix"]) for a in router.get("aggregates") or [] if a["family"] == family]
        if not aggregates:
            continue
        peers = uplink_peers(router, observed, family)
        if not any(state == ESTABLISHED for _peer, state in peers):
            problems.append("no Established IPv%d uplink (BGP neighbours other than the rack's nodes: %s): "
                            "the rack aggregate %s reaches no spine" % (
                                family, ", ".join("%s %s" % (p, s) for p, s in peers) or "none",
                                ", ".join(str(a) for a in aggregates)))
        for peer, state in peers:
            if state != ESTABLISHED:
                uplinks.append({"peer": peer, "family": family, "state": state, "aggregates": [], "missing": [],
                                "specifics": [], "problems": []})
                continue
            advertised = fetch_advertised(peer, family)
            if advertised is None:  # the router did not answer for this uplink
                found, row = ["its advertised routes could not be read"], {"aggregates": [], "missing": [], "specifics": []}
            else:
                found, row = check_uplink(aggregates, advertised)
            row.update(peer=peer, family=family, state=state, problems=found)
            uplinks.append(row)
            problems += ["uplink %s: %s" % (peer, p) for p in found]
    return {"uplinks": uplinks, "problems": problems}


def wait_for_uplinks(fetch_summary, fetch_advertised, platform, router, timeout, interval=2.0, clock=None, sleep=None):
    """Poll until check_router() finds no problem or ``timeout`` s pass (the aggregate follows
    the first node route by a moment). Returns (result, seconds waited)."""
    import time

    from ansible_collections.onprem.calico.plugins.module_utils.tor_bgp_sessions import parse_summary

    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    start = clock()
    while True:
        result = check_router(router, parse_summary(platform, fetch_summary()), fetch_advertised)
        elapsed = clock() - start
        if not result["problems"] or elapsed >= timeout:
            return result, round(elapsed, 1)
        sleep(min(interval, max(timeout - elapsed, 0.1)))
