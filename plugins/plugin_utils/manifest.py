"""Renderer for ``calico.yaml``: the upstream manifest, verified, customised from the plan.

Pipeline: locate + verify (``manifest_source``) -> parse the multi-document YAML -> change
objects structurally (never text) -> validate every object offline with kubernetes-validate
for ``plan.cluster.kubernetes_version`` -> dump. Everything not listed in the change summary
stays equal, as data, to upstream.

Plan fields read: ``cluster.*``, ``manifest.*``, ``ip_pools`` (the default pools),
``bgp.mode`` (only to check it agrees with ``manifest.calico_backend``).
Secrets read from ``RenderContext.secrets``: ``etcd_ca``, ``etcd_cert``, ``etcd_key``.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from typing import Any

import yaml

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import Artifact, RenderContext, RenderError
from ansible_collections.onprem.calico.plugins.plugin_utils.manifest_source import (
    ManifestSourceError,
    VerifiedManifest,
    fetch_verified,
    source_from_plan,
)

MANIFEST_FILE = "calico.yaml"
SUMMARY_FILE = "calico-manifest-changes.md"
REDACTED = "<redacted>"
NAMESPACE = "kube-system"
ABSENT = "(absent)"

# Objects the customisation touches: (kind, name).
CALICO_CONFIG = ("ConfigMap", "calico-config")
ETCD_SECRET = ("Secret", "calico-etcd-secrets")
CALICO_NODE = ("DaemonSet", "calico-node")
KUBE_CONTROLLERS = ("Deployment", "calico-kube-controllers")
TYPHA = ("Deployment", "calico-typha")
WORKLOAD_KINDS = ("DaemonSet", "Deployment")

# Where calico-node and the CNI plugin find the etcd TLS files: the calico-etcd-secrets
# volume is mounted at /calico-secrets in every upstream variant.
ETCD_TLS_PATHS = {
    "etcd_ca": ("etcd-ca", "/calico-secrets/etcd-ca"),
    "etcd_cert": ("etcd-cert", "/calico-secrets/etcd-cert"),
    "etcd_key": ("etcd-key", "/calico-secrets/etcd-key"),
}

# Typha over mutual TLS (calico_typha_tls): one Secret per side, mounted at the same path. The
# files come from the controller's PKI directory (render reads them); the CA key never does.
TYPHA_TLS_MOUNT = "/etc/calico/typha-tls"
TYPHA_TLS_VOLUME = "typha-tls"
# Secret name -> (workload, container, the render secrets behind ca.crt, tls.crt, tls.key, and the
# environment; a value naming a key of plan.manifest.typha.tls is that key's value).
TYPHA_TLS_SECRETS = {
    "calico-typha-tls": (TYPHA, "calico-typha", ("typha_ca", "typha_server_cert", "typha_server_key"), {
        "TYPHA_CAFILE": TYPHA_TLS_MOUNT + "/ca.crt",
        "TYPHA_SERVERCERTFILE": TYPHA_TLS_MOUNT + "/tls.crt",
        "TYPHA_SERVERKEYFILE": TYPHA_TLS_MOUNT + "/tls.key",
        "TYPHA_CLIENTCN": "client_name",
    }),
    "calico-node-typha-tls": (CALICO_NODE, "calico-node", ("typha_ca", "typha_client_cert", "typha_client_key"), {
        "FELIX_TYPHACAFILE": TYPHA_TLS_MOUNT + "/ca.crt",
        "FELIX_TYPHACERTFILE": TYPHA_TLS_MOUNT + "/tls.crt",
        "FELIX_TYPHAKEYFILE": TYPHA_TLS_MOUNT + "/tls.key",
        "FELIX_TYPHACN": "server_name",
    }),
}

# FELIX_* variables whose value another collection variable decides; calico_felix_env may
# not set them (the message names the variable to use instead).
MANAGED_FELIX_ENV = {
    "FELIX_IPV6SUPPORT": "calico_pod_cidr_v6 (dual stack)",
    "FELIX_IPINIPMTU": "calico_mtu",
    "FELIX_VXLANMTU": "calico_mtu",
    "FELIX_WIREGUARDMTU": "calico_mtu",
    "FELIX_TYPHAK8SSERVICENAME": "calico_typha_node_threshold / the manifest variant",
    "FELIX_TYPHACAFILE": "calico_typha_tls",
    "FELIX_TYPHACERTFILE": "calico_typha_tls",
    "FELIX_TYPHAKEYFILE": "calico_typha_tls",
    "FELIX_TYPHACN": "calico_typha_tls",
    "FELIX_TYPHAURISAN": "calico_typha_tls",
}

# The CNI config template is JSON except for this bare placeholder, which install-cni
# replaces on the node; it is swapped for a quoted sentinel while the JSON is edited.
_CNI_MTU_PLACEHOLDER = "__CNI_MTU__"
_CNI_MTU_SENTINEL = '"__ONPREM_CALICO_CNI_MTU__"'


@dataclass(frozen=True)
class Change:
    """One field that differs from upstream."""

    obj: str  # "DaemonSet kube-system/calico-node"
    field: str  # path inside the object
    old: Any
    new: Any
    secret: bool = False


# --------------------------------------------------------------------------------------
# YAML in and out
# --------------------------------------------------------------------------------------

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Safe dumper that writes multi-line strings as literal blocks, for readable diffs."""


