# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Firewall rules of the plan in the shapes firewalld and ufw speak, and what to take back.

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


def firewalld_rich_rule(rule, source, protocol_numbers):
    family = "ipv6" if ":" in source else "ipv4"
    if rule["protocol"] in ("tcp", "udp"):
        match = 'port port="%s" protocol="%s"' % (rule["port"], rule["protocol"])
    else:
        match = 'protocol value="%s"' % protocol_numbers.get(rule["protocol"], rule["protocol"])
    return 'rule family="%s" source address="%s" %s accept' % (family, source, match)


def firewalld_rich_rules(rules, protocol_numbers=None):
    """Every (rule, source) of ``rules`` as a firewalld rich rule, in plan order."""
    protocol_numbers = protocol_numbers or {}
    return [firewalld_rich_rule(rule, source, protocol_numbers) for rule in rules for source in rule["sources"]]


def firewalld_wanted(rules, rule_zone, trusted_zone, trusted_interfaces, forward_cidrs, protocol_numbers=None):
    """What firewalld should hold for onprem.calico, each entry with its zone: the ledger's shape."""
    return {
        "rich_rules": [[rule_zone, rich] for rich in firewalld_rich_rules(rules, protocol_numbers)],
        "interfaces": [[trusted_zone, name] for name in trusted_interfaces],
        "sources": [[trusted_zone, cidr] for cidr in forward_cidrs],
    }


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
