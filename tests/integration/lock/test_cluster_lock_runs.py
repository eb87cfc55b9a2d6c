"""The cluster lock with real ansible-playbook runs.

File lock (lab inventory: no API): two concurrent runs of one controller, a run that fails while
holding the lock, and a run killed with SIGKILL. Lease (Kubernetes example inventory, its API host
run locally): against the FAKE API server of tests/fakes (not kube-apiserver), including the
release of a failed run's Lease by the callback.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time

from testpaths import REPO, UPSTREAM_DIR

sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))

from kube_apiserver import FakeKubeAPI  # noqa: E402

VENV_BIN = os.path.join(REPO, ".venv", "bin")
HOLD = os.path.join(REPO, "tests", "integration", "lock", "hold.yml")
LEASE = ("coordination.k8s.io/v1", "leases")


def command(playbook, tmp, *extra, inventory="inventory/lab"):
    return [os.path.join(VENV_BIN, "ansible-playbook"), "-i", inventory, playbook,
            "-e", "calico_artifacts_dir=" + os.path.join(str(tmp), "artifacts"),
            "-e", "lock_test_release=" + os.path.join(str(tmp), "release")] + list(extra)


def environment():
    return dict(os.environ, CALICO_UPSTREAM_DIR=UPSTREAM_DIR, PATH=VENV_BIN + os.pathsep + os.environ["PATH"],
                ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")


def run(playbook, tmp, *extra, inventory="inventory/lab"):
    return subprocess.run(command(playbook, tmp, *extra, inventory=inventory), cwd=REPO, env=environment(),
                          capture_output=True, text=True, check=False, timeout=300)


def start(playbook, tmp, *extra):
    return subprocess.Popen(command(playbook, tmp, *extra), cwd=REPO, env=environment(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(path, proc):
    for _attempt in range(1800):  # 3 minutes: planning is slow on a loaded machine
        if os.path.exists(path):
            return
        assert proc.poll() is None, proc.stdout.read()[-3000:]
        time.sleep(0.1)
    raise AssertionError("no lock file " + path)


def read_lock(path):
    with open(path) as handle:
        return json.load(handle)


def test_second_concurrent_run_is_refused_naming_the_first(tmp_path):
    lock = str(tmp_path / "artifacts.lock")
    first = start(HOLD, tmp_path)
    try:
        wait_for(lock, first)
        holder = read_lock(lock)["holder"]
        # The holder is the first ansible-playbook process itself: user@controller:pid.
        assert holder.endswith(":%d" % first.pid)
        second = run("playbooks/lock.yml", tmp_path)
        assert second.returncode != 0
        assert "is held by %s since %s" % (holder, read_lock(lock)["acquired"]) in second.stdout
        assert read_lock(lock)["holder"] == holder  # untouched by the refused run
    finally:
        (tmp_path / "release").touch()
        out = first.communicate(timeout=120)[0]
    assert first.returncode == 0, out[-3000:]
    assert not os.path.exists(lock)
    third = run("playbooks/lock.yml", tmp_path)
    assert third.returncode == 0, third.stdout[-3000:]
    assert re.search(r"localhost\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=0", third.stdout)


def test_failed_run_releases_its_lock(tmp_path):
    proc = run(HOLD, tmp_path, "-e", "lock_test_fail=true")
    assert proc.returncode != 0 and "injected stage failure" in proc.stdout
    assert "the run ended holding it; released for" in proc.stderr  # not in the stdout callback's output
    assert not os.path.exists(tmp_path / "artifacts.lock")


def test_killed_run_leaves_its_lock_until_it_is_stale_and_broken(tmp_path):
    lock = str(tmp_path / "artifacts.lock")
    first = start(HOLD, tmp_path)
    wait_for(lock, first)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=60)
    record = read_lock(lock)
    proc = run("playbooks/lock.yml", tmp_path, "-e", "calico_lock_break=true")
    assert proc.returncode != 0 and "another run is changing this cluster" in proc.stdout  # fresh: never broken
    # Three hours later (the default calico_lock_timeout) the lock is stale.
    record["acquired"] = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=3, minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with open(lock, "w") as handle:
        json.dump(record, handle)
    proc = run("playbooks/lock.yml", tmp_path)
    assert proc.returncode != 0 and "-e calico_lock_break=true to break it" in proc.stdout
    proc = run("playbooks/lock.yml", tmp_path, "-e", "calico_lock_break=true")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Broke the stale cluster lock of %s" % record["holder"] in " ".join(proc.stdout.split())


def lease_run(api, tmp, *extra):
    kubeconfig = tmp / "admin.conf"
    kubeconfig.write_text(api.kubeconfig())
    return run("playbooks/lock.yml", tmp, "-e", "ansible_connection=local",
               "-e", "ansible_python_interpreter=" + os.path.join(VENV_BIN, "python"),
               "-e", "calico_manifest_kubeconfig=" + str(kubeconfig), *extra, inventory="inventory/examples/kdd-small")


def test_lease_refuses_another_holder_breaks_a_stale_one_and_is_released_by_the_callback(tmp_path):
    with FakeKubeAPI() as api:
        name = "onprem-calico-" + "kdd-small"
        started = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
        api.add(*LEASE, {"metadata": {"name": name, "namespace": "kube-system"},
                         "spec": {"holderIdentity": "awx-job-4711", "leaseDurationSeconds": 10800,
                                  "acquireTime": started.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}})
        proc = lease_run(api, tmp_path)
        assert proc.returncode != 0
        assert "Lease kube-system/%s) is held by awx-job-4711 since %s" % (name, started.strftime("%Y-%m-%dT%H:%M:%S.%fZ")) in proc.stdout
        assert api.get(*LEASE, name, "kube-system")["spec"]["holderIdentity"] == "awx-job-4711"

        lease = api.get(*LEASE, name, "kube-system")
        lease["spec"]["acquireTime"] = (started - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        api.add(*LEASE, lease)
        proc = lease_run(api, tmp_path, "-e", "calico_lock_break=true", "-e", "tower_job_id=4712")
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert "Broke the stale cluster lock of awx-job-4711; this run (awx-job-4712) holds it now" in " ".join(proc.stdout.split())
        # lock.yml alone never releases: the callback did, at the end of the run, as after a failure.
        assert "the run ended holding Lease kube-system/%s; releasing it" % name in proc.stderr
        writes = [(r[0], r[1]) for r in api.writes() if "/leases" in r[1]]
        assert writes == [("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/" + name)] * 2
        assert "holderIdentity" not in api.get(*LEASE, name, "kube-system")["spec"]

        proc = lease_run(api, tmp_path)  # a released Lease is free
        assert proc.returncode == 0, proc.stdout[-3000:]


def test_retire_and_uninstall_are_refused_while_another_run_holds_the_lock(tmp_path):
    """retire_node.yml and uninstall.yml take the lock site.yml takes (hold.yml imports the same
    lock.yml): while a run holds it, both stop at the lock, before any host or router is touched."""
    lock = str(tmp_path / "artifacts.lock")
    first = start(HOLD, tmp_path)
    try:
        wait_for(lock, first)
        held = read_lock(lock)
        for playbook, extra in (("playbooks/retire_node.yml", ("-e", '{"calico_retire": ["r1-w2"]}')),
                                ("playbooks/uninstall.yml", ("-e", "calico_uninstall_confirm=yes"))):
            proc = run(playbook, tmp_path, *extra)
            assert proc.returncode != 0, proc.stdout[-3000:]
            assert "is held by %s since %s" % (held["holder"], held["acquired"]) in proc.stdout, proc.stdout[-3000:]
            # The lock was the run's last task: no later play started, no node or router was contacted.
            assert re.findall(r"^TASK \[(.*?)\]", proc.stdout, re.M)[-1] == "Take the cluster lock (one run at a time)"
            assert re.findall(r"^(\S+)\s+: ok=", proc.stdout, re.M) == ["localhost"], proc.stdout[-3000:]
            assert read_lock(lock) == held
    finally:
        (tmp_path / "release").touch()
        out = first.communicate(timeout=120)[0]
    assert first.returncode == 0, out[-3000:]
    assert not os.path.exists(lock)


def execution_environment_env():
    """The ENV instructions of execution-environment.yml's final build steps (what every AWX job
    from the image runs with)."""
    import yaml  # pylint: disable=import-outside-toplevel

    with open(os.path.join(REPO, "execution-environment.yml"), encoding="utf-8") as handle:
        steps = yaml.safe_load(handle)["additional_build_steps"]["append_final"]
    return dict(step.split(" ", 1)[1].split("=", 1) for step in steps if step.startswith("ENV "))


def test_execution_environment_enables_the_callback_that_releases_a_failed_runs_lock(tmp_path):
    """AWX: the site's ansible.cfg need not enable the callback; the image's environment does."""
    bare_config = tmp_path / "ansible.cfg"  # this repository's ansible.cfg without callbacks_enabled
    with open(os.path.join(REPO, "ansible.cfg"), encoding="utf-8") as handle:
        bare_config.write_text("".join(line for line in handle if not line.startswith("callbacks_enabled")
                                       ).replace("./", REPO + "/"))
    lock = tmp_path / "artifacts.lock"
    argv = command(HOLD, tmp_path, "-e", "lock_test_fail=true")
    for env in ({}, execution_environment_env()):
        if lock.exists():
            lock.unlink()
        proc = subprocess.run(argv, cwd=REPO, env=dict(environment(), ANSIBLE_CONFIG=str(bare_config), **env),
                              capture_output=True, text=True, check=False, timeout=300)
        assert proc.returncode != 0 and "injected stage failure" in proc.stdout, proc.stdout[-3000:]
        # Without the image's environment nothing releases the failed run's lock; with it, the callback does.
        assert lock.exists() is not bool(env), (env, proc.stderr[-2000:])
    assert execution_environment_env()["ANSIBLE_CALLBACKS_ENABLED"].split(",")[0] == "onprem.calico.cluster_lock"
