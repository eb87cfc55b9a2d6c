"""Manifest inputs section: variant, checksum, Typha, MTU, Felix settings and the etcd datastore."""

from __future__ import annotations

import os
import re

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog
from ansible_collections.onprem.calico.plugins.plugin_utils.manifest import MANAGED_FELIX_ENV
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.cluster import SHA256_RE
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.context import _Ctx
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import TYPHA_PRODUCTION_MIN, check_typha_replicas, typha_auto_replicas

# Header bytes each encapsulation adds (IPv4 / IPv6), for MTU advice.
ENCAP_OVERHEAD = {"ipip": (20, None), "vxlan": (50, 70), "wireguard": (60, 80)}


def _manifest(ctx: _Ctx, cluster: dict, nodes: dict, pools: list[dict], bgp: dict) -> dict:
    v = ctx.v
    ds = cluster["datastore"]
    n = len(nodes)
    threshold = v["calico_typha_node_threshold"]
    if threshold < 0:
        ctx.f.error("calico_typha_node_threshold", "must not be negative.", "the default is 50.")
    if ds == "etcd":
        variant, reason = catalog.VARIANT_ETCD, "etcd datastore"
    elif n > threshold:
        variant, reason = catalog.VARIANT_TYPHA, "Kubernetes datastore, %d nodes > calico_typha_node_threshold (%d)" % (n, threshold)
    else:
        variant, reason = catalog.VARIANT_KDD, "Kubernetes datastore, %d nodes <= calico_typha_node_threshold (%d)" % (n, threshold)
    override = v["calico_manifest_variant"]
    if override:
        allowed = (catalog.VARIANT_ETCD,) if ds == "etcd" else (catalog.VARIANT_KDD, catalog.VARIANT_TYPHA)
        if override not in allowed:
            ctx.f.error(
                "calico_manifest_variant",
                "%r does not fit the %s datastore (allowed: %s)." % (override, ds, ", ".join(allowed)),
                "remove the override or pick an allowed variant.",
            )
        else:
            variant, reason = override, "calico_manifest_variant override"
    typha = variant == catalog.VARIANT_TYPHA
    replicas = 0
    if typha:
        req = v["calico_typha_replicas"]
        if req == "auto":
            replicas = typha_auto_replicas(n, v["calico_production"])
            if replicas < 1:
                ctx.f.error(
                    "calico_typha_replicas",
                    "auto gives %d replicas for %d node(s): Typha needs fewer replicas than nodes and at least one." % (replicas, n),
                    "raise calico_typha_node_threshold so small clusters use calico.yaml.",
                )
            elif v["calico_production"] and replicas < TYPHA_PRODUCTION_MIN:
                # The same rule as for an explicit count: production wants three Typhas.
                ctx.f.warn(
                    "calico_typha_replicas",
                    "auto gives %d replica(s) for %d nodes (fewer than the nodes), below %d with calico_production: true."
                    % (replicas, n, TYPHA_PRODUCTION_MIN),
                    "run Typha on a cluster of at least %d nodes, or use calico.yaml without Typha (raise calico_typha_node_threshold)."
                    % (TYPHA_PRODUCTION_MIN + 1),
                )
        else:
            replicas = req
            check_typha_replicas(ctx.f, req, n, v["calico_production"])
    elif v["calico_typha_replicas"] not in ("auto", 0) and isinstance(v["calico_typha_replicas"], int):
        ctx.f.warn("calico_typha_replicas", "is %d but the %s variant runs no Typha; it is ignored." % (v["calico_typha_replicas"], variant))
    sha = v["calico_manifest_sha256"]
    catalog_sha = catalog.manifest_sha256(cluster["version"], variant)
    sha_source = "catalog"
    if sha:
        sha = sha.strip().lower()
        if not SHA256_RE.match(sha):
            ctx.f.error("calico_manifest_sha256", "is not a 64-digit hex sha256.", "copy the checksum of %s for v%s." % (variant, cluster["version"]))
        elif catalog_sha and sha != catalog_sha:
            ctx.f.error(
                "calico_manifest_sha256",
                "differs from the catalog's checksum of %s v%s (%s)." % (variant, cluster["version"], catalog_sha),
                "remove calico_manifest_sha256 for catalog versions.",
            )
        elif not catalog_sha:
            sha_source = "calico_manifest_sha256"
    else:
        sha = catalog_sha
    mtu = v["calico_mtu"]
    overhead, overhead_reason = _encapsulation_overhead(ctx, cluster, pools)
    if mtu != "auto":
        if not 576 <= mtu <= 9000:
            ctx.f.error("calico_mtu", "%d is not a usable MTU (576..9000)." % mtu, "use 'auto' to let Felix detect it.")
        elif nodes:
            _mtu_advice(ctx, nodes, mtu, overhead, overhead_reason)
    if ds == "etcd":
        etcd = _etcd(ctx)
    else:
        etcd = None
        if v["calico_etcd_endpoints"]:
            ctx.f.warn("calico_etcd_endpoints", "is set but calico_datastore is kubernetes; it is ignored.")
    felix = {}
    for key, val in v["calico_felix_env"].items():
        if not re.fullmatch(r"FELIX_[A-Z0-9_]+", str(key)):
            ctx.f.error(
                "calico_felix_env", "%r is not a FELIX_* variable name." % key, "only Felix settings pass through (e.g. FELIX_LOGSEVERITYSCREEN)."
            )
        elif str(key) in MANAGED_FELIX_ENV:
            ctx.f.error(
                "calico_felix_env",
                "%s is decided by %s; setting it here would contradict the plan." % (key, MANAGED_FELIX_ENV[str(key)]),
                "remove %s from calico_felix_env and use %s." % (key, MANAGED_FELIX_ENV[str(key)]),
            )
        else:
            felix[str(key)] = str(val).lower() if isinstance(val, bool) else str(val)
    if v["calico_rp_filter"] not in (0, 1):
        ctx.f.error(
            "calico_rp_filter",
            "is %r; only 0 (off) or 1 (strict) keep the hosts' own interfaces from accepting spoofed sources "
            "(Felix checks workload traffic itself with a strict reverse-path rule, whatever the sysctl)." % v["calico_rp_filter"],
            "use 1 (the default) or 0; a distribution that sets 2 is overridden by the plan's sysctls (docs/host-preparation.md).",
        )
    if "FELIX_IGNORELOOSERPF" in felix:
        ctx.f.warn(
            "calico_felix_env",
            "FELIX_IGNORELOOSERPF is not a setting of the supported Calico releases; Felix ignores it.",
            "remove it from calico_felix_env.",
        )
    method = v["calico_ip_autodetection_method"]
    if not method:
        v4_subnets = [s for s in cluster["node_subnets"] if ":" not in s]
        if v4_subnets:
            method = "cidr=" + ",".join(v4_subnets)
        else:
            method = "kubernetes-internal-ip" if ds == "kubernetes" else "first-found"
    method6 = None
    if cluster["dual_stack"]:
        method6 = v["calico_ip6_autodetection_method"]
        if not method6:
            v6_subnets = [s for s in cluster["node_subnets"] if ":" in s]
            method6 = "cidr=" + ",".join(v6_subnets) if v6_subnets else ("kubernetes-internal-ip" if ds == "kubernetes" else "first-found")
    # Typha's certificate is named calico-typha (Felix checks it), Felix's calico-node (Typha checks it).
    typha_tls = {"enabled": bool(typha and v["calico_typha_tls"]), "pki_dir": None, "server_name": "calico-typha", "client_name": "calico-node"}
    if typha_tls["enabled"]:
        # The CA key lives here: never below the artifacts directory, whose 0600 files render owns.
        pki = os.path.abspath(os.path.expanduser(v["calico_typha_pki_dir"]))
        if os.path.commonpath([pki, cluster["artifacts_dir"]]) == cluster["artifacts_dir"]:
            ctx.f.error(
                "calico_typha_pki_dir",
                "%s is inside calico_artifacts_dir (%s); the Typha CA key must stay out of the artifacts." % (pki, cluster["artifacts_dir"]),
                "choose a private directory on the controller outside the artifacts, e.g. ~/.onprem-calico/%s/typha-pki." % cluster["name"],
            )
        typha_tls["pki_dir"] = pki
    mirror = v["calico_manifest_mirror"]
    return {
        "variant": variant,
        "variant_reason": reason,
        "sha256": sha,
        "sha256_source": sha_source,
        "url": catalog.manifest_url(cluster["version"], variant),
        "mirror": mirror,
        "typha": {"enabled": typha, "replicas": replicas, "node_threshold": threshold, "tls": typha_tls},
        "veth_mtu": 0 if mtu == "auto" else mtu,
        "encapsulation_overhead": overhead,
        "encapsulation_overhead_reason": overhead_reason,
        "calico_backend": "vxlan" if bgp["mode"] == "none" else "bird",
        "ip_autodetection_method": method,
        "ip6_autodetection_method": method6,
        # calico-node creates the default pools only when the plan has them (not with rack pools or calico_ip_pools).
        "no_default_pools": not any(p["default"] for p in pools),
        "image_registry": v["calico_image_registry"],
        "image_pull_secrets": [str(s) for s in v["calico_image_pull_secrets"]],
        "felix_env": dict(sorted(felix.items())),
        "etcd": etcd,
    }


