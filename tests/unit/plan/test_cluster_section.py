"""The cluster section of the plan (plan.cluster): address ranges, block sizes in Calico's IPPool
bounds (IPv4 20..32, IPv6 116..128, defaults 26 and 122), versions, the cluster name (DNS-1123),
the API host and the calicoctl checksum the BGP stage installs with. Refusals are stated in full."""

from __future__ import annotations

import os

import pytest
from plan_inputs import base, errors_of, plan_of

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan


def test_cluster_section_of_a_default_cluster(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    cluster = plan_of(base(calico_artifacts_dir="~/out"))["cluster"]
    assert cluster == {
        "name": "calico", "version": "3.31.7", "kubernetes_version": "1.33", "datastore": "kubernetes", "production": False,
        "pod_cidr": "192.168.0.0/16", "pod_cidr_v6": None, "service_cidr": "10.96.0.0/12", "dual_stack": False, "node_count": 4,
        "node_subnets": ["10.10.0.0/16"], "node_sources": ["10.10.0.0/16"], "artifacts_dir": os.path.join(str(tmp_path), "out"),
        "api_host": "n01", "api_host_architecture": cluster["api_host_architecture"],
    }


def test_relative_artifacts_dir_is_made_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert plan_of(base())["cluster"]["artifacts_dir"] == os.path.join(str(tmp_path), "artifacts")


def test_dual_stack_cluster_has_an_ipv6_pod_range():
    cluster = plan_of(base(calico_pod_cidr_v6="fd00:10::/48", calico_encapsulation="vxlan"))["cluster"]
    assert cluster["pod_cidr_v6"] == "fd00:10::/48" and cluster["dual_stack"] is True


def test_pod_ranges_must_be_of_their_family():
    assert "calico_pod_cidr: fd00:10::/48 is not an IPv4 network. Fix: give an IPv4 CIDR." in errors_of(base(calico_pod_cidr="fd00:10::/48"))
    assert "calico_pod_cidr_v6: 10.244.0.0/16 is not an IPv6 network. Fix: give an IPv6 CIDR." in errors_of(
        base(calico_pod_cidr_v6="10.244.0.0/16", calico_encapsulation="vxlan"))


def test_service_range_with_host_bits_is_refused_by_name():
    assert errors_of(base(calico_service_cidr="10.96.0.1/12")) == [
        "calico_service_cidr: 10.96.0.1/12 has host bits set (the network is 10.96.0.0/12). Fix: use the network address: 10.96.0.0/12."
    ]


def test_ipv6_pod_range_over_an_ipv6_service_range_is_refused():
    errors = errors_of(base(calico_pod_cidr_v6="fd00:10::/48", calico_service_cidr="fd00:10::/108", calico_encapsulation="vxlan"))
    assert "calico_pod_cidr_v6: fd00:10::/48 overlaps calico_service_cidr fd00:10::/108. Fix: pick non-overlapping pod and service ranges." in errors


@pytest.mark.parametrize("var, size", [("calico_block_size", 20), ("calico_block_size", 32), ("calico_block_size_v6", 116), ("calico_block_size_v6", 128)])
def test_block_sizes_at_calicos_bounds(var, size):
    assert errors_of(base(**{var: size})) == []


@pytest.mark.parametrize("var, size, family, lo, hi, default", [
    ("calico_block_size", 19, 4, 20, 32, 26), ("calico_block_size", 33, 4, 20, 32, 26),
    ("calico_block_size_v6", 115, 6, 116, 128, 122), ("calico_block_size_v6", 129, 6, 116, 128, 122),
])
def test_block_sizes_outside_calicos_bounds_are_refused(var, size, family, lo, hi, default):
    assert "%s: block size %d is outside %d..%d for IPv%d. Fix: use a block size in %d..%d (Calico's default is %d)." % (
        var, size, lo, hi, family, lo, hi, default) in errors_of(base(**{var: size}))


def test_version_outside_the_catalog_needs_a_manifest_checksum():
    assert "calico_version: 3.29.0 is not in the catalog (supported: 3.30.7, 3.31.7, 3.32.1). Fix: choose a supported version, or set " \
           "calico_manifest_sha256 to the checksum of that release's manifest." in errors_of(base(calico_version="3.29.0"))


@pytest.mark.parametrize("version", ["1.33.1", "v1.33", "1", "1.33\n"])
def test_kubernetes_version_must_be_major_minor(version):
    assert errors_of(base(calico_kubernetes_version=version)) == ["calico_kubernetes_version: %r is not a MAJOR.MINOR version. Fix: e.g. 1.33." % version]


@pytest.mark.parametrize("name", ["Prod", "-prod", "prod-", "prod_1", "prod\n"])
def test_cluster_name_must_be_a_dns_1123_name(name):
    assert errors_of(base(calico_cluster_name=name)) == [
        "calico_cluster_name: %r is not a DNS-1123 name. Fix: use lowercase letters, digits, '-' and '.'." % name
    ]


@pytest.mark.parametrize("name", ["a", "prod-1", "lab.example.com"])
def test_dns_1123_cluster_names(name):
    assert plan_of(base(calico_cluster_name=name))["cluster"]["name"] == name


def test_api_host_is_chosen_or_the_first_control_plane_node():
    assert plan_of(base(calico_api_host="n03"))["cluster"]["api_host"] == "n03"
    inv = base()
    inv.groups["kube_control_plane"] = ["n02", "n01"]
    assert plan_of(inv)["cluster"]["api_host"] == "n02"
    assert errors_of(base(calico_api_host="bastion")) == [
        "calico_api_host: 'bastion' is not a host of k8s_cluster. Fix: name a control-plane node (its kubeconfig is used), or remove "
        "calico_api_host to use the first host of kube_control_plane."
    ]


def test_api_host_is_none_without_a_control_plane():
    inv = base()
    inv.groups["kube_control_plane"] = []
    result = build_plan(inv)
    assert result.plan is None or result.plan["cluster"]["api_host"] is None


@pytest.mark.parametrize("checksum", ["ab" * 31, "zz" * 32, "ab" * 33])
def test_calicoctl_checksum_must_be_a_sha256(checksum):
    assert errors_of(base(calico_calicoctl_sha256=checksum)) == [
        "calico_calicoctl_sha256: is not a 64-digit hex sha256. Fix: copy the checksum of calicoctl-linux-<arch> from the release."
    ]


def test_calicoctl_checksum_in_upper_case_or_padded_is_a_sha256():
    assert errors_of(base(calico_calicoctl_sha256=" " + "AB" * 32 + " ")) == []


def test_version_without_a_catalog_calicoctl_checksum_needs_one():
    expected = (
        "calico_calicoctl_sha256: is not set and the catalog has no calicoctl checksum for Calico 3.32.1 (it has 3.30.7, 3.31.7): the BGP "
        "stage would fail to install calicoctl on the API host after the manifest stage has applied. Fix: set calico_calicoctl_sha256 to "
        "the sha256 of calicoctl-linux-<arch> of the v3.32.1 release, for the API host's architecture (amd64, arm64, ppc64le), or set "
        "calico_bgp_calicoctl_install: false when calicoctl 3.32.1 is installed there already."
    )
    assert errors_of(base(calico_version="3.32.1")) == [expected]
    for escape in ({"calico_calicoctl_sha256": "ab" * 32}, {"calico_bgp_calicoctl_install": False}, {"calico_bgp_skip_api": True}):
        assert errors_of(base(calico_version="3.32.1", **escape)) == []
