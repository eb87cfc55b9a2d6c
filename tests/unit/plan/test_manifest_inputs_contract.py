"""The plan's manifest section: the values calico-node's manifest gets, and the refusals, as
Calico documents them (issue 18: the mutation run found most of _manifest's outputs unasserted
through build_plan; the manifest tests build their plans by hand).

Calico facts used: the upstream calico.yaml ships veth_mtu "0" (auto-detect); calico-node's
CALICO_NETWORKING_BACKEND is bird with BGP and vxlan without it; IP_AUTODETECTION_METHOD takes
cidr=<CIDR>,<CIDR>, kubernetes-internal-ip or first-found; the release manifests are at
raw.githubusercontent.com/projectcalico/calico/v<version>/manifests/<file>; Typha's server
certificate is checked for CN calico-typha and Felix's client certificate for calico-node.
"""

from __future__ import annotations

import os

import pytest
from plan_inputs import base

from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import InventoryInput
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan

UPSTREAM = os.environ.get("CALICO_UPSTREAM_DIR", "/work/shared/upstream/calico")


def plan_of(inv):
    result = build_plan(inv)
    assert result.ok, [str(e) for e in result.errors]
    return result


def manifest_of(inv):
    return plan_of(inv).plan["manifest"]


def findings(items):
    return [(i.subject, i.message, i.fix) for i in items]


def errors_of(inv):
    result = build_plan(inv)
    assert not result.ok
    return findings(result.errors)


def dual_stack(**cluster):
    values = {"calico_cluster_name": "mi", "calico_pod_cidr": "10.244.0.0/16", "calico_pod_cidr_v6": "fd00:10:244::/56",
              "calico_encapsulation": "vxlan", "calico_node_subnets": ["10.0.1.0/24", "fd00:1::/64"], **cluster}
    hosts = {"n1": {"ansible_host": "10.0.1.11", "calico_node_ip6": "fd00:1::11"},
             "n2": {"ansible_host": "10.0.1.12", "calico_node_ip6": "fd00:1::12"}}
    return InventoryInput(cluster=values, groups={"k8s_cluster": ["n1", "n2"], "kube_control_plane": ["n1"], "kube_node": ["n2"]},
                          hosts=hosts)


def test_the_variant_follows_node_count_threshold_and_datastore():
    at = manifest_of(base(nodes=4, calico_typha_node_threshold=4))
    assert (at["variant"], at["typha"]["enabled"]) == ("calico.yaml", False)
    assert at["variant_reason"] == "Kubernetes datastore, 4 nodes <= calico_typha_node_threshold (4)"
    above = manifest_of(base(nodes=4, calico_typha_node_threshold=3))
    assert (above["variant"], above["typha"]["enabled"]) == ("calico-typha.yaml", True)
    assert above["variant_reason"] == "Kubernetes datastore, 4 nodes > calico_typha_node_threshold (3)"
    assert above["typha"]["node_threshold"] == 3
    etcd = manifest_of(base(calico_datastore="etcd", calico_etcd_endpoints=["http://etcd1:2379"]))
    assert (etcd["variant"], etcd["variant_reason"]) == ("calico-etcd.yaml", "etcd datastore")


def test_an_allowed_variant_override_wins_and_says_so():
    manifest = manifest_of(base(nodes=4, calico_manifest_variant="calico-typha.yaml"))
    assert (manifest["variant"], manifest["variant_reason"]) == ("calico-typha.yaml", "calico_manifest_variant override")
    assert manifest["typha"]["enabled"] is True and manifest["typha"]["replicas"] >= 1
    assert manifest["url"] == "https://raw.githubusercontent.com/projectcalico/calico/v%s/manifests/calico-typha.yaml" % (
        plan_of(base()).plan["cluster"]["version"])
    (error,) = errors_of(base(calico_datastore="etcd", calico_etcd_endpoints=["http://etcd1:2379"], calico_manifest_variant="calico.yaml"))
    assert error == ("calico_manifest_variant", "'calico.yaml' does not fit the etcd datastore (allowed: calico-etcd.yaml).",
                     "remove the override or pick an allowed variant.")


