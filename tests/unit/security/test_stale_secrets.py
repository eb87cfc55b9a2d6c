"""No stale secrets: after a BGP password is rotated or removed, no artifact and no FRR backup on
the router still holds the old one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_collections.onprem.calico.plugins.module_utils import frr_tor_config as ftc
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import Artifact, stale_secret_files
from ansible_collections.onprem.calico.plugins.plugin_utils.placeholders import placeholder

from testpaths import REPO

UPSTREAM_DIR = os.path.abspath(os.environ.get("CALICO_UPSTREAM_DIR") or os.path.join(REPO, "..", "shared", "upstream", "calico"))
OLD, NEW = "rotated-out-Secret-1", "current-Secret-2"


def render(artifacts, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "inventory/examples/tor-as-per-rack",
           "playbooks/render.yml", "-e", "calico_artifacts_dir=%s" % artifacts, "-e", "calico_manifest_mirror=%s" % UPSTREAM_DIR, *extra]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert OLD not in proc.stdout + proc.stderr and NEW not in proc.stdout + proc.stderr
    return proc.stdout


def files_holding(base, text):
    found = []
    for folder, _dirs, files in os.walk(base):
        for name in files:
            with open(os.path.join(folder, name), errors="replace") as handle:
                if text in handle.read():
                    found.append(os.path.relpath(os.path.join(folder, name), base))
    return found


def test_render_keeps_no_password_and_removes_the_secret_files_it_no_longer_writes(tmp_path):
    out = tmp_path / "artifacts"
    render(out, "-e", "calico_bgp_password=%s" % OLD)
    secret = out / "secrets" / "calico-bgp-password.yaml"
    assert secret.exists() and oct(secret.stat().st_mode & 0o777) == "0o600"
    # Artifacts are reviewed and published: the password is a placeholder, filled at apply time.
    assert files_holding(out, OLD) == []
    assert files_holding(out, placeholder("bgp_password"))
    render(out, "-e", "calico_bgp_password=%s" % NEW)
    assert files_holding(out, OLD) == [] and files_holding(out, NEW) == []
    (out / "notes.txt").write_text("an admin's note, mode 0644: not a secret of ours\n")
    render(out)  # the password removed from the inventory
    assert not secret.exists()
    assert files_holding(out, placeholder("bgp_password")) == []
    assert (out / "notes.txt").exists()
    again = render(out)
    assert "changed=0" in again


def test_stale_secret_files_are_the_0600_files_not_written(tmp_path):
    (tmp_path / "secrets").mkdir()
    for name, mode in (("secrets/old.yaml", 0o600), ("secrets/kept.yaml", 0o600), ("calico.yaml", 0o644)):
        (tmp_path / name).write_text("x")
        os.chmod(tmp_path / name, mode)
    os.symlink("/etc/hostname", tmp_path / "link")
    written = [Artifact("secrets/kept.yaml", "x", mode="0600", secret=True)]
    assert stale_secret_files(str(tmp_path), written) == ["secrets/old.yaml"]


class FakeFrr:
    """The FrrRouter calls apply_owned makes, with a running configuration that a reload replaces."""

    def __init__(self, running):
        self.running = running

    def running_config(self):
        return self.running

    def check_file(self, path):
        return None

    def reload_test(self, path):
        with open(path) as handle:
            candidate = handle.read()
        return ([], []) if candidate == self.running else ([], [(("router bgp 65001",), "neighbor CALICO-NODES password x")])

    def reload(self, path):
        with open(path) as handle:
            self.running = handle.read()


def frr_config(password):
    lines = ["router bgp 65001", " neighbor CALICO-NODES peer-group"]
    if password:
        lines.append(" neighbor CALICO-NODES password %s" % password)
    return "\n".join(lines + [" neighbor 10.1.1.11 peer-group CALICO-NODES", "exit", ""])


def test_frr_backups_with_a_rotated_out_password_are_purged(tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    # A backup of an unrelated earlier push, without any password: kept.
    (backups / "frr-20200101T000000.conf").write_text(frr_config(None))
    router = FakeFrr(frr_config(OLD))
    result = ftc.apply_owned(router, frr_config(NEW), "CALICO-", backup_dir=str(backups))
    assert result["changed"] is True and NEW in router.running
    assert result["backup_file"] is None, "the backup of this push held the old password"
    assert len(result["purged_backups"]) == 1
    assert files_holding(backups, OLD) == []
    assert sorted(os.listdir(backups)) == ["frr-20200101T000000.conf"]
    # The next push keeps its backup: it holds the current password only.
    result = ftc.apply_owned(router, frr_config(NEW).replace("10.1.1.11", "10.1.1.12"), "CALICO-", backup_dir=str(backups))
    assert result["backup_file"] and result["purged_backups"] == []
    assert json.dumps(result).count(NEW) == 0, "the password never leaves the module"
