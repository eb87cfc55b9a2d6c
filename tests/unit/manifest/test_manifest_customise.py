"""Structural customisation of every release x variant in ../shared/upstream.

Each test parses the real upstream file, customises it from a plan that follows
docs/plan.md, and checks the result as data: the fields the plan decides, and that
everything else is exactly upstream.
"""

from __future__ import annotations

import base64
import copy
import functools
import json

import pytest
import yaml
from manifest_plans import ETCD_SECRETS, RELEASES, default_pool, upstream_path

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog, manifest
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext, RenderError

COMBINATIONS = [(v, f) for v in RELEASES for f in catalog.VARIANTS]
CUSTOMISED_OBJECTS = {
    ("ConfigMap", "calico-config"),
    ("DaemonSet", "calico-node"),
    ("Deployment", "calico-typha"),
    ("Deployment", "calico-kube-controllers"),
    ("Secret", "calico-etcd-secrets"),
}


@functools.lru_cache(maxsize=None)
def _upstream(version, variant):
    with open(upstream_path(version, variant), "rb") as handle:
        return manifest.parse_documents(handle.read())


def upstream_docs(version, variant):
    return copy.deepcopy(_upstream(version, variant))


def customised(plan, secrets=None):
    docs = upstream_docs(plan["cluster"]["version"], plan["manifest"]["variant"])
    return manifest.customise(docs, plan, secrets if secrets is not None else ETCD_SECRETS)


def by_key(docs):
    return manifest.index_documents(docs)


def node_container(docs):
    spec = by_key(docs)[("DaemonSet", "calico-node")]["spec"]["template"]["spec"]
    return next(c for c in spec["containers"] if c["name"] == "calico-node")


def env_of(container):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def cni_config(docs):
    text = by_key(docs)[("ConfigMap", "calico-config")]["data"]["cni_network_config"]
    return json.loads(text.replace("__CNI_MTU__", "1500"))


@pytest.mark.parametrize("version,variant", COMBINATIONS)
def test_default_pool_env_is_the_plan_pool_field_for_field(make_plan, version, variant):
    plan = make_plan(version, variant)
    plan["ip_pools"] = [default_pool(cidr="10.128.0.0/14", block_size=24, ipip="CrossSubnet", vxlan="Never", nat=False)]
    env = env_of(node_container(customised(plan).docs))
    assert env["CALICO_IPV4POOL_CIDR"] == "10.128.0.0/14"
    assert env["CALICO_IPV4POOL_BLOCK_SIZE"] == "24"
    assert env["CALICO_IPV4POOL_IPIP"] == "CrossSubnet"
    assert env["CALICO_IPV4POOL_VXLAN"] == "Never"
    assert env["CALICO_IPV4POOL_NAT_OUTGOING"] == "false"
    assert env["CALICO_IPV4POOL_NODE_SELECTOR"] == "all()"
    assert env["IP_AUTODETECTION_METHOD"] == "cidr=10.0.1.0/24,10.0.2.0/24"
    assert "NO_DEFAULT_POOLS" not in env
    # single stack: IPv6 stays as upstream ships it
    assert env["FELIX_IPV6SUPPORT"] == "false"
    assert "CALICO_IPV6POOL_CIDR" not in env and "IP6" not in env


