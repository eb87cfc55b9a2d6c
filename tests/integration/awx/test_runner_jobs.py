"""The stage job templates run through ansible-runner, laid out as AWX lays out a job.

Render publishes the artifacts and hands on only their location and digest; no published file
holds a secret; preflight with a bad inventory fails clearly; an apply stage given an approval
that the current inventory no longer renders is refused before anything changes.
"""

from __future__ import annotations

import base64
import copy
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fakes"))

from awx_job import (Credential, bgp_password, imported_inventory, last_task_output, run_job, task_results, stdout,  # noqa: E402
                     workflow_artifacts, workflow_job_templates)
from testpaths import REPO, UPSTREAM_DIR  # noqa: E402

TOR_EXAMPLE = os.path.join(REPO, "inventory", "examples", "tor-as-per-rack")
ETCD_EXAMPLE = os.path.join(REPO, "inventory", "examples", "etcd")
PASSWORD = "awx-bgp-S3cret-9f2"
ETCD_FILES = os.path.join(REPO, "inventory", "examples", "files", "etcd")


def etcd_client_tls():
    """The 'onprem.calico etcd client TLS' credential of docs/awx.md: three file injectors."""
    def read(name):
        with open(os.path.join(ETCD_FILES, name), encoding="utf-8") as handle:
            return handle.read()
    return Credential(files={"ca": read("ca.pem"), "cert": read("calico-client.pem"), "key": read("calico-client-key.pem")},
                      extra_vars={"calico_etcd_ca_file": "{ca}", "calico_etcd_cert_file": "{cert}",
                                  "calico_etcd_key_file": "{key}"})


def with_vendor_routers(inventory):
    """The example with one EOS, one NX-OS and one Junos ToR, so every renderer is exercised."""
    inv = copy.deepcopy(inventory)
    hostvars = inv["_meta"]["hostvars"]
    for router, platform, network_os, connection in (
        ("tor1b", "eos", "arista.eos.eos", "ansible.netcommon.network_cli"),
        ("tor2b", "nxos", "cisco.nxos.nxos", "ansible.netcommon.network_cli"),
        ("tor3b", "junos", "junipernetworks.junos.junos", "ansible.netcommon.netconf"),
    ):
        hostvars[router].update(calico_tor_platform=platform, ansible_network_os=network_os, ansible_connection=connection)
    return inv


def with_cluster_var(inventory, name, value):
    """An inventory update that changed a group_vars/all.yml value (AWX imports it on every host)."""
    inv = copy.deepcopy(inventory)
    for hostvars in inv["_meta"]["hostvars"].values():
        hostvars[name] = value
    return inv


@pytest.fixture(scope="module")
def inventory():
    return with_vendor_routers(imported_inventory(TOR_EXAMPLE))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, inventory):
    """The 'calico: render' job with the BGP password credential, publishing to a directory."""
    work = tmp_path_factory.mktemp("awxjobs")
    published = work / "published"
    runner = run_job(str(work / "render-job"), "render", inventory,
                     extra_vars={"calico_manifest_mirror": UPSTREAM_DIR, "calico_artifacts_dir": str(work / "ee-tmp"),
                                 "calico_artifacts_publish": str(published)},
                     credentials=[bgp_password(PASSWORD)])
    return work, runner


def test_render_job_publishes_and_hands_on_location_and_digest_only(rendered):
    work, runner = rendered
    assert runner.status == "successful", stdout(runner)
    handed_on = workflow_artifacts(runner)
    assert sorted(handed_on) == ["calico_apply_digest", "calico_apply_from"]
    location = handed_on["calico_apply_from"]
    assert os.path.dirname(location) == str(work / "published")
    files = {os.path.relpath(os.path.join(d, f), location) for d, _subdirs, fs in os.walk(location) for f in fs}
    assert {"artifacts.json", "plan.json", "review.md", "calico.yaml", "tor/tor1a.conf", "tor/tor1b.conf",
            "tor/tor2b.conf", "tor/tor3b.conf", "secrets/calico-bgp-password.yaml"} <= files
    # The review summary is the job's last task output; a first run has nothing to compare with.
    last = last_task_output(runner)
    assert last["task"] == "Show the review summary"
    assert "Nothing to compare against" in last["res"]["msg"]


def test_no_published_file_and_no_job_output_holds_the_password(rendered):
    work, runner = rendered
    location = workflow_artifacts(runner)["calico_apply_from"]
    holding = []
    for directory, _subdirs, names in os.walk(work):
        for name in names:
            with open(os.path.join(directory, name), "rb") as handle:
                if PASSWORD.encode() in handle.read():
                    holding.append(os.path.join(directory, name))
    # Only the credential file AWX itself writes for the job (extravars) may hold it.
    assert [p for p in holding if "/env/" not in p] == []
    assert PASSWORD not in stdout(runner)
    # ...and the placeholders are where the password goes.
    with open(os.path.join(location, "tor", "tor1a.conf"), encoding="utf-8") as handle:
        assert "password @@onprem.calico:secret:bgp_password@@" in handle.read()


def test_etcd_key_is_a_placeholder_in_the_published_manifest(tmp_path):
    inventory = imported_inventory(ETCD_EXAMPLE)
    credential = etcd_client_tls()
    key = credential.files["key"]
    runner = run_job(str(tmp_path / "job"), "render", inventory,
                     extra_vars={"calico_manifest_mirror": UPSTREAM_DIR, "calico_artifacts_dir": str(tmp_path / "ee-tmp"),
                                 "calico_artifacts_publish": str(tmp_path / "published")},
                     credentials=[credential])
    assert runner.status == "successful", stdout(runner)
    location = workflow_artifacts(runner)["calico_apply_from"]
    key_line = key.strip().splitlines()[1]  # a line of the key body, as base64 text
    for directory, _subdirs, names in os.walk(tmp_path / "published"):
        for name in names:
            with open(os.path.join(directory, name), encoding="utf-8") as handle:
                text = handle.read()
            assert key_line not in text and key not in text, name
    with open(os.path.join(location, "calico.yaml"), encoding="utf-8") as handle:
        manifest = handle.read()
    assert base64.b64encode(b"@@onprem.calico:secret:etcd_key@@").decode() in manifest
    assert base64.b64encode(key.encode()).decode()[:60] not in manifest


