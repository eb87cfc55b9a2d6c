"""The AWX workflow on the built-in lab (as_per_rack), its approval node left out: every job runs
through ansible-runner (AWX's engine) on a private data directory laid out as AWX lays out a job
(tests/fakes/awx_job.py), with the credentials and extra variables the workflow as code gives
each job template (playbooks/awx/workflow.yml).

render (publishes, hands on location + digest) -> [approval: the handed-on values are passed
on as they are] -> preflight -> hosts (sliced mode) -> manifest -> bgp -> tor -> verify.

Before the approved set is applied, one of its files is tampered with: the apply jobs refuse it
and nothing on any router or node changes (FRR's running configuration and files, every file
below the nodes' /etc, their nftables ruleset and routes, read before and after). Restored, the
set is applied, every session is Established on the report, a second apply changes nothing on
any machine, and the routers run the approved configurations.

The lab has no Kubernetes: between the bgp and tor jobs the lab's calico-node stand-in starts
(playbooks/lab/calico_node_standin.yml), as calico-node would once the manifest is applied.
"""

from __future__ import annotations

import os
import sys
import time

import pytest
import yaml

from labtools import INVENTORY, PLAYBOOK, REPO, podman_exec, run, untouched_lab

sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))

from awx_job import (Credential, bgp_password, imported_inventory, run_job, stdout, task_results,  # noqa: E402
                     workflow_artifacts, workflow_job_templates)
from testpaths import UPSTREAM_DIR  # noqa: E402

NODES = ["r1-cp", "r1-w1", "r1-w2", "r2-cp", "r2-w1", "r2-w2"]
TORS = ["tor1a", "tor1b", "tor2a"]
ROUTERS = TORS + ["spine"]
PASSWORD = "awx-lab-Bgp-7c1"
APPLY_STAGES = ("hosts", "manifest", "bgp", "tor")
TAMPERED = "tor/tor1a.conf"


def credential(name):
    """The lab's credential of each kind the templates name. The lab reaches its machines with
    `podman exec` (no login), so the nodes and routers credentials inject nothing; the BGP
    password credential injects calico_bgp_password as its documented injector does. The lab has
    no kubeconfig and no etcd: None, the template goes without."""
    return {"bgp_password": bgp_password(PASSWORD), "nodes": Credential(), "routers": Credential()}.get(name)


