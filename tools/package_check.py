"""Build the collection tarball and prove it works on its own, as a user would get it.

Steps (each fails with a message that says what to change):
  1. ``ansible-galaxy collection build`` into build/package/.
  2. The tarball holds what a user needs and nothing of the development checkout, caches or
     tooling (what galaxy.yml ``build_ignore`` must keep out).
  3. ``ansible-galaxy collection install --offline`` into a temporary collections path: every
     galaxy.yml dependency must be met by the collections of the ``ansible`` package.
  4. ``ansible-playbook onprem.calico.render`` from the installed copy, with
     ANSIBLE_COLLECTIONS_PATH pointing only at it, writes plan.json and calico.yaml; a second
     run reports changed=0.
  5. ``ansible-builder create`` writes the execution environment's build context from
     execution-environment.yml; the galaxy stage is replayed offline from that context and
     ``ansible-builder introspect`` must find meta/ee-requirements.txt and bindep.txt through the
     installed collection's meta/execution-environment.yml; its exact pins must be the tested
     versions (tools/ee_pins.py --check).

Run by ``make package``; needs CALICO_UPSTREAM_DIR (the upstream manifests used as mirror).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(os.path.abspath(sys.executable))

# A user of the tarball needs these (paths inside the collection).
MUST_SHIP = [
    "MANIFEST.json",
    "LICENSE",
    "README.md",
    "meta/runtime.yml",
    "meta/execution-environment.yml",
    "meta/ee-requirements.txt",
    "bindep.txt",
    "playbooks/plan.yml",
    "playbooks/render.yml",
    "plugins/action/plan.py",
    "plugins/action/render.py",
    "plugins/plugin_utils/plan/__init__.py",
    "plugins/plugin_utils/plan/plan.schema.json",
    "inventory/examples/kdd-small/hosts.yml",
    "docs/plan.md",
    "changelogs/changelog.yaml",
]
# Build output, caches and the checkout's own state must never ship: they make the tarball
# big, can carry secrets (artifacts/) or shadow the installed code. Shell patterns, matched
# against every path component.
MUST_NOT_SHIP = [
    ".venv", ".collections", ".git", "build", "artifacts", "output", ".pytest_cache",
    "__pycache__", "*.pyc", "*.tar.gz",
]
# Development tooling a user does not need (galaxy.yml build_ignore leaves it out). Paths at
# the collection root.
DEV_ONLY = [
    ".ci", "mk", "Makefile", "constraints.txt", "requirements.txt", "ansible.cfg", "pytest.ini",
    "execution-environment.yml", "tools", "benchmarks", ".sanity-exclude", ".gitignore",
]


class CheckFailed(Exception):
    pass


def run(cmd, cwd=None, env=None):
    """Run a command; on failure raise with its output so `make` shows what went wrong."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CheckFailed("%s failed (rc=%d):\n%s%s" % (" ".join(cmd), proc.returncode, proc.stdout, proc.stderr))
    return proc.stdout


