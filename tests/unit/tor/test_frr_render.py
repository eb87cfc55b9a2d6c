"""FRR artifacts: content per design, secrets, and validity under the real `vtysh -C -f`."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from sample_plan import make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils import tor
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext, RenderError

VTYSH = shutil.which("vtysh")


def vtysh_check(tmp_path, text):
    path = tmp_path / "frr.conf"
    path.write_text(text)
    proc = subprocess.run([VTYSH, "-C", "-f", str(path)], capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def render_one(plan, router, secrets=None):
    artifacts = {a.path: a for a in tor.render(plan, RenderContext(secrets=secrets or {}))}
    return artifacts[f"tor/{router}.conf"]


@pytest.mark.skipif(VTYSH is None, reason="vtysh (Debian package frr) not installed")
@pytest.mark.parametrize("design,mode", [("as_per_rack", "explicit"), ("as_per_node", "explicit"),
                                         ("downward_default", "explicit"), ("as_per_rack", "listen_range"),
                                         ("as_per_node", "listen_range")])
def test_every_design_is_valid_frr(tmp_path, design, mode):
    plan = make_plan(design, neighbor_mode=mode, pool_v6="fd00:10:244::/56", password=True)
    text = render_one(plan, "tor1", {"bgp_password": "s3cret"}).content
    rc, out = vtysh_check(tmp_path, text)
    assert rc == 0, out


@pytest.mark.skipif(VTYSH is None, reason="vtysh (Debian package frr) not installed")
def test_vtysh_check_catches_a_broken_file(tmp_path):
    # Proves the check above can fail: one mistyped keyword is rejected.
    text = render_one(make_plan(), "tor1").content.replace("route-reflector-client", "route-reflector-clients")
    rc, out = vtysh_check(tmp_path, text)
    assert rc != 0 and "route-reflector-clients" in out


@pytest.mark.skipif(VTYSH is None, reason="vtysh (Debian package frr) not installed")
def test_example_inventory_tor_as_per_rack_renders_valid_frr(tmp_path, example_plan):
    plan = example_plan("tor-as-per-rack")
    artifacts = tor.render(plan, RenderContext())
    assert sorted(a.path for a in artifacts) == sorted(f"tor/{name}.conf" for name in plan["tor_routers"])
    for artifact in artifacts:
        rc, out = vtysh_check(tmp_path, artifact.content)
        assert rc == 0, (artifact.path, out)
        router = plan["tor_routers"][artifact.path[4:-5]]
        for neighbor in router["neighbors"]:
            assert f" neighbor {neighbor['ip']} peer-group CALICO-NODES\n" in artifact.content
            assert f" neighbor {neighbor['ip']} description {neighbor['node']}\n" in artifact.content
        assert f"router bgp {router['asn']}\n" in artifact.content
        assert f" bgp router-id {router['router_id']}\n" in artifact.content


def export_map(text):
    """The CALICO-TO-NODES entries as [(action seq, [body lines])]."""
    entries, current = [], None
    for line in text.splitlines():
        if line.startswith("route-map CALICO-TO-NODES "):
            current = (line.split(" ", 2)[2], [])
            entries.append(current)
        elif line == "exit":
            current = None
        elif current is not None:
            current[1].append(line.strip())
    return entries


def test_as_per_rack_reflects_node_routes_and_sets_next_hop_only_on_uplink_routes():
    text = render_one(make_plan("as_per_rack", send_default=True), "tor1").content
    assert " neighbor CALICO-NODES remote-as internal" in text
    assert "  neighbor CALICO-NODES route-reflector-client" in text
    # A blanket next-hop-self would also rewrite reflected node routes (hairpin via the ToR).
    assert "next-hop-self" not in text
    assert "bgp as-path access-list CALICO-RACK-LOCAL seq 5 permit ^$" in text
    assert export_map(text) == [
        ("permit 10", ["match ip address prefix-list CALICO-POOL-BLOCKS-V4", "match as-path CALICO-RACK-LOCAL"]),
        ("permit 20", ["match ip address prefix-list CALICO-POOL-BLOCKS-V4", "set ip next-hop peer-address"]),
        ("permit 30", ["match ip address prefix-list CALICO-DEFAULT-V4", "set ip next-hop peer-address"]),
        ("deny 1000", []),
    ]
    # ECMP limits are router-wide and govern the uplinks too: never rendered.
    assert "maximum-paths" not in text
    assert "allowas-in" not in text and "default-originate" not in text


def test_as_per_node_sends_pool_blocks_only_and_relaxes_multipath():
    text = render_one(make_plan("as_per_node"), "tor1").content
    assert " neighbor 10.0.1.11 remote-as 65011\n neighbor 10.0.1.11 peer-group CALICO-NODES" in text
    assert " neighbor 10.0.1.12 remote-as 65012" in text
    assert "route-reflector-client" not in text and "next-hop" not in text
    assert "allowas-in" not in text and "maximum-paths" not in text
    assert " bgp bestpath as-path multipath-relax\n" in text
    assert "  neighbor CALICO-NODES route-map CALICO-FROM-NODES in" in text
    assert "  neighbor CALICO-NODES route-map CALICO-TO-NODES out" in text
    # Without calico_tor_send_default the uplinks' default stays on the router.
    assert export_map(text) == [("permit 10", ["match ip address prefix-list CALICO-POOL-BLOCKS-V4"]),
                                ("deny 1000", [])]
    assert "CALICO-DEFAULT" not in text


def test_downward_default_passes_only_the_learned_default():
    text = render_one(make_plan("downward_default", pool_v6="fd00:10:244::/56"), "tor1").content
    # Never originated: a router that lost its uplinks must stop attracting traffic.
    assert "default-originate" not in text
    assert "ip prefix-list CALICO-DEFAULT-V4 seq 10 permit 0.0.0.0/0" in text
    assert "ipv6 prefix-list CALICO-DEFAULT-V6 seq 10 permit ::/0" in text
    assert export_map(text) == [("permit 10", ["match ip address prefix-list CALICO-DEFAULT-V4"]),
                                ("permit 20", ["match ipv6 address prefix-list CALICO-DEFAULT-V6"]),
                                ("deny 1000", [])]
    assert "POOL-BLOCKS" not in text and "multipath-relax" not in text
    assert "allowas-in" not in text


def test_inbound_filter_covers_pools_and_service_ranges_in_order():
    text = render_one(make_plan(pool_v6="fd00:10:244::/56"), "tor1").content
    lines = [line for line in text.splitlines() if "prefix-list CALICO-NODE-PREFIXES" in line and "permit" in line]
    assert lines == [
        "ip prefix-list CALICO-NODE-PREFIXES-V4 seq 10 permit 192.168.0.0/16 ge 26 le 32",
        "ip prefix-list CALICO-NODE-PREFIXES-V4 seq 20 permit 10.96.0.0/12 le 32",
        "ipv6 prefix-list CALICO-NODE-PREFIXES-V6 seq 10 permit fd00:10:244::/56 ge 122 le 128",
    ]


def test_dual_stack_has_separate_ipv6_sessions():
    text = render_one(make_plan(pool_v6="fd00:10:244::/56"), "tor1").content
    assert " neighbor fd00:0:1::b peer-group CALICO-NODES-V6\n neighbor fd00:0:1::b description node11" in text
    assert " neighbor 10.0.1.11 peer-group CALICO-NODES\n" in text
    # The IPv6 group carries IPv6 only; the IPv4 group IPv4 only.
    assert " address-family ipv4 unicast\n  no neighbor CALICO-NODES-V6 activate" in text
    assert " address-family ipv6 unicast\n  neighbor CALICO-NODES-V6 activate" in text
    assert "  neighbor CALICO-NODES activate" not in text


def test_listen_ranges_cover_every_rack_subnet_per_family():
    plan = make_plan("as_per_node", neighbor_mode="listen_range", pool_v6="fd00:10:244::/56")
    plan["tor_routers"]["tor2"]["listen_ranges"].insert(1, {"prefix": "10.0.20.0/24", "family": 4})
    text = render_one(plan, "tor2").content
    assert " bgp listen range 10.0.2.0/24 peer-group CALICO-NODES\n" in text
    assert " bgp listen range 10.0.20.0/24 peer-group CALICO-NODES\n" in text
    assert " bgp listen range fd00:0:2::/64 peer-group CALICO-NODES-V6\n" in text
    assert " bgp listen limit 64" in text
    assert " neighbor CALICO-NODES remote-as external" in text
    assert "neighbor 10.0.2.11" not in text


def test_ttl_security_on_both_families():
    text = render_one(make_plan(pool_v6="fd00:10:244::/56", ttl_security=True), "tor1").content
    assert " neighbor CALICO-NODES ttl-security hops 1\n" in text
    assert " neighbor CALICO-NODES-V6 ttl-security hops 1\n" in text
    assert "ttl-security" not in render_one(make_plan(), "tor1").content


def test_timers_and_graceful_restart_from_the_plan():
    plan = make_plan()
    plan["tor_routers"]["tor1"]["graceful_restart"] = {"restart_time": 90, "stalepath_time": 300}
    text = render_one(plan, "tor1").content
    assert " neighbor CALICO-NODES timers 3 9\n neighbor CALICO-NODES timers connect 5" in text
    assert " bgp graceful-restart restart-time 90" in text and " bgp graceful-restart stalepath-time 300" in text
    # FRR's own defaults are left out: FRR does not print them, so they would never converge.
    default = render_one(make_plan(), "tor1").content
    assert "graceful-restart" not in default


def test_password_makes_the_artifact_secret():
    plan = make_plan(password=True)
    artifact = render_one(plan, "tor1", {"bgp_password": "s3cret"})
    assert artifact.secret is True and artifact.mode == "0600"
    assert " neighbor CALICO-NODES password s3cret" in artifact.content
    plain = render_one(make_plan(), "tor1")
    assert plain.secret is False and plain.mode == "0644" and "password" not in plain.content


def test_password_enabled_without_password_is_a_clear_error():
    with pytest.raises(RenderError) as err:
        tor.render(make_plan(password=True), RenderContext())
    assert any("calico_bgp_password" in m and m.startswith("tor1:") for m in err.value.messages)
    assert any(m.startswith("tor2:") for m in err.value.messages)


def test_every_platform_is_rendered_in_one_pass():
    plan = make_plan(platforms=("frr", "eos", "nxos", "junos"), racks=4)
    artifacts = tor.render(plan, RenderContext())
    assert [a.path for a in artifacts] == ["tor/tor1.conf", "tor/tor2.conf", "tor/tor3.conf", "tor/tor4.conf"]
    assert artifacts[1].content.startswith("! tor2 (eos)") and artifacts[3].content.startswith("<configuration>")


def test_every_owned_object_carries_the_prefix():
    plan = make_plan("as_per_rack", pool_v6="fd00:10:244::/56", send_default=True)
    for router in plan["tor_routers"].values():
        router["object_prefix"] = "K8S-CALICO-"
    text = render_one(plan, "tor1").content
    for line in text.splitlines():
        words = line.split()
        if line.startswith(("ip prefix-list", "ipv6 prefix-list")):
            assert words[2].startswith("K8S-CALICO-"), line
        if line.startswith("route-map"):
            assert words[1].startswith("K8S-CALICO-"), line
        if line.startswith("bgp as-path access-list"):
            assert words[3].startswith("K8S-CALICO-"), line
    assert "CALICO-NODES" in text and " CALICO-NODES" not in text.replace("K8S-CALICO-NODES", "")


def test_render_is_deterministic():
    plan = make_plan("as_per_node", pool_v6="fd00:10:244::/56")
    first = [(a.path, a.content) for a in tor.render(plan, RenderContext())]
    assert first == [(a.path, a.content) for a in tor.render(make_plan("as_per_node", pool_v6="fd00:10:244::/56"),
                                                             RenderContext())]
    assert os.path.basename(first[0][0]) == "tor1.conf"
