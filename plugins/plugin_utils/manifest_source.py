"""Where the upstream Calico manifest comes from, and proof that it is the one we expect.

Order of sources for ``<variant>`` of release ``<version>``:

1. ``RenderContext.upstream_dir`` (tests, the lab): ``<dir>/v<version>/<variant>``;
2. ``plan.manifest.mirror`` (``calico_manifest_mirror``): a local directory laid out the same
   way, or a base URL (``http(s)://`` / ``file://``) below which ``v<version>/<variant>`` lives;
3. ``plan.manifest.url``: the upstream raw URL of the release.

The bytes are hashed before anything parses them; a mismatch, a missing file or an
unreachable source raises :class:`ManifestSourceError` naming the file, the expected sum
and the actual sum (``none`` when nothing could be read).
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

FETCH_TIMEOUT_SECONDS = 60
_URL_SCHEMES = ("http", "https", "file")


class ManifestSourceError(Exception):
    """The upstream manifest could not be obtained or is not the expected file."""


@dataclass(frozen=True)
class ManifestSource:
    """One upstream manifest file, where to read it and the checksum it must have."""

    version: str
    variant: str
    expected_sha256: str
    sha256_source: str  # catalog | calico_manifest_sha256
    location: str  # absolute path or URL
    # What to do when the location cannot be read (empty: nothing beyond the error itself).
    fix: str = ""

    @property
    def label(self) -> str:
        return "v%s/%s" % (self.version, self.variant)


@dataclass(frozen=True)
class VerifiedManifest:
    source: ManifestSource
    data: bytes
    sha256: str


def _is_url(value: str) -> bool:
    return urllib.parse.urlsplit(value).scheme in _URL_SCHEMES


def locate(manifest: dict, version: str, upstream_dir: str | None = None) -> str:
    """Path or URL of the file ``plan.manifest`` describes (see module docstring for order)."""
    relative = "v%s/%s" % (version, manifest["variant"])
    if upstream_dir:
        return os.path.join(os.path.abspath(upstream_dir), relative)
    mirror = manifest.get("mirror")
    if mirror:
        if _is_url(mirror):
            return mirror.rstrip("/") + "/" + relative
        return os.path.join(os.path.abspath(mirror), relative)
    return manifest["url"]


def source_from_plan(plan: dict, upstream_dir: str | None = None) -> ManifestSource:
    manifest = plan["manifest"]
    version = plan["cluster"]["version"]
    if not manifest.get("sha256"):
        # The plan decides the checksum (catalog or calico_manifest_sha256); without one
        # nothing can be verified.
        raise ManifestSourceError(
            "plan.manifest.sha256 is empty for v%s/%s: set calico_manifest_sha256" % (version, manifest["variant"])
        )
    location = locate(manifest, version, upstream_dir)
    fix = ""
    if location == manifest["url"]:
        # Upstream straight from the internet: the way out for a site without it is a mirror.
        fix = (
            "set calico_manifest_mirror to a directory or URL holding v%s/%s, e.g. calico_manifest_mirror: /srv/mirror/calico "
            "with the file copied there from %s" % (version, manifest["variant"], manifest["url"])
        )
    return ManifestSource(
        version=version,
        variant=manifest["variant"],
        expected_sha256=manifest["sha256"].lower(),
        sha256_source=manifest.get("sha256_source") or "catalog",
        location=location,
        fix=fix,
    )


def read_bytes(location: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> bytes:
    """The raw bytes at a path or URL. Raises OSError / urllib errors unchanged."""
    if _is_url(location):
        # Plain urllib (honours *_proxy variables): this controller-side core has no Ansible
        # imports, so ansible.module_utils.urls is not used here.
        opener = urllib.request.build_opener()
        with opener.open(location, timeout=timeout) as response:
            return response.read()
    with open(location, "rb") as handle:
        return handle.read()


def fetch_verified(source: ManifestSource, timeout: float = FETCH_TIMEOUT_SECONDS) -> VerifiedManifest:
    """Read the file and check its sha256; nothing is parsed before this returns."""
    try:
        data = read_bytes(source.location, timeout)
    except (OSError, urllib.error.URLError, ValueError) as exc:
        raise ManifestSourceError(
            "cannot read Calico manifest %s from %s: %s (expected sha256 %s, actual sha256 none)%s"
            % (
                source.label,
                source.location,
                getattr(exc, "reason", None) or exc,
                source.expected_sha256,
                ". Fix: " + source.fix if source.fix else "",
            )
        ) from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != source.expected_sha256:
        raise ManifestSourceError(
            "checksum mismatch for Calico manifest %s read from %s: expected sha256 %s (%s), actual sha256 %s; "
            "nothing was parsed or applied"
            % (source.label, source.location, source.expected_sha256, source.sha256_source, actual)
        )
    return VerifiedManifest(source=source, data=data, sha256=actual)