def test_preflight_with_a_bad_inventory_fails_naming_the_variable(tmp_path, inventory):
    bad = with_cluster_var(inventory, "calico_pod_cidr", "10.244.0.0/33")
    runner = run_job(str(tmp_path / "job"), "preflight", bad,
                     extra_vars={"calico_manifest_mirror": UPSTREAM_DIR, "calico_artifacts_dir": str(tmp_path / "ee-tmp"),
                                 "calico_preflight_cluster_check": False},
                     credentials=[bgp_password(PASSWORD)])
    out = stdout(runner)
    assert runner.status == "failed"
    assert "Preflight found" in out and "calico_pod_cidr" in out and "nothing was changed" in out
    assert not (tmp_path / "ee-tmp").exists()


def manifest_job(tmp_path, inventory, handed_on, name):
    return run_job(str(tmp_path / name), "manifest", inventory,
                   extra_vars={"calico_manifest_mirror": UPSTREAM_DIR, "calico_artifacts_dir": str(tmp_path / name / "ee-tmp"),
                               "calico_manifest_skip_api": True, **handed_on},
                   credentials=[bgp_password(PASSWORD)])


def test_apply_from_the_approved_set_goes_ahead(rendered, inventory, tmp_path):
    runner = rendered[1]
    job = manifest_job(tmp_path, inventory, workflow_artifacts(runner), "ok")
    assert job.status == "successful", stdout(job)
    check = task_results(job, "Compare with the approved artifacts (stops the run on any difference)")
    assert "renders exactly the approved artifacts" in check[0]["msg"]
    assert (tmp_path / "ok" / "ee-tmp" / "calico.yaml").exists()


def test_apply_from_a_stale_approval_is_refused_before_any_change(rendered, inventory, tmp_path):
    """The inventory changed after the approval (a new MTU): the manifest stage must not run."""
    runner = rendered[1]
    changed = with_cluster_var(inventory, "calico_mtu", 1400)
    job = manifest_job(tmp_path, changed, workflow_artifacts(runner), "stale")
    out = stdout(job)
    assert job.status == "failed"
    assert "are not what the current inventory renders" in out
    assert "calico.yaml: content differs" in out and "plan: approved sha256:" in out
    assert "Render calico.yaml and its change summary" not in out
    assert not (tmp_path / "stale" / "ee-tmp" / "calico.yaml").exists()


def test_apply_from_with_a_swapped_digest_is_refused(rendered, inventory, tmp_path):
    runner = rendered[1]
    handed_on = dict(workflow_artifacts(runner), calico_apply_digest="sha256:" + "0" * 64)
    job = manifest_job(tmp_path, inventory, handed_on, "swapped")
    assert job.status == "failed"
    assert "is not the approved set" in stdout(job)


def test_kubeconfig_credential_file_is_injected_like_awx(tmp_path, inventory):
    """A file injector: AWX writes the file (0600) and passes its path; render never needs it."""
    cred = Credential(files={"kubeconfig": "apiVersion: v1\nkind: Config\n"},
                      extra_vars={"calico_manifest_kubeconfig": "{kubeconfig}"})
    runner = run_job(str(tmp_path / "job"), "render", inventory,
                     extra_vars={"calico_manifest_mirror": UPSTREAM_DIR, "calico_artifacts_dir": str(tmp_path / "ee-tmp")},
                     credentials=[cred, bgp_password(PASSWORD)])
    assert runner.status == "successful", stdout(runner)
    injected = tmp_path / "job" / "env" / "tmp_cred0_kubeconfig"
    assert (os.stat(injected).st_mode & 0o777) == 0o600
    assert workflow_artifacts(runner) == {}  # nothing published, nothing handed on


def test_every_plan_building_template_has_the_credentials_the_plan_reads(tmp_path):
    """An etcd cluster (https: preflight needs the CA) with BGP passwords: rendered with the render
    template's credentials, the set is accepted by every later template with its own credentials
    (playbooks/awx/workflow.yml), so no node of the workflow refuses its own approval."""
    inventory = imported_inventory(ETCD_EXAMPLE)
    available = {"etcd_client": etcd_client_tls(), "bgp_password": bgp_password(PASSWORD)}
    templates = workflow_job_templates()

    def job(stage, extra):
        credentials = [available[name] for name in templates[stage]["credentials"] if name in available]
        return run_job(str(tmp_path / stage), stage, inventory, credentials=credentials,
                       extra_vars={"calico_manifest_mirror": UPSTREAM_DIR, "calico_artifacts_dir": str(tmp_path / stage / "ee-tmp"),
                                   "calico_manifest_skip_api": True, "calico_bgp_skip_api": True, "calico_preflight_cluster_check": False,
                                   **extra})
    render = job("render", {"calico_artifacts_publish": str(tmp_path / "published")})
    assert render.status == "successful", stdout(render)
    handed_on = workflow_artifacts(render)
    for stage in ("preflight", "manifest", "bgp", "tor", "verify"):
        check = task_results(job(stage, handed_on), "Compare with the approved artifacts (stops the run on any difference)")
        assert len(check) == 1 and "renders exactly the approved artifacts" in check[0]["msg"], (stage, check)