def test_a_variant_of_the_other_datastore_lists_the_allowed_ones():
    (error,) = errors_of(base(calico_manifest_variant="calico-etcd.yaml"))
    assert error == ("calico_manifest_variant",
                     "'calico-etcd.yaml' does not fit the kubernetes datastore (allowed: calico.yaml, calico-typha.yaml).",
                     "remove the override or pick an allowed variant.")


def test_auto_typha_replicas_for_a_single_node_is_refused_with_the_way_out():
    # Typha must run fewer replicas than nodes, and at least one: one node cannot have both.
    (error,) = [e for e in errors_of(base(nodes=1, calico_typha_node_threshold=0)) if e[0] == "calico_typha_replicas"]
    assert error == ("calico_typha_replicas",
                     "auto gives 0 replicas for 1 node(s): Typha needs fewer replicas than nodes and at least one.",
                     "raise calico_typha_node_threshold so small clusters use calico.yaml.")


def test_a_negative_typha_threshold_is_refused_and_zero_always_runs_typha():
    zero = manifest_of(base(nodes=2, calico_typha_node_threshold=0))
    assert (zero["variant"], zero["typha"]["node_threshold"]) == ("calico-typha.yaml", 0)
    assert ("calico_typha_node_threshold", "must not be negative.", "the default is 50.") in errors_of(base(calico_typha_node_threshold=-1))


def test_typha_replicas_without_typha_are_ignored_with_a_warning():
    result = plan_of(base(nodes=4, calico_typha_replicas=3))
    assert ("calico_typha_replicas", "is 3 but the calico.yaml variant runs no Typha; it is ignored.") in [
        (w.subject, w.message) for w in result.warnings]
    assert result.plan["manifest"]["typha"]["replicas"] == 0
    for quiet in ("auto", 0):
        assert not [w for w in plan_of(base(nodes=4, calico_typha_replicas=quiet)).warnings if w.subject == "calico_typha_replicas"]


def test_an_explicit_typha_count_is_planned():
    assert manifest_of(base(nodes=6, calico_typha_node_threshold=2, calico_typha_replicas=2))["typha"]["replicas"] == 2


def test_auto_typha_replicas_in_production_below_three_warn_with_the_cluster_size_that_fits():
    result = plan_of(base(nodes=3, calico_typha_node_threshold=1, calico_production=True))
    # Fewer replicas than nodes: three nodes get two Typhas.
    assert result.plan["manifest"]["typha"]["replicas"] == 2
    warning = next(w for w in result.warnings if w.subject == "calico_typha_replicas")
    assert warning.message == "auto gives 2 replica(s) for 3 nodes (fewer than the nodes), below 3 with calico_production: true."
    assert warning.fix.startswith("run Typha on a cluster of at least 4 nodes")


def test_auto_typha_replicas_warn_only_in_production_below_three():
    # Outside production one Typha is fine; in production three replicas are the minimum, met at 4 nodes.
    quiet = plan_of(base(nodes=4, calico_typha_node_threshold=1))
    assert quiet.plan["manifest"]["typha"]["replicas"] == 1
    assert not [w for w in quiet.warnings if w.subject == "calico_typha_replicas"]
    enough = plan_of(base(nodes=4, calico_typha_node_threshold=1, calico_production=True))
    assert enough.plan["manifest"]["typha"]["replicas"] == 3
    assert not [w for w in enough.warnings if w.subject == "calico_typha_replicas"]


def test_a_bad_or_contradicting_manifest_checksum_is_refused():
    (error,) = errors_of(base(calico_version="3.29.0", calico_manifest_sha256="xyz", calico_calicoctl_sha256="cd" * 32))
    assert error == ("calico_manifest_sha256", "is not a 64-digit hex sha256.", "copy the checksum of calico.yaml for v3.29.0.")
    (error,) = errors_of(base(calico_manifest_sha256="ab" * 32))
    assert error[0] == "calico_manifest_sha256" and error[1].startswith("differs from the catalog's checksum of calico.yaml v")
    assert error[2] == "remove calico_manifest_sha256 for catalog versions."


