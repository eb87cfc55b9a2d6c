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
    names = list(package_check.MUST_SHIP) + ["plugins/x/__pycache__/a.pyc", "Makefile", "mk/package.mk",
                                            ".stamp-apt", "roles/r/tasks/main.yml", "build/ee/Containerfile"]
    names.remove("bindep.txt")
    errors, dev_only = package_check.shipped_problems(names)
    assert "missing: bindep.txt" in errors
    assert any("plugins/x/__pycache__/a.pyc" in e for e in errors)
    assert any("build/ee/Containerfile" in e for e in errors)
    assert not any("roles/r/tasks" in e for e in errors)
    assert dev_only == [".stamp-apt", "Makefile", "mk"]
