"""Fast checks of the packaging files; `make package` runs the slow end-to-end version."""

import os
import sys

import pytest
import yaml
from ansible_builder.ee_schema import validate_schema
from ansible_builder.exceptions import DefinitionError

from testpaths import REPO

sys.path.insert(0, os.path.join(REPO, "tools"))

import package_check  # noqa: E402  pylint: disable=wrong-import-position


def load(rel):
    with open(os.path.join(REPO, rel), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def test_ee_definition_is_valid_schema_3():
    ee = load("execution-environment.yml")
    assert ee["version"] == 3
    validate_schema(ee)
    broken = dict(ee, images={"base_image": {"name": "x"}}, unknown_key=1)
    with pytest.raises(DefinitionError):
        validate_schema(broken)


def test_ee_installs_the_tarball_galaxy_builds():
    meta = load("galaxy.yml")
    tarball = "%s-%s-%s.tar.gz" % (meta["namespace"], meta["name"], meta["version"])
    ee = load("execution-environment.yml")
    assert [os.path.basename(f["src"]) for f in ee["additional_build_files"]] == [tarball]
    files = [c for c in ee["dependencies"]["galaxy"]["collections"] if c.get("type") == "file"]
    assert [os.path.basename(c["name"]) for c in files] == [tarball]


def test_collection_ee_metadata_points_at_existing_relative_files():
    meta = load("meta/execution-environment.yml")
    for key in ("python", "system"):
        rel = meta["dependencies"][key]
        assert not os.path.isabs(rel)  # ansible-builder refuses absolute paths from collections
        assert package_check.requirement_lines(os.path.join(REPO, rel))
    # the development toolchain must not leak into the EE through the default requirements.txt
    assert meta["dependencies"]["python"] != "requirements.txt"


def test_ee_python_requirements_are_ranges_of_what_is_tested():
    """Each EE requirement allows the version pinned in constraints.txt (what the tests ran)."""
    from packaging.requirements import Requirement

    pins = {}
    for line in package_check.requirement_lines(os.path.join(REPO, "constraints.txt")):
        name, _sep, version = line.partition("==")
        pins[name.lower()] = version
    for line in package_check.requirement_lines(os.path.join(REPO, "meta", "ee-requirements.txt")):
        req = Requirement(line)
        assert not any(s.operator == "==" for s in req.specifier), "exact pin in the EE: %s" % line
        if req.name.lower() in pins:
            assert req.specifier.contains(pins[req.name.lower()]), (line, pins[req.name.lower()])


def test_shipped_problems():
    extra = ["plugins/x/__pycache__/a.pyc", "Makefile", "mk/package.mk", ".stamp-apt", "roles/r/tasks/main.yml",
             "build/ee/Containerfile"]
    names = list(package_check.MUST_SHIP) + extra
    names.remove("bindep.txt")
    errors, dev_only = package_check.shipped_problems(names)
    assert "missing: bindep.txt" in errors
    assert any("plugins/x/__pycache__/a.pyc" in e for e in errors)
    assert any("build/ee/Containerfile" in e for e in errors)
    assert not any("roles/r/tasks" in e for e in errors)
    assert dev_only == [".stamp-apt", "Makefile", "mk"]


def collections_used():
    """Collections the roles, stage playbooks and plugins name (FQCNs of installed collections).

    The lab's playbooks and inventories are test scaffolding, not run by users.
    """
    import re

    import ansible_collections

    known = set()
    for root in ansible_collections.__path__:
        for ns in os.listdir(root):
            if os.path.isdir(os.path.join(root, ns)) and not ns.startswith(("_", ".")):
                known.update("%s.%s" % (ns, name) for name in os.listdir(os.path.join(root, ns)))
    fqcn = re.compile(r"\b([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)\.[a-z][a-z0-9_]*")
    used = {}
    sources = [os.path.join(REPO, "site.yml")]
    for top in ("roles", "playbooks", "plugins"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(REPO, top)):
            # playbooks/awx runs against AWX's API from an admin's `ansible` install (awx.awx comes
            # with it); jobs never run it, so it is no dependency of the collection or the EE.
            dirnames[:] = [d for d in dirnames if d not in ("lab", "awx", "__pycache__")]
            sources += [os.path.join(dirpath, f) for f in filenames if f.endswith((".yml", ".yaml", ".py", ".j2"))]
    for path in sources:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        for name in fqcn.findall(text) + re.findall(r"ansible_collections\.([a-z0-9_]+\.[a-z0-9_]+)", text):
            if name in known and name not in ("ansible.builtin", "onprem.calico"):
                used.setdefault(name, os.path.relpath(path, REPO))
    return used


def test_galaxy_dependencies_list_every_collection_used():
    deps = load("galaxy.yml")["dependencies"] or {}
    used = collections_used()
    assert "kubernetes.core" in used  # the scan sees the roles at all
    missing = {name: where for name, where in used.items() if name not in deps}
    assert not missing, "add to galaxy.yml dependencies (first use shown): %s" % missing


def test_galaxy_dependencies_are_all_used():
    # A dependency nothing names still costs every install (and every execution environment) a
    # download; what another dependency needs, that dependency declares itself.
    unused = set(load("galaxy.yml")["dependencies"] or {}) - set(collections_used())
    assert not unused, "galaxy.yml depends on collections nothing uses: %s" % sorted(unused)
