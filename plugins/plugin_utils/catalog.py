"""Calico releases this collection knows, with the sha256 of each upstream manifest.

The checksums are facts published with each release's `manifests/` folder; the manifest
pipeline verifies a download against them before parsing anything.
"""

from __future__ import annotations

DEFAULT_VERSION = "3.31.7"

VARIANT_KDD = "calico.yaml"
VARIANT_TYPHA = "calico-typha.yaml"
VARIANT_ETCD = "calico-etcd.yaml"
VARIANTS = (VARIANT_KDD, VARIANT_TYPHA, VARIANT_ETCD)

UPSTREAM_URL = "https://raw.githubusercontent.com/projectcalico/calico/v{version}/manifests/{file}"

MANIFEST_SHA256 = {
    "3.30.7": {
        VARIANT_ETCD: "899b99f55dc5333010a9c012b34b57daf0656cdea3d30e8bb4d47bcaef99d1ba",
        VARIANT_TYPHA: "a11fc074d2f7197e38af5fefdc58697e881da8eadc0778f2493a18a0a5908cfd",
        VARIANT_KDD: "ed105288f27c7ba4cae143bcaa3f6425f02d84fa94a4786cc8e3d371412c1a36",
    },
    "3.31.7": {
        VARIANT_ETCD: "803b42e41514056216773c7da85d7c391c5dbd3a042eb2f602026efcc5c9c0ed",
        VARIANT_TYPHA: "86bdaabf6098f98320773a257f3408f70a8654e9ccf26a48e717ef2d028d71b7",
        VARIANT_KDD: "d6d8a489a4ed8e5b8efd8b339047b496ca657b55ee2e3618e791507b0a853e8d",
    },
    "3.32.1": {
        VARIANT_ETCD: "1d9a209976d7f2874cd5a9a74f5fa5e8d065e890d4b3e1cb136c6df550d18521",
        VARIANT_TYPHA: "7ecc42a5ca2bd47764384f5c52b89b007c06cbf907fd3214c1cf4abc75ead76f",
        VARIANT_KDD: "a1df919d9721cf667accdc3e72848911b0cb25cfab7d2478ad0c996302c95744",
    },
}

SUPPORTED_VERSIONS = tuple(sorted(MANIFEST_SHA256, key=lambda v: tuple(int(p) for p in v.split("."))))

# What Ansible reports as a host's architecture -> the suffix of calicoctl release binaries.
CALICOCTL_ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "ppc64le": "ppc64le"}

# calicoctl-linux-<arch> release binaries (3.32.1 is not known here: use calico_calicoctl_sha256).
CALICOCTL_SHA256 = {
    "3.30.7": {
        "amd64": "087e1547878913587ebaa756686f38184a730e9af9b71f3d91b92f6c99b60c11",
        "arm64": "e62d6f909d72bfd8876a363c3f49cda722d7bfdb282a4bbdeca38dd7e26e7578",
        "ppc64le": "a7a5bbd35abeaa39625d101ddb075ed04f08c1ffb209ef60b3f0204336073379",
    },
    "3.31.7": {
        "amd64": "1b91928adc39861ba5e04d8d15c4ce489731269b07a8e7444c0fdf677f041113",
        "arm64": "d7adff41398cb77b97451bf238022376382725ff231228f78b3ebc35d9fb9fda",
        "ppc64le": "a7b4665a1a9fbaffc9e39b75185d20da32f181e9149abe494c86d6087b854213",
    },
}
CALICOCTL_URL = "https://github.com/projectcalico/calico/releases/download/v{version}/calicoctl-linux-{arch}"


def manifest_sha256(version: str, variant: str) -> str | None:
    """The catalog checksum, or None for a version or file the catalog does not know."""
    return MANIFEST_SHA256.get(version, {}).get(variant)


def manifest_url(version: str, variant: str) -> str:
    return UPSTREAM_URL.format(version=version, file=variant)


def api_host_architecture_check(plan: dict, reported: str | None) -> dict:
    """Compare the architecture the plan assumes for the API host with what the host reports.

    ``reported`` is Ansible's ``ansible_architecture`` of the host, or None when it could not be
    read (status ``skipped``). The plan chose the calicoctl checksum for its architecture.
    """
    planned = plan["cluster"]["api_host_architecture"]
    host = plan["cluster"]["api_host"]
    if not reported:
        return {"status": "skipped", "message": "%s did not answer: its architecture (planned %s) is not checked." % (host, planned)}
    arch = CALICOCTL_ARCHITECTURES.get(str(reported))
    if arch == planned:
        return {"status": "ok", "message": "%s is %s (%s), as planned." % (host, planned, reported)}
    return {
        "status": "mismatch",
        "message": "calico_api_host_architecture is %s but %s reports %s (%s): calicoctl would be checked against the wrong "
        "checksum. Fix: set calico_api_host_architecture: %s%s."
        % (planned, host, reported, arch or "no calicoctl release", arch or "a supported host as calico_api_host",
           "" if arch else " (calicoctl is released for %s)" % ", ".join(sorted(set(CALICOCTL_ARCHITECTURES.values())))),
    }
