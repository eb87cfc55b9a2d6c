# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Firewall rules of the plan in the shapes firewalld and ufw speak, and what to take back.

Pods reach only the host ports the plan lists (``ports_from_pods``); everything else from a pod
address to the host is refused, and forwarded pod traffic passes on pod addresses, never through a
zone that accepts everything.

Controller-side, pure. The plan's ``host_preparation.firewall_rules`` is the only input: the role
adds what these functions list and removes what they call stale, so a source, port or zone the
plan no longer has does not stay open on the host. Only what onprem.calico added is ever removed:
ufw rules carry our comment; firewalld entries are recorded in a ledger file on the host, because
firewalld keeps no comment with a rich rule.
"""

from __future__ import annotations

import re

UFW_COMMENT_PREFIX = "onprem.calico "

# One line of `ufw show added` for a rule the role added (community.general.ufw with a comment).
_UFW_ADDED = re.compile(
    r"^ufw allow from (?P<source>\S+) to any port (?P<port>\d+) proto (?P<proto>tcp|udp)"
    r" comment '" + re.escape(UFW_COMMENT_PREFIX) + r"(?P<name>[^']*)'$")


def _family(address):
    return "ipv6" if ":" in address else "ipv4"


def firewalld_rich_rule(rule, source, protocol_numbers):
    family = _family(source)
    if rule["protocol"] in ("tcp", "udp"):
        match = 'port port="%s" protocol="%s"' % (rule["port"], rule["protocol"])
    else:
        match = 'protocol value="%s"' % protocol_numbers.get(rule["protocol"], rule["protocol"])
    return 'rule family="%s" source address="%s" %s accept' % (family, source, match)


def firewalld_rich_rules(rules, protocol_numbers=None):
    """Every (rule, source) of ``rules`` as a firewalld rich rule, in plan order."""
    protocol_numbers = protocol_numbers or {}
    return [firewalld_rich_rule(rule, source, protocol_numbers) for rule in rules for source in rule["sources"]]


def firewalld_pod_rich_rules(pod_cidrs, ports_from_pods):
    """Rich rules for the zone of the node's own interface: pods may reach ``ports_from_pods``
    and nothing else of the host, whichever way their packets arrive (a pod address on the
    physical interface is either a pod of a design without encapsulation or a spoofed one).
    Negative priorities run before the zone's services, ports and the plan's own rules."""
    accepts = ['rule priority="-2" family="%s" source address="%s" port port="%s" protocol="%s" accept'
               % (_family(cidr), cidr, port["port"], port["protocol"]) for cidr in pod_cidrs for port in ports_from_pods]
    # ICMPv6 carries neighbour discovery, without which an IPv6 pod reaches nothing.
    accepts += ['rule priority="-2" family="ipv6" source address="%s" protocol value="ipv6-icmp" accept' % cidr
                for cidr in pod_cidrs if ":" in cidr]
    drops = ['rule priority="-1" family="%s" source address="%s" drop' % (_family(cidr), cidr) for cidr in pod_cidrs]
    return accepts + drops


def firewalld_wanted(rules, rule_zone, pod_cidrs, ports_from_pods, protocol_numbers=None):
    """What firewalld should hold for onprem.calico in the admin's zone, each entry with its zone: the
    ledger's shape. Interfaces and sources are empty since Calico's interfaces have a zone file of
    their own; the kinds stay so that entries of older runs (the trusted zone) are taken back."""
    rich = firewalld_rich_rules(rules, protocol_numbers) + firewalld_pod_rich_rules(pod_cidrs, ports_from_pods)
    return {"rich_rules": [[rule_zone, rule] for rule in rich], "interfaces": [], "sources": []}


def firewalld_stale(ledger, wanted):
    """Entries the ledger says we added that ``wanted`` no longer has.

    Both are {"rich_rules": [[zone, rule]], "interfaces": [[zone, name]], "sources": [[zone, cidr]]};
    the result has the same shape and keeps the ledger's order.
    """
    ledger = ledger or {}
    stale = {}
    for kind in ("rich_rules", "interfaces", "sources"):
        keep = {tuple(entry) for entry in wanted.get(kind, [])}
        stale[kind] = [list(entry) for entry in ledger.get(kind, []) if tuple(entry) not in keep]
    return stale


def ufw_wanted(rules):
    """The (source, port, proto, name) of each ufw rule the role adds: tcp/udp rules only."""
    return [(source, str(rule["port"]), rule["protocol"], rule["name"])
            for rule in rules if rule["protocol"] in ("tcp", "udp") for source in rule["sources"]]


def ufw_rules(rules):
    """``ufw_wanted`` as {source, port, proto, name} dicts, for the role's add loop."""
    return [dict(zip(("source", "port", "proto", "name"), wanted)) for wanted in ufw_wanted(rules)]


def ufw_stale(added_lines, rules):
    """Rules of `ufw show added` that carry our comment but that ``rules`` no longer produce."""
    if isinstance(added_lines, str):
        added_lines = added_lines.splitlines()
    wanted = set(ufw_wanted(rules))
    stale = []
    for line in added_lines:
        found = _UFW_ADDED.match(line.strip())
        if found and (found["source"], found["port"], found["proto"], found["name"]) not in wanted:
            stale.append({"source": found["source"], "port": found["port"], "proto": found["proto"],
                          "name": found["name"]})
    return stale
