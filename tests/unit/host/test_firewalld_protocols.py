"""firewalld rich rules for protocols other than tcp/udp, and a wanted set missing a kind.

firewalld.richlanguage(5): ``protocol value="..."`` takes a protocol name from /etc/protocols
or its number. The role passes numbers for the protocols whose /etc/protocols name is
misleading (protocol 4, IP-in-IP, is "ipencap" there; "ipip" is 94).
"""

from ansible_collections.onprem.calico.plugins.plugin_utils import host_firewall as hfw

IPIP = {"name": "calico-ipip", "protocol": "ipip", "port": None, "sources": ["10.0.1.0/24"]}
VRRP = {"name": "keepalived", "protocol": "vrrp", "port": None, "sources": ["10.0.1.0/24"]}


def test_a_protocol_without_a_number_goes_by_its_name():
    assert hfw.firewalld_rich_rules([VRRP], {"ipip": 4}) == [
        'rule family="ipv4" source address="10.0.1.0/24" protocol value="vrrp" accept']
    assert hfw.firewalld_rich_rules([IPIP]) == ['rule family="ipv4" source address="10.0.1.0/24" protocol value="ipip" accept']


def test_the_wanted_rules_use_the_protocol_numbers_given():
    wanted = hfw.firewalld_wanted([IPIP], "public", [], [], {"ipip": 4})
    assert wanted["rich_rules"] == [["public", 'rule family="ipv4" source address="10.0.1.0/24" protocol value="4" accept']]


def test_a_kind_the_wanted_set_does_not_name_is_all_stale():
    ledger = {"rich_rules": [["public", "rule a"]], "interfaces": [["trusted", "vxlan.calico"]], "sources": [["trusted", "10.244.0.0/16"]]}
    assert hfw.firewalld_stale(ledger, {"rich_rules": [["public", "rule a"]]}) == {
        "rich_rules": [], "interfaces": [["trusted", "vxlan.calico"]], "sources": [["trusted", "10.244.0.0/16"]]}