def _represent_str(dumper, value):
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)


def parse_documents(data: bytes | str) -> list[dict]:
    """Every non-empty document of a multi-document YAML stream."""
    return [doc for doc in yaml.load_all(data, Loader=_Loader) if doc is not None]


def dump_documents(docs: list[dict]) -> str:
    return yaml.dump_all(
        docs,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        explicit_start=True,
        allow_unicode=True,
        width=1 << 20,
    )


# --------------------------------------------------------------------------------------
# Small structural helpers
# --------------------------------------------------------------------------------------


def object_label(doc: dict) -> str:
    meta = doc.get("metadata") or {}
    name = meta.get("name", "?")
    if meta.get("namespace"):
        name = "%s/%s" % (meta["namespace"], name)
    return "%s %s" % (doc.get("kind", "?"), name)


def index_documents(docs: list[dict]) -> dict[tuple[str, str], dict]:
    return {(d.get("kind"), (d.get("metadata") or {}).get("name")): d for d in docs}


def _find_container(pod_spec: dict, name: str) -> dict | None:
    for container in pod_spec.get("containers") or []:
        if container.get("name") == name:
            return container
    return None


def _describe_env(entry: dict | None) -> Any:
    if entry is None:
        return ABSENT
    if "value" in entry:
        return entry["value"]
    ref = (entry.get("valueFrom") or {}).get("configMapKeyRef")
    if ref:
        return "from ConfigMap %s key %s" % (ref.get("name"), ref.get("key"))
    return "valueFrom %s" % json.dumps(entry.get("valueFrom"), sort_keys=True)