@pytest.mark.parametrize("version,variant", COMBINATIONS)
def test_everything_not_customised_equals_upstream(make_plan, version, variant):
    plan = make_plan(version, variant)
    result = customised(plan)
    upstream = upstream_docs(version, variant)
    out = by_key(result.docs)
    assert [manifest.object_label(d) for d in result.docs] == [manifest.object_label(d) for d in upstream]
    for doc in upstream:
        key = (doc["kind"], doc["metadata"]["name"])
        if key not in CUSTOMISED_OBJECTS:
            assert out[key] == doc, "%s changed" % manifest.object_label(doc)
    # Inside the customised objects: the calico-node env keeps every upstream entry it does
    # not manage, in upstream order, and the rest of the DaemonSet is upstream.
    managed = {c.field.split("env[")[1].rstrip("]") for c in result.changes if "env[" in c.field}
    up_ds = by_key(upstream)[("DaemonSet", "calico-node")]
    out_ds = copy.deepcopy(out[("DaemonSet", "calico-node")])
    up_env = [e for e in node_container([up_ds])["env"] if e["name"] not in managed]
    out_env = [e for e in node_container([out_ds])["env"] if e["name"] not in managed]
    assert out_env == up_env
    node_container([up_ds])["env"] = node_container([out_ds])["env"] = []
    assert out_ds == up_ds
    # ConfigMap: only the keys the summary names differ.
    changed_keys = {c.field.split(".")[1].split(" ")[0] for c in result.changes if c.obj.startswith("ConfigMap")}
    up_cm = by_key(upstream)[("ConfigMap", "calico-config")]["data"]
    out_cm = out[("ConfigMap", "calico-config")]["data"]
    assert {k for k in up_cm if up_cm[k] != out_cm[k]} <= changed_keys
    assert set(out_cm) == set(up_cm)
    # kube-controllers is untouched unless registry / pull secrets are set
    assert out[("Deployment", "calico-kube-controllers")] == by_key(upstream)[("Deployment", "calico-kube-controllers")]


@pytest.mark.parametrize("version,variant", COMBINATIONS)
def test_dump_round_trips_as_data(make_plan, version, variant):
    result = customised(make_plan(version, variant))
    assert manifest.parse_documents(manifest.dump_documents(result.docs)) == result.docs


@pytest.mark.parametrize("version", RELEASES)
def test_typha_replicas_from_plan(make_plan, version):
    plan = make_plan(version, catalog.VARIANT_TYPHA)
    plan["manifest"]["typha"]["replicas"] = 5
    docs = customised(plan).docs
    assert by_key(docs)[("Deployment", "calico-typha")]["spec"]["replicas"] == 5
    assert by_key(docs)[("ConfigMap", "calico-config")]["data"]["typha_service_name"] == "calico-typha"


@pytest.mark.parametrize("version", RELEASES)
def test_etcd_endpoints_and_tls_material(make_plan, version):
    plan = make_plan(version, catalog.VARIANT_ETCD)
    result = customised(plan)
    docs = by_key(result.docs)
    config = docs[("ConfigMap", "calico-config")]["data"]
    assert config["etcd_endpoints"] == "https://10.0.0.5:2379,https://10.0.0.6:2379"
    assert config["etcd_ca"] == "/calico-secrets/etcd-ca"
    assert config["etcd_cert"] == "/calico-secrets/etcd-cert"
    assert config["etcd_key"] == "/calico-secrets/etcd-key"
    secret = docs[("Secret", "calico-etcd-secrets")]["data"]
    assert base64.b64decode(secret["etcd-key"]).decode() == ETCD_SECRETS["etcd_key"]
    assert base64.b64decode(secret["etcd-cert"]).decode() == ETCD_SECRETS["etcd_cert"]
    assert base64.b64decode(secret["etcd-ca"]).decode() == ETCD_SECRETS["etcd_ca"]
    assert result.embeds_secret


def test_etcd_without_tls_leaves_secret_and_paths_empty(make_plan):
    plan = make_plan("3.31.7", catalog.VARIANT_ETCD)
    plan["manifest"]["etcd"].update(tls=False, ca_file=None, cert_file=None, key_file=None, endpoints=["http://10.0.0.5:2379"])
    result = customised(plan, secrets={})
    docs = by_key(result.docs)
    assert docs[("Secret", "calico-etcd-secrets")] == by_key(upstream_docs("3.31.7", catalog.VARIANT_ETCD))[("Secret", "calico-etcd-secrets")]
    assert docs[("ConfigMap", "calico-config")]["data"]["etcd_ca"] == ""
    assert docs[("ConfigMap", "calico-config")]["data"]["etcd_endpoints"] == "http://10.0.0.5:2379"
    assert not result.embeds_secret


