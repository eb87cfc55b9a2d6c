"""nftables backend: the role's own table in the live ruleset, as the plan says, loaded at boot."""

import json

TABLE = "onprem_calico"


def live_table(host):
    out = host.check_output("nft -j list table inet %s" % TABLE)
    return json.loads(out)["nftables"]


def test_backend_was_detected_not_forced(hostvars):
    assert "calico_host_firewall_backend" not in hostvars


def test_table_holds_every_plan_rule_with_its_sources(host, node, host_rules):
    objects = live_table(host)
    sets = {o["set"]["name"]: o["set"] for o in objects if "set" in o}
    rules = [o["rule"] for o in objects if "rule" in o]
    assert host_rules, "the plan gives this node rules"
    for plan_rule in host_rules:
        set_name = plan_rule["name"].replace("-", "_") + "_v4"
        elements = sets[set_name]["elem"]
        live = sorted("%s/%s" % (e["prefix"]["addr"], e["prefix"]["len"]) for e in elements)
        assert live == sorted(s for s in plan_rule["sources"] if ":" not in s)
        mine = [r for r in rules if r.get("comment", "") in (plan_rule["name"], plan_rule["name"] + ": other sources")]
        verdicts = [next(k for k in ("accept", "drop") if any(k in e for e in r["expr"])) for r in mine]
        assert verdicts == ["accept", "drop"], mine
        text = json.dumps(mine[0]["expr"])
        assert '"dport"' in text and str(plan_rule["port"]) in text and "@" + set_name in text


def test_table_survives_a_ruleset_flush_via_its_unit(host, node):
    unit = host.service("onprem-calico-nftables.service")
    assert unit.is_enabled
    assert unit.is_running or host.run("systemctl is-active onprem-calico-nftables.service").stdout.strip() == "active"
    # nftables.service starts with "flush ruleset"; the unit is PartOf it, so it loads the table again.
    assert host.run("systemctl restart nftables.service").rc == 0
    assert live_table(host)


def test_conntrack_size_is_persisted_even_if_read_only_here(host, node, plan):
    value = plan["host_preparation"]["sysctls"]["net.netfilter.nf_conntrack_max"]
    assert "net.netfilter.nf_conntrack_max=%s" % value in host.file("/etc/sysctl.d/90-calico.conf").content_string