def isolated_env(collections_path, cfg_dir):
    """Environment where only `collections_path` (and the ansible package) provides collections."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    cfg = os.path.join(cfg_dir, "ansible.cfg")
    with open(cfg, "w", encoding="utf-8") as fh:
        fh.write("[defaults]\nretry_files_enabled = False\nstdout_callback = ansible.builtin.default\n")
    env.update(ANSIBLE_CONFIG=cfg, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR="1",
               ANSIBLE_GALAXY_DISABLE_GPG_VERIFY="1")
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    return env


def galaxy_meta():
    with open(os.path.join(REPO, "galaxy.yml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def build_tarball(out_dir):
    meta = galaxy_meta()
    os.makedirs(out_dir, exist_ok=True)
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path", out_dir, REPO])
    path = os.path.join(out_dir, "%s-%s-%s.tar.gz" % (meta["namespace"], meta["name"], meta["version"]))
    if not os.path.exists(path):
        raise CheckFailed("ansible-galaxy did not write %s" % path)
    return path


def shipped_problems(names):
    """(errors, dev-only entries) of a list of tarball member names."""
    members = {n.rstrip("/") for n in names}
    errors = ["missing: %s" % p for p in MUST_SHIP if p not in members]
    dev_only = set()
    for name in sorted(members):
        parts = name.split("/")
        bad = [p for p in MUST_NOT_SHIP if any(fnmatch.fnmatch(part, p) for part in parts)]
        if bad:
            errors.append("should not ship: %s (matches %s)" % (name, bad[0]))
        elif parts[0] in DEV_ONLY or fnmatch.fnmatch(parts[0], ".stamp-*"):
            dev_only.add(parts[0])
    return errors, sorted(dev_only)


def check_contents(tarball):
    with tarfile.open(tarball) as tar:
        errors, dev_only = shipped_problems(tar.getnames())
    if dev_only:
        errors.append("development files ship; add to galaxy.yml build_ignore: %s" % ", ".join(dev_only))
    if errors:
        raise CheckFailed("tarball contents (fix galaxy.yml build_ignore or add the file):\n  " + "\n  ".join(errors))


def install(tarball, collections_path, env):
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "--force",
         "-p", collections_path, tarball], env=env)
    listing = json.loads(run([os.path.join(BIN, "ansible-galaxy"), "collection", "list", "onprem.calico",
                              "--format", "json"], env=env))
    found = [path for path, cols in listing.items() if "onprem.calico" in cols]
    expected = os.path.join(collections_path, "ansible_collections")
    if found != [expected]:
        raise CheckFailed("onprem.calico should resolve only from %s, found in %s" % (expected, found))
    return os.path.join(expected, "onprem", "calico")


RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def render(installed, work, env, upstream):
    artifacts = os.path.join(work, "artifacts")
    cmd = [os.path.join(BIN, "ansible-playbook"), "onprem.calico.render",
           "-i", os.path.join(installed, "inventory", "examples", "kdd-small"),
           "-e", "calico_manifest_mirror=%s" % upstream, "-e", "calico_artifacts_dir=%s" % artifacts]
    changed = []
    for _run in range(2):
        out = run(cmd, cwd=work, env=env)
        recap = RECAP.search(out)
        if not recap or recap.group(4) != "0":
            raise CheckFailed("render from the installed collection did not pass:\n" + out)
        changed.append(int(recap.group(2)))
    for name in ("plan.json", "calico.yaml"):
        path = os.path.join(artifacts, name)
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            raise CheckFailed("render from the installed collection wrote no %s in %s" % (name, artifacts))
    with open(os.path.join(artifacts, "plan.json"), encoding="utf-8") as fh:
        plan = json.load(fh)
    if plan["cluster"]["artifacts_dir"] != artifacts:
        raise CheckFailed("plan.json names artifacts_dir %s, expected %s" % (plan["cluster"]["artifacts_dir"], artifacts))
    if changed[0] == 0 or changed[1] != 0:
        raise CheckFailed("render should change on the first run and not on the second; changed=%s" % changed)
    return changed


def requirement_lines(path):
    with open(path, encoding="utf-8") as fh:
        return [line.split("#")[0].strip() for line in fh if line.split("#")[0].strip()]


def check_execution_environment(tarball, work, env):
    ee_file = os.path.join(REPO, "execution-environment.yml")
    with open(ee_file, encoding="utf-8") as fh:
        ee = yaml.safe_load(fh)
    wanted = os.path.basename(tarball)
    sources = [os.path.basename(f["src"]) for f in ee.get("additional_build_files", [])]
    if wanted not in sources:
        raise CheckFailed("execution-environment.yml copies %s, but galaxy.yml builds %s: update the tarball name in "
                          "additional_build_files and dependencies.galaxy" % (sources, wanted))
    # Exact pins: the versions the tests run with (tools/ee_pins.py explains why).
    run([sys.executable, os.path.join(REPO, "tools", "ee_pins.py"), "--check"], cwd=REPO)
    context = os.path.join(REPO, "build", "ee")
    shutil.rmtree(context, ignore_errors=True)
    run([os.path.join(BIN, "ansible-builder"), "create", "-f", ee_file, "-c", context,
         "--output-filename", "Containerfile"], cwd=REPO)
    build_dir = os.path.join(context, "_build")
    if not os.path.isfile(os.path.join(build_dir, "collections", wanted)):
        raise CheckFailed("the EE build context lacks collections/%s" % wanted)
    # Replay the image's galaxy stage offline: requirements.yml as the Containerfile runs it, in /build,
    # into a collections path of its own (the copy installed above must not satisfy it).
    ee_collections = os.path.join(work, "ee-collections")
    ee_env = dict(env, ANSIBLE_COLLECTIONS_PATH=ee_collections)
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "-r", "requirements.yml",
         "-p", ee_collections], cwd=build_dir, env=ee_env)
    introspected = yaml.safe_load(run([os.path.join(BIN, "ansible-builder"), "introspect", ee_collections]))
    ours = " # from collection onprem.calico"
    python = sorted(r.replace(ours, "").strip() for r in introspected.get("python") or [] if r.endswith(ours))
    system = sorted(r.replace(ours, "").strip() for r in introspected.get("system") or [] if r.endswith(ours))
    expected_python = sorted(requirement_lines(os.path.join(REPO, "meta", "ee-requirements.txt")))
    expected_system = sorted(requirement_lines(os.path.join(REPO, "bindep.txt")))
    if python != expected_python or system != expected_system:
        raise CheckFailed("ansible-builder introspect of the installed collection found python=%s system=%s; expected "
                          "meta/ee-requirements.txt %s and bindep.txt %s (see meta/execution-environment.yml)"
                          % (python, system, expected_python, expected_system))
    return len(python), len(system)


def say(text):
    print("package: " + text, flush=True)


def main():
    upstream = os.environ.get("CALICO_UPSTREAM_DIR") or os.path.join(REPO, "..", "shared", "upstream", "calico")
    if not os.path.isdir(upstream):
        print("package: CALICO_UPSTREAM_DIR %s is not a directory" % upstream, file=sys.stderr)
        return 2
    tarball = None
    try:
        tarball = build_tarball(os.path.join(REPO, "build"))
        check_contents(tarball)
        say("built %s (%d KiB)" % (os.path.relpath(tarball, REPO), os.path.getsize(tarball) // 1024))
        with tempfile.TemporaryDirectory(prefix="onprem-calico-pkg-") as work:
            env = isolated_env(os.path.join(work, "collections"), work)
            installed = install(tarball, os.path.join(work, "collections"), env)
            say("installed offline into %s, dependencies met by the ansible package" % installed)
            changed = render(installed, work, env, os.path.abspath(upstream))
            say("onprem.calico.render from the installed copy wrote plan.json and calico.yaml "
                "(changed=%d, then changed=%d)" % tuple(changed))
            n_py, n_sys = check_execution_environment(tarball, work, env)
            say("ansible-builder create wrote build/ee; introspect finds %d Python and %d system "
                "requirements of onprem.calico" % (n_py, n_sys))
    except CheckFailed as exc:
        print("package: FAILED: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