def test_the_manifest_checksum_is_normalised_and_compared_with_the_catalog():
    catalog_sha = manifest_of(base())["sha256"]
    assert len(catalog_sha) == 64
    manifest = manifest_of(base(calico_manifest_sha256="  %s \n" % catalog_sha.upper()))
    assert (manifest["sha256"], manifest["sha256_source"]) == (catalog_sha, "catalog")
    assert manifest_of(base())["sha256_source"] == "catalog"


def test_the_mtu_is_veth_mtu_and_auto_is_upstream_s_zero():
    with open(os.path.join(UPSTREAM, "v3.31.7", "calico.yaml")) as handle:
        assert '  veth_mtu: "0"\n' in handle.read()
    assert manifest_of(base(calico_mtu="auto"))["veth_mtu"] == 0
    assert manifest_of(base(calico_mtu=1400))["veth_mtu"] == 1400


@pytest.mark.parametrize(("mtu", "valid"), [(575, False), (576, True), (1280, True), (9000, True), (9001, False)])
def test_the_mtu_must_be_one_an_ipv4_link_can_carry(mtu, valid):
    # 576: the datagram every IPv4 host must accept (RFC 791); 9000: the common jumbo frame.
    inv = base(calico_mtu=mtu)
    for host in inv.hosts.values():
        host["calico_interface_mtu"] = 9100
    result = build_plan(inv)
    mtu_errors = [(e.message, e.fix) for e in result.errors if e.subject == "calico_mtu"]
    if valid:
        assert mtu_errors == []
    else:
        assert mtu_errors == [("%d is not a usable MTU (576..9000)." % mtu, "use 'auto' to let Felix detect it.")]


def test_the_networking_backend_is_bird_with_bgp_and_vxlan_without():
    assert manifest_of(base())["calico_backend"] == "bird"
    assert manifest_of(base(calico_bgp_mode="none", calico_encapsulation="vxlan"))["calico_backend"] == "vxlan"


def test_address_autodetection_defaults_per_datastore_and_subnets():
    assert manifest_of(base(calico_node_subnets=["10.10.0.0/24", "10.30.0.0/24"]))["ip_autodetection_method"] == (
        "cidr=10.10.0.0/24,10.30.0.0/24")
    assert manifest_of(base(calico_node_subnets=[]))["ip_autodetection_method"] == "kubernetes-internal-ip"
    etcd = base(calico_node_subnets=[], calico_datastore="etcd", calico_etcd_endpoints=["http://etcd1:2379"])
    assert manifest_of(etcd)["ip_autodetection_method"] == "first-found"
    assert manifest_of(base(calico_ip_autodetection_method="interface=eth0"))["ip_autodetection_method"] == "interface=eth0"
    # Single stack: no IPv6 method at all.
    assert manifest_of(base())["ip6_autodetection_method"] is None


def test_ipv6_address_autodetection_in_dual_stack():
    manifest = manifest_of(dual_stack())
    assert (manifest["ip_autodetection_method"], manifest["ip6_autodetection_method"]) == ("cidr=10.0.1.0/24", "cidr=fd00:1::/64")
    two = dual_stack(calico_node_subnets=["10.0.1.0/24", "fd00:1::/64", "fd00:3::/64"])
    assert manifest_of(two)["ip6_autodetection_method"] == "cidr=fd00:1::/64,fd00:3::/64"
    assert manifest_of(dual_stack(calico_node_subnets=["10.0.1.0/24"]))["ip6_autodetection_method"] == "kubernetes-internal-ip"
    etcd = dual_stack(calico_node_subnets=["10.0.1.0/24"], calico_datastore="etcd", calico_etcd_endpoints=["http://etcd1:2379"])
    assert manifest_of(etcd)["ip6_autodetection_method"] == "first-found"
    assert manifest_of(dual_stack(calico_ip6_autodetection_method="interface=eth1"))["ip6_autodetection_method"] == "interface=eth1"


