"""Calico CRD schemas from a release's upstream ``calico.yaml``: strict validation and version gates.

The ``projectcalico.org/v3`` objects we render have the same spec as the
``crd.projectcalico.org/v1`` CRDs shipped in ``calico.yaml``, so each release's CRD
``openAPIV3Schema`` is the reference for that release. ``calico-etcd.yaml`` carries no CRDs;
the same release's ``calico.yaml`` is used for both datastores.

Validation mimics Kubernetes' strict field validation: a field the schema does not declare is
an error (unless the schema preserves unknown fields or declares ``additionalProperties``).
The CRDs' CEL rules (``x-kubernetes-validations``) are evaluated with ``cel.py``, which covers
the subset Calico uses; transition rules (pool CIDR/blockSize immutability, ``oldSelf``) need the
stored object and are enforced by the drift logic instead.

Version gates are derived from the schemas themselves: a field is usable in release X when
X's schema declares it. Nothing here is a hand-kept list of fields per version.
"""

from __future__ import annotations

import copy
import ipaddress
from functools import lru_cache

import yaml

try:
    import jsonschema
except ImportError:  # controller-only dependency (requirements.txt); checked where it is used
    jsonschema = None

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog, cel, manifest_source
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderError

CRD_GROUP = "crd.projectcalico.org"
API_VERSION_V3 = "projectcalico.org/v3"
SCHEMA_SOURCE_FILE = catalog.VARIANT_KDD  # the only variant that carries the CRDs

# Kinds without a CRD: with the etcd datastore a Calico Node is stored by Calico itself and
# calico.yaml has no schema for it. We check the few fields we set against this shape (field
# names from the projectcalico.org/v3 Node API) so a typo still fails before apply.
NODE_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata"],
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "bgp": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "asNumber": {"type": "integer", "format": "int32"},
                        "routeReflectorClusterID": {"type": "string"},
                        "ipv4Address": {"type": "string"},
                        "ipv6Address": {"type": "string"},
                        "ipv4IPIPTunnelAddr": {"type": "string"},
                    },
                },
            },
        },
    },
    "additionalProperties": False,
}

# What a rendered object's metadata may hold (the CRD schema leaves metadata open).
METADATA_SCHEMA = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 253},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "resourceVersion": {"type": "string"},
        "uid": {"type": "string"},
        "creationTimestamp": {},
    },
}


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def schema_source(version: str, upstream_dir: str | None = None, mirror: str | None = None,
                  sha256: str | None = None) -> manifest_source.ManifestSource:
    """Where ``calico.yaml`` of ``version`` is read from, with the checksum it must have.

    Same order as the manifest pipeline (manifest_source.locate): upstream_dir, mirror, upstream URL.
    ``sha256`` is an explicit calico_manifest_sha256 for that very file (releases the catalog lacks).
    """
    expected, origin = (sha256.lower(), "calico_manifest_sha256") if sha256 else (
        catalog.manifest_sha256(version, SCHEMA_SOURCE_FILE), "catalog")
    if not expected:
        raise RenderError([
            "calico_version: Calico %s is not in the version catalog, so the checksum of its %s (the source "
            "of the CRD schemas every Calico resource is validated against) is unknown; choose one of %s, "
            "or use the %s variant with calico_manifest_sha256" % (
                version, SCHEMA_SOURCE_FILE, ", ".join(catalog.SUPPORTED_VERSIONS), SCHEMA_SOURCE_FILE)])
    location = manifest_source.locate(
        {"variant": SCHEMA_SOURCE_FILE, "mirror": mirror, "url": catalog.manifest_url(version, SCHEMA_SOURCE_FILE)},
        version, upstream_dir)
    return manifest_source.ManifestSource(version, SCHEMA_SOURCE_FILE, expected, origin, location)


