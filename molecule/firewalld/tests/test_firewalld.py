"""firewalld backend with NetworkManager running: rich rules, the trusted zone, the forward
policy, as firewall-cmd reports them live; NetworkManager's merged configuration and its view of
a Calico-named interface."""

import json
import re

import pytest


def rich_rules(host, zone=None):
    cmd = "firewall-cmd --list-rich-rules" + (" --zone=%s" % zone if zone else "")
    # firewall-cmd may print a notice about the default zone on stdout too.
    return [line for line in host.check_output(cmd).splitlines() if line.startswith("rule ")]


def expected_rich_rule(rule, source):
    family = "ipv6" if ":" in source else "ipv4"
    if rule["protocol"] in ("tcp", "udp"):
        what = 'port port="%s" protocol="%s"' % (rule["port"], rule["protocol"])
    else:
        what = 'protocol value="4"'
    return 'rule family="%s" source address="%s" %s accept' % (family, source, what)


def test_backend_was_detected_not_forced(hostvars):
    assert "calico_host_firewall_backend" not in hostvars


def test_default_zone_has_exactly_the_plan_rules_of_this_host(host, host_rules):
    live = rich_rules(host)
    expected = [expected_rich_rule(r, s) for r in host_rules for s in r["sources"]]
    assert sorted(live) == sorted(expected)


def test_the_ledger_lists_what_the_role_added(host, host_rules, node, plan):
    ledger = json.loads(host.file("/etc/firewalld/onprem-calico.json").content_string)
    zone = host.check_output("firewall-cmd --get-default-zone").strip()
    assert sorted(ledger["rich_rules"]) == sorted([zone, expected_rich_rule(r, s)] for r in host_rules for s in r["sources"])
    assert sorted(ledger["sources"]) == sorted(["trusted", c] for c in plan["host_preparation"]["forward_cidrs"])
    assert not any("10.0.99.0/24" in rule or "10.245.0.0/16" in rule for _zone, rule in ledger["rich_rules"] + ledger["sources"])


def test_runtime_equals_permanent(host):
    permanent = host.check_output("firewall-cmd --permanent --list-rich-rules").splitlines()
    assert sorted(rich_rules(host)) == sorted(line for line in permanent if line.startswith("rule "))


def test_etcd_port_only_on_etcd_hosts(host, hostvars):
    live = "\n".join(rich_rules(host))
    assert ('port="2379"' in live) == ("etcd" in hostvars["group_names"])
    assert ('port="179"' in live) == ("k8s_cluster" in hostvars["group_names"])


def test_trusted_zone_holds_calico_interfaces_and_pools(host, node, plan):
    prep = plan["host_preparation"]
    listing = host.check_output("firewall-cmd --list-all-zones")
    trusted = listing.split("\ntrusted")[1].split("\n\n")[0]
    interfaces = re.search(r"interfaces: (.*)", trusted).group(1).split()
    sources = re.search(r"sources: (.*)", trusted).group(1).split()
    assert sorted(interfaces) == sorted(prep["trusted_interfaces"])
    assert sorted(sources) == sorted(prep["forward_cidrs"])


def test_forward_policy_is_active(host, node):
    info = host.check_output("firewall-cmd --info-policy calico-forward")
    assert re.search(r"target: ACCEPT", info)
    assert re.search(r"ingress-zones: ANY", info)
    assert re.search(r"egress-zones: trusted", info)


def test_networkmanager_merges_our_unmanaged_devices(host, node, plan):
    config = host.check_output("NetworkManager --print-config")
    line = re.search(r"^unmanaged-devices=(.*)$", config, re.M).group(1)
    devices = re.split(r"[;,]", line)  # NetworkManager prints appended list items comma-separated
    assert "interface-name:eth0" in devices, "the prepare step's own entry survives (+= appends)"
    for spec in plan["host_preparation"]["networkmanager_unmanaged"]:
        assert spec in devices


def test_networkmanager_leaves_a_calico_interface_alone(host, node):
    host.run("ip link add cali0test type veth peer name cali0peer")
    try:
        state = host.check_output("nmcli -t -f DEVICE,STATE device status")
        assert re.search(r"^cali0test:unmanaged$", state, re.M), state
    finally:
        host.run("ip link del cali0test")


@pytest.mark.parametrize("zone_file", ["/etc/firewalld/policies/calico-forward.xml"])
def test_policy_file_only_on_nodes(host, hostvars, zone_file):
    assert host.file(zone_file).exists == ("k8s_cluster" in hostvars["group_names"])