class Workflow:
    """The jobs of one workflow run, each in a private data directory of its own."""

    def __init__(self, work, publish, env):
        self.work, self.publish, self.env = work, publish, env
        self.templates = workflow_job_templates()
        # What the AWX inventory source imports from the lab inventory (cluster variables on
        # `all`, where the jobs' implicit localhost reads them).
        self.inventory = imported_inventory(INVENTORY, export=True)
        self.handed_on = {}
        self.seconds = {}

    def job(self, name, stage):
        template = self.templates[stage]
        extra = dict(template.get("extra_vars") or {})
        if "calico_artifacts_publish" in extra:  # the template names the site's awx_artifacts_publish
            extra["calico_artifacts_publish"] = self.publish
        extra.update(self.handed_on)
        # The EE's temporary directory (new per job) and the EE's copy of the upstream manifests:
        # the lab inventory's mirror names a path beside the checkout's ansible.cfg.
        extra.update(calico_artifacts_dir=os.path.join(self.work, name, "ee-tmp"), calico_manifest_mirror=UPSTREAM_DIR)
        credentials = [c for c in map(credential, template["credentials"]) if c is not None]
        # AWX runs the job with the template's forks.
        self.env.setenv("ANSIBLE_FORKS", str(template["forks"]))
        start = time.monotonic()
        runner = run_job(os.path.join(self.work, name), stage, self.inventory, extra_vars=extra, credentials=credentials)
        self.seconds[name] = time.monotonic() - start
        return runner

    def calico_node_standin(self):
        """The lab's calico-node (not an AWX job): BIRD from the Calico resources, as after the manifest."""
        playbook = os.path.join(self.work, "standin.yml")
        variables = os.path.join(self.work, "standin-vars.yml")
        with open(playbook, "w", encoding="utf-8") as handle:
            yaml.safe_dump([{"name": "Plan", "ansible.builtin.import_playbook": os.path.join(REPO, "playbooks", "plan.yml")},
                            {"name": "Stand-in", "ansible.builtin.import_playbook":
                             os.path.join(REPO, "playbooks", "lab", "calico_node_standin.yml")}], handle)
        with open(os.open(variables, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
            yaml.safe_dump({"calico_bgp_password": PASSWORD, "calico_artifacts_dir": os.path.join(self.work, "standin")}, handle)
        return run([PLAYBOOK, "-i", INVENTORY, playbook, "-e", "@" + variables],
                   env={"ANSIBLE_CONFIG": os.path.join(REPO, "ansible.cfg")})


def lab_state():
    """What an apply could change, per machine: FRR's running configuration and files on the
    routers; every file below /etc, the nftables ruleset, routes and network namespaces on the nodes."""
    state = {}
    for router in ROUTERS:
        state[router] = podman_exec(router, "sh", "-c", "vtysh -c 'show running-config'; sha256sum /etc/frr/*").stdout
    for node in NODES:
        state[node] = podman_exec(node, "sh", "-c", "find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum; "
                                  "nft list ruleset; ip route show table all; ip -6 route show table all; ip netns list").stdout
    return state


def lab_changes(stats):
    """{host: changed count} of the lab's machines in a job's stats (localhost renders into the
    job's new EE directory, which is a write on every run)."""
    return {host: count for host, count in (stats.get("changed") or {}).items() if host != "localhost" and count}


@pytest.fixture(scope="module")
def workflow(lab, tmp_path_factory):
    untouched_lab("as_per_rack")
    work = tmp_path_factory.mktemp("awx-lab")
    results = {}
    with pytest.MonkeyPatch.context() as env:
        flow = Workflow(str(work), str(work / "published"), env)
        # The EE: no ansible.cfg of the checkout; the lab's connection plugin (`podman exec`,
        # in place of SSH) and podman's settings are what it adds for the lab.
        env.delenv("ANSIBLE_CONFIG", raising=False)
        env.setenv("ANSIBLE_CONNECTION_PLUGINS", os.path.join(REPO, "lab", "connection_plugins"))
        env.setenv("CONTAINERS_CONF", os.path.join(REPO, "tests", "images", "containers.conf"))

        results["render"] = flow.job("render", "render")
        assert results["render"].status == "successful", stdout(results["render"])
        # The approval node passes the render's set_stats on to the following nodes unchanged.
        flow.handed_on = workflow_artifacts(results["render"])
        location = flow.handed_on["calico_apply_from"]

        tampered = os.path.join(location, TAMPERED)
        with open(tampered, "rb") as handle:
            approved = handle.read()
        results["before_tamper"] = lab_state()
        with open(tampered, "ab") as handle:
            handle.write(b"ip prefix-list CALICO-TAMPERED seq 5 permit 0.0.0.0/0 le 32\n")
        try:
            for stage in ("hosts", "tor"):
                results["tampered-" + stage] = flow.job("tampered-" + stage, stage)
        finally:
            with open(tampered, "wb") as handle:
                handle.write(approved)
        results["after_tamper"] = lab_state()

        for stage in ("preflight",) + APPLY_STAGES[:3]:
            results[stage] = flow.job(stage, stage)
        results["standin"] = flow.calico_node_standin()
        for stage in ("tor", "verify"):
            results[stage] = flow.job(stage, stage)
        for stage in APPLY_STAGES:
            results["again-" + stage] = flow.job("again-" + stage, stage)
    for name, seconds in flow.seconds.items():
        print("awx lab job %s: %.1f s" % (name, seconds))
    return flow, results


def test_tampered_set_is_refused_and_nothing_changes(workflow):
    _flow, results = workflow
    for stage in ("hosts", "tor"):
        job = results["tampered-" + stage]
        out = stdout(job)
        assert job.status == "failed", out
        assert "%s was modified after the render" % TAMPERED in out, out
        # Refused while planning on the controller: no task reached a lab machine.
        assert set(job.stats.get("ok") or {}) <= {"localhost"}, job.stats
    before, after = results["before_tamper"], results["after_tamper"]
    assert sorted(after) == sorted(ROUTERS + NODES)
    assert {m for m in before if before[m] != after[m]} == set()


def test_every_job_of_the_workflow_succeeds(workflow):
    _flow, results = workflow
    for name in ("render", "preflight", "hosts", "manifest", "bgp", "tor", "verify"):
        assert results[name].status == "successful", "%s:\n%s" % (name, stdout(results[name])[-6000:])
    assert results["standin"].rc == 0, results["standin"].tail()


def test_apply_jobs_checked_the_approval(workflow):
    _flow, results = workflow
    for stage in ("preflight", "manifest", "bgp", "tor", "verify"):
        check = task_results(results[stage], "Compare with the approved artifacts (stops the run on any difference)")
        assert len(check) == 1 and "renders exactly the approved artifacts" in check[0]["msg"], (stage, check)


def test_routers_run_the_approved_configuration(workflow):
    flow, _results = workflow
    location = flow.handed_on["calico_apply_from"]
    for tor in TORS:
        with open(os.path.join(location, "tor", tor + ".conf"), encoding="utf-8") as handle:
            approved = handle.read()
        running = podman_exec(tor, "vtysh", "-c", "show running-config").stdout
        running_lines = {line.strip() for line in running.splitlines()}
        wanted = [line.strip().replace("@@onprem.calico:secret:bgp_password@@", PASSWORD)
                  for line in approved.splitlines() if line.strip() and not line.lstrip().startswith("!")]
        missing = [line for line in wanted if line not in running_lines]
        assert missing == [], (tor, missing)


def test_report_lists_every_session_established(workflow):
    flow, results = workflow
    assert results["verify"].status == "successful", "verify failed"
    with open(os.path.join(flow.work, "verify", "ee-tmp", "report.md"), encoding="utf-8") as handle:
        report = handle.read()
    assert "**All 9 BGP sessions Established.**" in report
    assert report.count("| Established | Established | Established |") == 9


def test_second_apply_changes_nothing(workflow):
    _flow, results = workflow
    for stage in APPLY_STAGES:
        job = results["again-" + stage]
        assert job.status == "successful", stdout(job)[-6000:]
        assert lab_changes(job.stats) == {}, (stage, stdout(job)[-6000:])