def test_registry_pull_secrets_and_mirror_pass_through():
    manifest = manifest_of(base(calico_image_registry="registry.example.com/mirror", calico_image_pull_secrets=["mirror-pull"],
                                calico_manifest_mirror="/srv/mirror/calico"))
    assert manifest["image_registry"] == "registry.example.com/mirror"
    assert manifest["image_pull_secrets"] == ["mirror-pull"]
    assert manifest["mirror"] == "/srv/mirror/calico"
    plain = manifest_of(base())
    assert (plain["image_registry"], plain["image_pull_secrets"], plain["mirror"]) == (None, [], None)


def test_felix_env_is_passed_as_strings_in_name_order():
    manifest = manifest_of(base(calico_felix_env={"FELIX_PROMETHEUSMETRICSENABLED": True, "FELIX_LOGSEVERITYSCREEN": "warning",
                                                  "FELIX_HEALTHPORT": 9099, "FELIX_LOGFILEPATH": "/var/log/Calico/felix.log"}))
    # YAML booleans become Felix's true/false; everything else is passed as written (a path keeps its case).
    assert list(manifest["felix_env"].items()) == [
        ("FELIX_HEALTHPORT", "9099"), ("FELIX_LOGFILEPATH", "/var/log/Calico/felix.log"), ("FELIX_LOGSEVERITYSCREEN", "warning"),
        ("FELIX_PROMETHEUSMETRICSENABLED", "true")]


def test_felix_env_refusals_name_the_variable_to_use():
    errors = errors_of(base(calico_felix_env={"LOGLEVEL": "debug", "FELIX_VXLANMTU": 1400}))
    assert ("calico_felix_env", "'LOGLEVEL' is not a FELIX_* variable name.",
            "only Felix settings pass through (e.g. FELIX_LOGSEVERITYSCREEN).") in errors
    assert ("calico_felix_env", "FELIX_VXLANMTU is decided by calico_mtu; setting it here would contradict the plan.",
            "remove FELIX_VXLANMTU from calico_felix_env and use calico_mtu.") in errors


def test_loose_rp_filter_is_refused_with_the_reason_and_the_fix():
    # ip-sysctl.rst: rp_filter 0 = no source validation, 1 = strict, 2 = loose.
    (error,) = errors_of(base(calico_rp_filter=2))
    assert error == ("calico_rp_filter",
                     "is 2; only 0 (off) or 1 (strict) keep the hosts' own interfaces from accepting spoofed sources "
                     "(Felix checks workload traffic itself with a strict reverse-path rule, whatever the sysctl).",
                     "use 1 (the default) or 0; a distribution that sets 2 is overridden by the plan's sysctls (docs/host-preparation.md).")


def test_felix_ignoreloose_rpf_is_warned_about_with_the_fix():
    # Not a FelixConfiguration field of the supported releases: setting it changes nothing.
    with open(os.path.join(UPSTREAM, "v3.31.7", "calico.yaml")) as handle:
        assert "ignorelooserpf" not in handle.read().lower()
    warnings = [(w.subject, w.message, w.fix) for w in plan_of(base(calico_felix_env={"FELIX_IGNORELOOSERPF": "true"})).warnings]
    assert warnings == [("calico_felix_env", "FELIX_IGNORELOOSERPF is not a setting of the supported Calico releases; Felix ignores it.",
                         "remove it from calico_felix_env.")]


def test_etcd_endpoints_with_kubernetes_are_ignored_with_a_warning():
    result = plan_of(base(calico_etcd_endpoints=["http://etcd1:2379"]))
    assert ("calico_etcd_endpoints", "is set but calico_datastore is kubernetes; it is ignored.") in [
        (w.subject, w.message) for w in result.warnings]
    assert result.plan["manifest"]["etcd"] is None


def test_default_pools_come_from_calico_node_unless_the_plan_has_its_own():
    assert manifest_of(base())["no_default_pools"] is False
    explicit = base(calico_pod_cidr="10.244.0.0/16", calico_ip_pools=[{"name": "mine", "cidr": "10.244.0.0/17"}])
    assert manifest_of(explicit)["no_default_pools"] is True


