"""Where the role gets calicoctl and which sha256 it must have (action plugin onprem.calico.bgp_resources)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleError

from ansible_collections.onprem.calico.plugins.action.bgp_resources import calicoctl_source
from ansible_collections.onprem.calico.plugins.plugin_utils import catalog


def test_catalog_versions_use_the_published_checksum_and_release_url():
    src = calicoctl_source("3.31.7", "x86_64")
    assert src == {"url": "https://github.com/projectcalico/calico/releases/download/v3.31.7/calicoctl-linux-amd64",
                   "sha256": catalog.CALICOCTL_SHA256["3.31.7"]["amd64"], "sha256_source": "catalog",
                   "version": "3.31.7", "arch": "amd64"}
    assert calicoctl_source("3.30.7", "aarch64")["sha256"] == catalog.CALICOCTL_SHA256["3.30.7"]["arm64"]


def test_unknown_release_needs_an_explicit_checksum():
    with pytest.raises(AnsibleError) as err:
        calicoctl_source("3.32.1", "x86_64")
    assert "calico_calicoctl_sha256" in str(err.value)
    src = calicoctl_source("3.32.1", "x86_64", sha256="A" * 64)
    assert (src["sha256"], src["sha256_source"]) == ("a" * 64, "calico_calicoctl_sha256")
    with pytest.raises(AnsibleError):
        calicoctl_source("3.32.1", "x86_64", sha256="abc")


def test_mirror_directory_or_url_and_unknown_architecture():
    assert calicoctl_source("3.31.7", "x86_64", mirror="/srv/mirror/")["url"] == \
        "file:///srv/mirror/v3.31.7/calicoctl-linux-amd64"
    assert calicoctl_source("3.31.7", "ppc64le", mirror="https://mirror.example/calico")["url"] == \
        "https://mirror.example/calico/v3.31.7/calicoctl-linux-ppc64le"
    with pytest.raises(AnsibleError) as err:
        calicoctl_source("3.31.7", "s390x")
    assert "s390x" in str(err.value)
