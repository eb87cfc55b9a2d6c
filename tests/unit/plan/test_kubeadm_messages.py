"""preflight's pod CIDR check against kubeadm's ClusterConfiguration.networking.podSubnet, with
the whole message the operator reads (which variable, which range, what to set)."""

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils.kubeadm import pod_subnet_check


def plan(v4="10.244.0.0/16", v6=None):
    return {"cluster": {"pod_cidr": v4, "pod_cidr_v6": v6}}


def cluster_configuration(pod_subnet):
    return "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n  serviceSubnet: 10.96.0.0/12\n" + (
        "  podSubnet: %s\n" % pod_subnet if pod_subnet else "")


@pytest.mark.parametrize("unavailable", [None, {}, ""])
def test_no_configmap_skips_and_says_so(unavailable):
    assert pod_subnet_check(plan(), unavailable) == {
        "status": "skipped", "message": "kubeadm-config ConfigMap not available: pod CIDR not compared with kubeadm's podSubnet."}


@pytest.mark.parametrize("config", [
    {"ClusterConfiguration": cluster_configuration("10.244.0.0/16")},  # the ConfigMap's data
    cluster_configuration("10.244.0.0/16"),  # its ClusterConfiguration text
    {"ClusterConfiguration": {"networking": {"podSubnet": "10.244.0.0/16"}}},  # already parsed
])
def test_a_matching_pod_subnet_is_ok_in_every_accepted_form(config):
    assert pod_subnet_check(plan(), config) == {"status": "ok", "message": "pod CIDR matches kubeadm's podSubnet 10.244.0.0/16."}


def test_dual_stack_subnets_with_spaces_and_host_bits_still_match():
    # kubeadm accepts "a, b" and a CIDR with host bits; what counts is the network.
    result = pod_subnet_check(plan(v6="fd00:10:244::/56"), cluster_configuration("'10.244.0.1/16, fd00:10:244::/56'"))
    assert result == {"status": "ok", "message": "pod CIDR matches kubeadm's podSubnet 10.244.0.1/16, fd00:10:244::/56."}


def test_a_configuration_that_is_not_yaml_is_skipped_with_the_parser_error():
    result = pod_subnet_check(plan(), {"ClusterConfiguration": "networking: [unclosed"})
    assert result["status"] == "skipped"
    assert result["message"].startswith("kubeadm ClusterConfiguration is not YAML (") and result["message"].endswith("): not compared.")
    assert "flow sequence" in result["message"]  # PyYAML's own words about the unclosed [


@pytest.mark.parametrize("config", [cluster_configuration(None), "# empty\n", "kind: ClusterConfiguration\n"])
def test_a_configuration_without_pod_subnet_is_skipped(config):
    assert pod_subnet_check(plan(), config) == {
        "status": "skipped", "message": "kubeadm ClusterConfiguration has no networking.podSubnet: nothing to compare."}


def test_an_ipv4_mismatch_names_the_variable_and_the_value_to_set():
    assert pod_subnet_check(plan(), cluster_configuration("192.168.0.0/16")) == {
        "status": "mismatch",
        "message": "calico_pod_cidr is 10.244.0.0/16 but kubeadm's podSubnet has 192.168.0.0/16. Fix: set calico_pod_cidr to match "
                   "kubeadm's networking.podSubnet (192.168.0.0/16), or reconfigure kubeadm."}


def test_an_ipv6_range_only_one_side_has_is_a_mismatch_either_way():
    assert pod_subnet_check(plan(v6="fd00:10:244::/56"), cluster_configuration("10.244.0.0/16"))["message"] == (
        "calico_pod_cidr_v6 is fd00:10:244::/56 but kubeadm's podSubnet has no IPv6 range. Fix: set the pod CIDR variables to match "
        "kubeadm's networking.podSubnet (10.244.0.0/16), or reconfigure kubeadm.")
    assert pod_subnet_check(plan(), cluster_configuration("10.244.0.0/16,fd00:10:244::/56"))["message"] == (
        "calico_pod_cidr_v6 is unset but kubeadm's podSubnet has fd00:10:244::/56. Fix: set the pod CIDR variables to match "
        "kubeadm's networking.podSubnet (10.244.0.0/16,fd00:10:244::/56), or reconfigure kubeadm.")


def test_both_families_wrong_lists_both_problems():
    result = pod_subnet_check(plan(v4=None, v6="fd00:10:244::/56"), cluster_configuration("10.244.0.0/16,fd00:99::/56"))
    assert result == {
        "status": "mismatch",
        "message": "calico_pod_cidr is unset but kubeadm's podSubnet has 10.244.0.0/16; calico_pod_cidr_v6 is fd00:10:244::/56 but "
                   "kubeadm's podSubnet has fd00:99::/56. Fix: set the pod CIDR variables to match kubeadm's networking.podSubnet "
                   "(10.244.0.0/16,fd00:99::/56), or reconfigure kubeadm."}


def test_an_ipv6_only_cluster_without_ipv4_on_either_side_is_ok():
    assert pod_subnet_check(plan(v4=None, v6="fd00:10:244::/56"), cluster_configuration("fd00:10:244::/56"))["status"] == "ok"


def test_an_ipv6_only_cluster_is_still_compared_on_ipv6():
    result = pod_subnet_check(plan(v4=None, v6="fd00:10:244::/56"), cluster_configuration("fd00:99::/56"))
    assert result["status"] == "mismatch"
    assert result["message"].startswith("calico_pod_cidr_v6 is fd00:10:244::/56 but kubeadm's podSubnet has fd00:99::/56. ")
