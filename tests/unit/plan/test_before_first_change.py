"""What the plan checks before anything changes, without contacting any host (issue 12, item 5)."""

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from plan_inputs import base, tor_base


def errors_of(inv):
    return [str(e) for e in build_plan(inv).errors]


def test_release_without_calicoctl_checksum_is_refused_in_preflight():
    assert "3.32.1" in catalog.SUPPORTED_VERSIONS and "3.32.1" not in catalog.CALICOCTL_SHA256
    (err,) = errors_of(base(calico_version="3.32.1"))
    assert err.startswith("calico_calicoctl_sha256: is not set and the catalog has no calicoctl checksum for Calico 3.32.1")
    assert "after the manifest stage has applied" in err
    assert "Fix: set calico_calicoctl_sha256 to the sha256 of calicoctl-linux-<arch> of the v3.32.1 release" in err
    assert "(amd64, arm64, ppc64le)" in err


@pytest.mark.parametrize(
    "settings",
    [
        {"calico_calicoctl_sha256": "ab" * 32},
        {"calico_bgp_calicoctl_install": False},
        {"calico_bgp_skip_api": True},
    ],
)
def test_release_without_calicoctl_checksum_passes_when_calicoctl_is_not_downloaded(settings):
    assert build_plan(base(calico_version="3.32.1", **settings)).ok


def test_malformed_calicoctl_checksum():
    (err,) = errors_of(base(calico_calicoctl_sha256="abc"))
    assert err.startswith("calico_calicoctl_sha256: is not a 64-digit hex sha256.")


def test_every_catalog_release_with_a_calicoctl_checksum_passes():
    for version in catalog.CALICOCTL_SHA256:
        assert build_plan(base(calico_version=version)).ok, version


def network_router(platform, **host):
    inv = tor_base()
    inv.hosts["tor1"].update(calico_tor_platform=platform, **host)
    return inv


@pytest.mark.parametrize(
    "platform, network_os, connection",
    [
        ("eos", "arista.eos.eos", "ansible.netcommon.network_cli"),
        ("nxos", "cisco.nxos.nxos", "ansible.netcommon.network_cli"),
        ("junos", "junipernetworks.junos.junos", "ansible.netcommon.netconf"),
    ],
)
def test_router_platform_needs_its_connection_variables(platform, network_os, connection):
    assert errors_of(network_router(platform)) == [
        "tor1: calico_tor_platform %s needs ansible_network_os, which is not set. Fix: set ansible_network_os: %s for these routers."
        % (platform, network_os),
        "tor1: calico_tor_platform %s needs ansible_connection, which is not set. Fix: set ansible_connection: %s for these routers."
        % (platform, connection),
    ]
    assert build_plan(network_router(platform, ansible_network_os=network_os, ansible_connection=connection)).ok
    # The short names Ansible resolves the same way are fine too.
    short = network_router(platform, ansible_network_os=platform, ansible_connection=connection.rsplit(".", 1)[-1])
    assert build_plan(short).ok


def test_junos_over_network_cli_is_refused():
    inv = network_router("junos", ansible_network_os="junipernetworks.junos.junos", ansible_connection="ansible.netcommon.network_cli")
    assert errors_of(inv) == [
        "tor1: calico_tor_platform junos needs ansible_connection ansible.netcommon.netconf, not ansible.netcommon.network_cli. "
        "Fix: set ansible_connection: ansible.netcommon.netconf for these routers."
    ]


def test_routers_with_the_same_gap_are_one_error():
    inv = tor_base()
    for tor in ("tor1", "tor2"):
        inv.hosts[tor].update(calico_tor_platform="eos", ansible_connection="ansible.netcommon.network_cli")
    (err,) = errors_of(inv)
    assert err.startswith("tor1, tor2: calico_tor_platform eos needs ansible_network_os, which is not set.")


def test_frr_over_a_network_connection_is_refused():
    (err,) = errors_of(network_router("frr", ansible_connection="ansible.netcommon.network_cli"))
    assert "FRR routers are configured over SSH with Python" in err


def test_api_host_is_decided_once_in_the_plan():
    assert build_plan(base()).plan["cluster"]["api_host"] == "n01"
    assert build_plan(base(calico_api_host="n02")).plan["cluster"]["api_host"] == "n02"
    (err,) = errors_of(base(calico_api_host="cp01"))
    assert err.startswith("calico_api_host: 'cp01' is not a host of k8s_cluster.")
