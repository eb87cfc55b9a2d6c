"""The calicoctl apply path end to end against tests/fakes/calicoctl (a FAKE, see its docstring).

Real calicoctl cannot be downloaded here; the fake records its calls, keeps state in a JSON
file and validates every object against the upstream CRD schema of the fake cluster's release.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from plans import DESIGNS, FAKE_CALICOCTL, UPSTREAM_DIR, make_plan

from ansible_collections.onprem.calico.plugins.module_utils import calico_reconcile as rc
from ansible_collections.onprem.calico.plugins.module_utils.calicoctl import Calicoctl, CalicoctlError, datastore_env
from ansible_collections.onprem.calico.plugins.plugin_utils import resources


@pytest.fixture(scope="module")
def schema_cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("fake-calicoctl-cache"))


@pytest.fixture
def fake(tmp_path, schema_cache):
    kubeconfig = tmp_path / "admin.conf"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    state, log = tmp_path / "state.json", tmp_path / "calls.jsonl"
    base_env = {"PATH": os.environ["PATH"], "CALICO_UPSTREAM_DIR": UPSTREAM_DIR,
                "FAKE_CALICOCTL_STATE": str(state), "FAKE_CALICOCTL_LOG": str(log),
                "FAKE_CALICOCTL_VERSION": "3.31.7", "FAKE_CALICOCTL_CACHE_DIR": schema_cache}

    def run(argv, data, env):
        proc = subprocess.run(argv, input=data, capture_output=True, text=True, env=dict(base_env, **env), check=False)
        return proc.returncode, proc.stdout, proc.stderr

    class Fake:
        def __init__(self):
            self.state, self.log, self.kubeconfig, self.base_env = state, log, str(kubeconfig), base_env

        def client(self, datastore="kubernetes", **kw):
            if datastore == "kubernetes":
                env = datastore_env("kubernetes", kubeconfig=kw.get("kubeconfig", self.kubeconfig))
            else:
                env = datastore_env("etcd", etcd_endpoints=kw.get("endpoints", ["http://127.0.0.1:2379"]))
            return Calicoctl(run, FAKE_CALICOCTL, env)

        def calls(self):
            if not self.log.exists():
                return []
            return [json.loads(line) for line in self.log.read_text().splitlines()]

        def stored(self):
            return json.loads(self.state.read_text()) if self.state.exists() else {}

        def seed(self, obj):
            data = self.stored()
            obj = dict(obj)
            obj["metadata"] = dict(obj["metadata"], resourceVersion="1")
            data.setdefault(obj["kind"], {})[obj["metadata"]["name"]] = obj
            self.state.write_text(json.dumps(data))

    return Fake()


def default_pool():
    return {"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": "default-ipv4-ippool"},
            "spec": {"cidr": "192.168.0.0/16", "blockSize": 26, "ipipMode": "Always", "vxlanMode": "Never",
                     "natOutgoing": True, "nodeSelector": "all()", "allowedUses": ["Workload", "Tunnel"]}}


def verbs(calls):
    return [c["argv"][0] for c in calls]


def test_apply_is_idempotent_and_check_mode_only_reads(fake, ctx):
    fake.seed(default_pool())
    want = resources.build(make_plan(password=True, **DESIGNS["tor_as_per_rack"]), ctx).calico
    client = fake.client()
    preview = rc.reconcile(client, want, check_mode=True)
    assert set(verbs(fake.calls())) == {"get"} and preview["actions"]
    first = rc.reconcile(client, want)
    assert [a["action"] for a in first["actions"]] == [a["action"] for a in preview["actions"]]
    stored = fake.stored()
    assert stored["BGPConfiguration"]["default"]["spec"]["nodeToNodeMeshEnabled"] is False
    assert sorted(stored["BGPPeer"]) == ["onprem-calico-rack-r1-tor1a", "onprem-calico-rack-r1-tor1b",
                                         "onprem-calico-rack-r2-tor2a", "onprem-calico-rack-r2-tor2b"]
    assert stored["BGPPeer"]["onprem-calico-rack-r1-tor1a"]["spec"]["password"] == {
        "secretKeyRef": {"name": "calico-bgp-password", "key": "password"}}
    assert all(c["datastore"] == "kubernetes" for c in fake.calls())
    # Writes went through stdin as JSON objects the fake validated against the 3.31.7 schema.
    writes = [c for c in fake.calls() if c["argv"][0] in ("create", "replace")]
    assert writes and all(c["argv"][1:] == ["-f", "-"] and json.loads(c["input"])["kind"] for c in writes)
    calls_before = len(fake.calls())
    assert rc.reconcile(client, want)["actions"] == []
    assert set(verbs(fake.calls()[calls_before:])) == {"get"}


def test_prune_and_refusal_through_calicoctl(fake, ctx):
    fake.seed(default_pool())
    client = fake.client()
    rc.reconcile(client, resources.build(make_plan(**DESIGNS["route_reflectors"]), ctx).calico)
    result = rc.reconcile(client, resources.build(make_plan(**DESIGNS["full_mesh"]), ctx).calico)
    assert [(a["action"], a["kind"], a["name"]) for a in result["actions"]] == [
        ("replace", "BGPConfiguration", "default"), ("delete", "BGPPeer", "onprem-calico-route-reflectors")]
    assert ["delete", "bgppeers", "onprem-calico-route-reflectors"] in [c["argv"] for c in fake.calls()]
    assert "BGPPeer" not in fake.stored() or fake.stored()["BGPPeer"] == {}
    plan = make_plan(**DESIGNS["full_mesh"])
    plan["ip_pools"][0]["block_size"] = 24
    calls_before = len(fake.calls())
    with pytest.raises(rc.ReconcileError) as err:
        rc.reconcile(client, resources.build(plan, ctx).calico)
    assert "blockSize 26 -> 24 refused" in err.value.messages[0]
    assert set(verbs(fake.calls()[calls_before:])) == {"get"}


def test_etcd_datastore_and_calico_nodes(fake, ctx):
    for name, ip in (("node01", "10.0.1.11"), ("node02", "10.0.1.12"), ("node03", "10.0.2.13"), ("node04", "10.0.2.14")):
        fake.seed({"apiVersion": "projectcalico.org/v3", "kind": "Node", "metadata": {"name": name},
                   "spec": {"bgp": {"ipv4Address": ip + "/24"}}})
    fake.seed(default_pool())
    client = fake.client("etcd")
    rc.reconcile(client, resources.build(make_plan(datastore="etcd", **DESIGNS["route_reflectors"]), ctx).calico)
    node = fake.stored()["Node"]["node01"]
    assert node["spec"]["bgp"] == {"ipv4Address": "10.0.1.11/24", "routeReflectorClusterID": "244.0.0.1"}
    assert node["metadata"]["labels"]["route-reflector"] == "true"
    assert {c["datastore"] for c in fake.calls()} == {"etcdv3"}


def test_the_fake_validates_what_it_is_given(fake):
    client = fake.client()
    with pytest.raises(CalicoctlError) as err:
        client.create({"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer", "metadata": {"name": "x"},
                       "spec": {"peerIP": "10.0.0.1", "asNumber": 65001, "keepaliveTime": "30s"}})
    assert "unknown field keepaliveTime" in str(err.value)  # 3.31.7 has no such field
    fake.seed(default_pool())
    changed = default_pool()
    changed["spec"]["cidr"] = "10.0.0.0/16"
    with pytest.raises(CalicoctlError) as err:
        client.replace(changed)
    assert "CIDR cannot be changed" in str(err.value)


def test_datastore_configuration_errors(fake, tmp_path):
    with pytest.raises(CalicoctlError) as err:
        fake.client(kubeconfig=str(tmp_path / "missing.conf")).list("IPPool")
    assert "KUBECONFIG" in str(err.value)
    with pytest.raises(ValueError) as verr:
        datastore_env("etcd", etcd_endpoints=["https://10.0.0.5:2379"])
    assert "etcd_ca_file, etcd_cert_file and etcd_key_file" in str(verr.value)
    env = datastore_env("etcd", etcd_endpoints=["https://10.0.0.5:2379", "https://10.0.0.6:2379"],
                        etcd_ca_file="/ca", etcd_cert_file="/c", etcd_key_file="/k")
    assert env == {"DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": "https://10.0.0.5:2379,https://10.0.0.6:2379",
                   "ETCD_CA_CERT_FILE": "/ca", "ETCD_CERT_FILE": "/c", "ETCD_KEY_FILE": "/k"}


def test_version_mismatch_is_refused_like_calicoctl(fake):
    fake.base_env["FAKE_CALICOCTL_CLUSTER_VERSION"] = "3.30.7"
    with pytest.raises(CalicoctlError) as err:
        fake.client().list("IPPool")
    assert "Version mismatch" in str(err.value)
