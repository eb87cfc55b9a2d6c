"""Secret placeholders: what the artifacts hold where a secret goes, and how apply fills them.

Rendered artifacts are reviewed, published and attached to change tickets, so they never hold a
secret. The renderers are given a placeholder token instead of the BGP password and the etcd
client key; the apply stages put the real value back in memory (``fill_text``,
``fill_objects``) right before they use an artifact. The etcd key sits base64-encoded in a
Secret's ``data``, so its placeholder appears there base64-encoded too, and is filled the same way.
"""

from __future__ import annotations

import base64
import os

from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderError

# Secrets the renderers can embed, and the inventory variable each one comes from (for errors).
SECRET_SOURCES = {
    "bgp_password": "calico_bgp_password",
    "etcd_key": "calico_etcd_key_file",
    "typha_server_key": "calico_typha_pki_dir",
    "typha_client_key": "calico_typha_pki_dir",
}

# Typha's mutual TLS: render input -> file in plan.manifest.typha.tls.pki_dir. The CA key never
# leaves that directory; the certificates are public, the two private keys are placeholders.
TYPHA_TLS_FILES = {
    "typha_ca": "ca.crt",
    "typha_server_cert": "typha.crt",
    "typha_server_key": "typha.key",
    "typha_client_cert": "felix.crt",
    "typha_client_key": "felix.key",
}
# During a CA rotation both sides trust the old and the new CA (docs/security.md).
TYPHA_CA_BUNDLE = "ca-bundle.crt"


class MissingSecret(Exception):
    """An artifact needs a secret the apply stage was not given."""


# Every placeholder starts with this, so a reader (review.md) can redact lines holding one.
PREFIX = "@@onprem.calico:secret:"


def placeholder(name: str) -> str:
    """The token standing for one secret: one word, valid in router configs, XML and YAML."""
    return "%s%s@@" % (PREFIX, name)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def render_secrets(plan: dict) -> dict:
    """The secrets a render gets: placeholders for the secret values, real public TLS files.

    The etcd CA and client certificate are not secret; they stay in calico.yaml, so a new
    certificate is a reviewed change like any other.
    """
    secrets = {"bgp_password": placeholder("bgp_password")}
    etcd = (plan.get("manifest") or {}).get("etcd")
    if etcd and etcd.get("tls"):
        for key in ("ca", "cert"):
            with open(etcd[key + "_file"], "r", encoding="utf-8") as handle:
                secrets["etcd_" + key] = handle.read()
        secrets["etcd_key"] = placeholder("etcd_key")
    tls = _typha_tls(plan)
    if tls:
        for key in TYPHA_TLS_FILES:
            secrets[key] = placeholder(key) if key in SECRET_SOURCES else _read_typha_file(tls, key)
    return secrets


def _typha_tls(plan: dict) -> dict | None:
    tls = ((plan.get("manifest") or {}).get("typha") or {}).get("tls") or {}
    return tls if tls.get("enabled") else None


def _read_typha_file(tls: dict, key: str) -> str:
    path = os.path.join(tls["pki_dir"], TYPHA_TLS_FILES[key])
    bundle = os.path.join(tls["pki_dir"], TYPHA_CA_BUNDLE)
    if key == "typha_ca" and os.path.exists(bundle):
        path = bundle
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise RenderError(
            ["%s is missing; the Typha certificates are made by the calico_manifest role's typha_pki step (playbooks/render.yml runs "
             "it when calico_typha_tls is true)." % path]
        ) from None


def secret_values(plan: dict, bgp_password: str | None) -> dict:
    """The real values, read on the controller at apply time (never written anywhere)."""
    values = {}
    if bgp_password:
        values["bgp_password"] = str(bgp_password)
    etcd = (plan.get("manifest") or {}).get("etcd")
    if etcd and etcd.get("tls") and etcd.get("key_file"):
        with open(etcd["key_file"], "r", encoding="utf-8") as handle:
            values["etcd_key"] = handle.read()
    tls = _typha_tls(plan)
    if tls:
        for key in ("typha_server_key", "typha_client_key"):
            values[key] = _read_typha_file(tls, key)
    return values


def _replacements(values: dict) -> list[tuple[str, str, str]]:
    """(token, replacement, secret name) for the plain and the base64 form of every secret."""
    out = []
    for name in SECRET_SOURCES:
        token = placeholder(name)
        value = values.get(name)
        out.append((token, value, name))
        out.append((_b64(token), _b64(value) if value is not None else None, name))
    return out


def _fill(text: str, values: dict, where: str) -> str:
    for token, value, name in _replacements(values):
        if token in text:
            if value is None:
                raise MissingSecret(
                    "%s holds the placeholder of %s, but no value was given at apply time; set %s "
                    "(vaulted in the inventory, or through the AWX credential)" % (where, name, SECRET_SOURCES[name]))
            text = text.replace(token, value)
    return text


def fill_text(text: str, values: dict, where: str = "the artifact") -> str:
    """An artifact's text with every placeholder replaced by its secret."""
    return _fill(text, values, where)


def fill_objects(data, values: dict, where: str = "the artifact"):
    """A copy of parsed YAML/JSON with every string placeholder replaced (so quoting stays right)."""
    if isinstance(data, dict):
        return {key: fill_objects(value, values, where) for key, value in data.items()}
    if isinstance(data, list):
        return [fill_objects(item, values, where) for item in data]
    if isinstance(data, str):
        return _fill(data, values, where)
    return data
