"""The onprem.calico.report action through ansible-playbook: files, idempotence, check mode."""

import json
import os
import subprocess
import sys

from testpaths import REPO

PLAYBOOK = """
- name: Plan
  ansible.builtin.import_playbook: {repo}/playbooks/plan.yml
- name: Report
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Report from canned session data
      onprem.calico.report:
        plan: "{{{{ calico_plan }}}}"
        tors:
          tor2a:
            sessions: [{{node: r2-cp, ip: 10.77.2.11, asn: 65002, state: Established}},
                       {{node: r2-w1, ip: 10.77.2.12, asn: 65002, state: Active}}]
            routes: [{{dst: "{{{{ route_dst | default('10.244.0.0/26') }}}}", gateway: 10.77.0.11}}]
        skipped: [{{stage: manifest apply, reason: no API server}}]
      register: out
    - name: Hand the result to the test
      ansible.builtin.copy:
        content: "{{{{ out | to_json }}}}"
        dest: "{{{{ result_file }}}}"
        mode: "0644"
      check_mode: false
"""


def run(tmp_path, *extra):
    playbook = tmp_path / "report.yml"
    playbook.write_text(PLAYBOOK.format(repo=REPO))
    result_file = tmp_path / "result.json"
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", os.path.join(REPO, "inventory", "lab"),
         str(playbook), "-e", "calico_artifacts_dir=%s" % (tmp_path / "artifacts"),
         "-e", "result_file=%s" % result_file, *extra],
        cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(result_file.read_text())


def test_writes_report_and_svg_then_reports_no_change(tmp_path):
    check = run(tmp_path, "--check")
    assert not (tmp_path / "artifacts" / "report.md").exists()  # check mode writes nothing
    assert check["changed"] is True  # ... but says that it would
    # r2-w2 is planned on tor2a but absent from its answer: missing, so down too. Nobody asked
    # tor1a/tor1b and no node view was given: rack r1's sessions are unverified, which fails too.
    assert check["affected_nodes"] == ["r1-cp", "r1-w1", "r1-w2", "r2-w1", "r2-w2"]
    assert "r1-cp <-> tor1a" in check["unverified"] and len(check["unverified"]) == 6

    first = run(tmp_path)
    assert first["changed"] is True and first["ok"] is False
    assert first["affected_nodes"] == ["r1-cp", "r1-w1", "r1-w2", "r2-w1", "r2-w2"]
    report = (tmp_path / "artifacts" / "report.md").read_text()
    assert "r2-w1 <-> tor2a (10.77.2.2, AS 65002): tor2a reports Active" in report
    assert "r2-w2 <-> tor2a (10.77.2.2, AS 65002): tor2a reports missing" in report
    assert "- **manifest apply**: no API server" in report
    assert "r1-w1 <-> tor1b (10.77.1.3, AS 65001): nobody could check it" in report
    svg = (tmp_path / "artifacts" / "topology.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "#cd0000" in svg  # red3: the sessions that are down

    second = run(tmp_path)
    assert second["changed"] is False


def test_check_mode_diff_shows_what_a_rerun_found_different(tmp_path):
    run(tmp_path)
    report_md = tmp_path / "artifacts" / "report.md"
    before = report_md.read_text()
    assert run(tmp_path, "--check", "--diff")["changed"] is False

    # A ToR that now holds another route: the report would change, and the diff says where.
    moved = run(tmp_path, "--check", "--diff", "-e", "route_dst=10.244.0.64/26")
    assert moved["changed"] is True
    assert report_md.read_text() == before  # check mode wrote nothing
    diff = {d["after_header"]: d for d in moved["diff"]}
    assert str(report_md) in diff
    assert "10.244.0.0/26" in diff[str(report_md)]["before"] and "10.244.0.64/26" not in diff[str(report_md)]["before"]
    assert "10.244.0.64/26" in diff[str(report_md)]["after"]
