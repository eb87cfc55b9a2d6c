"""Shared fixtures of the calico_host molecule verifiers: the plan the stage used, per-host facts."""

import functools
import json
import os

import pytest
import testinfra

# testinfra runs commands on hosts with an unknown connection (containers.podman.podman) through
# one `ansible` process per command (about 2 s each); talk to the containers with podman instead.
os.environ.setdefault("CONTAINERS_CONF", os.path.join(
    os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.getcwd()), "tests", "images", "containers.conf"))


@functools.lru_cache(maxsize=None)
def podman_host(name):
    return testinfra.get_host("podman://" + name)


@pytest.fixture
def host(_testinfra_host):
    """The same host as testinfra's, reached with `podman exec`."""
    return podman_host(_testinfra_host.backend.host)


@pytest.fixture(scope="session")
def plan():
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "plan.json")
    with open(path) as handle:
        return json.load(handle)


@pytest.fixture
def hostvars(_testinfra_host):
    return _testinfra_host.ansible.get_variables()


@pytest.fixture
def node(host, hostvars, plan):
    """The plan's entry for this host, or skip the test on hosts that are no Calico node."""
    name = hostvars["inventory_hostname"]
    if name not in plan["nodes"]:
        pytest.skip("%s is not a node" % name)
    return plan["nodes"][name]


@pytest.fixture
def host_rules(hostvars, plan):
    """The plan's firewall rules for this host's groups."""
    groups = set(hostvars["group_names"])
    return [r for r in plan["host_preparation"]["firewall_rules"] if r["group"] in groups]
