"""Cluster section: name, release, address ranges and where artifacts go."""

from __future__ import annotations

import os
import re
from typing import Any

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.context import _Ctx

# \Z, not $: "$" also matches before a final newline, and a YAML "|" block ends in one.
POOL_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\Z")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def _cluster(ctx: _Ctx, node_count: int, node_subnets: list[str], node_sources: list[str]) -> dict[str, Any]:
    """The cluster section; the node figures come from the topology section."""
    v = ctx.v
    _calicoctl(ctx)
    pod = ctx.network("calico_pod_cidr", v["calico_pod_cidr"], 4)
    pod6 = ctx.network("calico_pod_cidr_v6", v["calico_pod_cidr_v6"], 6) if v["calico_pod_cidr_v6"] else None
    svc = ctx.network("calico_service_cidr", v["calico_service_cidr"])
    for var, net in (("calico_pod_cidr", pod), ("calico_pod_cidr_v6", pod6)):
        if net and svc and net.version == svc.version and net.overlaps(svc):
            ctx.f.error(var, "%s overlaps calico_service_cidr %s." % (net, svc), "pick non-overlapping pod and service ranges.")
    for var, family, lo, hi, default in (("calico_block_size", 4, 20, 32, 26), ("calico_block_size_v6", 6, 116, 128, 122)):
        if not lo <= v[var] <= hi:
            ctx.f.error(
                var,
                "block size %d is outside %d..%d for IPv%d." % (v[var], lo, hi, family),
                "use a block size in %d..%d (Calico's default is %d)." % (lo, hi, default),
            )
    version = v["calico_version"]
    if version not in catalog.SUPPORTED_VERSIONS:
        sha = v["calico_manifest_sha256"]
        if not sha:
            ctx.f.error(
                "calico_version",
                "%s is not in the catalog (supported: %s)." % (version, ", ".join(catalog.SUPPORTED_VERSIONS)),
                "choose a supported version, or set calico_manifest_sha256 to the checksum of that release's manifest.",
            )
    if not re.fullmatch(r"\d+\.\d+", v["calico_kubernetes_version"]):
        ctx.f.error("calico_kubernetes_version", "%r is not a MAJOR.MINOR version." % v["calico_kubernetes_version"], "e.g. 1.33.")
    if not v["calico_cluster_name"] or not POOL_NAME_RE.match(v["calico_cluster_name"]):
        ctx.f.error("calico_cluster_name", "%r is not a DNS-1123 name." % v["calico_cluster_name"], "use lowercase letters, digits, '-' and '.'.")
    return {
        "name": v["calico_cluster_name"],
        "version": version,
        "kubernetes_version": v["calico_kubernetes_version"],
        "datastore": v["calico_datastore"],
        "production": v["calico_production"],
        "pod_cidr": str(pod) if pod else None,
        "pod_cidr_v6": str(pod6) if pod6 else None,
        "service_cidr": str(svc) if svc else None,
        "dual_stack": pod6 is not None,
        "node_count": node_count,
        "node_subnets": list(node_subnets),
        "node_sources": list(node_sources),
        "artifacts_dir": os.path.abspath(os.path.expanduser(v["calico_artifacts_dir"])),
        "api_host": _api_host(ctx),
        # Checked against the live host by the preflight stage before the first change.
        "api_host_architecture": v["calico_api_host_architecture"],
    }


def _api_host(ctx: _Ctx) -> str | None:
    """The host the stages reach the Kubernetes API (and calicoctl) through: decided here only."""
    chosen = ctx.v["calico_api_host"]
    if chosen:
        if chosen not in ctx.inv.group("k8s_cluster"):
            ctx.f.error(
                "calico_api_host",
                "%r is not a host of k8s_cluster." % chosen,
                "name a control-plane node (its kubeconfig is used), or remove calico_api_host to use the first host of kube_control_plane.",
            )
        return chosen
    control = ctx.inv.group("kube_control_plane")
    return control[0] if control else None


def _calicoctl(ctx: _Ctx) -> None:
    """The BGP stage installs calicoctl with a checksum; without one it would fail there, late."""
    v = ctx.v
    explicit = v["calico_calicoctl_sha256"]
    if explicit and not SHA256_RE.match(explicit.strip().lower()):
        ctx.f.error("calico_calicoctl_sha256", "is not a 64-digit hex sha256.", "copy the checksum of calicoctl-linux-<arch> from the release.")
    if explicit or v["calico_bgp_skip_api"] or not v["calico_bgp_calicoctl_install"]:
        return
    version = v["calico_version"]
    if not catalog.CALICOCTL_SHA256.get(version):
        ctx.f.error(
            "calico_calicoctl_sha256",
            "is not set and the catalog has no calicoctl checksum for Calico %s (it has %s): the BGP stage would fail to "
            "install calicoctl on the API host after the manifest stage has applied." % (version, ", ".join(sorted(catalog.CALICOCTL_SHA256))),
            "set calico_calicoctl_sha256 to the sha256 of calicoctl-linux-<arch> of the v%s release, for the API host's architecture "
            "(%s), or set calico_bgp_calicoctl_install: false when calicoctl %s is installed there already."
            % (version, ", ".join(sorted({a for sums in catalog.CALICOCTL_SHA256.values() for a in sums})), version),
        )
