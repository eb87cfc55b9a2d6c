"""playbooks/tor.yml against a fake Juniper Junos device over NETCONF, through the real
``ansible.netcommon.netconf`` connection (ncclient over SSH) and the ``junipernetworks.junos``
netconf plugin.

The device (tests/fakes/netconf_server.py) holds a spine group with its own key and policy, an
older release's Calico policy and a retired node; it stores authentication keys as ``$9$`` with
a random salt, like Junos. Checked, with the exact RPC sequences the device recorded: lock,
read, load (owned objects only, update replace), commit check, compare, commit confirmed,
unlock, then the confirming commit after verification; a second run with ``changed=0``; a
changed password detected and pushed; check mode committing nothing and showing the diff with
every secret redacted; a failing commit check discarded and unlocked; a failed verification
rolled back at once. With rack pools (a second device whose uplink group exports
CALICO-TO-UPLINKS, with an aggregate route of the site's own): the rack aggregate pushed, a
rerun with ``changed=0``, a moved rack pool replacing the owned aggregate in one commit, rack
pools turned off refused while the uplinks still export the owned policy, then, once the site
has taken it out of its chain, every owned aggregate object removed and the site's left as
they were.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))

from netconf_server import FakeJunos, NetconfServer  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.onprem.calico.plugins.module_utils.junos_tor_config import decode_secret  # noqa: E402

PASSWORD = "netconf-bgp-s3cret"
NEW_PASSWORD = "netconf-bgp-r0tated"
SPINE_KEY = "spine-only-key"
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
RECAP_RE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
ACTIVE = """<configuration>
  <system><host-name>tor1</host-name></system>
  <routing-options>
    <router-id>10.255.0.1</router-id>
    <autonomous-system><as-number>65001</as-number></autonomous-system>
  </routing-options>
  <policy-options>
    <policy-statement><name>SPINE-POLICY</name><term><name>ALL</name><then><accept/></then></term></policy-statement>
    <policy-statement><name>CALICO-OLD-POLICY</name><term><name>ALL</name><then><reject/></then></term></policy-statement>
  </policy-options>
  <protocols>
    <bgp>
      <group>
        <name>SPINE</name><type>external</type><import>SPINE-POLICY</import>
        <authentication-key>%s</authentication-key>
        <neighbor><name>172.31.0.1</name><peer-as>65100</peer-as></neighbor>
      </group>
      <group>
        <name>CALICO-NODES</name><type>internal</type>
        <neighbor><name>10.0.1.99</name><description>retired-node</description></neighbor>
      </group>
    </bgp>
  </protocols>
