"""The commands FrrRouter gives a router: vtysh and frr-reload.py with the flags FRR documents.

frr-reload.py (FRR 8.4, ``frr-reload.py --help``): ``--test`` shows the deltas, ``--reload``
applies them, ``--stdout`` logs there, ``--bindir`` is where vtysh is, ``--confdir`` where the
daemon config files are, ``--vty_socket`` the daemons' socket directory, and the file is last.
vtysh: ``-c`` runs one command, ``-C -f <file>`` checks a file's syntax without applying it.
The router here records argv and answers from a script; the syntax check uses the real vtysh.
"""

from __future__ import annotations

import os
import stat

import pytest
from frr_router_sim import VTYSH, have_frr_tools, run_tool

from ansible_collections.onprem.calico.plugins.module_utils import frr_tor_config as ftc
from ansible_collections.onprem.calico.plugins.module_utils.frr_tor_config import FrrConfigError, FrrRouter

SOCKET = "/run/frr/tor1"


class Scripted:
    """Records every argv (and the named file as it was then); answers (rc, out, err) in turn."""

    def __init__(self, *answers):
        self.answers = list(answers) or [(0, "", "")]
        self.calls = []
        self.files = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        path = argv[-1]
        if os.path.isfile(path):
            with open(path) as handle:
                self.files.append((path, handle.read(), stat.S_IMODE(os.stat(path).st_mode)))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def confdir(tmp_path, monkeypatch):
    """The router's /etc/frr, holding its vtysh.conf."""
    etc = tmp_path / "etc-frr"
    etc.mkdir()
    (etc / "vtysh.conf").write_text("service integrated-vtysh-config\n")
    monkeypatch.setattr(ftc, "FRR_CONFDIR", str(etc))
    return etc


def candidate(tmp_path, name="candidate.conf", text="router bgp 65001\n neighbor CALICO-NODES password s3cret\nexit\n"):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    path = work / name
    path.write_text(text)
    return str(path)


def test_show_runs_one_vtysh_command_through_the_router_socket():
    run = Scripted((0, "Building configuration...\n\nCurrent configuration:\n!\nhostname tor1\n!\nend\n", ""))
    router = FrrRouter(run, vty_socket=SOCKET)
    assert router.running_config() == "!\nhostname tor1\n!\nend\n"
    assert run.calls == [["vtysh", "--vty_socket", SOCKET, "-c", "show running-config"]]


def test_show_without_a_socket_uses_vtysh_defaults():
    run = Scripted((0, "BGP table version is 3\n", ""))
    assert FrrRouter(run, vtysh="/opt/frr/bin/vtysh").show("show bgp summary") == "BGP table version is 3\n"
    assert run.calls == [["/opt/frr/bin/vtysh", "-c", "show bgp summary"]]


@pytest.mark.parametrize("out, err, shown", [("", "  bgpd is not running\n", "bgpd is not running"),
                                             ("% Unknown command: show bgp sumary\n", "", "% Unknown command: show bgp sumary")])
def test_a_failing_show_names_the_command_its_exit_code_and_frr_message(out, err, shown):
    router = FrrRouter(Scripted((2, out, err)))
    with pytest.raises(FrrConfigError) as caught:
        router.show("show bgp sumary")
    assert str(caught.value) == "vtysh -c 'show bgp sumary' failed (rc=2): %s" % shown


def test_check_file_is_a_dry_run_of_vtysh_without_the_daemons_socket(tmp_path):
    run = Scripted()
    path = candidate(tmp_path)
    FrrRouter(run, vtysh="/opt/frr/bin/vtysh", vty_socket=SOCKET).check_file(path)
    assert run.calls == [["/opt/frr/bin/vtysh", "-C", "-f", path]]


def test_a_rejected_file_stops_with_vtysh_message_and_no_password(tmp_path):
    run = Scripted((2, "line 2: % Unknown command[25]:  neighbor 10.1.1.11 passwrd\n",
                    "  neighbor CALICO-NODES password s3cret\n"))
    with pytest.raises(FrrConfigError) as caught:
        FrrRouter(run).check_file(candidate(tmp_path))
    message = str(caught.value)
    assert message.startswith("vtysh -C rejected the merged configuration: line 2: % Unknown command")
    assert "neighbor CALICO-NODES password ********" in message and "s3cret" not in message


