"""Unknown and misspelled names through real ansible-playbook runs: the plan action finds what the
inventory files and the extra vars set (and where), and nothing that a play sets at run time."""

import os
import subprocess
import sys

import pytest

from testpaths import REPO

BIN = os.path.dirname(sys.executable)
HOSTS = ("all:\n  children:\n    k8s_cluster:\n      hosts:\n        a: {ansible_host: 10.0.0.1}\n"
         "        b: {ansible_host: 10.0.0.2}\n")


def inventory(tmp_path, group_vars_all="", host_vars_b=""):
    inv = tmp_path / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "host_vars").mkdir()
    (inv / "hosts.yml").write_text(HOSTS)
    if group_vars_all:
        (inv / "group_vars" / "all.yml").write_text("---\n" + group_vars_all)
    if host_vars_b:
        (inv / "host_vars" / "b.yml").write_text("---\n" + host_vars_b)
    return str(inv)


def run(inv, playbook="playbooks/plan.yml", *extra):
    return subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", inv, playbook, *extra],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
        env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1"))


def one_line(text):
    return " ".join(text.split())


def test_a_typo_in_group_vars_stops_the_render_naming_the_file(tmp_path):
    inv = inventory(tmp_path, "calico_encapsulaton: none\n")
    out = tmp_path / "artifacts"
    proc = run(inv, "playbooks/render.yml", "-e", "calico_artifacts_dir=%s" % out)
    assert proc.returncode != 0
    text = one_line(proc.stdout + proc.stderr)
    assert ("calico_encapsulaton: is not a variable of onprem.calico (set in %s/group_vars/all.yml). "
            "Did you mean calico_encapsulation?" % inv) in text
    assert not out.exists()


def test_a_typo_in_extra_vars_is_named_as_such(tmp_path):
    proc = run(inventory(tmp_path), "playbooks/plan.yml", "-e", "calico_prodution=true")
    assert proc.returncode != 0
    assert "calico_prodution: is not a variable of onprem.calico (set in extra vars). Did you mean calico_production?" in one_line(proc.stdout + proc.stderr)


def test_an_inline_hosts_yml_typo_names_the_host_and_the_source(tmp_path):
    src = tmp_path / "hosts.yml"
    src.write_text(HOSTS.replace("b: {ansible_host: 10.0.0.2}", "b: {ansible_host: 10.0.0.2, calico_rak: r1}"))
    proc = run(str(src))
    assert proc.returncode != 0
    assert "calico_rak: is not a variable of onprem.calico (set in host b in %s). Did you mean calico_rack?" % src in one_line(proc.stdout + proc.stderr)


def test_kubespray_names_warn_naming_ours_and_the_run_goes_on(tmp_path):
    inv = inventory(tmp_path, "calico_pool_blocksize: 24\n", "calico_rr_id: rr1\n")
    proc = run(inv)
    assert proc.returncode == 0, proc.stdout[-2000:]
    text = one_line(proc.stdout + proc.stderr)
    assert ("calico_pool_blocksize: is kubespray's name; onprem.calico does not read it (set in %s/group_vars/all.yml). "
            "Fix: set calico_block_size instead" % inv) in text
    assert "calico_rr_id: is kubespray's name; onprem.calico does not read it (set in %s/host_vars/b.yml)" % inv in text


def test_unknown_names_warn_once_and_the_allow_list_silences_them(tmp_path):
    inv = inventory(tmp_path, "calico_site_owner: netops\n", "calico_site_room: 3\n")
    text = one_line(run(inv).stderr)
    assert text.count("are not read by onprem.calico") == 1
    assert "calico_site_owner (%s/group_vars/all.yml); calico_site_room (%s/host_vars/b.yml)" % (inv, inv) in text
    quiet = run(inventory(tmp_path / "allowed", "calico_allowed_extra_vars: ['calico_site_*']\ncalico_site_owner: netops\n",
                          "calico_site_room: 3\n"))
    assert quiet.returncode == 0 and "[WARNING]" not in quiet.stderr, quiet.stderr


def test_an_unquoted_kubernetes_version_in_group_vars_names_the_value_meant(tmp_path):
    proc = run(inventory(tmp_path, "calico_kubernetes_version: 1.30\n"))
    assert proc.returncode != 0
    assert 'calico_kubernetes_version: is the number 1.3: YAML reads an unquoted version as a number and drops trailing zeros. ' \
           'Fix: quote it: calico_kubernetes_version: "1.30".' in one_line(proc.stdout + proc.stderr)


def test_facts_registered_results_and_play_vars_are_not_checked(tmp_path):
    """Only the inventory and extra vars are user input; a run's own variables are not."""
    playbook = tmp_path / "site.yml"
    playbook.write_text(
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n  vars:\n    calico_my_play_var: 1\n  tasks:\n"
        "    - ansible.builtin.set_fact:\n        calico_my_fact: 1\n        cacheable: true\n"
        "    - ansible.builtin.command: 'true'\n      register: calico_my_result\n      changed_when: false\n"
        "    - onprem.calico.plan:\n")
    proc = run(inventory(tmp_path), str(playbook))
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "calico_my_" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("example", ["kdd-small", "etcd", "tor-as-per-rack", "../lab"])
def test_the_shipped_inventories_set_only_known_names(example):
    proc = run(os.path.join("inventory", "examples", example))
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "[WARNING]" not in proc.stderr, proc.stderr
