"""The example inventories, through the real plan core, rendered against every release.

Each example is loaded with Ansible's inventory loader (tests/inventory_loader.py), its
``calico_version`` set to each release in ../shared/upstream, planned with build_plan() and
rendered; the result must be the right variant, carry the plan's decisions and pass
kubernetes-validate --strict (render() validates before returning).
"""

from __future__ import annotations

import base64
import copy
import functools
import json

import pytest
from inventory_loader import load_example_inventory
from manifest_plans import RELEASES

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog, manifest
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan

EXPECTED_VARIANT = {
    "kdd-small": catalog.VARIANT_KDD,
    "kdd-typha": catalog.VARIANT_TYPHA,
    "etcd": catalog.VARIANT_ETCD,
    "tor-as-per-rack": catalog.VARIANT_KDD,
}


@functools.lru_cache(maxsize=None)
def _inventory(name):
    return load_example_inventory(name)


def example_plan_for_release(name, version):
    inventory = copy.deepcopy(_inventory(name))
    inventory.cluster["calico_version"] = version
    # Only the manifest is rendered here; 3.32.1 has no calicoctl checksum for the BGP stage.
    inventory.cluster["calico_bgp_skip_api"] = True
    result = build_plan(inventory)
    assert result.errors == [], [str(e) for e in result.errors]
    return result.plan


def secrets_for(plan):
    """What the render action reads on the controller: the etcd TLS files the plan names."""
    etcd = plan["manifest"]["etcd"]
    if not etcd or not etcd["tls"]:
        return {}
    out = {}
    for key in ("ca", "cert", "key"):
        with open(etcd[key + "_file"], encoding="utf-8") as handle:
            out["etcd_" + key] = handle.read()
    return out


def env_of(docs):
    ds = manifest.index_documents(docs)[("DaemonSet", "calico-node")]
    node = next(c for c in ds["spec"]["template"]["spec"]["containers"] if c["name"] == "calico-node")
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in node["env"]}


@pytest.mark.parametrize("version", RELEASES)
@pytest.mark.parametrize("name", sorted(EXPECTED_VARIANT))
def test_example_renders_validated_manifest(name, version, upstream_dir):
    plan = example_plan_for_release(name, version)
    assert plan["manifest"]["variant"] == EXPECTED_VARIANT[name]
    secrets = secrets_for(plan)
    artifacts = {a.path: a for a in manifest.render(plan, RenderContext(secrets=secrets, upstream_dir=upstream_dir))}
    docs = manifest.parse_documents(artifacts["calico.yaml"].content)
    index = manifest.index_documents(docs)
    env = env_of(docs)
    config = index[("ConfigMap", "calico-config")]["data"]

    pool = next(p for p in plan["ip_pools"] if p["default"] and p["family"] == 4)
    assert env["CALICO_IPV4POOL_CIDR"] == pool["cidr"] == plan["cluster"]["pod_cidr"]
    assert env["CALICO_IPV4POOL_BLOCK_SIZE"] == str(pool["block_size"])
    assert env["CALICO_IPV4POOL_IPIP"] == pool["ipip_mode"]
    assert env["CALICO_IPV4POOL_VXLAN"] == pool["vxlan_mode"]
    assert env["CALICO_IPV4POOL_NAT_OUTGOING"] == str(pool["nat_outgoing"]).lower()
    assert env["CALICO_IPV4POOL_NODE_SELECTOR"] == pool["node_selector"]
    assert env["IP_AUTODETECTION_METHOD"] == plan["manifest"]["ip_autodetection_method"]
    assert config["veth_mtu"] == str(plan["manifest"]["veth_mtu"])
    assert config["calico_backend"] == plan["manifest"]["calico_backend"]

    if plan["manifest"]["typha"]["enabled"]:
        assert index[("Deployment", "calico-typha")]["spec"]["replicas"] == plan["manifest"]["typha"]["replicas"] > 0
    else:
        assert ("Deployment", "calico-typha") not in index
    etcd = plan["manifest"]["etcd"]
    if etcd:
        assert config["etcd_endpoints"] == ",".join(etcd["endpoints"])
        secret = index[("Secret", "calico-etcd-secrets")]["data"]
        assert base64.b64decode(secret["etcd-key"]).decode() == secrets["etcd_key"]
        assert artifacts["calico.yaml"].mode == "0600"
        assert secrets["etcd_key"] not in artifacts["calico-manifest-changes.md"].content
        assert secrets["etcd_key"] not in json.dumps(plan)  # the plan references, never embeds
    else:
        assert artifacts["calico.yaml"].mode == "0644"
    # the summary names the variant and the reason the plan chose it
    assert plan["manifest"]["variant_reason"] in artifacts["calico-manifest-changes.md"].content
