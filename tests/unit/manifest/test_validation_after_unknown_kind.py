"""Offline validation goes on after an object whose kind has no Kubernetes schema: an unknown kind
(a CRD's own objects, a typo) must not hide a broken built-in object after it."""

from __future__ import annotations

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import manifest

pytest.importorskip("kubernetes_validate")


def test_a_broken_object_after_an_unknown_kind_is_still_reported():
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    # ConfigMap data values are strings in the Kubernetes API (core/v1 ConfigMap.data: map[string]string).
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "calico-config", "namespace": "kube-system"},
              "data": {"veth_mtu": 1440}}
    assert manifest.validate_documents([widget, config], "1.33") == [
        "Widget w: Couldn't find schema for kind Widget with api version example.com/v1 for kubernetes version 1.33",
        "ConfigMap kube-system/calico-config: data.veth_mtu: 1440 is not of type 'string', 'null'",
    ]
