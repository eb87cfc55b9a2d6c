"""The manifest customiser's contract in detail: what each refusal says, which calico-node
settings each plan field becomes (names from Calico's calico-node and Felix configuration
references), how an upstream value is replaced and recorded, registries and pull secrets, the
change summary's table, and the YAML written. Upstream objects are the real calico-typha.yaml /
calico.yaml / calico-etcd.yaml of 3.31.7."""

from __future__ import annotations

import copy
import functools
import json

import pytest
import yaml
from manifest_plans import ETCD_SECRETS, plan_for, upstream_path

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog, manifest
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderError

VERSION = "3.31.7"
NODE = ("DaemonSet", "calico-node")


@functools.lru_cache(maxsize=None)
def _parsed(variant):
    with open(upstream_path(VERSION, variant), "rb") as handle:
        return manifest.parse_documents(handle.read())


def docs_of(variant=catalog.VARIANT_KDD):
    return copy.deepcopy(_parsed(variant))


def plan(variant=catalog.VARIANT_KDD):
    return copy.deepcopy(plan_for(VERSION, variant))


def run(the_plan, docs=None, secrets=None):
    docs = docs if docs is not None else docs_of(the_plan["manifest"]["variant"])
    return manifest.customise(docs, the_plan, ETCD_SECRETS if secrets is None else secrets)


def refused(the_plan, docs=None, secrets=None):
    with pytest.raises(RenderError) as raised:
        run(the_plan, docs, secrets)
    return raised.value.messages


def node_env(result):
    pod = manifest.index_documents(result.docs)[NODE]["spec"]["template"]["spec"]
    container = [c for c in pod["containers"] if c["name"] == "calico-node"][0]
    return container["env"]


def env_values(result):
    return {e["name"]: e.get("value") for e in node_env(result)}


def changes(result):
    return {(c.obj, c.field): (c.old, c.new) for c in result.changes}


def node_change(result, name):
    return changes(result)[("DaemonSet kube-system/calico-node", "spec.template.spec.containers[calico-node].env[%s]" % name)]


# -- refusals, each alone and worded for the user ---------------------------------------------

def test_unknown_variant():
    p = plan()
    p["manifest"]["variant"] = "calico-bpf.yaml"
    assert refused(p, docs_of()) == ["plan.manifest.variant 'calico-bpf.yaml' is not one of calico.yaml, calico-typha.yaml, calico-etcd.yaml"]


def test_typha_on_without_the_typha_variant_and_off_with_it():
    p = plan()
    p["manifest"]["typha"]["enabled"] = True
    assert refused(p) == ["plan.manifest.typha.enabled is True but the variant is calico.yaml: Typha runs only with calico-typha.yaml"]
    p = plan(catalog.VARIANT_TYPHA)
    p["manifest"]["typha"]["enabled"] = False
    assert refused(p) == [
        "plan.manifest.typha.enabled is False but the variant is calico-typha.yaml: Typha runs only with calico-typha.yaml"]


def test_etcd_settings_exactly_with_the_etcd_variant():
    p = plan()
    p["manifest"]["etcd"] = {"endpoints": ["https://10.0.0.5:2379"], "tls": False}
    assert refused(p) == ["plan.manifest.etcd must be set exactly when the variant is calico-etcd.yaml (variant: calico.yaml)"]
    p = plan(catalog.VARIANT_ETCD)
    p["manifest"]["etcd"] = None
    assert refused(p) == ["plan.manifest.etcd must be set exactly when the variant is calico-etcd.yaml (variant: calico-etcd.yaml)"]


def test_backend_must_be_bird_or_vxlan_and_match_bgp():
    p = plan()
    p["manifest"]["calico_backend"] = "none"
    assert refused(p) == ["plan.manifest.calico_backend 'none' is not bird or vxlan",
                          "bgp.mode is full_mesh, which needs calico_backend bird (plan has 'none')"]
    p = plan()
    p["bgp"]["mode"] = "none"
    assert refused(p) == ["bgp.mode is none but manifest.calico_backend is 'bird' (must be vxlan)"]
    p = plan()
    p["manifest"]["calico_backend"] = "vxlan"
    assert refused(p) == ["bgp.mode is full_mesh, which needs calico_backend bird (plan has 'vxlan')"]


