"""calico_host_facts: os-release to Ansible's os_family names, systemctl show blocks to unit states,
ufw and nft outputs; and the module for real on this machine."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.onprem.calico.plugins.module_utils import host_facts as hf

from testpaths import REPO


@pytest.mark.parametrize("text, family", [
    ('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n', "Debian"),
    ('ID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n', "Debian"),
    ('ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n', "RedHat"),
    ('ID="almalinux"\nID_LIKE="rhel centos fedora"\n', "RedHat"),
    ('ID="rhel"\nVERSION_ID="9.4"\n', "RedHat"),
    ("ID=fedora\n", "RedHat"),
    ('ID="opensuse-leap"\nID_LIKE="suse opensuse"\n', "Suse"),
    ("ID=gentoo\n", "gentoo"),
    ("", "unknown"),
])
def test_os_family_follows_id_then_id_like(text, family):
    assert hf.os_family(hf.parse_os_release(text)) == family


def test_os_release_values_are_unquoted_and_comments_skipped():
    release = hf.parse_os_release("# comment\nNAME='Rocky Linux'\nID_LIKE=\"rhel centos fedora\"\nBROKEN\n")
    assert release == {"NAME": "Rocky Linux", "ID_LIKE": "rhel centos fedora"}


def test_systemctl_show_blocks_map_to_units_in_argument_order():
    out = ("Id=firewalld.service\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\n\n"
           "Id=ufw.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\n\n"
           "Id=nftables.service\nLoadState=loaded\nActiveState=active\nSubState=exited\nUnitFileState=enabled\n")
    units = hf.parse_systemctl_show(out, ["firewalld.service", "ufw.service", "nftables.service", "NetworkManager.service"])
    assert units["firewalld.service"]["running"] and units["firewalld.service"]["installed"]
    assert not units["ufw.service"]["installed"] and not units["ufw.service"]["active"]
    nft = units["nftables.service"]
    assert nft["enabled"] and nft["active"] and not nft["running"]
    # A unit systemctl said nothing about (no systemd) is not installed.
    assert units["NetworkManager.service"] == hf.describe_unit({})
    assert not units["NetworkManager.service"]["installed"]


def test_ufw_status_and_nft_tables():
    assert hf.ufw_active("Status: active\n\nTo Action From\n")
    assert not hf.ufw_active("Status: inactive\n")
    tables = "table inet filter\ntable inet onprem_calico\ntable ip nat\n"
    assert hf.nft_has_table(tables, "inet onprem_calico")
    assert hf.nft_has_table(tables, "inet  onprem_calico")
    assert not hf.nft_has_table(tables, "ip onprem_calico")
    assert not hf.nft_has_table("", "inet onprem_calico")


def test_module_on_this_machine(tmp_path):
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"units": ["no-such-unit-calico.service"],
                                                             "nft_table": "inet no_such_table_calico"}}))
    module = os.path.join(REPO, "plugins", "modules", "calico_host_facts.py")
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, ".collections"))
    proc = subprocess.run([sys.executable, module, str(args_file)], capture_output=True, text=True, env=env, check=False)
    result = json.loads(proc.stdout)
    assert result["changed"] is False, result
    with open("/etc/os-release") as handle:
        release = hf.parse_os_release(handle.read())
    assert result["distribution"] == release["ID"]
    assert result["os_family"] == hf.os_family(release)
    assert result["units"]["no-such-unit-calico.service"]["installed"] is False
    if shutil.which("nft") and os.geteuid() == 0:
        assert result["nft_table_present"] is False


def test_firewalld_default_zone_from_its_configuration():
    assert hf.firewalld_default_zone("# comment\nDefaultZone=internal\nCleanupOnExit=yes\n") == "internal"
    assert hf.firewalld_default_zone("DefaultZone=\n") == "public"
    assert hf.firewalld_default_zone("") == "public"