def test_etcd_tls_without_secrets_in_context_fails_naming_them(make_plan):
    plan = make_plan("3.31.7", catalog.VARIANT_ETCD)
    with pytest.raises(RenderError) as err:
        customised(plan, secrets={"etcd_ca": "x"})
    assert "etcd_cert, etcd_key" in str(err.value) and "cert_file, key_file" in str(err.value)


@pytest.mark.parametrize("version,variant", COMBINATIONS)
def test_dual_stack(make_plan, version, variant):
    plan = make_plan(version, variant)
    plan["cluster"].update(dual_stack=True, pod_cidr_v6="fd00:10:244::/56")
    plan["manifest"]["ip6_autodetection_method"] = "cidr=fd00:1::/64"
    plan["ip_pools"].append(default_pool(family=6, cidr="fd00:10:244::/56", block_size=122, ipip="Never", vxlan="Never", nat=False))
    docs = customised(plan).docs
    env = env_of(node_container(docs))
    assert env["CALICO_IPV6POOL_CIDR"] == "fd00:10:244::/56"
    assert env["CALICO_IPV6POOL_BLOCK_SIZE"] == "122"
    assert env["CALICO_IPV6POOL_VXLAN"] == "Never"
    assert env["CALICO_IPV6POOL_NAT_OUTGOING"] == "false"
    assert env["CALICO_IPV6POOL_NODE_SELECTOR"] == "all()"
    assert "CALICO_IPV6POOL_IPIP" not in env
    assert env["IP6"] == "autodetect"
    assert env["IP6_AUTODETECTION_METHOD"] == "cidr=fd00:1::/64"
    assert env["FELIX_IPV6SUPPORT"] == "true"
    calico_plugin = next(p for p in cni_config(docs)["plugins"] if p["type"] == "calico")
    assert calico_plugin["ipam"] == {"type": "calico-ipam", "assign_ipv4": "true", "assign_ipv6": "true"}
    # the install-cni placeholder is still a bare token the node-side substitution finds
    text = by_key(docs)[("ConfigMap", "calico-config")]["data"]["cni_network_config"]
    assert '"mtu": __CNI_MTU__' in text
    # and the rest of the CNI config is upstream's
    upstream_cfg = cni_config(upstream_docs(version, variant))
    for plugin in upstream_cfg["plugins"]:
        if plugin["type"] == "calico":
            plugin["ipam"].update(assign_ipv4="true", assign_ipv6="true")
    assert cni_config(docs) == upstream_cfg


def test_dual_stack_without_v6_default_pool_fails(make_plan):
    plan = make_plan()
    plan["cluster"]["dual_stack"] = True
    with pytest.raises(RenderError, match="no default IPv6 pool"):
        customised(plan)


@pytest.mark.parametrize("version,variant", COMBINATIONS)
def test_vxlan_backend_drops_bird_probes(make_plan, version, variant):
    plan = make_plan(version, variant)
    plan["bgp"]["mode"] = "none"
    plan["manifest"]["calico_backend"] = "vxlan"
    plan["ip_pools"] = [default_pool(ipip="Never", vxlan="Always")]
    docs = customised(plan).docs
    node = node_container(docs)
    assert by_key(docs)[("ConfigMap", "calico-config")]["data"]["calico_backend"] == "vxlan"
    assert node["livenessProbe"]["exec"]["command"] == ["/bin/calico-node", "-felix-live"]
    assert node["readinessProbe"]["exec"]["command"] == ["/bin/calico-node", "-felix-ready"]
    env = env_of(node)
    assert env["CALICO_IPV4POOL_IPIP"] == "Never" and env["CALICO_IPV4POOL_VXLAN"] == "Always"


def test_bird_backend_keeps_probes(make_plan):
    node = node_container(customised(make_plan()).docs)
    assert "-bird-live" in node["livenessProbe"]["exec"]["command"]
    assert "-bird-ready" in node["readinessProbe"]["exec"]["command"]


def test_backend_must_agree_with_bgp_mode(make_plan):
    plan = make_plan()
    plan["bgp"]["mode"] = "none"
    with pytest.raises(RenderError, match="must be vxlan"):
        customised(plan)