</configuration>""" % SPINE_KEY
CONFIG_RPCS = ("lock", "unlock", "get-configuration", "load-configuration", "commit-configuration", "discard-changes")
PUSH = ["lock", "get-configuration", "load-configuration", "commit-configuration check",
        "get-configuration compare", "commit-configuration confirmed", "unlock"]
CONFIRM = ["lock", "commit-configuration", "unlock"]


@pytest.fixture(scope="module")
def server():
    srv = NetconfServer(FakeJunos(ACTIVE))
    try:
        yield srv
    finally:
        srv.close()


def write_inventory(tmp_path, port, password=PASSWORD, **cluster):
    nodes = {"n11": "10.0.1.11", "n12": "10.0.1.12"}
    data = {"all": {
        "vars": {"calico_cluster_name": "netconf", "calico_pod_cidr": "10.244.0.0/16", "calico_encapsulation": "none",
                 "calico_bgp_mode": "tor", "calico_tor_design": "as_per_rack", "calico_bgp_password": password,
                 "calico_artifacts_dir": str(tmp_path / "artifacts"),
                 "calico_racks": {"r1": {"asn": 65001, "subnets": ["10.0.1.0/24"], "tor_routers": ["tor1"]}},
                 **cluster},
        "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
        "children": {
            "k8s_cluster": {"children": {"kube_control_plane": {"hosts": {"n11": None}},
                                         "kube_node": {"hosts": {"n12": None}}},
                            "hosts": {n: {"calico_node_ip": ip, "calico_rack": "r1"} for n, ip in nodes.items()}},
            "tor_routers": {"hosts": {"tor1": {
                "calico_tor_platform": "junos", "calico_tor_asn": 65001, "calico_tor_router_id": "10.255.0.1",
                "calico_tor_peer_ip": "10.0.1.1",
                "ansible_connection": "ansible.netcommon.netconf", "ansible_network_os": "junipernetworks.junos.junos",
                "ansible_host": "127.0.0.1", "ansible_port": port, "ansible_user": "admin",
                "ansible_password": "admin", "ansible_host_key_checking": False,
                "ansible_python_interpreter": sys.executable,
                "calico_tor_verify_timeout": 4, "calico_tor_verify_delay": 1}}},
        },
    }}
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def run_playbook(inventory, *args, secrets=(PASSWORD, NEW_PASSWORD, SPINE_KEY)):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "-i", inventory, os.path.join(REPO, "playbooks", "tor.yml"), *args],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    for secret in secrets:
        assert secret not in out
    assert "$9$" not in out  # the encoded form is reversible: as secret as the clear text
    recap = {m.group(1): {"changed": int(m.group(3)), "failed": int(m.group(5))} for m in RECAP_RE.finditer(proc.stdout)}
    return proc, recap


def label(rpc):
    tag, attributes, text = rpc
    for word in ("check", "confirmed"):
        if tag == "commit-configuration" and "<%s" % word in text:
            return "%s %s" % (tag, word)
    if attributes.get("compare"):
        return tag + " compare"
    if attributes.get("rollback"):
        return tag + " rollback"
    return tag


def config_rpcs(device, since=0):
    return [label(rpc) for rpc in device.rpcs[since:] if rpc[0] in CONFIG_RPCS]


def owned_group(device):
    return next(g for g in device.active.iterfind("protocols/bgp/group") if g.findtext("name") == "CALICO-NODES")


def foreign(device):
    """Everything outside the owned objects, as text."""
    return [ET.tostring(e, encoding="unicode") for e in (
        device.active.find("system"), device.active.find("routing-options"),
        next(p for p in device.active.iterfind("policy-options/policy-statement") if p.findtext("name") == "SPINE-POLICY"),
        next(g for g in device.active.iterfind("protocols/bgp/group") if g.findtext("name") == "SPINE"))]


def test_check_mode_commits_nothing_and_redacts_every_secret(server, tmp_path):  # pylint: disable=redefined-outer-name
    device = server.device
    before = ET.tostring(device.active, encoding="unicode")
    proc, recap = run_playbook(write_inventory(tmp_path, server.port), "--check", "--diff")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert recap["tor1"]["changed"] >= 1
    assert config_rpcs(device) == ["lock", "get-configuration", "load-configuration", "commit-configuration check",
                                   "get-configuration compare", "discard-changes", "unlock"]
    assert ET.tostring(device.active, encoding="unicode") == before
    assert '\n+            authentication-key <redacted>; ## SECRET-DATA' in proc.stdout
    assert "\n-            neighbor 10.0.1.99 {" in proc.stdout  # the retired node's removal is shown
    assert "\n+            neighbor 10.0.1.12 {" in proc.stdout


def test_push_loads_only_owned_objects_commits_confirmed_then_confirms(server, tmp_path):
    device = server.device
    untouched = foreign(device)
    start = len(device.rpcs)
    proc, recap = run_playbook(write_inventory(tmp_path, server.port))
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert recap["tor1"]["changed"] >= 1 and recap["tor1"]["failed"] == 0
    assert config_rpcs(device, start) == PUSH + CONFIRM
    load = next(rpc for rpc in device.rpcs[start:] if rpc[0] == "load-configuration")
    assert load[1] == {"action": "replace", "format": "xml"}
    loaded = ET.fromstring(load[2]).find("configuration")
    assert [child.tag for child in loaded] == ["policy-options", "protocols"]
    objects = list(loaded.find("policy-options")) + list(loaded.find("protocols/bgp"))
    for element in objects:
        assert element.findtext("name").startswith("CALICO-")
        assert element.get("replace") == "replace" or element.get("delete") == "delete"
    assert {e.findtext("name") for e in objects if e.get("delete")} == {"CALICO-OLD-POLICY"}
    confirmed = next(rpc for rpc in device.rpcs[start:] if label(rpc) == "commit-configuration confirmed")
    assert "<confirm-timeout>5</confirm-timeout>" in confirmed[2]
    assert device.pending_confirm is None  # the confirming commit came after verification
    assert foreign(device) == untouched
    group = owned_group(device)
    assert [n.findtext("name") for n in group.iterfind("neighbor")] == ["10.0.1.11", "10.0.1.12"]
    assert "CALICO-OLD-POLICY" not in ET.tostring(device.active, encoding="unicode")
    assert decode_secret(group.findtext("authentication-key")) == PASSWORD


def test_second_run_changes_nothing(server, tmp_path):
    device = server.device
    stored = owned_group(device).findtext("authentication-key")
    start = len(device.rpcs)
    proc, recap = run_playbook(write_inventory(tmp_path, server.port))
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert recap["tor1"]["changed"] == 0, proc.stdout[-3000:]
    assert config_rpcs(device, start) == ["lock", "get-configuration", "load-configuration", "commit-configuration check",
                                          "get-configuration compare", "discard-changes", "unlock"]
    assert owned_group(device).findtext("authentication-key") == stored  # loaded as the router keeps it


def test_changed_password_is_detected_and_pushed(server, tmp_path):
    device = server.device
    start = len(device.rpcs)
    proc, recap = run_playbook(write_inventory(tmp_path, server.port, password=NEW_PASSWORD), "--diff")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert recap["tor1"]["changed"] >= 1
    assert config_rpcs(device, start) == PUSH + CONFIRM
    assert "\n+            authentication-key <redacted>; ## SECRET-DATA" in proc.stdout
    assert decode_secret(owned_group(device).findtext("authentication-key")) == NEW_PASSWORD
    proc, recap = run_playbook(write_inventory(tmp_path, server.port, password=NEW_PASSWORD))
    assert recap["tor1"]["changed"] == 0, proc.stdout[-3000:]


def test_failing_commit_check_discards_and_unlocks(server, tmp_path):
    device = server.device
    before = ET.tostring(device.active, encoding="unicode")
    device.fail_commit_check = "error: [edit protocols bgp group CALICO-NODES] prefix-limit out of range"
    start = len(device.rpcs)
    proc, recap = run_playbook(write_inventory(tmp_path, server.port, password=NEW_PASSWORD,
                                               calico_tor_maximum_prefix=5000))
    assert proc.returncode != 0 and recap["tor1"]["failed"] == 1
    assert config_rpcs(device, start) == ["lock", "get-configuration", "load-configuration",
                                          "commit-configuration check", "discard-changes", "unlock"]
    assert "prefix-limit out of range" in proc.stdout and "nothing was committed" in proc.stdout
    assert ET.tostring(device.active, encoding="unicode") == before
    assert ET.tostring(device.candidate, encoding="unicode") == before
    assert not device.locked


def test_failed_verification_rolls_back_at_once(server, tmp_path):
    device = server.device
    before = ET.tostring(device.active, encoding="unicode")
    device.peer_states["10.0.1.12"] = "Active"
    start = len(device.rpcs)
    try:
        proc, recap = run_playbook(write_inventory(tmp_path, server.port, password=NEW_PASSWORD,
                                                   calico_tor_maximum_prefix=5000))
    finally:
        device.peer_states.clear()
    assert proc.returncode != 0 and recap["tor1"]["failed"] == 1
    assert "n12 (10.0.1.12, AS 65001): session is Active" in proc.stdout
    assert "previous configuration was restored" in proc.stdout, proc.stdout[-3000:]
    assert config_rpcs(device, start) == PUSH + ["lock", "load-configuration rollback", "commit-configuration", "unlock"]
    assert ET.tostring(device.active, encoding="unicode") == before
    assert device.pending_confirm is None


def test_another_as_stops_before_anything_is_loaded(server, tmp_path):
    device = server.device
    start = len(device.rpcs)
    racks = {"r1": {"asn": 65009, "subnets": ["10.0.1.0/24"], "tor_routers": ["tor1"]}}
    proc, recap = run_playbook(write_inventory(tmp_path, server.port, password=NEW_PASSWORD, calico_racks=racks),
                               "-e", "calico_tor_asn=65009")
    assert proc.returncode != 0 and recap["tor1"]["failed"] == 1
    assert "the router runs AS 65001 but the plan says AS 65009" in proc.stdout
    assert config_rpcs(device, start) == ["lock", "get-configuration", "unlock"]


# --- rack pools: the rack aggregate under ownership (issue 17) ------------------------------

RACK_POOL_ACTIVE = """<configuration>
  <routing-options>
    <router-id>10.255.0.1</router-id>
    <autonomous-system><as-number>65001</as-number></autonomous-system>
    <aggregate><route><name>10.99.0.0/16</name><policy>SITE-AGGREGATE</policy></route></aggregate>
  </routing-options>
  <policy-options>
    <policy-statement><name>SITE-AGGREGATE</name><term><name>ALL</name><then><accept/></then></term></policy-statement>
    <policy-statement><name>SITE-OUT</name><term><name>ALL</name><then><accept/></then></term></policy-statement>
  </policy-options>
  <protocols>
    <bgp>
      <group>
        <name>SPINE</name><type>external</type><export>CALICO-TO-UPLINKS</export><export>SITE-OUT</export>
        <neighbor><name>172.31.0.1</name><peer-as>65100</peer-as></neighbor>
      </group>
    </bgp>
  </protocols>