def test_typha_tls_names_the_certificates_and_keeps_the_ca_outside_the_artifacts(tmp_path):
    artifacts = tmp_path / "artifacts"
    inv = base(nodes=4, calico_typha_node_threshold=1, calico_typha_tls=True, calico_artifacts_dir=str(artifacts),
               calico_typha_pki_dir=str(tmp_path / "pki"))
    tls = manifest_of(inv)["typha"]["tls"]
    assert tls == {"enabled": True, "pki_dir": str(tmp_path / "pki"), "server_name": "calico-typha", "client_name": "calico-node"}
    # Without Typha there is nothing to secure, whatever calico_typha_tls says.
    off = manifest_of(base(nodes=4, calico_typha_tls=True, calico_artifacts_dir=str(artifacts)))["typha"]["tls"]
    assert (off["enabled"], off["pki_dir"]) == (False, None)
    inside = base(nodes=4, calico_typha_node_threshold=1, calico_typha_tls=True, calico_artifacts_dir=str(artifacts),
                  calico_typha_pki_dir=str(artifacts / "pki"))
    (subject, message, fix), = [e for e in errors_of(inside) if e[0] == "calico_typha_pki_dir"]
    assert message == "%s is inside calico_artifacts_dir (%s); the Typha CA key must stay out of the artifacts." % (artifacts / "pki", artifacts)
    # The example directory is named after the cluster (calico_cluster_name, "calico" by default).
    assert fix == "choose a private directory on the controller outside the artifacts, e.g. ~/.onprem-calico/calico/typha-pki."


def test_etcd_section_lists_endpoints_tls_and_files(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    plain = manifest_of(base(calico_datastore="etcd", calico_etcd_endpoints=["http://[fd00::5]:2379", "http://etcd1:2380/"]))["etcd"]
    assert plain == {"endpoints": ["http://[fd00::5]:2379", "http://etcd1:2380/"], "tls": False,
                     "ca_file": None, "cert_file": None, "key_file": None}
    # One https endpoint is enough to need the client certificate; the paths are made absolute.
    inv = base(calico_datastore="etcd", calico_etcd_endpoints=["http://etcd1:2379", "https://etcd2:2379"],
               calico_etcd_ca_file=str(ca), calico_etcd_cert_file=str(ca), calico_etcd_key_file=str(ca))
    tls = manifest_of(inv)["etcd"]
    assert tls["tls"] is True and (tls["ca_file"], tls["cert_file"], tls["key_file"]) == (str(ca), str(ca), str(ca))


@pytest.mark.parametrize("endpoint", ["https://etcd1:0", "https://etcd1:65536", "ftp://etcd1:2379", "https://etcd 1:2379"])
def test_an_etcd_endpoint_needs_scheme_host_and_a_port(endpoint):
    errors = errors_of(base(calico_datastore="etcd", calico_etcd_endpoints=[endpoint]))
    assert ("calico_etcd_endpoints", "%r is not a URL with scheme and port." % endpoint, "write it as https://HOST:2379.") in errors


def test_missing_etcd_certificate_files_are_named(tmp_path):
    errors = errors_of(base(calico_datastore="etcd", calico_etcd_endpoints=["https://etcd1:2379"]))
    for key in ("ca", "cert", "key"):
        var = "calico_etcd_%s_file" % key
        assert (var, "is required with https etcd endpoints.", "set %s to the PEM file on the controller." % var) in errors
    missing = tmp_path / "gone.pem"
    errors = errors_of(base(calico_datastore="etcd", calico_etcd_endpoints=["http://etcd1:2379"], calico_etcd_ca_file=str(missing)))
    assert errors == [("calico_etcd_ca_file", "%s does not exist on the controller." % missing,
                       "fix the path; the file is read on the controller.")]
    assert ("calico_etcd_endpoints", "is empty, but calico_datastore is etcd.",
            "list the etcd client URLs, e.g. https://10.0.0.5:2379.") in errors_of(base(calico_datastore="etcd"))