def _encapsulation_overhead(ctx: _Ctx, cluster: dict, pools: list[dict]) -> tuple[int, str]:
    """Bytes the worst encapsulation in use adds to a pod packet, and which one it is.

    Decided here once: MTU advice uses it, and the node check on each host only compares its
    interface MTU with it.
    """
    overhead, why = 0, "no encapsulation"
    if any(p["ipip_mode"] != "Never" for p in pools):
        overhead, why = ENCAP_OVERHEAD["ipip"][0], "IPIP"
    if any(p["vxlan_mode"] != "Never" for p in pools):
        v6 = any(p["vxlan_mode"] != "Never" and p["family"] == 6 for p in pools)
        o = ENCAP_OVERHEAD["vxlan"][1 if v6 else 0]
        if o > overhead:
            overhead, why = o, "VXLAN" + (" over IPv6" if v6 else "")
    if ctx.v["calico_wireguard"]:
        o = ENCAP_OVERHEAD["wireguard"][1 if cluster["dual_stack"] else 0]
        if o > overhead:
            overhead, why = o, "WireGuard"
    return overhead, why


def _mtu_advice(ctx: _Ctx, nodes: dict, mtu: int, overhead: int, why: str) -> None:
    smallest = min(n["interface_mtu"] for n in nodes.values())
    if mtu > smallest - overhead:
        ctx.f.warn(
            "calico_mtu",
            "%d exceeds the smallest node interface MTU %d minus the %s overhead %d (= %d): large packets will be fragmented or dropped."
            % (mtu, smallest, why, overhead, smallest - overhead),
            "set calico_mtu to %d or 'auto'." % (smallest - overhead),
        )


