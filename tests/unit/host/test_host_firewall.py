"""The plan's firewall rules as firewalld rich rules, and what firewalld and ufw hold from
onprem.calico that the plan no longer has (only ever what onprem.calico added)."""

from ansible_collections.onprem.calico.plugins.plugin_utils import host_firewall as hfw

BGP = {"name": "calico-bgp", "protocol": "tcp", "port": 179, "sources": ["10.0.1.0/24", "fd00:1::/64"]}
IPIP = {"name": "calico-ipip", "protocol": "ipip", "port": None, "sources": ["10.0.1.0/24"]}
VXLAN = {"name": "calico-vxlan", "protocol": "udp", "port": 4789, "sources": ["10.0.1.0/24"]}


def test_rich_rules_per_source_with_family_and_protocol_number():
    assert hfw.firewalld_rich_rules([BGP, IPIP], {"ipip": 4}) == [
        'rule family="ipv4" source address="10.0.1.0/24" port port="179" protocol="tcp" accept',
        'rule family="ipv6" source address="fd00:1::/64" port port="179" protocol="tcp" accept',
        'rule family="ipv4" source address="10.0.1.0/24" protocol value="4" accept',
    ]


def test_firewalld_stale_is_the_ledger_minus_what_is_wanted():
    ledger = {
        "rich_rules": [["public", "rule A"], ["public", "rule B"], ["internal", "rule A"]],
        "interfaces": [["trusted", "cali+"], ["trusted", "tunl0"]],
        "sources": [["trusted", "10.244.0.0/16"]],
    }
    wanted = {
        "rich_rules": [["public", "rule A"]],
        "interfaces": [["trusted", "cali+"]],
        "sources": [["trusted", "10.245.0.0/16"]],
    }
    assert hfw.firewalld_stale(ledger, wanted) == {
        # A rule moved to another zone is stale in the old one.
        "rich_rules": [["public", "rule B"], ["internal", "rule A"]],
        "interfaces": [["trusted", "tunl0"]],
        "sources": [["trusted", "10.244.0.0/16"]],
    }


def test_without_a_ledger_nothing_is_stale():
    # A host configured before the ledger existed: the role cannot tell its rules from the admin's.
    wanted = {"rich_rules": [["public", "rule A"]], "interfaces": [], "sources": []}
    assert hfw.firewalld_stale({}, wanted) == {"rich_rules": [], "interfaces": [], "sources": []}
    assert hfw.firewalld_stale(None, wanted)["rich_rules"] == []


def test_ufw_stale_takes_only_commented_rules_the_plan_no_longer_produces():
    added = """Added user rules (see 'ufw status' for running firewall):
ufw allow 22/tcp
ufw allow from 10.0.1.0/24 to any port 179 proto tcp comment 'onprem.calico calico-bgp'
ufw allow from 10.0.9.0/24 to any port 179 proto tcp comment 'onprem.calico calico-bgp'
ufw allow from 10.0.9.0/24 to any port 179 proto tcp comment 'my own bgp speaker'
ufw allow from 10.0.1.0/24 to any port 5473 proto tcp comment 'onprem.calico calico-typha'
ufw allow from 10.0.1.0/24 to any port 4789 proto udp comment 'onprem.calico calico-vxlan'
ufw allow from fd00:1::/64 to any port 179 proto tcp comment 'onprem.calico calico-bgp'
"""
    stale = hfw.ufw_stale(added, [BGP, IPIP, VXLAN])
    assert stale == [
        {"source": "10.0.9.0/24", "port": "179", "proto": "tcp", "name": "calico-bgp"},
        {"source": "10.0.1.0/24", "port": "5473", "proto": "tcp", "name": "calico-typha"},
    ]


def test_ufw_nothing_stale_when_the_host_matches_the_plan():
    lines = ["ufw allow from %s to any port %s proto %s comment 'onprem.calico %s'" % w
             for w in hfw.ufw_wanted([BGP, IPIP, VXLAN])]
    assert len(lines) == 3  # IPIP is not a ufw rule (before.rules block)
    assert hfw.ufw_stale(lines, [BGP, IPIP, VXLAN]) == []


def test_firewalld_wanted_has_the_ledger_shape_with_zones():
    wanted = hfw.firewalld_wanted([VXLAN], "public", ["10.244.0.0/16", "fd00:10:244::/56"], [{"port": 6443, "protocol": "tcp"}])
    assert wanted == {
        "rich_rules": [["public", rule] for rule in [
            'rule family="ipv4" source address="10.0.1.0/24" port port="4789" protocol="udp" accept',
            # Pods: the listed port, neighbour discovery for IPv6, then nothing else of the host.
            'rule priority="-2" family="ipv4" source address="10.244.0.0/16" port port="6443" protocol="tcp" accept',
            'rule priority="-2" family="ipv6" source address="fd00:10:244::/56" port port="6443" protocol="tcp" accept',
            'rule priority="-2" family="ipv6" source address="fd00:10:244::/56" protocol value="ipv6-icmp" accept',
            'rule priority="-1" family="ipv4" source address="10.244.0.0/16" drop',
            'rule priority="-1" family="ipv6" source address="fd00:10:244::/56" drop',
        ]],
        # Calico's interfaces have a zone file of their own; no zone gets a pod CIDR as a source.
        "interfaces": [],
        "sources": [],
    }
    # What is wanted is never stale.
    assert hfw.firewalld_stale(wanted, wanted) == {"rich_rules": [], "interfaces": [], "sources": []}


def test_trusted_zone_entries_of_earlier_runs_are_stale():
    # A ledger written before the calico zone existed: interfaces and pool sources in trusted.
    old = {"rich_rules": [], "interfaces": [["trusted", "cali+"]], "sources": [["trusted", "10.244.0.0/16"]]}
    stale = hfw.firewalld_stale(old, hfw.firewalld_wanted([], "public", ["10.244.0.0/16"], []))
    assert stale == {"rich_rules": [], "interfaces": [["trusted", "cali+"]], "sources": [["trusted", "10.244.0.0/16"]]}


def test_ufw_rules_are_what_the_stale_check_expects():
    assert hfw.ufw_rules([BGP, IPIP]) == [
        {"source": "10.0.1.0/24", "port": "179", "proto": "tcp", "name": "calico-bgp"},
        {"source": "fd00:1::/64", "port": "179", "proto": "tcp", "name": "calico-bgp"},
    ]