class _Customiser:
    """Applies the plan to the parsed upstream documents, recording every change."""

    def __init__(self, docs: list[dict], plan: dict, secrets: dict):
        self.docs = docs
        self.plan = plan
        self.secrets = secrets
        self.index = index_documents(docs)
        self.changes: list[Change] = []
        self.errors: list[str] = []
        self.embeds_secret = False

    # -- lookup ------------------------------------------------------------------------

    def require(self, key: tuple[str, str]) -> dict | None:
        doc = self.index.get(key)
        if doc is None:
            self.errors.append(
                "upstream manifest v%s/%s has no %s %s: this release is not supported by the customisation"
                % (self.plan["cluster"]["version"], self.plan["manifest"]["variant"], key[0], key[1])
            )
        return doc

    def calico_node_container(self) -> tuple[dict, dict] | tuple[None, None]:
        ds = self.require(CALICO_NODE)
        if ds is None:
            return None, None
        container = _find_container(ds["spec"]["template"]["spec"], "calico-node")
        if container is None:
            self.errors.append("DaemonSet calico-node has no container named calico-node")
            return None, None
        return ds, container

    # -- recorded edits ----------------------------------------------------------------

    def record(self, doc: dict, field: str, old: Any, new: Any, secret: bool = False) -> None:
        if old != new:
            self.changes.append(Change(object_label(doc), field, old, new, secret))

    def set_key(self, doc: dict, parent: dict, key: str, value: Any, field: str, secret: bool = False) -> None:
        old = parent.get(key, ABSENT) if parent is not None else ABSENT
        parent[key] = value
        self.record(doc, field, old, value, secret)

    def set_env(self, doc: dict, container: dict, name: str, value: str) -> None:
        env = container.setdefault("env", [])
        field = "spec.template.spec.containers[%s].env[%s]" % (container["name"], name)
        for position, entry in enumerate(env):
            if entry.get("name") == name:
                old = _describe_env(entry)
                env[position] = {"name": name, "value": value}
                self.record(doc, field, old, value)
                return
        env.append({"name": name, "value": value})
        self.record(doc, field, ABSENT, value)

    # -- the customisations --------------------------------------------------------------

    def run(self) -> None:
        manifest = self.plan["manifest"]
        self.check_plan_consistency()
        config = self.require(CALICO_CONFIG)
        ds, node = self.calico_node_container()
        if self.errors:
            return
        self.set_key(config, config["data"], "veth_mtu", str(manifest["veth_mtu"]), "data.veth_mtu")
        self.backend(config, ds, node)
        self.pools(ds, node)
        self.autodetection(ds, node)
        self.dual_stack(config, ds, node)
        self.typha()
        self.etcd(config)
        self.felix_env(ds, node)
        self.images()
        self.pull_secrets()

    def check_plan_consistency(self) -> None:
        manifest = self.plan["manifest"]
        variant = manifest["variant"]
        if variant not in catalog.VARIANTS:
            self.errors.append("plan.manifest.variant %r is not one of %s" % (variant, ", ".join(catalog.VARIANTS)))
        typha_enabled = bool(manifest["typha"]["enabled"])
        if typha_enabled != (variant == catalog.VARIANT_TYPHA):
            self.errors.append(
                "plan.manifest.typha.enabled is %s but the variant is %s: Typha runs only with %s"
                % (typha_enabled, variant, catalog.VARIANT_TYPHA)
            )
        if (variant == catalog.VARIANT_ETCD) != (manifest.get("etcd") is not None):
            self.errors.append(
                "plan.manifest.etcd must be set exactly when the variant is %s (variant: %s)"
                % (catalog.VARIANT_ETCD, variant)
            )
        if manifest["calico_backend"] not in ("bird", "vxlan"):
            self.errors.append("plan.manifest.calico_backend %r is not bird or vxlan" % manifest["calico_backend"])
        bgp_mode = (self.plan.get("bgp") or {}).get("mode")
        if bgp_mode == "none" and manifest["calico_backend"] != "vxlan":
            self.errors.append("bgp.mode is none but manifest.calico_backend is %r (must be vxlan)" % manifest["calico_backend"])
        if bgp_mode not in (None, "none") and manifest["calico_backend"] != "bird":
            self.errors.append("bgp.mode is %s, which needs calico_backend bird (plan has %r)" % (bgp_mode, manifest["calico_backend"]))

    def backend(self, config: dict, ds: dict, node: dict) -> None:
        backend = self.plan["manifest"]["calico_backend"]
        self.set_key(config, config["data"], "calico_backend", backend, "data.calico_backend")
        if backend != "vxlan":
            return
        # Without BIRD the BIRD health checks can never pass; upstream says to drop them.
        for probe, flag in (("livenessProbe", "-bird-live"), ("readinessProbe", "-bird-ready")):
            command = ((node.get(probe) or {}).get("exec") or {}).get("command")
            if command and flag in command:
                old = list(command)
                command[:] = [part for part in command if part != flag]
                self.record(ds, "spec.template.spec.containers[calico-node].%s.exec.command" % probe, old, list(command))

    def default_pool(self, family: int) -> dict | None:
        for pool in self.plan.get("ip_pools") or []:
            if pool.get("default") and pool.get("family") == family:
                return pool
        return None

    def pools(self, ds: dict, node: dict) -> None:
        manifest = self.plan["manifest"]
        v4, v6 = self.default_pool(4), self.default_pool(6)
        if manifest["no_default_pools"]:
            if v4 or v6:
                self.errors.append("plan.manifest.no_default_pools is true but ip_pools still holds default pools")
                return
            self.set_env(ds, node, "NO_DEFAULT_POOLS", "true")
            return
        if v4 is None:
            self.errors.append("ip_pools has no default IPv4 pool and manifest.no_default_pools is false")
            return
        self.pool_env(ds, node, v4, "IPV4", "default-ipv4-ippool")
        if self.plan["cluster"]["dual_stack"]:
            if v6 is None:
                self.errors.append("cluster.dual_stack is true but ip_pools has no default IPv6 pool")
                return
            self.pool_env(ds, node, v6, "IPV6", "default-ipv6-ippool")

    def pool_env(self, ds: dict, node: dict, pool: dict, family: str, expected_name: str) -> None:
        """The env vars from which calico-node creates its default pool: the plan's pool, field for field."""
        if pool["name"] != expected_name:
            self.errors.append("default pool %r: calico-node always names it %s" % (pool["name"], expected_name))
        if pool.get("disabled"):
            self.errors.append("default pool %s cannot be disabled through the manifest; set no_default_pools" % pool["name"])
        if pool.get("racks"):
            self.errors.append("default pool %s cannot be pinned to racks" % pool["name"])
        if family == "IPV6" and pool.get("ipip_mode", "Never") != "Never":
            self.errors.append("default pool %s: IPIP does not exist for IPv6 (ipip_mode must be Never)" % pool["name"])
        prefix = "CALICO_%sPOOL_" % family
        self.set_env(ds, node, prefix + "CIDR", pool["cidr"])
        self.set_env(ds, node, prefix + "BLOCK_SIZE", str(pool["block_size"]))
        if family == "IPV4":
            self.set_env(ds, node, prefix + "IPIP", pool["ipip_mode"])
        self.set_env(ds, node, prefix + "VXLAN", pool["vxlan_mode"])
        self.set_env(ds, node, prefix + "NAT_OUTGOING", "true" if pool["nat_outgoing"] else "false")
        self.set_env(ds, node, prefix + "NODE_SELECTOR", pool["node_selector"])

    def autodetection(self, ds: dict, node: dict) -> None:
        method = self.plan["manifest"]["ip_autodetection_method"]
        if method:
            self.set_env(ds, node, "IP_AUTODETECTION_METHOD", method)

    def dual_stack(self, config: dict, ds: dict, node: dict) -> None:
        if not self.plan["cluster"]["dual_stack"]:
            return
        self.set_env(ds, node, "IP6", "autodetect")
        method6 = self.plan["manifest"]["ip6_autodetection_method"]
        if method6:
            self.set_env(ds, node, "IP6_AUTODETECTION_METHOD", method6)
        self.set_env(ds, node, "FELIX_IPV6SUPPORT", "true")
        # Without assign_ipv6 the CNI plugin hands pods only an IPv4 address.
        old_text = config["data"]["cni_network_config"]
        new_text = _cni_config_assign_both(old_text)
        if new_text is None:
            self.errors.append("calico-config cni_network_config has no calico plugin with an ipam section")
            return
        config["data"]["cni_network_config"] = new_text
        self.record(config, "data.cni_network_config plugins[calico].ipam.assign_ipv4", ABSENT, "true")
        self.record(config, "data.cni_network_config plugins[calico].ipam.assign_ipv6", ABSENT, "true")

    def typha(self) -> None:
        typha = self.plan["manifest"]["typha"]
        if not typha["enabled"]:
            return
        deployment = self.require(TYPHA)
        if deployment is None:
            return
        self.set_key(deployment, deployment["spec"], "replicas", int(typha["replicas"]), "spec.replicas")
        if (typha.get("tls") or {}).get("enabled"):
            self.typha_tls()

    def typha_tls(self) -> None:
        """Secrets with Typha's server and Felix's client certificate, mounted into both, and the
        settings that make Typha require a client certificate named calico-node and Felix accept
        only a server named calico-typha (Typha has no mixed mode: both switch at once)."""
        tls = self.plan["manifest"]["typha"]["tls"]
        needed = sorted({key for _w, _c, keys, _env in TYPHA_TLS_SECRETS.values() for key in keys})
        missing = [key for key in needed if not self.secrets.get(key)]
        if missing:
            self.errors.append(
                "Typha TLS is on but the render context lacks %s: the certificates are made by the "
                "calico_manifest role's typha_pki step into plan.manifest.typha.tls.pki_dir" % ", ".join(missing))
            return
        for name, (workload_key, container_name, keys, env) in TYPHA_TLS_SECRETS.items():
            workload = self.require(workload_key)
            if workload is None:
                return
            pod = workload["spec"]["template"]["spec"]
            container = _find_container(pod, container_name)
            if container is None:
                self.errors.append("%s has no container named %s" % (object_label(workload), container_name))
                return
            data = {}
            for file_name, key in zip(("ca.crt", "tls.crt", "tls.key"), keys):
                material = self.secrets[key]
                data[file_name] = base64.b64encode(material.encode("utf-8") if isinstance(material, str) else material).decode("ascii")
            secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                      "metadata": {"name": name, "namespace": workload["metadata"].get("namespace", "kube-system")},
                      "data": data}
            self.docs.append(secret)
            self.record(secret, "data", ABSENT, "ca.crt, tls.crt, tls.key", secret=True)
            volumes = pod.setdefault("volumes", [])
            volumes.append({"name": TYPHA_TLS_VOLUME, "secret": {"secretName": name, "defaultMode": 0o400}})
            self.record(workload, "spec.template.spec.volumes[%s]" % TYPHA_TLS_VOLUME, ABSENT, "secret %s" % name)
            mounts = container.setdefault("volumeMounts", [])
            mounts.append({"name": TYPHA_TLS_VOLUME, "mountPath": TYPHA_TLS_MOUNT, "readOnly": True})
            self.record(workload, "spec.template.spec.containers[%s].volumeMounts[%s]" % (container_name, TYPHA_TLS_VOLUME),
                        ABSENT, TYPHA_TLS_MOUNT)
            for env_name, value in env.items():
                self.set_env(workload, container, env_name, tls.get(value, value))
        self.embeds_secret = True

    def etcd(self, config: dict) -> None:
        etcd = self.plan["manifest"].get("etcd")
        if not etcd:
            return
        if not etcd["endpoints"]:
            self.errors.append("plan.manifest.etcd.endpoints is empty")
            return
        self.set_key(config, config["data"], "etcd_endpoints", ",".join(etcd["endpoints"]), "data.etcd_endpoints")
        if not etcd["tls"]:
            return
        secret = self.require(ETCD_SECRET)
        if secret is None:
            return
        missing = [key for key in ETCD_TLS_PATHS if not self.secrets.get(key)]
        if missing:
            self.errors.append(
                "etcd TLS is enabled but the render context lacks %s (contents of plan.manifest.etcd.%s)"
                % (", ".join(missing), ", ".join(key[len("etcd_"):] + "_file" for key in missing))
            )
            return
        if secret.get("data") is None:
            secret["data"] = {}
        for key in sorted(ETCD_TLS_PATHS):
            secret_key, mounted_path = ETCD_TLS_PATHS[key]
            material = self.secrets[key]
            if isinstance(material, str):
                material = material.encode("utf-8")
            encoded = base64.b64encode(material).decode("ascii")
            self.set_key(secret, secret["data"], secret_key, encoded, "data.%s" % secret_key, secret=True)
            self.set_key(config, config["data"], key, mounted_path, "data.%s" % key)
        self.embeds_secret = True

    def felix_env(self, ds: dict, node: dict) -> None:
        extra = self.plan["manifest"].get("felix_env") or {}
        for name in sorted(extra):
            if not name.startswith("FELIX_") or not name[len("FELIX_"):].replace("_", "").isalnum() or name != name.upper():
                self.errors.append("calico_felix_env key %r is not a FELIX_* environment variable name" % name)
                continue
            if name in MANAGED_FELIX_ENV:
                self.errors.append("calico_felix_env may not set %s: use %s" % (name, MANAGED_FELIX_ENV[name]))
                continue
            self.set_env(ds, node, name, str(extra[name]))

    def workloads(self):
        for doc in self.docs:
            if doc.get("kind") in WORKLOAD_KINDS:
                yield doc, doc["spec"]["template"]["spec"]

    def images(self) -> None:
        registry = self.plan["manifest"].get("image_registry")
        if not registry:
            return
        for doc, pod in self.workloads():
            for group in ("initContainers", "containers"):
                for container in pod.get(group) or []:
                    new = rewrite_image(container["image"], registry)
                    if new is None:
                        self.errors.append("%s: image %s is not a calico/* image" % (object_label(doc), container["image"]))
                        continue
                    field = "spec.template.spec.%s[%s].image" % (group, container["name"])
                    self.set_key(doc, container, "image", new, field)

    def pull_secrets(self) -> None:
        names = list(self.plan["manifest"].get("image_pull_secrets") or [])
        if not names:
            return
        for doc, pod in self.workloads():
            old = copy.deepcopy(pod.get("imagePullSecrets")) or []
            present = [entry.get("name") for entry in old]
            new = old + [{"name": name} for name in names if name not in present]
            pod["imagePullSecrets"] = new
            self.record(doc, "spec.template.spec.imagePullSecrets", old or ABSENT, new)