def test_a_plan_without_bgp_needs_no_particular_backend():
    p = plan()
    del p["bgp"]
    p["manifest"]["calico_backend"] = "vxlan"
    assert env_values(run(p))["CALICO_IPV4POOL_CIDR"] == "10.244.0.0/16"


def test_missing_upstream_object_names_release_and_variant():
    docs = [d for d in docs_of() if (d.get("kind"), d["metadata"]["name"]) != NODE]
    assert refused(plan(), docs) == [
        "upstream manifest v3.31.7/calico.yaml has no DaemonSet calico-node: this release is not supported by the customisation"]
    docs = [d for d in docs_of() if d.get("kind") != "ConfigMap"]
    assert refused(plan(), docs) == [
        "upstream manifest v3.31.7/calico.yaml has no ConfigMap calico-config: this release is not supported by the customisation"]


def test_renamed_calico_node_container():
    docs = docs_of()
    pod = manifest.index_documents(docs)[NODE]["spec"]["template"]["spec"]
    pod["containers"][0]["name"] = "node"
    assert refused(plan(), docs) == ["DaemonSet calico-node has no container named calico-node"]


@pytest.mark.parametrize("change, message", [
    (dict(name="pods"), "default pool 'pods': calico-node always names it default-ipv4-ippool"),
    (dict(disabled=True), "default pool default-ipv4-ippool cannot be disabled through the manifest; set no_default_pools"),
    (dict(racks=["r1"]), "default pool default-ipv4-ippool cannot be pinned to racks"),
])
def test_default_pool_refusals(change, message):
    p = plan()
    p["ip_pools"][0].update(change)
    assert refused(p) == [message]


def dual_stack_plan(**v6):
    p = plan()
    p["cluster"]["dual_stack"] = True
    pool = {"name": "default-ipv6-ippool", "family": 6, "cidr": "fd00:10:244::/56", "block_size": 122,
            "vxlan_mode": "Never", "nat_outgoing": False, "node_selector": "all()", "disabled": False, "default": True, "racks": []}
    pool.update(v6)
    p["ip_pools"].append(pool)
    return p


def test_ipv6_default_pool_cannot_use_ipip():
    assert refused(dual_stack_plan(ipip_mode="Always")) == [
        "default pool default-ipv6-ippool: IPIP does not exist for IPv6 (ipip_mode must be Never)"]
    assert refused(dual_stack_plan(name="v6")) == ["default pool 'v6': calico-node always names it default-ipv6-ippool"]


def test_pool_refusals_without_a_v4_pool_and_with_no_default_pools():
    p = plan()
    p["ip_pools"][0]["default"] = False
    assert refused(p) == ["ip_pools has no default IPv4 pool and manifest.no_default_pools is false"]
    p = dual_stack_plan()
    p["ip_pools"] = p["ip_pools"][1:]
    p["manifest"]["no_default_pools"] = True
    assert refused(p) == ["plan.manifest.no_default_pools is true but ip_pools still holds default pools"]
    p = dual_stack_plan()
    p["ip_pools"] = p["ip_pools"][:1]
    assert refused(p) == ["cluster.dual_stack is true but ip_pools has no default IPv6 pool"]


def test_no_default_pools_sets_only_that():
    p = plan()
    p["ip_pools"] = []
    p["manifest"]["no_default_pools"] = True
    env = env_values(run(p))
    assert env["NO_DEFAULT_POOLS"] == "true" and "CALICO_IPV4POOL_CIDR" not in env


# -- what the plan sets, and how it is recorded ---------------------------------------------------

