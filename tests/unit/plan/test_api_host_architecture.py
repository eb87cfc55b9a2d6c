"""The API host's architecture: chosen in the plan (calicoctl's checksum follows it), checked
against the live host by the preflight stage before the first change."""

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils.catalog import api_host_architecture_check
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from plan_inputs import base
from testpaths import REPO


def test_the_plan_records_the_architecture_and_refuses_one_without_calicoctl():
    assert build_plan(base()).plan["cluster"]["api_host_architecture"] == "amd64"
    assert build_plan(base(calico_api_host_architecture="arm64")).plan["cluster"]["api_host_architecture"] == "arm64"
    refused = build_plan(base(calico_api_host_architecture="s390x"))
    assert any(e.subject == "calico_api_host_architecture" and "s390x" in str(e) for e in refused.errors), refused.errors


@pytest.mark.parametrize(
    "planned, reported, status",
    [("amd64", "x86_64", "ok"), ("arm64", "aarch64", "ok"), ("amd64", "aarch64", "mismatch"), ("amd64", "s390x", "mismatch"),
     ("amd64", None, "skipped")],
)
def test_live_architecture_against_the_plan(planned, reported, status):
    plan = {"cluster": {"api_host_architecture": planned, "api_host": "cp1"}}
    result = api_host_architecture_check(plan, reported)
    assert result["status"] == status
    if status == "mismatch":
        assert "calico_api_host_architecture" in result["message"] and "cp1" in result["message"]


def _preflight(tmp_path, arch):
    inventory = {
        "all": {
            "vars": {"calico_api_host_architecture": arch, "calico_manifest_skip_api": True, "calico_artifacts_dir": str(tmp_path / "a")},
            "children": {
                "k8s_cluster": {"children": {"kube_control_plane": {"hosts": {"cp1": {
                    "ansible_connection": "local", "ansible_python_interpreter": sys.executable, "calico_node_ip": "10.0.0.11"}}}}},
            },
        }
    }
    (tmp_path / "hosts.yml").write_text(json.dumps(inventory))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    return subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp_path / "hosts.yml"),
                           "playbooks/preflight.yml"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_preflight_stops_when_the_api_host_is_not_the_planned_architecture(tmp_path):
    machine = os.uname().machine
    here = {"x86_64": "amd64", "aarch64": "arm64"}.get(machine)
    if here is None:
        pytest.skip("no calicoctl release for this machine's architecture %s" % machine)
    other = "arm64" if here == "amd64" else "amd64"
    proc = _preflight(tmp_path, other)
    assert proc.returncode != 0
    assert "calico_api_host_architecture is %s but cp1 reports %s" % (other, machine) in proc.stdout + proc.stderr
    proc = _preflight(tmp_path, here)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "cp1 is %s (%s), as planned." % (here, machine) in proc.stdout