def rewrite_image(image: str, registry: str) -> str | None:
    """``<any registry>/calico/<name>:<tag>`` -> ``<registry>/calico/<name>:<tag>``.

    Upstream moved from docker.io to quay.io between releases, so the registry part is
    recognised structurally (first path part with a dot, a port or ``localhost``).
    Returns None for an image outside ``calico/``.
    """
    parts = image.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if parts[0] != "calico":
        return None
    return registry.rstrip("/") + "/" + "/".join(parts)


def _cni_config_assign_both(text: str) -> str | None:
    """The CNI config template with ``assign_ipv4``/``assign_ipv6`` set in the calico ipam."""
    if _CNI_MTU_SENTINEL in text:
        return None
    config = json.loads(text.replace(_CNI_MTU_PLACEHOLDER, _CNI_MTU_SENTINEL))
    for plugin in config.get("plugins") or []:
        if plugin.get("type") == "calico" and isinstance(plugin.get("ipam"), dict):
            plugin["ipam"]["assign_ipv4"] = "true"
            plugin["ipam"]["assign_ipv6"] = "true"
            return json.dumps(config, indent=2).replace(_CNI_MTU_SENTINEL, _CNI_MTU_PLACEHOLDER)
    return None


# --------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------


@dataclass
class CustomisedManifest:
    verified: VerifiedManifest | None
    docs: list[dict]
    changes: list[Change]
    embeds_secret: bool