def test_pool_settings_replace_upstream_in_place_and_record_the_old_value():
    p = plan()
    p["ip_pools"][0].update(cidr="10.50.0.0/16", block_size=24, ipip_mode="Never", vxlan_mode="CrossSubnet", nat_outgoing=False,
                            node_selector="rack == 'r1'")
    upstream_names = [e["name"] for e in node_env(run(plan(), docs_of()))]
    result = run(p)
    env = node_env(result)
    names = [e["name"] for e in env]
    assert len(names) == len(set(names))
    # upstream's CALICO_IPV4POOL_IPIP stays where it was, now with the plan's value
    assert names.index("CALICO_IPV4POOL_IPIP") == upstream_names.index("CALICO_IPV4POOL_IPIP")
    values = env_values(result)
    assert {k: values[k] for k in values if k.startswith("CALICO_IPV4POOL_")} == {
        "CALICO_IPV4POOL_CIDR": "10.50.0.0/16", "CALICO_IPV4POOL_BLOCK_SIZE": "24", "CALICO_IPV4POOL_IPIP": "Never",
        "CALICO_IPV4POOL_VXLAN": "CrossSubnet", "CALICO_IPV4POOL_NAT_OUTGOING": "false",
        "CALICO_IPV4POOL_NODE_SELECTOR": "rack == 'r1'"}
    assert node_change(result, "CALICO_IPV4POOL_IPIP") == ("Always", "Never")
    assert node_change(result, "CALICO_IPV4POOL_VXLAN") == ("Never", "CrossSubnet")
    assert node_change(result, "CALICO_IPV4POOL_CIDR") == (manifest.ABSENT, "10.50.0.0/16")
    assert node_change(result, "CALICO_IPV4POOL_NAT_OUTGOING") == (manifest.ABSENT, "false")


def test_an_unchanged_value_is_not_a_change():
    result = run(plan())
    # upstream's CALICO_IPV4POOL_VXLAN is Never, and so is the plan's
    assert ("DaemonSet kube-system/calico-node", "spec.template.spec.containers[calico-node].env[CALICO_IPV4POOL_VXLAN]") \
        not in changes(result)
    assert env_values(result)["CALICO_IPV4POOL_NAT_OUTGOING"] == "true"


def test_dual_stack_settings():
    p = dual_stack_plan()
    p["manifest"]["ip6_autodetection_method"] = "interface=eth0"
    result = run(p)
    env = env_values(result)
    assert env["IP6"] == "autodetect" and env["IP6_AUTODETECTION_METHOD"] == "interface=eth0"
    assert env["FELIX_IPV6SUPPORT"] == "true"
    assert node_change(result, "FELIX_IPV6SUPPORT") == ("false", "true")
    assert {k: env[k] for k in env if k.startswith("CALICO_IPV6POOL_")} == {
        "CALICO_IPV6POOL_CIDR": "fd00:10:244::/56", "CALICO_IPV6POOL_BLOCK_SIZE": "122", "CALICO_IPV6POOL_VXLAN": "Never",
        "CALICO_IPV6POOL_NAT_OUTGOING": "false", "CALICO_IPV6POOL_NODE_SELECTOR": "all()"}
    config = changes(result)
    assert config[("ConfigMap kube-system/calico-config", "data.cni_network_config plugins[calico].ipam.assign_ipv4")] == (
        manifest.ABSENT, "true")
    assert config[("ConfigMap kube-system/calico-config", "data.cni_network_config plugins[calico].ipam.assign_ipv6")] == (
        manifest.ABSENT, "true")
    p["manifest"]["ip6_autodetection_method"] = None
    assert "IP6_AUTODETECTION_METHOD" not in env_values(run(p))


def test_autodetection_is_set_only_when_planned():
    assert env_values(run(plan()))["IP_AUTODETECTION_METHOD"] == "cidr=10.0.1.0/24,10.0.2.0/24"
    p = plan()
    p["manifest"]["ip_autodetection_method"] = None
    assert "IP_AUTODETECTION_METHOD" not in env_values(run(p))


