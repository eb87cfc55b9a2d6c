"""firewalld backend with NetworkManager running: rich rules, Calico's own zone, the forward
policy, as firewall-cmd reports them live; no zone trusts a pod address, and forwarded pod traffic
passes between zones; NetworkManager's merged configuration and its view of a Calico-named
interface."""

import ipaddress
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


def expected_pod_rules(plan, hostvars):
    """Written out here rather than taken from the role's code: what firewalld must hold for pods."""
    if hostvars["inventory_hostname"] not in plan["nodes"]:
        return []
    prep = plan["host_preparation"]
    rules = []
    for cidr in prep["pod_cidrs"]:
        family = "ipv6" if ":" in cidr else "ipv4"
        rules += ['rule priority="-2" family="%s" source address="%s" port port="%d" protocol="%s" accept'
                  % (family, cidr, p["port"], p["protocol"]) for p in prep["ports_from_pods"]]
        if family == "ipv6":
            rules.append('rule priority="-2" family="ipv6" source address="%s" protocol value="ipv6-icmp" accept' % cidr)
        rules.append('rule priority="-1" family="%s" source address="%s" drop' % (family, cidr))
    return rules


def test_backend_was_detected_not_forced(hostvars):
    assert "calico_host_firewall_backend" not in hostvars


def test_default_zone_has_exactly_the_plan_rules_of_this_host(host, host_rules, hostvars, plan):
    live = rich_rules(host)
    expected = [expected_rich_rule(r, s) for r in host_rules for s in r["sources"]] + expected_pod_rules(plan, hostvars)
    assert sorted(live) == sorted(expected)


def test_the_ledger_lists_what_the_role_added(host, host_rules, node, plan, hostvars):
    ledger = json.loads(host.file("/etc/firewalld/onprem-calico.json").content_string)
    zone = host.check_output("firewall-cmd --get-default-zone").strip()
    expected = [expected_rich_rule(r, s) for r in host_rules for s in r["sources"]] + expected_pod_rules(plan, hostvars)
    assert sorted(ledger["rich_rules"]) == sorted([zone, rule] for rule in expected)
    assert ledger["sources"] == [] and ledger["interfaces"] == []
    assert not any("10.0.99.0/24" in rule or "10.245.0.0/16" in rule for _zone, rule in ledger["rich_rules"])


def test_runtime_equals_permanent(host):
    permanent = host.check_output("firewall-cmd --permanent --list-rich-rules").splitlines()
    assert sorted(rich_rules(host)) == sorted(line for line in permanent if line.startswith("rule "))


def test_etcd_port_only_on_etcd_hosts(host, hostvars):
    live = "\n".join(rich_rules(host))
    assert ('port="2379"' in live) == ("etcd" in hostvars["group_names"])
    assert ('port="179"' in live) == ("k8s_cluster" in hostvars["group_names"])


def zone_info(host, zone):
    info = {}
    for line in host.check_output("firewall-cmd --info-zone=%s" % zone).splitlines()[1:]:
        key, _sep, value = line.strip().partition(":")
        info[key] = value.split()
    return info


def test_calico_zone_holds_calico_interfaces_and_rejects_the_rest(host, node, plan):
    prep = plan["host_preparation"]
    info = zone_info(host, "calico")
    assert sorted(info["interfaces"]) == sorted(prep["calico_interfaces"])
    assert info["target"] == ["default"], "the zone's default target rejects what it does not allow"
    assert info["ports"] == ["%d/%s" % (p["port"], p["protocol"]) for p in prep["ports_from_pods"]]
    assert info["sources"] == [] and info["services"] == []
    assert info["forward"] == ["yes"]


def test_no_zone_trusts_a_pod_address_or_a_calico_interface(host, node, plan):
    trusted = zone_info(host, "trusted")
    assert trusted["interfaces"] == [] and trusted["sources"] == [], trusted
    listing = host.check_output("firewall-cmd --list-all-zones")
    for cidr in plan["host_preparation"]["pod_cidrs"] + ["10.245.0.0/16"]:
        assert not re.search(r"sources: .*%s" % re.escape(cidr), listing), cidr


def test_forward_policy_is_active(host, node, plan):
    info = host.check_output("firewall-cmd --info-policy calico-forward")
    assert re.search(r"target: CONTINUE", info)
    assert re.search(r"ingress-zones: ANY", info)
    assert re.search(r"egress-zones: ANY", info)
    live = sorted(line.strip() for line in info.splitlines() if line.strip().startswith("rule "))
    expected = sorted('rule family="%s" %s address="%s" accept' % ("ipv6" if ":" in c else "ipv4", d, c)
                      for c in plan["host_preparation"]["pod_cidrs"] for d in ("source", "destination"))
    assert live == expected


def test_pod_traffic_is_forwarded_between_zones(host, node, plan):
    """A pod (behind a cali interface, calico zone) and an outside host (behind another link, the
    default zone) reach each other through the node, both ways, with a listener in each."""
    pod = str(ipaddress.ip_network(plan["host_preparation"]["pod_cidrs"][0])[9 * 256 + 9])
    outside = "198.51.100.9"
    made = []
    try:
        for name, host_side, address in (("fwdpod", "califwdpod", pod), ("fwdout", "fwdout-h", outside)):
            result = host.run(
                "ip netns add {ns} && ip link add {hs} type veth peer name {ns}-n && ip link set {ns}-n netns {ns} && "
                "ip link set {hs} up && ip -n {ns} link set {ns}-n up && ip -n {ns} link set lo up && "
                "ip -n {ns} addr add {addr}/32 dev {ns}-n && ip -n {ns} route add default dev {ns}-n && "
                "ip route add {addr}/32 dev {hs} && "
                # The namespaces route on-link, as pods do with Calico: the node answers ARP for
                # every address behind it (calico-node sets proxy_arp on cali* the same way).
                "echo 1 > /proc/sys/net/ipv4/conf/{hs}/proxy_arp".format(ns=name, hs=host_side, addr=address))
            made.append((name, host_side))
            assert result.rc == 0, result.stderr
        for server, client, address in (("fwdout", "fwdpod", outside), ("fwdpod", "fwdout", pod)):
            host.run("ip netns exec %s timeout 20 python3 -c \"import socket; s=socket.socket(); "
                     "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 8080)); s.listen(4); "
                     "s.accept()\" >/dev/null 2>&1 &" % server)
            waited = host.run("for i in $(seq 50); do ip netns exec %s ss -Hltn 'sport = :8080' | grep -q . && exit 0; "
                              "sleep 0.2; done; exit 1" % server)
            assert waited.rc == 0
            code = "import socket; socket.create_connection(('%s', 8080), timeout=3)" % address
            connected = host.run("ip netns exec %s python3 -c \"%s\"" % (client, code))
            assert connected.rc == 0, "%s -> %s not forwarded: %s" % (client, address, connected.stderr)
    finally:
        for name, host_side in made:
            host.run("ip netns del %s; ip link del %s" % (name, host_side))


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
