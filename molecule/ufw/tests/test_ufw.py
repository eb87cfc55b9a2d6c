"""ufw backend: the plan's ports as ufw rules, IPIP and forwarding in ufw's before.rules, all as
ufw and iptables report them live."""

import re


def test_ufw_lists_each_port_from_each_source(host, node, host_rules):
    status = host.check_output("ufw status verbose")
    assert "Status: active" in status
    port_rules = [r for r in host_rules if r["protocol"] in ("tcp", "udp")]
    assert port_rules
    for rule in port_rules:
        for source in rule["sources"]:
            pattern = r"^%s/%s\s+ALLOW IN\s+%s\s+# onprem.calico %s$" % (
                rule["port"], rule["protocol"], re.escape(source), re.escape(rule["name"]))
            assert re.search(pattern, status, re.M), (pattern, status)


def test_ufw_holds_exactly_the_plan_rules_of_onprem_calico(host, node, host_rules):
    # side_effect ran a plan with one more node subnet and then the scenario's plan again: the
    # rules of the extra subnet must be gone, and nothing of ours beyond the plan may remain.
    added = host.check_output("ufw show added").splitlines()
    ours = sorted(line for line in added if "comment 'onprem.calico " in line)
    expected = sorted("ufw allow from %s to any port %s proto %s comment 'onprem.calico %s'"
                      % (source, rule["port"], rule["protocol"], rule["name"])
                      for rule in host_rules if rule["protocol"] in ("tcp", "udp") for source in rule["sources"])
    assert ours == expected
    assert not any("10.0.99.0/24" in line for line in added)


def test_ip_protocol_rules_are_live_in_ufw_before_input(host, node, host_rules, plan):
    live = host.check_output("iptables -S ufw-before-input")
    other = [r for r in host_rules if r["protocol"] not in ("tcp", "udp")]
    assert [r["name"] for r in other] == ["calico-ipip"], "this scenario uses IPIP"
    for source in other[0]["sources"]:
        # iptables prints protocol 4 by its /etc/protocols name.
        assert re.search(r"-A ufw-before-input -s %s -p (4|ipencap) .*-j ACCEPT" % re.escape(source), live), live


def test_forwarded_pod_traffic_passes_ufw(host, node, plan):
    prep = plan["host_preparation"]
    live = host.check_output("iptables -S ufw-before-forward")
    for interface in prep["calico_interfaces"]:
        assert re.search(r"-A ufw-before-forward -i %s .*-j ACCEPT" % re.escape(interface), live), live
        assert re.search(r"-A ufw-before-forward -o %s .*-j ACCEPT" % re.escape(interface), live), live
    for cidr in prep["pod_cidrs"]:
        assert re.search(r"-A ufw-before-forward -s %s .*-j ACCEPT" % re.escape(cidr), live), live
        assert re.search(r"-A ufw-before-forward -d %s .*-j ACCEPT" % re.escape(cidr), live), live


def test_pods_reach_only_the_listed_host_ports_in_ufw(host, node, plan):
    live = host.check_output("iptables -S ufw-before-input")
    prep = plan["host_preparation"]
    assert prep["ports_from_pods"], "this scenario lists ports pods may reach"
    for cidr in (c for c in prep["pod_cidrs"] if ":" not in c):
        for port in prep["ports_from_pods"]:
            assert re.search(r"-A ufw-before-input -s %s -p %s .*--dport %d .*-j ACCEPT" % (
                re.escape(cidr), port["protocol"], port["port"]), live), live
        assert re.search(r"-A ufw-before-input -s %s .*other ports.* -j DROP" % re.escape(cidr), live), live


def test_forward_policy_left_to_the_admin(host, node):
    # The role opens what Calico needs; it does not switch ufw's default policies.
    assert "deny (routed)" in host.check_output("ufw status verbose")


def test_missing_ipip_was_only_a_warning_here(host, node, hostvars):
    assert hostvars["calico_host_kernel_check"] == "warn"
    assert host.file("/etc/sysctl.d/90-calico.conf").exists