</configuration>"""


@pytest.fixture(scope="module")
def rack_pool_server():
    srv = NetconfServer(FakeJunos(RACK_POOL_ACTIVE))
    try:
        yield srv
    finally:
        srv.close()


def rack_pool_inventory(tmp_path, port, index):
    racks = {"r1": {"asn": 65001, "subnets": ["10.0.1.0/24"], "tor_routers": ["tor1"], "index": index}}
    return write_inventory(tmp_path, port, calico_racks=racks, calico_rack_pool_prefix_length=22)


def aggregate_routes(device):
    return {r.findtext("name"): [p.text for p in r.findall("policy")] for r in device.active.iterfind("routing-options/aggregate/route")}


def site_objects(device):
    """The site's own objects the rack-pool push must leave as they are, as text."""
    policies = [p for p in device.active.iterfind("policy-options/policy-statement") if not p.findtext("name").startswith("CALICO-")]
    groups = [g for g in device.active.iterfind("protocols/bgp/group") if g.findtext("name") == "SPINE"]
    return [ET.tostring(e, encoding="unicode") for e in policies + groups]


def test_rack_pool_aggregate_pushed_rerun_unchanged_then_replaced_when_the_rack_moves(rack_pool_server, tmp_path):
    device = rack_pool_server.device
    site = site_objects(device)
    start = len(device.rpcs)
    proc, recap = run_playbook(rack_pool_inventory(tmp_path, rack_pool_server.port, index=0))
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert recap["tor1"]["changed"] >= 1
    assert config_rpcs(device, start) == PUSH + CONFIRM
    assert aggregate_routes(device) == {"10.99.0.0/16": ["SITE-AGGREGATE"], "10.244.0.0/22": ["CALICO-RACK-AGGREGATE"]}

    start = len(device.rpcs)
    proc, recap = run_playbook(rack_pool_inventory(tmp_path, rack_pool_server.port, index=0))
    assert recap["tor1"]["changed"] == 0, proc.stdout[-3000:]
    assert config_rpcs(device, start) == ["lock", "get-configuration", "load-configuration", "commit-configuration check",
                                          "get-configuration compare", "discard-changes", "unlock"]

    # The rack's pool moves (another index): the old aggregate goes, the new one comes, in one commit.
    start = len(device.rpcs)
    proc, recap = run_playbook(rack_pool_inventory(tmp_path, rack_pool_server.port, index=2), "--diff")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert config_rpcs(device, start) == PUSH + CONFIRM
    load = next(rpc for rpc in device.rpcs[start:] if rpc[0] == "load-configuration")
    routes = [(r.findtext("name"), r.get("replace") or r.get("delete")) for r in ET.fromstring(load[2]).iter("route")]
    assert routes == [("10.244.8.0/22", "replace"), ("10.244.0.0/22", "delete")]
    assert "\n-        route 10.244.0.0/22 {" in proc.stdout and "\n+        route 10.244.8.0/22 {" in proc.stdout
    assert aggregate_routes(device) == {"10.99.0.0/16": ["SITE-AGGREGATE"], "10.244.8.0/22": ["CALICO-RACK-AGGREGATE"]}
    assert site_objects(device) == site

    proc, recap = run_playbook(rack_pool_inventory(tmp_path, rack_pool_server.port, index=2))
    assert recap["tor1"]["changed"] == 0, proc.stdout[-3000:]


