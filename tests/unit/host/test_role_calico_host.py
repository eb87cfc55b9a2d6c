"""Role onprem.calico.calico_host: argument_specs and defaults agree, OS-family vars are complete,
and the templates only use variables the role defines or the plan provides."""

import os
import re

import pytest
import yaml

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "calico_host")


def load(*parts):
    with open(os.path.join(ROLE, *parts)) as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def specs():
    return load("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]


@pytest.fixture(scope="module")
def defaults():
    return load("defaults", "main.yml")


def test_every_default_is_specified_with_the_same_value(specs, defaults):
    for name, value in defaults.items():
        assert name in specs, "%s has a default but no argument spec" % name
        assert specs[name].get("default") == value, name


def test_every_optional_spec_has_a_default_and_required_ones_none(specs, defaults):
    for name, spec in specs.items():
        if spec.get("required"):
            assert name not in defaults and "default" not in spec, name
        else:
            assert name in defaults, "%s is optional but has no default in defaults/main.yml" % name


def test_specs_are_typed_described_and_defaults_within_choices(specs):
    for name, spec in specs.items():
        assert spec.get("type") in ("str", "bool", "int", "dict", "list", "path"), name
        assert spec.get("description"), name
        if "choices" in spec:
            assert spec["default"] in spec["choices"], name
        if spec.get("type") == "list":
            assert "elements" in spec, name


def test_firewall_backend_choices_match_the_role_constants(specs):
    constants = load("vars", "main.yml")
    assert set(specs["calico_host_firewall_backend"]["choices"]) == {"auto"} | set(constants["calico_host_firewall_backends"])


@pytest.mark.parametrize("family", ["Debian", "RedHat"])
def test_os_family_vars_are_complete(family):
    debian = load("vars", "Debian.yml")
    other = load("vars", family + ".yml")
    assert set(other) == set(debian)
    assert set(other["calico_host_os_packages"]) == {"base", "nftables"}
    # Every backend appears once in the order of preference for auto-detection.
    assert sorted(other["calico_host_os_firewall_preference"]) == ["firewalld", "nftables", "ufw"]
    assert other["calico_host_os_nft_binary"].startswith("/")


def test_family_specifics():
    debian = load("vars", "Debian.yml")
    redhat = load("vars", "RedHat.yml")
    assert "conntrack" in debian["calico_host_os_packages"]["base"]
    assert "conntrack-tools" in redhat["calico_host_os_packages"]["base"]
    assert "iproute2" in debian["calico_host_os_packages"]["base"]
    assert "iproute" in redhat["calico_host_os_packages"]["base"]
    assert redhat["calico_host_os_firewall_preference"][0] == "firewalld"
    # ansible.builtin.package is told its backend (else it gathers facts on every run to find it).
    assert (debian["calico_host_os_package_manager"], redhat["calico_host_os_package_manager"]) == ("apt", "dnf")


def test_templates_reference_only_known_variables(specs):
    """A variable a template reads must come from the role (defaults, vars, facts it sets) or Ansible."""
    known = set(specs) | set(load("vars", "main.yml")) | set(load("vars", "Debian.yml"))
    for tasks in os.listdir(os.path.join(ROLE, "tasks")):
        with open(os.path.join(ROLE, "tasks", tasks)) as handle:
            text = handle.read()
        known |= set(re.findall(r"^\s+(calico_host_\w+):", text, re.M))
        known |= set(re.findall(r"register: (calico_host_\w+)", text))
    for folder, _dirs, files in os.walk(os.path.join(ROLE, "templates")):
        for name in files:
            with open(os.path.join(folder, name)) as handle:
                used = set(re.findall(r"\b(calico_host_\w+)", handle.read()))
            assert used <= known, (name, used - known)