def test_cni_config_gets_both_families_and_keeps_the_mtu_placeholder():
    # as in upstream's template: the MTU placeholder is a bare token that the CNI installer replaces
    text = '{"name": "k8s-pod-network", "plugins": [{"type": "portmap"}, ' \
           '{"type": "calico", "mtu": __CNI_MTU__, "ipam": {"type": "calico-ipam"}}]}'
    written = manifest._cni_config_assign_both(text)
    assert '"mtu": __CNI_MTU__' in written
    config = json.loads(written.replace("__CNI_MTU__", "1500"))
    assert config["plugins"][1]["mtu"] == 1500
    assert config["plugins"][1]["ipam"] == {"type": "calico-ipam", "assign_ipv4": "true", "assign_ipv6": "true"}
    assert config["plugins"][0] == {"type": "portmap"}
    assert manifest._cni_config_assign_both(text.replace('"calico"', '"bridge"')) is None
    assert manifest._cni_config_assign_both(json.dumps({"plugins": [{"type": "calico"}]})) is None
    assert manifest._cni_config_assign_both('{"x": "__ONPREM_CALICO_CNI_MTU__"}') is None


def test_cni_config_without_calico_ipam_is_refused():
    docs = docs_of()
    manifest.index_documents(docs)[("ConfigMap", "calico-config")]["data"]["cni_network_config"] = '{"plugins": []}'
    assert refused(dual_stack_plan(), docs) == ["calico-config cni_network_config has no calico plugin with an ipam section"]


def test_vxlan_backend_drops_only_the_bird_checks():
    p = plan()
    p["bgp"]["mode"] = "none"
    p["manifest"]["calico_backend"] = "vxlan"
    result = run(p)
    pod = manifest.index_documents(result.docs)[NODE]["spec"]["template"]["spec"]
    node = [c for c in pod["containers"] if c["name"] == "calico-node"][0]
    assert node["livenessProbe"]["exec"]["command"] == ["/bin/calico-node", "-felix-live"]
    assert node["readinessProbe"]["exec"]["command"] == ["/bin/calico-node", "-felix-ready"]
    recorded = changes(result)
    assert recorded[("DaemonSet kube-system/calico-node", "spec.template.spec.containers[calico-node].livenessProbe.exec.command")] == (
        ["/bin/calico-node", "-felix-live", "-bird-live"], ["/bin/calico-node", "-felix-live"])
    assert recorded[("DaemonSet kube-system/calico-node", "spec.template.spec.containers[calico-node].readinessProbe.exec.command")] == (
        ["/bin/calico-node", "-felix-ready", "-bird-ready"], ["/bin/calico-node", "-felix-ready"])
    assert recorded[("ConfigMap kube-system/calico-config", "data.calico_backend")] == ("bird", "vxlan")


def test_veth_mtu_and_typha_replicas_become_the_types_kubernetes_wants():
    p = plan(catalog.VARIANT_TYPHA)
    p["manifest"]["veth_mtu"] = 1450
    p["manifest"]["typha"]["replicas"] = "2"
    result = run(p)
    index = manifest.index_documents(result.docs)
    assert index[("ConfigMap", "calico-config")]["data"]["veth_mtu"] == "1450"  # ConfigMap data is strings
    assert index[("Deployment", "calico-typha")]["spec"]["replicas"] == 2
    assert changes(result)[("Deployment kube-system/calico-typha", "spec.replicas")] == (1, 2)


def test_felix_env_overrides_an_upstream_value_in_place():
    p = plan()
    p["manifest"]["felix_env"] = {"FELIX_DEFAULTENDPOINTTOHOSTACTION": "DROP", "FELIX_PROMETHEUSMETRICSPORT": 9091}
    result = run(p)
    env = env_values(result)
    assert env["FELIX_DEFAULTENDPOINTTOHOSTACTION"] == "DROP" and env["FELIX_PROMETHEUSMETRICSPORT"] == "9091"
    assert [e["name"] for e in node_env(result)].count("FELIX_DEFAULTENDPOINTTOHOSTACTION") == 1
    assert node_change(result, "FELIX_DEFAULTENDPOINTTOHOSTACTION") == ("ACCEPT", "DROP")
    assert node_change(result, "FELIX_PROMETHEUSMETRICSPORT") == (manifest.ABSENT, "9091")