def _strict(schema):
    """A copy of ``schema`` where every object with declared properties rejects unknown fields."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "properties":
            out[key] = {name: _strict(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "allOf", "anyOf", "oneOf", "not"):
            out[key] = _strict(value)
        else:
            out[key] = value
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@lru_cache(maxsize=16)
def _load(source: manifest_source.ManifestSource) -> dict:
    try:
        verified = manifest_source.fetch_verified(source)
    except manifest_source.ManifestSourceError as exc:
        raise RenderError(["CRD schemas of Calico %s: %s" % (source.version, exc)]) from exc
    schemas = {}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
    for doc in yaml.load_all(verified.data, Loader=loader):
        if not doc or doc.get("kind") != "CustomResourceDefinition":
            continue
        spec = doc["spec"]
        if spec.get("group") != CRD_GROUP:
            continue
        served = [v for v in spec["versions"] if v.get("served", True)]
        schemas[spec["names"]["kind"]] = served[0]["schema"]["openAPIV3Schema"]
    return schemas


class ReleaseSchemas:
    """The Calico CRD schemas of one release."""

    def __init__(self, version: str, raw: dict):
        self.version = version
        self.raw = raw
        self._validators = {}

    @property
    def kinds(self) -> list[str]:
        return sorted(self.raw)

    def schema(self, kind: str) -> dict | None:
        if kind == "Node":
            return NODE_SCHEMA
        return self.raw.get(kind)

    def has_field(self, kind: str, dotted: str) -> bool:
        """Whether ``kind`` declares the field ``dotted`` (e.g. ``spec.keepaliveTime``)."""
        node = self.schema(kind)
        for part in dotted.split("."):
            if node is None:
                return False
            while "items" in node and "properties" not in node:
                node = node["items"]
            node = (node.get("properties") or {}).get(part)
        return node is not None

    def validator(self, kind: str):
        if kind not in self._validators:
            schema = self.schema(kind)
            strict = _strict(copy.deepcopy(schema)) if schema is not NODE_SCHEMA else NODE_SCHEMA
            _require_jsonschema()
            self._validators[kind] = jsonschema.Draft7Validator(strict, format_checker=_format_checker())
        return self._validators[kind]

    def validate(self, obj: dict) -> list[str]:
        """Every problem of ``obj`` against this release, each naming the object and the field."""
        kind = obj.get("kind")
        name = (obj.get("metadata") or {}).get("name", "?")
        label = "%s %s" % (kind, name)
        if obj.get("apiVersion") != API_VERSION_V3:
            return ["%s: apiVersion must be %s, got %r" % (label, API_VERSION_V3, obj.get("apiVersion"))]
        if self.schema(kind) is None:
            return ["%s: Calico %s has no kind %r" % (label, self.version, kind)]
        problems = []
        for error in sorted(self.validator(kind).iter_errors(obj), key=lambda e: list(e.absolute_path)):
            problems.append("%s: %s: %s (Calico %s schema)" % (
                label, _path(error.absolute_path) or "(object)", _message(error), self.version))
        for error in jsonschema.Draft7Validator(METADATA_SCHEMA).iter_errors(obj.get("metadata") or {}):
            problems.append("%s: metadata%s: %s" % (
                label, "." + _path(error.absolute_path) if error.absolute_path else "", _message(error)))
        if not problems:
            # The CRD's CEL rules (x-kubernetes-validations), as the API server would apply them.
            violations, _not_evaluated = cel.check(self.schema(kind), obj)
            problems.extend("%s: %s (Calico %s rule)" % (label, v, self.version) for v in violations)
        return problems


def _path(parts) -> str:
    out = ""
    for part in parts:
        out += "[%d]" % part if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _message(error) -> str:
    if error.validator == "additionalProperties" and error.validator_value is False:
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return "unknown field%s %s" % ("s" if len(extra) > 1 else "", ", ".join(extra))
    return error.message


def _is_cidr(value) -> bool:
    if isinstance(value, str):
        ipaddress.ip_network(value, strict=False)  # ValueError = not a CIDR
    return True


def _is_int32(value) -> bool:
    return not isinstance(value, int) or -(2 ** 31) <= value < 2 ** 31


@lru_cache(maxsize=1)
def _format_checker():
    """The formats Calico's CRDs use (cidr, int32), as jsonschema format checks."""
    checker = jsonschema.FormatChecker(())
    checker.checks("cidr", raises=ValueError)(_is_cidr)
    checker.checks("int32")(_is_int32)
    return checker


def _require_jsonschema() -> None:
    if jsonschema is None:
        raise RenderError(["the Python package jsonschema is required on the controller to validate Calico "
                           "resources against the CRD schemas (pip install jsonschema)"])


def load_release(version: str, upstream_dir: str | None = None, mirror: str | None = None,
                 sha256: str | None = None) -> ReleaseSchemas:
    return ReleaseSchemas(version, _load(schema_source(version, upstream_dir, mirror, sha256)))


def release_for_plan(plan: dict, upstream_dir: str | None = None) -> ReleaseSchemas:
    """The schemas of the plan's release, from the same place the manifest comes from."""
    manifest = plan.get("manifest") or {}
    explicit = None
    if manifest.get("variant") == SCHEMA_SOURCE_FILE and manifest.get("sha256_source") == "calico_manifest_sha256":
        explicit = manifest.get("sha256")
    return load_release(plan["cluster"]["version"], upstream_dir, manifest.get("mirror"), explicit)


def available_releases(upstream_dir: str | None = None, mirror: str | None = None) -> dict[str, ReleaseSchemas]:
    """Every catalog release whose calico.yaml can be read, by version (for gate messages)."""
    out = {}
    for version in catalog.SUPPORTED_VERSIONS:
        try:
            out[version] = load_release(version, upstream_dir, mirror)
        except RenderError:
            continue
    return out


def versions_with_field(kind: str, dotted: str, releases: dict[str, ReleaseSchemas]) -> list[str]:
    return sorted((v for v, r in releases.items() if r.has_field(kind, dotted)), key=version_key)


def gate_message(variable: str, kind: str, dotted: str, version: str, releases: dict[str, ReleaseSchemas]) -> str:
    """Why ``variable`` cannot be used with ``version``, naming the releases that do have the field."""
    having = versions_with_field(kind, dotted, releases)
    if not having:
        return "%s: %s.%s is not a field of %s in any Calico release checked (%s); check its spelling " \
               "(field names are the camelCase ones of the projectcalico.org/v3 API)" % (
                   variable, kind, dotted, kind, ", ".join(sorted(releases, key=version_key)))
    since = "exists in Calico %s" % ", ".join(having)
    if having == sorted((v for v in releases if version_key(v) >= version_key(having[0])), key=version_key):
        since = "exists from Calico %s" % having[0]
    return "%s: %s.%s is not in the Calico %s CRD schema; the field %s. Raise calico_version or drop the setting" % (
        variable, kind, dotted, version, since)
