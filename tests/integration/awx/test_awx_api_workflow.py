"""playbooks/awx/workflow.yml against a fake AWX API: what it creates, and that a rerun changes nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fakes"))

from awx_api import FakeAWX  # noqa: E402
from testpaths import REPO  # noqa: E402

from ansible_collections.onprem.calico.plugins.plugin_utils.catalog import SUPPORTED_VERSIONS  # noqa: E402

PLAYBOOK = os.path.join(REPO, "playbooks", "awx", "workflow.yml")
CHAIN = ["render", "approval", "preflight", "hosts", "manifest", "bgp", "tor", "verify"]


def run(awx, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               CONTROLLER_HOST=awx.url, CONTROLLER_OAUTH_TOKEN="fake-token")
    credentials = {"nodes": "nodes", "routers": "routers", "bgp_password": "bgp", "kubeconfig": "", "etcd_client": ""}
    cmd = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), PLAYBOOK, "-e", "awx_validate_certs=false",
           "-e", json.dumps({"awx_credentials": credentials, "awx_hosts_slices": 4}), *extra]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def awx():
    with FakeAWX() as fake:
        org = fake.add("organizations", name="Default")
        for collection, name in (("projects", "calico-site"), ("inventories", "prod"),
                                 ("execution_environments", "onprem-calico-ee"), ("credentials", "nodes"),
                                 ("credentials", "routers"), ("credentials", "bgp")):
            fake.add(collection, name=name, organization=org["id"])
        fake.first_run = run(fake)
        yield fake


def test_credential_types_are_the_documented_ones(awx):
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
    with open(os.path.join(REPO, "playbooks", "awx", "vars", "credential_types.yml"), encoding="utf-8") as fh:
        wanted = yaml.load(fh, Loader=Loader)["awx_calico_credential_types"]
    created = awx.objects["credential_types"]
    assert [c["name"] for c in created] == [w["name"] for w in wanted]
    for got, want in zip(created, wanted):
        assert got["kind"] == "cloud"
        assert got["inputs"] == want["inputs"] and got["injectors"] == want["injectors"]
    # AWX renders the injectors, Ansible must not have: the templates arrive verbatim.
    assert created[1]["injectors"]["extra_vars"]["calico_bgp_password"] == "{{ bgp_password }}"


def test_one_job_template_per_stage(awx):
    templates = {t["name"]: t for t in awx.objects["job_templates"]}
    assert sorted(templates) == sorted("calico: " + s for s in CHAIN if s != "approval")
    hosts = templates["calico: hosts"]
    assert hosts["job_slice_count"] == 4 and json.loads(hosts["extra_vars"]) == {"calico_apply_sliced": True}
    assert json.loads(templates["calico: render"]["extra_vars"]) == {"calico_artifacts_publish": "/srv/calico-artifacts"}
    for template in templates.values():
        assert template["playbook"] == "playbooks/%s.yml" % template["name"].replace(": ", "-")
        assert template["inventory"] == awx.named("inventories", "prod")["id"]
        assert template["execution_environment"] == awx.named("execution_environments", "onprem-calico-ee")["id"]
    creds = {name: awx.named("credentials", name)["id"] for name in ("nodes", "routers", "bgp")}
    tor = templates["calico: tor"]
    assert sorted(awx.related_ids("job_templates", tor["id"], "credentials")) == sorted([creds["routers"], creds["bgp"]])
    # The render builds the plan, which records whether sessions have a password: it gets the credential.
    assert awx.related_ids("job_templates", templates["calico: render"]["id"], "credentials") == [creds["bgp"]]
    hosts_credentials = awx.related_ids("job_templates", hosts["id"], "credentials")
    assert hosts_credentials == [creds["nodes"]]  # sliced: the approved plan, no password needed


def test_workflow_chains_render_approval_and_the_stages(awx):
    [workflow] = awx.objects["workflow_job_templates"]
    nodes = {n["identifier"]: n for n in awx.objects["workflow_job_template_nodes"]
             if n["workflow_job_template"] == workflow["id"]}
    assert sorted(nodes) == sorted(CHAIN)
    ids = {n["id"]: ident for ident, n in nodes.items()}
    chain, current = [], "render"
    while current:
        chain.append(current)
        following = awx.related_ids("workflow_job_template_nodes", nodes[current]["id"], "success_nodes")
        assert len(following) <= 1
        current = ids[following[0]] if following else None
    assert chain == CHAIN
    [approval] = awx.objects["workflow_approval_templates"]
    assert nodes["approval"]["unified_job_template"] == approval["id"] and approval["timeout"] == 86400
    assert nodes["render"]["unified_job_template"] == awx.named("job_templates", "calico: render")["id"]


def test_survey_asks_scalar_cluster_variables(awx):
    [workflow] = awx.objects["workflow_job_templates"]
    assert workflow["survey_enabled"] is True
    spec = awx.survey("workflow_job_templates", workflow["id"])["spec"]
    assert [q["variable"] for q in spec] == ["calico_version", "calico_production", "calico_typha_replicas"]
    # The input schema's questions: a release outside the catalog is allowed (with its checksum),
    # and every answer is optional without a default (it would override the reviewed inventory).
    assert spec[0]["type"] == "text" and ", ".join(SUPPORTED_VERSIONS) in spec[0]["question_description"]
    assert spec[1]["choices"] == ["true", "false"] and not any(q["required"] or "default" in q for q in spec)


def test_second_run_changes_nothing(awx):
    assert re.search(r"localhost\s+: ok=\d+\s+changed=[1-9]", awx.first_run)
    before = {k: len(v) for k, v in awx.objects.items()}
    out = run(awx)
    assert re.search(r"localhost\s+: ok=\d+\s+changed=0 ", out), out
    assert {k: len(v) for k, v in awx.objects.items()} == before


def test_a_host_variable_is_refused_as_a_survey_question(awx):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), CONTROLLER_HOST=awx.url,
               CONTROLLER_OAUTH_TOKEN="fake-token", ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([os.path.join(REPO, ".venv", "bin", "ansible-playbook"), PLAYBOOK, "-e", "awx_validate_certs=false",
                           "-e", json.dumps({"awx_survey_variables": ["calico_rack"]})],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    assert "not scalar cluster variables, so not survey questions: calico_rack" in proc.stdout
