"""Run a job template the way AWX runs it: ansible-runner on a private data directory.

AWX lays a job out as ``<private data dir>/project`` (the project checkout), ``inventory/hosts``
(an executable script printing the imported inventory as JSON), ``env/extravars`` (survey
answers, workflow artifacts of earlier nodes and the credentials' injected extra variables),
``env/envvars`` (injected environment variables) and one file per credential ``file`` injector
below ``env/``, whose path the injector refers to as ``tower.filename``. This module builds that
layout from an inventory directory of this repository and the credential types of docs/awx.md.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess

import ansible_runner
import yaml

from testpaths import REPO

BIN = os.path.join(REPO, ".venv", "bin")

# The site project of docs/awx.md: one-line stage playbooks importing the collection's.
STAGES = ("render", "preflight", "hosts", "manifest", "bgp", "tor", "verify")


def workflow_job_templates() -> dict:
    """{stage: job template} as playbooks/awx/workflow.yml creates them (credentials, forks, extra vars)."""
    with open(os.path.join(REPO, "playbooks", "awx", "workflow.yml"), encoding="utf-8") as handle:
        play = yaml.safe_load(handle)[0]
    return {template["stage"]: template for template in play["vars"]["awx_stages"]}


def imported_inventory(inventory_dir: str, export: bool = False) -> dict:
    """What an AWX inventory source 'Sourced from a Project' imports: ansible-inventory --list.

    ``export``: group variables stay on their groups, as AWX's import (``--list --export``)
    stores them; then the implicit localhost of a job sees the variables of ``all``. Without
    it every host carries its group variables and localhost none."""
    argv = [os.path.join(BIN, "ansible-inventory"), "-i", inventory_dir, "--list"] + (["--export"] if export else [])
    proc = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(proc.stdout)


def write_project(project: str) -> None:
    os.makedirs(project, exist_ok=True)
    for stage in STAGES:
        with open(os.path.join(project, "calico-%s.yml" % stage), "w", encoding="utf-8") as handle:
            handle.write("---\n- name: %s\n  ansible.builtin.import_playbook: onprem.calico.%s\n" % (stage, stage))


def write_inventory(pdd: str, inventory: dict) -> None:
    os.makedirs(os.path.join(pdd, "inventory"), exist_ok=True)
    script = os.path.join(pdd, "inventory", "hosts")
    with open(script, "w", encoding="utf-8") as handle:
        handle.write("#! /usr/bin/env python3\nprint(%r)\n" % json.dumps(inventory))
    os.chmod(script, stat.S_IRWXU)


class Credential:
    """One credential of a custom type: its injector's extra vars, env and files."""

    def __init__(self, extra_vars=None, env=None, files=None):
        self.extra_vars = extra_vars or {}
        self.env = env or {}
        # name -> content; an injector refers to the written file as {{ tower.filename.<name> }}.
        self.files = files or {}


def bgp_password(value):
    return Credential(extra_vars={"calico_bgp_password": value})


def run_job(pdd: str, stage: str, inventory: dict, extra_vars=None, credentials=()):
    """Run one stage job template; returns the runner (status, rc, events, stdout)."""
    if os.path.exists(pdd):
        shutil.rmtree(pdd)
    write_project(os.path.join(pdd, "project"))
    write_inventory(pdd, inventory)
    env_dir = os.path.join(pdd, "env")
    os.makedirs(env_dir)
    extra = dict(extra_vars or {})
    envvars = {
        # The EE's ansible and the collection (in the EE it is installed; here: the checkout).
        "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO, ".collections"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    for number, cred in enumerate(credentials):
        filenames = {}
        for name, content in cred.files.items():
            path = os.path.join(env_dir, "tmp_cred%d_%s" % (number, name))
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(content)
            os.chmod(path, 0o600)
            filenames[name] = path
        render = (lambda value: value.format(**filenames)) if filenames else (lambda value: value)
        extra.update({k: render(v) for k, v in cred.extra_vars.items()})
        envvars.update({k: render(v) for k, v in cred.env.items()})
    with open(os.path.join(env_dir, "extravars"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(extra, handle)
    with open(os.path.join(env_dir, "envvars"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(envvars, handle)
    with open(os.path.join(env_dir, "settings"), "w", encoding="utf-8") as handle:
        yaml.safe_dump({"suppress_ansible_output": True, "idle_timeout": 0}, handle)
    return ansible_runner.run(private_data_dir=pdd, playbook="calico-%s.yml" % stage, quiet=True,
                              project_dir=os.path.join(pdd, "project"))


def stdout(runner) -> str:
    return runner.stdout.read()


def workflow_artifacts(runner) -> dict:
    """What AWX hands to the next workflow node: set_stats data of the playbook_on_stats event."""
    for event in runner.events:
        if event.get("event") == "playbook_on_stats":
            return event["event_data"].get("artifact_data") or {}
    return {}


def task_results(runner, task):
    """Results of every host for one task name (ok or failed)."""
    return [e["event_data"]["res"] for e in runner.events
            if e.get("event") in ("runner_on_ok", "runner_on_failed") and e["event_data"].get("task") == task]


def last_task_output(runner):
    """The result of the job's last task (what the AWX job page shows at the bottom)."""
    last = None
    for event in runner.events:
        if event.get("event") == "runner_on_ok":
            last = event["event_data"]
    return last
