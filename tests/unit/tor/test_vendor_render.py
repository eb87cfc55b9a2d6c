"""EOS / NX-OS / Junos artifacts through the vendors' resource modules (state: rendered).

One ansible-playbook run of ``roles/calico_tor/tasks/render.yml`` per scenario renders every
vendor router; each tor/<router>.conf is compared line by line with a reviewed fixture. The
first scenario renders the same plan for all four platforms (FRR through the Python renderer).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
from sample_plan import make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils import tor
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext
from ansible_collections.onprem.calico.plugins.plugin_utils.placeholders import fill_text, placeholder, render_secrets

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
FIXTURES = os.path.join(HERE, "fixtures")
PASSWORD = "s3cret-bgp"
PLAYBOOK = """
- name: Render ToR configurations
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Render every vendor router
      ansible.builtin.include_role:
        name: onprem.calico.calico_tor
        tasks_from: render.yml
"""

SCENARIOS = {
    # the same rack layout and design on all four platforms, with a BGP password
    "as_per_rack": dict(design="as_per_rack", platforms=("frr", "eos", "nxos", "junos"), password=True, racks=4),
    # eBGP per node with listen ranges and an IPv6 pool, vendors only
    "as_per_node_listen": dict(design="as_per_node", platforms=("eos", "nxos", "junos"), neighbor_mode="listen_range",
                               pool_v6="fd00:10:244::/56", racks=3),
}


def render_scenario(tmp_path, name):
    plan = make_plan(**SCENARIOS[name])
    plan["cluster"]["artifacts_dir"] = str(tmp_path / "artifacts")
    (tmp_path / "vars.json").write_text(json.dumps({"calico_plan": plan, "calico_bgp_password": PASSWORD}))
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
         str(tmp_path / "play.yml"), "-e", f"@{tmp_path / 'vars.json'}",
         "-e", f"ansible_python_interpreter={sys.executable}"],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    # Never in the play output, nor in the files (they hold a placeholder, filled at push time).
    assert PASSWORD not in proc.stdout + proc.stderr
    return plan, tmp_path / "artifacts" / "tor"


def assert_matches_fixture(path, fixture_name):
    expected = open(os.path.join(FIXTURES, fixture_name), encoding="utf-8").read().splitlines()
    # Fixtures show the configuration as pushed: the artifact with its password placeholder filled.
    actual = fill_text(path.read_text(), {"bgp_password": PASSWORD}).splitlines()
    for number, (want, got) in enumerate(zip(expected, actual), start=1):
        assert got == want, f"{path.name} line {number}: {got!r} != fixture {want!r}"
    assert len(actual) == len(expected), f"{path.name}: {len(actual)} lines, fixture has {len(expected)}"


@pytest.fixture(scope="module")
def as_per_rack(tmp_path_factory):
    return render_scenario(tmp_path_factory.mktemp("as_per_rack"), "as_per_rack")


@pytest.fixture(scope="module")
def as_per_node_listen(tmp_path_factory):
    return render_scenario(tmp_path_factory.mktemp("as_per_node_listen"), "as_per_node_listen")


def test_same_plan_on_all_four_platforms(as_per_rack):
    plan, tor_dir = as_per_rack
    platforms = {name: r["platform"] for name, r in plan["tor_routers"].items()}
    assert sorted(platforms.values()) == ["eos", "frr", "junos", "nxos"]
    # FRR comes from the Python renderer (the render action), vendors from render.yml.
    for artifact in tor.render(plan, RenderContext(secrets=render_secrets(plan))):
        (tor_dir / os.path.basename(artifact.path)).write_text(artifact.content)
    for name, platform in platforms.items():
        path = tor_dir / f"{name}.conf"
        assert_matches_fixture(path, f"as_per_rack-{platform}.conf")
        text = path.read_text()
        # Every platform carries the same decisions: AS, router id, node addresses, filter, password.
        router = plan["tor_routers"][name]
        assert str(router["asn"]) in text and router["router_id"] in text
        for neighbor in router["neighbors"]:
            assert neighbor["ip"] in text and neighbor["node"] in text
        assert "192.168.0.0/16" in text and "10.96.0.0/12" in text
        assert placeholder("bgp_password") in text and PASSWORD not in text
        assert "allowas" not in text.lower()


def test_vendor_artifacts_with_password_are_private(as_per_rack):
    tor_dir = as_per_rack[1]
    for path in tor_dir.iterdir():
        if path.name in ("tor2.conf", "tor3.conf", "tor4.conf"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_as_per_node_listen_range_on_vendors(as_per_node_listen):
    plan, tor_dir = as_per_node_listen
    for name, router in plan["tor_routers"].items():
        path = tor_dir / f"{name}.conf"
        assert_matches_fixture(path, f"as_per_node_listen-{router['platform']}.conf")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
