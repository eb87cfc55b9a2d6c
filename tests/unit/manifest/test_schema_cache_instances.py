"""The schema cache behind validate_documents: a new cache starts empty, loads kubernetes-validate's
schema of a (Kubernetes minor, kind) once, and judges objects as the strict schema does (a ConfigMap's
data values are strings in the Kubernetes API; its JSON schema also admits null)."""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils import manifest

CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "calico-config", "namespace": "kube-system"},
             "data": {"veth_mtu": "0"}}


def test_a_new_cache_loads_a_schema_once_per_minor_and_kind():
    from kubernetes_validate import utils as kv_utils

    cache = manifest._SchemaCache()
    first = cache.validator(kv_utils, CONFIGMAP, "1.33")
    other = dict(CONFIGMAP, metadata={"name": "other"})
    assert cache.validator(kv_utils, other, "v1.33") is first
    assert not list(first.iter_errors(CONFIGMAP))
    assert [e.message for e in first.iter_errors(dict(CONFIGMAP, data={"veth_mtu": 1440}))] == ["1440 is not of type 'string', 'null'"]
    cache.cache_clear()
    assert cache.validator(kv_utils, CONFIGMAP, "1.33") is not first