def customise(docs: list[dict], plan: dict, secrets: dict | None = None) -> CustomisedManifest:
    """Apply the plan to parsed upstream documents (changed in place). Raises RenderError."""
    worker = _Customiser(docs, plan, secrets or {})
    worker.run()
    if worker.errors:
        raise RenderError(worker.errors)
    return CustomisedManifest(None, docs, worker.changes, worker.embeds_secret)


class _SchemaCache:
    """kubernetes-validate's schemas, loaded once per (Kubernetes version, kind).

    ``kubernetes_validate.validate()`` re-reads its large definitions file for every object
    (about 15 ms each); validating the same way from cached validators keeps a render fast.
    The schema layout and version choice are kubernetes-validate's own (pinned in
    requirements.txt); any surprise falls back to its public ``validate()``.
    """

    def __init__(self):
        self.validators = {}
        self.definitions = {}

    def cache_clear(self):
        """Forget every loaded schema, as ``functools.lru_cache`` does (the tests start each run empty)."""
        self.validators.clear()
        self.definitions.clear()

    def validator(self, kv_utils, doc, kubernetes_version):
        import re

        import jsonschema
        import referencing

        wanted = kv_utils.major_minor(kubernetes_version.lstrip("v"))
        versions = [v for v in kv_utils.all_versions() if kv_utils.major_minor(v) <= wanted]
        if not versions or wanted > kv_utils.latest_version():
            raise kv_utils.VersionNotSupportedError(version=wanted)
        version = versions[-1]
        # rbac.authorization.k8s.io/v1 -> rbac-v1, as kubernetes-validate names its files
        api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", doc["apiVersion"])
        key = (version, doc["kind"].lower(), api)
        if key not in self.validators:
            schema_dir = "kubernetes-json-schema/v%s-local-strict" % version
            try:
                schema = kv_utils.schema_contents("%s/%s-%s.json" % (schema_dir, key[1], api), kubernetes_version)
            except FileNotFoundError:
                raise kv_utils.SchemaNotFoundError(version=wanted, kind=doc["kind"], api_version=doc["apiVersion"])
            if version not in self.definitions:
                definitions = kv_utils.schema_contents("%s/_definitions.json" % schema_dir, kubernetes_version)
                self.definitions[version] = referencing.Resource.from_contents(definitions)
            registry = self.definitions[version] @ (referencing.Resource.from_contents(schema) @ referencing.Registry())
            self.validators[key] = jsonschema.validators.Draft202012Validator(schema, registry=registry)
        return self.validators[key]