@pytest.mark.parametrize("mtu,expected", [(0, "0"), (1440, "1440")])
def test_veth_mtu(make_plan, mtu, expected):
    plan = make_plan()
    plan["manifest"]["veth_mtu"] = mtu
    result = customised(plan)
    assert by_key(result.docs)[("ConfigMap", "calico-config")]["data"]["veth_mtu"] == expected
    assert any(c.field == "data.veth_mtu" for c in result.changes) == (mtu != 0)


@pytest.mark.parametrize("version,variant", COMBINATIONS)
def test_image_registry_rewrite_and_pull_secrets(make_plan, version, variant):
    plan = make_plan(version, variant)
    plan["manifest"]["image_registry"] = "registry.corp:5000/mirror/"
    plan["manifest"]["image_pull_secrets"] = ["corp-pull", "backup-pull"]
    docs = customised(plan).docs
    workloads = [d for d in docs if d["kind"] in ("DaemonSet", "Deployment")]
    assert workloads
    upstream = by_key(upstream_docs(version, variant))
    for doc in workloads:
        pod = doc["spec"]["template"]["spec"]
        up_pod = upstream[(doc["kind"], doc["metadata"]["name"])]["spec"]["template"]["spec"]
        for group in ("initContainers", "containers"):
            for container, up_container in zip(pod.get(group, []), up_pod.get(group, [])):
                name_tag = up_container["image"].split("/calico/", 1)[1]
                assert container["image"] == "registry.corp:5000/mirror/calico/" + name_tag
        assert pod["imagePullSecrets"] == [{"name": "corp-pull"}, {"name": "backup-pull"}]


@pytest.mark.parametrize(
    "image,expected",
    [
        ("docker.io/calico/node:v3.30.7", "r.example/calico/node:v3.30.7"),
        ("quay.io/calico/cni:v3.31.7", "r.example/calico/cni:v3.31.7"),
        ("calico/typha:v3.32.1", "r.example/calico/typha:v3.32.1"),
        ("localhost/calico/node:v1", "r.example/calico/node:v1"),
        ("docker.io/library/busybox:1", None),
    ],
)
def test_rewrite_image(image, expected):
    assert manifest.rewrite_image(image, "r.example") == expected


def test_felix_env_passthrough(make_plan):
    plan = make_plan()
    plan["manifest"]["felix_env"] = {"FELIX_PROMETHEUSMETRICSENABLED": "true", "FELIX_DEFAULTENDPOINTTOHOSTACTION": "DROP"}
    result = customised(plan)
    env = env_of(node_container(result.docs))
    assert env["FELIX_PROMETHEUSMETRICSENABLED"] == "true"
    assert env["FELIX_DEFAULTENDPOINTTOHOSTACTION"] == "DROP"
    change = next(c for c in result.changes if c.field.endswith("env[FELIX_DEFAULTENDPOINTTOHOSTACTION]"))
    assert (change.old, change.new) == ("ACCEPT", "DROP")


@pytest.mark.parametrize(
    "key,fragment",
    [("FELIX_IPV6SUPPORT", "calico_pod_cidr_v6"), ("FELIX_VXLANMTU", "calico_mtu"), ("IP", "not a FELIX_"), ("FELIX_bad", "not a FELIX_")],
)
def test_felix_env_rejects_managed_and_foreign_keys(make_plan, key, fragment):
    plan = make_plan()
    plan["manifest"]["felix_env"] = {key: "x"}
    with pytest.raises(RenderError, match=fragment):
        customised(plan)


def test_no_default_pools(make_plan):
    plan = make_plan()
    plan["manifest"]["no_default_pools"] = True
    plan["ip_pools"] = [dict(default_pool(), name="rack-r1", default=False, racks=["r1"])]
    env = env_of(node_container(customised(plan).docs))
    assert env["NO_DEFAULT_POOLS"] == "true"
    assert "CALICO_IPV4POOL_CIDR" not in env


def test_no_default_pools_with_default_pool_in_plan_is_inconsistent(make_plan):
    plan = make_plan()
    plan["manifest"]["no_default_pools"] = True
    with pytest.raises(RenderError, match="still holds default pools"):
        customised(plan)