def test_rack_pools_off_while_the_uplinks_still_export_the_owned_policy_stops_before_the_load(rack_pool_server, tmp_path):
    device = rack_pool_server.device
    before = ET.tostring(device.active, encoding="unicode")
    start = len(device.rpcs)
    proc, recap = run_playbook(write_inventory(tmp_path, rack_pool_server.port))
    assert proc.returncode != 0 and recap["tor1"]["failed"] == 1
    assert "group SPINE export names CALICO-TO-UPLINKS" in proc.stdout, proc.stdout[-3000:]
    assert config_rpcs(device, start) == ["lock", "get-configuration", "unlock"]
    assert ET.tostring(device.active, encoding="unicode") == before


def test_rack_pools_off_remove_every_owned_aggregate_object_and_nothing_else(rack_pool_server, tmp_path):
    device = rack_pool_server.device
    spine = next(g for g in device.active.iterfind("protocols/bgp/group") if g.findtext("name") == "SPINE")
    spine.remove(spine.find("export"))  # the site takes CALICO-TO-UPLINKS out of its chain first
    device.candidate = copy.deepcopy(device.active)
    site = site_objects(device)
    start = len(device.rpcs)
    proc, recap = run_playbook(write_inventory(tmp_path, rack_pool_server.port))
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert config_rpcs(device, start) == PUSH + CONFIRM
    assert aggregate_routes(device) == {"10.99.0.0/16": ["SITE-AGGREGATE"]}
    owned = sorted(p.findtext("name") for p in device.active.iterfind("policy-options/policy-statement")
                   if p.findtext("name").startswith("CALICO-"))
    assert "CALICO-TO-UPLINKS" not in owned and "CALICO-RACK-AGGREGATE" not in owned and owned
    assert site_objects(device) == site
    proc, recap = run_playbook(write_inventory(tmp_path, rack_pool_server.port))
    assert recap["tor1"]["changed"] == 0, proc.stdout[-3000:]