_SCHEMAS = _SchemaCache()


def validate_documents(docs: list[dict], kubernetes_version: str) -> list[str]:
    """kubernetes-validate --strict of every object; returns one message per failure.

    Calico's own kinds are not built into Kubernetes; this stage validates the built-in
    objects (CRDs included, as objects of apiextensions.k8s.io).
    """
    try:
        import jsonschema
        from kubernetes_validate import utils as kv_utils
    except ImportError as exc:
        return ["offline validation needs the Python package kubernetes-validate on the controller (%s): "
                "pip install -r requirements.txt" % exc]

    problems = []
    for doc in docs:
        try:
            validator = _SCHEMAS.validator(kv_utils, doc, kubernetes_version)
        except kv_utils.VersionNotSupportedError:
            return ["kubernetes-validate has no schemas for Kubernetes %s (calico_kubernetes_version)" % kubernetes_version]
        except kv_utils.SchemaNotFoundError as exc:
            problems.append("%s: %s" % (object_label(doc), exc.message))
            continue
        error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
        if error is not None:
            path = ".".join(str(part) for part in error.path)
            problems.append("%s: %s: %s" % (object_label(doc), path or "(root)", error.message))
    return problems


def load_upstream(plan: dict, ctx: RenderContext) -> tuple[VerifiedManifest, list[dict]]:
    """Verified bytes and parsed documents of the upstream file the plan names."""
    try:
        verified = fetch_verified(source_from_plan(plan, ctx.upstream_dir))
    except ManifestSourceError as exc:
        raise RenderError([str(exc)]) from exc
    return verified, parse_documents(verified.data)