@pytest.mark.parametrize("name", ["felix_logseverityscreen", "FELIX_LOG-SEVERITY", "FELIX_", "CALICO_FOO", "Felix_X"])
def test_felix_env_names_must_be_felix_variables(name):
    p = plan()
    p["manifest"]["felix_env"] = {name: "x"}
    assert refused(p) == ["calico_felix_env key %r is not a FELIX_* environment variable name" % name]


def test_felix_env_may_not_set_managed_settings():
    p = plan()
    p["manifest"]["felix_env"] = {"FELIX_IPV6SUPPORT": "true", "FELIX_TYPHACAFILE": "/x"}
    assert refused(p) == ["calico_felix_env may not set FELIX_IPV6SUPPORT: use calico_pod_cidr_v6 (dual stack)",
                          "calico_felix_env may not set FELIX_TYPHACAFILE: use calico_typha_tls"]


def test_upstream_env_descriptions():
    assert manifest._describe_env(None) == manifest.ABSENT
    assert manifest._describe_env({"name": "A", "value": ""}) == ""
    assert manifest._describe_env({"name": "B", "valueFrom": {"configMapKeyRef": {"name": "calico-config", "key": "veth_mtu"}}}) == \
        "from ConfigMap calico-config key veth_mtu"
    assert manifest._describe_env({"name": "NODENAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}) == \
        'valueFrom {"fieldRef": {"fieldPath": "spec.nodeName"}}'


def test_a_planned_value_over_a_config_map_reference_records_the_reference():
    docs = docs_of()
    pod = manifest.index_documents(docs)[NODE]["spec"]["template"]["spec"]
    pod["containers"][0]["env"].append({"name": "IP_AUTODETECTION_METHOD",
                                        "valueFrom": {"configMapKeyRef": {"name": "calico-config", "key": "autodetect"}}})
    result = run(plan(), docs)
    assert node_change(result, "IP_AUTODETECTION_METHOD") == ("from ConfigMap calico-config key autodetect", "cidr=10.0.1.0/24,10.0.2.0/24")
    entry = [e for e in node_env(result) if e["name"] == "IP_AUTODETECTION_METHOD"]
    assert entry == [{"name": "IP_AUTODETECTION_METHOD", "value": "cidr=10.0.1.0/24,10.0.2.0/24"}]


# -- registries and pull secrets ------------------------------------------------------------------

@pytest.mark.parametrize("image, expected", [
    ("quay.io/calico/node:v3.31.7", "mirror.example:5000/cache/calico/node:v3.31.7"),
    ("docker.io/calico/cni:v3.30.7", "mirror.example:5000/cache/calico/cni:v3.30.7"),
    ("localhost/calico/typha:v1", "mirror.example:5000/cache/calico/typha:v1"),
    ("registry:5000/calico/typha:v1", "mirror.example:5000/cache/calico/typha:v1"),
    ("calico/kube-controllers:v3.31.7", "mirror.example:5000/cache/calico/kube-controllers:v3.31.7"),
    ("quay.io/tigera/operator:v1", None),
    ("busybox:1.36", None),
])
def test_rewrite_image(image, expected):
    assert manifest.rewrite_image(image, "mirror.example:5000/cache/") == expected


def test_every_workload_image_is_rewritten_and_recorded():
    p = plan(catalog.VARIANT_TYPHA)
    p["manifest"]["image_registry"] = "mirror.example"
    result = run(p)
    images = [c["image"] for _doc, pod in _workloads(result.docs) for group in ("initContainers", "containers")
              for c in pod.get(group) or []]
    assert images and all(i.startswith("mirror.example/calico/") and i.endswith(":v3.31.7") for i in images)
    recorded = changes(result)
    assert recorded[("DaemonSet kube-system/calico-node", "spec.template.spec.initContainers[install-cni].image")] == (
        "quay.io/calico/cni:v3.31.7", "mirror.example/calico/cni:v3.31.7")
    assert recorded[("Deployment kube-system/calico-typha", "spec.template.spec.containers[calico-typha].image")] == (
        "quay.io/calico/typha:v3.31.7", "mirror.example/calico/typha:v3.31.7")


def _workloads(docs):
    return [(d, d["spec"]["template"]["spec"]) for d in docs if d.get("kind") in ("DaemonSet", "Deployment")]


def test_a_foreign_image_is_refused_by_name():
    docs = docs_of()
    pod = manifest.index_documents(docs)[NODE]["spec"]["template"]["spec"]
    pod["initContainers"][0]["image"] = "docker.io/library/busybox:1.36"
    p = plan()
    p["manifest"]["image_registry"] = "mirror.example"
    assert refused(p, docs) == ["DaemonSet kube-system/calico-node: image docker.io/library/busybox:1.36 is not a calico/* image"]


def test_pull_secrets_are_added_once_to_every_workload():
    docs = docs_of(catalog.VARIANT_TYPHA)
    manifest.index_documents(docs)[("Deployment", "calico-typha")]["spec"]["template"]["spec"]["imagePullSecrets"] = [{"name": "mirror"}]
    p = plan(catalog.VARIANT_TYPHA)
    p["manifest"]["image_pull_secrets"] = ["mirror", "backup"]
    result = run(p, docs)
    # the one already listed on calico-typha is not repeated
    for _doc, pod in _workloads(result.docs):
        assert pod["imagePullSecrets"] == [{"name": "mirror"}, {"name": "backup"}]
    recorded = changes(result)
    assert recorded[("Deployment kube-system/calico-typha", "spec.template.spec.imagePullSecrets")] == (
        [{"name": "mirror"}], [{"name": "mirror"}, {"name": "backup"}])
    assert recorded[("DaemonSet kube-system/calico-node", "spec.template.spec.imagePullSecrets")] == (
        manifest.ABSENT, [{"name": "mirror"}, {"name": "backup"}])
    assert len(_workloads(result.docs)) == 3  # calico-node, calico-kube-controllers, calico-typha


# -- etcd ------------------------------------------------------------------------------------------

def test_etcd_endpoints_must_not_be_empty():
    p = plan(catalog.VARIANT_ETCD)
    p["manifest"]["etcd"]["endpoints"] = []
    assert refused(p) == ["plan.manifest.etcd.endpoints is empty"]


def test_etcd_tls_names_each_missing_file():
    secrets = {"etcd_ca": ETCD_SECRETS["etcd_ca"]}
    assert refused(plan(catalog.VARIANT_ETCD), secrets=secrets) == [
        "etcd TLS is enabled but the render context lacks etcd_cert, etcd_key (contents of plan.manifest.etcd.cert_file, key_file)"]


def test_etcd_tls_fills_a_secret_without_data_and_points_calico_at_the_mount():
    docs = docs_of(catalog.VARIANT_ETCD)
    manifest.index_documents(docs)[("Secret", "calico-etcd-secrets")]["data"] = None
    secrets = dict(ETCD_SECRETS, etcd_key=ETCD_SECRETS["etcd_key"].encode())
    result = run(plan(catalog.VARIANT_ETCD), docs, secrets)
    index = manifest.index_documents(result.docs)
    assert sorted(index[("Secret", "calico-etcd-secrets")]["data"]) == ["etcd-ca", "etcd-cert", "etcd-key"]
    data = index[("ConfigMap", "calico-config")]["data"]
    assert data["etcd_endpoints"] == "https://10.0.0.5:2379,https://10.0.0.6:2379"
    # the calico-etcd-secrets volume is mounted at /calico-secrets in the upstream etcd manifest
    assert (data["etcd_ca"], data["etcd_cert"], data["etcd_key"]) == (
        "/calico-secrets/etcd-ca", "/calico-secrets/etcd-cert", "/calico-secrets/etcd-key")
    assert result.embeds_secret
    secret_changes = [c for c in result.changes if c.obj == "Secret kube-system/calico-etcd-secrets"]
    assert [c.field for c in secret_changes] == ["data.etcd-ca", "data.etcd-cert", "data.etcd-key"]
    assert all(c.secret for c in secret_changes)


# -- the change summary and the YAML --------------------------------------------------------------

@pytest.mark.parametrize("value, cell", [
    ("plain", "`plain`"),
    ("", '`""`'),
    ("a|b", "`a\\|b`"),
    ("say `hi`", "`say 'hi'`"),
    ("two\nlines", '`"two\\nlines"`'),
    (3, "`3`"),
    (["b", "a"], '`["b", "a"]`'),
    ({"b": 1, "a": 2}, '`{"a": 2, "b": 1}`'),
])
def test_summary_cells_are_safe_markdown(value, cell):
    assert manifest._cell(value) == cell


def test_summary_header_and_rows():
    p = plan()
    del p["manifest"]["variant_reason"]
    result = run(p)
    lines = manifest.summary(p, result).splitlines()
    assert lines[:9] == [
        "# Calico manifest changes",
        "",
        "- release: v3.31.7",
        "- variant: calico.yaml (from the plan)",
        "- upstream sha256: %s (catalog)" % catalog.manifest_sha256(VERSION, catalog.VARIANT_KDD),
        "- validated offline for Kubernetes 1.33 (kubernetes-validate --strict)",
        "- objects: %d, changed fields: %d; every other field equals upstream" % (len(result.docs), len(result.changes)),
        "",
        "| Object | Field | Upstream | Rendered |",
    ]
    assert lines[9] == "| --- | --- | --- | --- |"
    assert len(lines) == 10 + len(result.changes)
    assert "| DaemonSet kube-system/calico-node | spec.template.spec.containers[calico-node].env[CALICO_IPV4POOL_CIDR] | " \
           "`(absent)` | `10.244.0.0/16` |" in lines


def test_summary_redacts_secret_values_but_shows_what_was_absent():
    p = plan()
    result = run(p)
    result.changes = [manifest.Change("Secret s", "data.a", manifest.ABSENT, "new-secret", secret=True),
                      manifest.Change("Secret s", "data.b", "old-secret", "new-secret", secret=True)]
    rows = manifest.summary(p, result).splitlines()[-2:]
    assert rows == ["| Secret s | data.a | `(absent)` | `<redacted>` |", "| Secret s | data.b | `<redacted>` | `<redacted>` |"]


def test_object_labels_and_index():
    assert manifest.object_label({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "kube-system"}}) == "ConfigMap kube-system/c"
    assert manifest.object_label({"kind": "ClusterRole", "metadata": {"name": "r"}}) == "ClusterRole r"
    assert manifest.object_label({}) == "? ?"
    assert manifest.index_documents([{"kind": "A", "metadata": {"name": "a"}}, {"kind": "B"}]) == {
        ("A", "a"): {"kind": "A", "metadata": {"name": "a"}}, ("B", None): {"kind": "B"}}


def test_yaml_written_and_read():
    docs = [{"kind": "ConfigMap", "data": {"script": "line one\nline two\n", "long": "x" * 200, "name": "caf\u00e9"}}, {"b": 1}]
    text = manifest.dump_documents(docs)
    assert text.startswith("---\nkind: ConfigMap\n")  # explicit document start, keys in their order
    assert "  script: |\n    line one\n    line two\n" in text  # multi-line strings as literal blocks
    assert "  long: " + "x" * 200 + "\n" in text  # never wrapped
    assert "caf\u00e9" in text  # not escaped
    assert "\n---\nb: 1\n" in text
    assert manifest.parse_documents(text) == docs
    assert manifest.parse_documents("---\n---\na: 1\n---\n") == [{"a": 1}]
    assert yaml.safe_load_all(text)