@pytest.mark.skipif(not have_frr_tools(), reason="needs FRR's vtysh (make apt)")
def test_the_real_vtysh_dry_run_accepts_frr_syntax_and_rejects_a_typo(tmp_path):
    router = FrrRouter(run_tool, vtysh=VTYSH)
    router.check_file(candidate(tmp_path, "good.conf", "router bgp 65001\n neighbor CALICO-NODES peer-group\nexit\n"))
    with pytest.raises(FrrConfigError, match="Unknown command"):
        router.check_file(candidate(tmp_path, "bad.conf", "router bgp 65001\n neighbor CALICO-NODES peer-grup\nexit\n"))


def test_reload_test_command_line(tmp_path, confdir):
    run = Scripted((0, "\nLines To Add\n============\nrouter bgp 65001\n neighbor 10.1.1.12 peer-group CALICO-NODES\n", ""))
    path = candidate(tmp_path)
    router = FrrRouter(run, vtysh="/opt/frr/bin/vtysh", frr_reload="/opt/frr/lib/frr-reload.py", vty_socket=SOCKET)
    deletes, adds = router.reload_test(path)
    assert run.calls == [["/opt/frr/lib/frr-reload.py", "--test", "--stdout", "--log-level", "critical",
                          "--bindir", "/opt/frr/bin", "--vty_socket", SOCKET, "--confdir", str(tmp_path / "work"), path]]
    assert (deletes, adds) == ([], [(("router bgp 65001",), "neighbor 10.1.1.12 peer-group CALICO-NODES")])


def test_the_reload_script_runs_under_the_given_python_and_the_socket_is_optional(tmp_path, confdir):
    run = Scripted()
    path = candidate(tmp_path)
    FrrRouter(run, vtysh="/opt/frr/bin/vtysh", python="/usr/bin/python3").reload_test(path)
    assert run.calls == [["/usr/bin/python3", "/usr/lib/frr/frr-reload.py", "--test", "--stdout", "--log-level", "critical",
                          "--bindir", "/opt/frr/bin", "--confdir", str(tmp_path / "work"), path]]


def test_the_candidate_directory_gets_the_router_vtysh_conf_once(tmp_path, confdir):
    # Without it, vtysh would report "service integrated-vtysh-config" as a change.
    path = candidate(tmp_path)
    FrrRouter(Scripted(), vtysh="/opt/frr/bin/vtysh").reload_test(path)
    copied = tmp_path / "work" / "vtysh.conf"
    assert copied.read_text() == "service integrated-vtysh-config\n"
    copied.write_text("! the operator's own\n")
    FrrRouter(Scripted(), vtysh="/opt/frr/bin/vtysh").reload_test(path)
    assert copied.read_text() == "! the operator's own\n", "an existing vtysh.conf is never overwritten"


def test_a_router_without_vtysh_conf_gets_none(tmp_path, monkeypatch):
    monkeypatch.setattr(ftc, "FRR_CONFDIR", str(tmp_path / "missing"))
    path = candidate(tmp_path)
    FrrRouter(Scripted(), vtysh="/opt/frr/bin/vtysh").reload_test(path)
    assert sorted(os.listdir(tmp_path / "work")) == ["candidate.conf"]


def test_a_relative_vtysh_is_looked_up_on_path_for_bindir(tmp_path, confdir, monkeypatch):
    not_executable, executable = tmp_path / "a", tmp_path / "b"
    for directory in (not_executable, executable):
        directory.mkdir()
        (directory / "vtysh").write_text("#!/bin/sh\n")
    os.chmod(executable / "vtysh", 0o755)
    os.chmod(not_executable / "vtysh", 0o644)
    monkeypatch.setenv("PATH", os.pathsep.join([str(tmp_path / "none"), str(not_executable), str(executable)]))
    run = Scripted()
    FrrRouter(run).reload_test(candidate(tmp_path))
    assert run.calls[0][run.calls[0].index("--bindir") + 1] == str(executable)