@pytest.mark.parametrize(
    "mutate,fragment",
    [
        (lambda p: p["manifest"]["typha"].update(enabled=True, replicas=2), "Typha runs only with calico-typha.yaml"),
        (lambda p: p["ip_pools"].__setitem__(0, dict(p["ip_pools"][0], name="pods")), "calico-node always names it"),
        (lambda p: p["ip_pools"].__setitem__(0, dict(p["ip_pools"][0], disabled=True)), "cannot be disabled"),
        (lambda p: p.__setitem__("ip_pools", []), "no default IPv4 pool"),
        (lambda p: p["manifest"].__setitem__("etcd", {"endpoints": [], "tls": False}), "plan.manifest.etcd must be set"),
    ],
)
def test_inconsistent_plans_are_refused(make_plan, mutate, fragment):
    plan = make_plan()
    mutate(plan)
    with pytest.raises(RenderError, match=fragment):
        customised(plan)


def test_every_error_is_reported_at_once(make_plan):
    plan = make_plan()
    plan["manifest"]["felix_env"] = {"FELIX_IPINIPMTU": "1", "FELIX_WIREGUARDMTU": "1"}
    with pytest.raises(RenderError) as err:
        customised(plan)
    assert len(err.value.messages) == 2


def test_summary_redacts_secrets_and_lists_changes(make_plan, upstream_dir):
    plan = make_plan("3.31.7", catalog.VARIANT_ETCD)
    plan["manifest"]["veth_mtu"] = 1400
    artifacts = {a.path: a for a in manifest.render(plan, RenderContext(secrets=ETCD_SECRETS, upstream_dir=upstream_dir))}
    text = artifacts["calico-manifest-changes.md"].content
    for value in ETCD_SECRETS.values():
        assert value not in text and base64.b64encode(value.encode()).decode() not in text
        assert "MATERIAL" not in text
    assert "| Secret kube-system/calico-etcd-secrets | data.etcd-key | `(absent)` | `<redacted>` |" in text
    assert "| ConfigMap kube-system/calico-config | data.veth_mtu | `0` | `1400` |" in text
    assert artifacts["calico-manifest-changes.md"].mode == "0644" and not artifacts["calico-manifest-changes.md"].secret
    assert artifacts["calico.yaml"].mode == "0600" and artifacts["calico.yaml"].secret


def test_manifest_without_secret_is_world_readable(make_plan, upstream_dir):
    artifacts = {a.path: a for a in manifest.render(make_plan(), RenderContext(upstream_dir=upstream_dir))}
    assert artifacts["calico.yaml"].mode == "0644" and not artifacts["calico.yaml"].secret
    docs = manifest.parse_documents(artifacts["calico.yaml"].content)
    assert env_of(node_container(docs))["CALICO_IPV4POOL_CIDR"] == "10.244.0.0/16"


def test_summary_rows_match_the_data_difference(make_plan):
    """Every changed calico-node env entry appears once in the summary, and nothing else does."""
    plan = make_plan("3.32.1", catalog.VARIANT_TYPHA)
    result = customised(plan)
    up_env = env_of(node_container(upstream_docs("3.32.1", catalog.VARIANT_TYPHA)))
    out_env = env_of(node_container(result.docs))
    differing = {k for k in out_env if up_env.get(k) != out_env[k]}
    listed = {c.field.split("env[")[1].rstrip("]") for c in result.changes if "env[" in c.field}
    assert listed == differing
    assert ("Deployment kube-system/calico-typha", "spec.replicas", 1, 3) in {(c.obj, c.field, c.old, c.new) for c in result.changes}


def test_output_is_plain_yaml_with_literal_blocks(make_plan, upstream_dir):
    text = manifest.render(make_plan(), RenderContext(upstream_dir=upstream_dir))[0].content
    assert text.startswith("---\n")
    assert "cni_network_config: |" in text
    assert all(isinstance(d, dict) for d in yaml.safe_load_all(text))
