"""Helpers for the manifest pipeline tests: upstream location and hand-built plans.

The plans follow docs/plan.md field for field; ``plan_for`` builds the three datastore
shapes the example inventories produce so every release x variant can be customised.
"""

from __future__ import annotations

import os
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
if os.path.join(REPO, ".collections") not in sys.path:
    sys.path.insert(0, os.path.join(REPO, ".collections"))

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog  # noqa: E402

UPSTREAM_DIR = os.path.abspath(os.environ.get("CALICO_UPSTREAM_DIR") or os.path.join(REPO, "..", "shared", "upstream", "calico"))
RELEASES = ("3.30.7", "3.31.7", "3.32.1")


def upstream_path(version: str, variant: str) -> str:
    return os.path.join(UPSTREAM_DIR, "v%s" % version, variant)


def default_pool(family=4, cidr="10.244.0.0/16", block_size=26, ipip="Always", vxlan="Never", nat=True):
    return {
        "name": "default-ipv%d-ippool" % family,
        "family": family,
        "cidr": cidr,
        "block_size": block_size,
        "ipip_mode": ipip,
        "vxlan_mode": vxlan,
        "nat_outgoing": nat,
        "node_selector": "all()",
        "disabled": False,
        "default": True,
        "racks": [],
    }


def plan_for(version: str, variant: str) -> dict:
    """A plan as build_plan() writes it, for one release and variant."""
    typha = variant == catalog.VARIANT_TYPHA
    etcd = variant == catalog.VARIANT_ETCD
    return {
        "schema_version": 1,
        "cluster": {
            "name": "lab",
            "version": version,
            "kubernetes_version": "1.33",
            "datastore": "etcd" if etcd else "kubernetes",
            "production": False,
            "pod_cidr": "10.244.0.0/16",
            "pod_cidr_v6": None,
            "service_cidr": "10.96.0.0/12",
            "dual_stack": False,
            "node_count": 60 if typha else 3,
            "node_subnets": ["10.0.1.0/24", "10.0.2.0/24"],
            "node_sources": ["10.0.1.0/24", "10.0.2.0/24"],
            "artifacts_dir": "/tmp/artifacts",
        },
        "manifest": {
            "variant": variant,
            "variant_reason": "test",
            "sha256": catalog.manifest_sha256(version, variant),
            "sha256_source": "catalog",
            "url": catalog.manifest_url(version, variant),
            "mirror": None,
            "typha": {"enabled": typha, "replicas": 3 if typha else 0, "node_threshold": 50},
            "veth_mtu": 0,
            "calico_backend": "bird",
            "ip_autodetection_method": "cidr=10.0.1.0/24,10.0.2.0/24",
            "ip6_autodetection_method": None,
            "no_default_pools": False,
            "image_registry": None,
            "image_pull_secrets": [],
            "felix_env": {},
            "etcd": (
                {
                    "endpoints": ["https://10.0.0.5:2379", "https://10.0.0.6:2379"],
                    "tls": True,
                    "ca_file": "/abs/ca.pem",
                    "cert_file": "/abs/cert.pem",
                    "key_file": "/abs/key.pem",
                }
                if etcd
                else None
            ),
        },
        "ip_pools": [default_pool()],
        "bgp": {"mode": "full_mesh"},
    }


ETCD_SECRETS = {
    "etcd_ca": "-----BEGIN CERTIFICATE-----\nCA-MATERIAL\n-----END CERTIFICATE-----\n",
    "etcd_cert": "-----BEGIN CERTIFICATE-----\nCERT-MATERIAL\n-----END CERTIFICATE-----\n",
    "etcd_key": "-----BEGIN PRIVATE KEY-----\nKEY-MATERIAL-TOP-SECRET\n-----END PRIVATE KEY-----\n",
}