def test_a_vtysh_found_nowhere_is_expected_in_usr_bin(tmp_path, confdir, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    run = Scripted()
    FrrRouter(run, vtysh="vtysh-frr10").reload_test(candidate(tmp_path))
    assert run.calls[0][run.calls[0].index("--bindir") + 1] == "/usr/bin"


@pytest.mark.parametrize("python, shown", [(None, "/usr/lib/frr/frr-reload.py --test"),
                                           ("/usr/bin/python3", "/usr/bin/python3 /usr/lib/frr/frr-reload.py")])
@pytest.mark.parametrize("out, err, said", [("", "vtysh: bgpd is not running\n", "vtysh: bgpd is not running"),
                                            ("neighbor X password s3cret failed\n", "", "neighbor X password ******** failed")])
def test_a_failing_reload_test_names_the_script_and_hides_passwords(tmp_path, confdir, python, shown, out, err, said):
    router = FrrRouter(Scripted((1, out, err)), vtysh="/opt/frr/bin/vtysh", python=python)
    with pytest.raises(FrrConfigError) as caught:
        router.reload_test(candidate(tmp_path))
    assert str(caught.value) == "%s failed (rc=1): %s" % (shown, said)


def test_reload_gives_a_private_copy_named_frr_conf_and_removes_it(tmp_path, confdir):
    # frr-reload.py ends with "vtysh write" into <confdir>/frr.conf unless it was given that file.
    run = Scripted()
    path = candidate(tmp_path)
    FrrRouter(run, vtysh="/opt/frr/bin/vtysh", vty_socket=SOCKET).reload(path)
    (argv,) = run.calls
    staged = argv[-1]
    assert os.path.basename(staged) == "frr.conf" and os.path.dirname(staged) != str(tmp_path / "work")
    assert os.path.basename(os.path.dirname(staged)).startswith("onprem-calico-frr-"), "a leftover says whose it is"
    assert argv == ["/usr/lib/frr/frr-reload.py", "--reload", "--stdout", "--log-level", "critical",
                    "--bindir", "/opt/frr/bin", "--vty_socket", SOCKET, "--confdir", os.path.dirname(staged), staged]
    assert run.files == [(staged, open(path).read(), 0o600)]
    assert not os.path.exists(os.path.dirname(staged)), "the staged copy is removed after the reload"
    assert os.path.isfile(path), "the caller's file is the caller's"


def test_a_file_already_named_frr_conf_is_reloaded_in_place(tmp_path, confdir):
    run = Scripted()
    path = candidate(tmp_path, "frr.conf")
    FrrRouter(run, vtysh="/opt/frr/bin/vtysh").reload(path)
    assert run.calls[0][-3:] == ["--confdir", str(tmp_path / "work"), path]
    assert os.path.isfile(path)


def test_a_failing_reload_says_so_without_the_password_and_leaves_no_copy(tmp_path, confdir, monkeypatch):
    monkeypatch.setattr(ftc.tempfile, "tempdir", str(tmp_path))
    router = FrrRouter(Scripted((4, "", " neighbor CALICO-NODES password s3cret\n% Unknown command\n")), vtysh="/opt/frr/bin/vtysh")
    with pytest.raises(FrrConfigError) as caught:
        router.reload(candidate(tmp_path))
    assert str(caught.value) == "frr-reload.py --reload failed (rc=4): neighbor CALICO-NODES password ********\n% Unknown command"
    assert sorted(os.listdir(tmp_path)) == ["etc-frr", "work"]


def test_a_failing_reload_reports_stdout_when_stderr_is_empty(tmp_path, confdir):
    router = FrrRouter(Scripted((1, "Failed to apply: bgpd\n", "")), vtysh="/opt/frr/bin/vtysh")
    with pytest.raises(FrrConfigError, match=r"^frr-reload.py --reload failed \(rc=1\): Failed to apply: bgpd$"):
        router.reload(candidate(tmp_path))


def test_without_path_vtysh_is_expected_in_usr_bin(tmp_path, confdir, monkeypatch):
    monkeypatch.delenv("PATH", raising=False)
    run = Scripted()
    FrrRouter(run, vtysh="vtysh-frr10").reload_test(candidate(tmp_path))
    assert run.calls[0][run.calls[0].index("--bindir") + 1] == "/usr/bin"