def build(plan: dict, ctx: RenderContext, validate: bool = True) -> CustomisedManifest:
    verified, docs = load_upstream(plan, ctx)
    result = customise(docs, plan, ctx.secrets)
    result.verified = verified
    if validate:
        problems = validate_documents(result.docs, plan["cluster"]["kubernetes_version"])
        if problems:
            raise RenderError(["customised manifest fails offline validation: " + p for p in problems])
    return result


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if "\n" in text:
        text = json.dumps(text)
    return "`%s`" % text.replace("|", "\\|").replace("`", "'") if text else "`\"\"`"


def summary(plan: dict, result: CustomisedManifest) -> str:
    """Markdown table of every change against upstream; secret values shown as <redacted>."""
    manifest = plan["manifest"]
    source = result.verified.source if result.verified else None
    lines = [
        "# Calico manifest changes",
        "",
        "- release: v%s" % plan["cluster"]["version"],
        "- variant: %s (%s)" % (manifest["variant"], manifest.get("variant_reason") or "from the plan"),
        "- upstream sha256: %s (%s)" % (manifest["sha256"], manifest.get("sha256_source")),
    ]
    if source is not None:
        lines.append("- read from: %s" % source.location)
    lines += [
        "- validated offline for Kubernetes %s (kubernetes-validate --strict)" % plan["cluster"]["kubernetes_version"],
        "- objects: %d, changed fields: %d; every other field equals upstream" % (len(result.docs), len(result.changes)),
        "",
        "| Object | Field | Upstream | Rendered |",
        "| --- | --- | --- | --- |",
    ]
    for change in result.changes:
        old = REDACTED if change.secret and change.old != ABSENT else change.old
        new = REDACTED if change.secret else change.new
        lines.append("| %s | %s | %s | %s |" % (change.obj, change.field, _cell(old), _cell(new)))
    return "\n".join(lines) + "\n"


def render(plan: dict, ctx: RenderContext) -> list[Artifact]:
    """Renderer entry: ``calico.yaml`` and its change summary."""
    result = build(plan, ctx)
    secret = result.embeds_secret
    return [
        Artifact(MANIFEST_FILE, dump_documents(result.docs), mode="0600" if secret else "0644", secret=secret),
        Artifact(SUMMARY_FILE, summary(plan, result)),
    ]