def _etcd(ctx: _Ctx) -> dict | None:
    v = ctx.v
    endpoints = [str(e) for e in v["calico_etcd_endpoints"]]
    if not endpoints:
        ctx.f.error("calico_etcd_endpoints", "is empty, but calico_datastore is etcd.", "list the etcd client URLs, e.g. https://10.0.0.5:2379.")
    tls = False
    for e in endpoints:
        m = re.fullmatch(r"(https?)://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})/?", e)
        if not m or not 1 <= int(m.group(3)) <= 65535:
            ctx.f.error("calico_etcd_endpoints", "%r is not a URL with scheme and port." % e, "write it as https://HOST:2379.")
            continue
        tls = tls or m.group(1) == "https"
    files = {}
    for key in ("ca", "cert", "key"):
        var = "calico_etcd_%s_file" % key
        path = v[var]
        if tls and not path:
            ctx.f.error(var, "is required with https etcd endpoints.", "set %s to the PEM file on the controller." % var)
        elif path:
            path = os.path.abspath(os.path.expanduser(path))
            if not os.path.isfile(path):
                ctx.f.error(var, "%s does not exist on the controller." % path, "fix the path; the file is read on the controller.")
        files[key + "_file"] = path if path else None
    return {"endpoints": endpoints, "tls": tls, **files}
