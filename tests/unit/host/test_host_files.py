"""calico_host_files: several whole files in one pass; content, mode and owner compared; every
changed file staged and checked before the first one is replaced, so a failed check changes
nothing; and the module for real (as Ansible runs it), with nft's own check of a table."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.onprem.calico.plugins.module_utils import host_files as hf

from testpaths import REPO

NFT = shutil.which("nft") or "/usr/sbin/nft"


def mode_of(path):
    return os.stat(path).st_mode & 0o7777


def test_a_fresh_host_gets_every_file_with_its_mode_and_a_rerun_changes_nothing(tmp_path):
    modules = tmp_path / "etc" / "modules-load.d" / "calico.conf"
    secret = tmp_path / "etc" / "calico" / "bgp.key"
    wanted = [{"path": str(modules), "content": "ipip\nvxlan\n"},
              {"path": str(secret), "content": "s3cret\n", "mode": "0600"}]
    found = hf.assess(wanted)
    assert [e["changed"] for e in found] == [True, True]
    hf.apply(found)
    assert modules.read_text() == "ipip\nvxlan\n" and secret.read_text() == "s3cret\n"
    assert (mode_of(modules), mode_of(secret)) == (0o644, 0o600)
    # Directories the module made are 0755, and nothing staged is left next to the files.
    assert mode_of(modules.parent) == 0o755 and mode_of(secret.parent) == 0o755
    assert sorted(os.listdir(secret.parent)) == ["bgp.key"]
    assert [e["changed"] for e in hf.assess(wanted)] == [False, False]


def test_only_the_files_that_differ_are_rewritten(tmp_path):
    same, other = tmp_path / "same.conf", tmp_path / "other.conf"
    for path in (same, other):
        path.write_text("old\n")
        path.chmod(0o644)
    before_inode = os.stat(same).st_ino
    found = hf.assess([{"path": str(same), "content": "old\n"}, {"path": str(other), "content": "new\n"}])
    assert [e["changed"] for e in found] == [False, True]
    hf.apply(found)
    assert os.stat(same).st_ino == before_inode and other.read_text() == "new\n"
    (diff,) = hf.diffs(found)
    assert (diff["before_header"], diff["before"], diff["after"]) == (str(other), "old\n", "new\n")


def test_same_content_with_a_loose_mode_is_a_change_shown_as_such(tmp_path):
    path = tmp_path / "calico.conf"
    path.write_text("ipip\n")
    path.chmod(0o666)
    found = hf.assess([{"path": str(path), "content": "ipip\n"}])
    assert found[0]["changed"]
    (diff,) = hf.diffs(found)
    owner = "%d:%d" % (os.geteuid(), os.getegid())
    assert diff["before_header"] == str(path) + " (mode, owner)"
    assert (diff["before"], diff["after"]) == ("mode 0666, owner %s\n" % owner, "mode 0644, owner %s\n" % owner)
    hf.apply(found)
    assert mode_of(path) == 0o644 and path.read_text() == "ipip\n"


def test_a_failed_check_leaves_every_file_and_directory_as_it_was(tmp_path):
    first = tmp_path / "first.conf"
    first.write_text("old\n")
    first.chmod(0o644)
    new_dir = tmp_path / "nftables.d"
    checked = []

    def validate(command, staged):
        checked.append((command, open(staged).read()))
        return "line 1: syntax error" if "broken" in open(staged).read() else None

    found = hf.assess([{"path": str(first), "content": "new\n", "validate": "check-a %s"},
                       {"path": str(new_dir / "table.nft"), "content": "broken\n", "validate": "check-b %s"}])
    with pytest.raises(hf.HostFileError) as err:
        hf.apply(found, validate)
    assert str(err.value) == "%s: the new content fails 'check-b %%s': line 1: syntax error" % (new_dir / "table.nft")
    # Both checks saw the new content; neither file was replaced, no staged file and no new directory stays.
    assert checked == [("check-a %s", "new\n"), ("check-b %s", "broken\n")]
    assert first.read_text() == "old\n" and sorted(os.listdir(tmp_path)) == ["first.conf"]


@pytest.mark.parametrize("entry, message", [
    ({"path": "etc/calico.conf", "content": ""}, "etc/calico.conf is not an absolute path. Fix: give the full path."),
    ({"path": "/etc/calico.conf", "content": "", "mode": 644},
     "/etc/calico.conf: mode 644 is not an octal mode such as '0644'. Fix: quote it in the task."),
    ({"path": "/etc/calico.conf", "content": "", "mode": "420"},
     "/etc/calico.conf: mode '420' is not an octal mode such as '0644'. Fix: quote it in the task."),
    ({"path": "/etc/calico.conf", "content": "", "mode": "0688"},
     "/etc/calico.conf: mode '0688' is not an octal mode such as '0644'. Fix: quote it in the task."),
])
def test_bad_requests_fail_before_anything_is_read_or_written(entry, message):
    with pytest.raises(hf.HostFileError) as err:
        hf.assess([entry])
    assert str(err.value) == message


def test_a_file_listed_twice_or_a_check_without_its_placeholder_is_refused(tmp_path):
    path = str(tmp_path / "a.conf")
    with pytest.raises(hf.HostFileError, match="a.conf is listed twice. Fix: list each file once."):
        hf.assess([{"path": path, "content": "1"}, {"path": path, "content": "2"}])
    found = hf.assess([{"path": path, "content": "1", "validate": "nft -c -f"}])
    with pytest.raises(hf.HostFileError, match="has no %s for the file"):
        hf.apply(found, lambda command, staged: None)
    assert not os.path.exists(path)


def run_module(tmp_path, *runs):
    """Run plugins/modules/calico_host_files.py as Ansible would (an arguments file), once per entry of ``runs``."""
    module = os.path.join(REPO, "plugins", "modules", "calico_host_files.py")
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, ".collections"))
    results = []
    for index, args in enumerate(runs):
        args_file = tmp_path / ("args%d.json" % index)
        args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        proc = subprocess.run([sys.executable, module, str(args_file)], capture_output=True, text=True, env=env, check=False)
        results.append(json.loads(proc.stdout))
    return results


TABLE = "table inet onprem_calico {\n\tchain input {\n\t\ttype filter hook input priority -10; policy accept;\n\t}\n}\n"


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(NFT), reason="nft -c needs root and nftables")
def test_module_checks_the_table_with_nft_and_is_idempotent(tmp_path):
    table, unit = str(tmp_path / "nftables.d" / "onprem-calico.nft"), str(tmp_path / "onprem-calico-nftables.service")
    files = [{"path": table, "content": TABLE, "validate": NFT + " -c -f %s"}, {"path": unit, "content": "[Unit]\n"}]
    broken = [{"path": table, "content": TABLE.replace("policy accept", "policy maybe"), "validate": NFT + " -c -f %s"},
              {"path": unit, "content": "[Unit]\n"}]
    checked, refused = run_module(
        tmp_path, {"files": files, "_ansible_check_mode": True, "_ansible_diff": True}, {"files": broken})
    assert checked["changed"] is True and checked["changed_files"] == [table, unit]
    assert [d["after_header"] for d in checked["diff"]] == [table, unit]
    assert refused["failed"] is True and refused["msg"].startswith("%s: the new content fails '%s -c -f %%s': rc=1 " % (table, NFT))
    # Neither check mode nor the refused run left anything, not even the directory.
    assert not os.path.exists(os.path.dirname(table)) and not os.path.exists(unit)
    written, again = run_module(tmp_path, {"files": files, "_ansible_diff": True}, {"files": files})
    assert written["changed"] is True and open(table).read() == TABLE and open(unit).read() == "[Unit]\n"
    assert again["changed"] is False and again["changed_files"] == [], again
