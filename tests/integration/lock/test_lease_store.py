"""The module's Lease store (the kubernetes client) against the FAKE API server of tests/fakes:
two runs racing for the Lease, the API server's resourceVersion check picks one."""

from __future__ import annotations

import datetime as dt
import os
import sys

import pytest

from testpaths import REPO

sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))

from kube_apiserver import FakeKubeAPI  # noqa: E402

from ansible_collections.onprem.calico.plugins.module_utils import cluster_lock as cl  # noqa: E402
from ansible_collections.onprem.calico.plugins.modules.cluster_lock import LeaseStore  # noqa: E402

NOW = dt.datetime(2026, 11, 29, 18, 0, 0, tzinfo=dt.timezone.utc)
NS, NAME = "kube-system", "onprem-calico-prod"


class RacingStore:
    """The real store, with a rival run taking the Lease right after this run read it."""

    def __init__(self, store, rival):
        self.store, self.rival, self.raced = store, rival, False

    def get(self, namespace, name):
        if self.raced:
            return self.store.get(namespace, name)
        self.raced = True
        try:
            return self.store.get(namespace, name)  # what this run saw (NotFound included)
        finally:
            self.rival()

    def create(self, namespace, body):
        return self.store.create(namespace, body)

    def replace(self, namespace, name, body):
        return self.store.replace(namespace, name, body)


@pytest.fixture
def store(tmp_path):
    with FakeKubeAPI() as api:
        kubeconfig = tmp_path / "admin.conf"
        kubeconfig.write_text(api.kubeconfig())
        yield api, LeaseStore(str(kubeconfig), "")


def get_lease(api):
    return api.get("coordination.k8s.io/v1", "leases", NAME, NS)


def test_take_reenter_and_release(store):
    api, leases = store
    assert cl.acquire_lease(leases, NS, NAME, "awx-job-1", NOW, 600, False) == (True, "")
    assert get_lease(api)["spec"]["holderIdentity"] == "awx-job-1"
    assert get_lease(api)["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "onprem.calico"}
    version = get_lease(api)["metadata"]["resourceVersion"]
    assert cl.acquire_lease(leases, NS, NAME, "awx-job-1", NOW, 600, False) == (False, "awx-job-1")
    assert get_lease(api)["metadata"]["resourceVersion"] == version
    with pytest.raises(cl.LockHeld, match="held by awx-job-1 since 2026-11-29T18:00:00.000000Z"):
        cl.acquire_lease(leases, NS, NAME, "awx-job-2", NOW + dt.timedelta(seconds=30), 600, True)
    assert cl.release_lease(leases, NS, NAME, "awx-job-2", NOW, 600) is False
    assert cl.release_lease(leases, NS, NAME, "awx-job-1", NOW, 600) is True
    assert cl.acquire_lease(leases, NS, NAME, "awx-job-2", NOW, 600, False) == (True, "")


def test_release_can_delete_the_lease_but_never_another_holders(store):
    api, leases = store
    cl.acquire_lease(leases, NS, NAME, "awx-job-1", NOW, 600, False)
    assert cl.release_lease(leases, NS, NAME, "awx-job-2", NOW, 600, delete=True) is False
    assert get_lease(api)["spec"]["holderIdentity"] == "awx-job-1"
    assert cl.release_lease(leases, NS, NAME, "awx-job-1", NOW, 600, check_mode=True, delete=True) is True
    assert get_lease(api) is not None
    assert cl.release_lease(leases, NS, NAME, "awx-job-1", NOW, 600, delete=True) is True
    assert get_lease(api) is None
    assert cl.release_lease(leases, NS, NAME, "awx-job-1", NOW, 600, delete=True) is False


def test_delete_keeps_a_lease_retaken_in_between(store):
    """Between this run's read and its delete, the Lease changed hands: the resourceVersion
    precondition makes the API server refuse the delete, and the new holder keeps it."""
    api, leases = store
    cl.acquire_lease(leases, NS, NAME, "awx-job-1", NOW, 600, False)

    class Retaken(RacingStore):
        def delete(self, namespace, name, resource_version):
            lease = self.store.get(namespace, name)
            lease["spec"]["holderIdentity"] = "awx-job-9"
            self.store.replace(namespace, name, lease)
            return self.store.delete(namespace, name, resource_version)

    assert cl.release_lease(Retaken(leases, lambda: None), NS, NAME, "awx-job-1", NOW, 600, delete=True) is False
    assert get_lease(api)["spec"]["holderIdentity"] == "awx-job-9"


def test_racing_create_loses_with_the_winner_named(store):
    api, leases = store

    def rival():
        cl.acquire_lease(leases, NS, NAME, "awx-job-7", NOW, 600, False)

    with pytest.raises(cl.LockHeld, match="taken by awx-job-7 at 2026-11-29T18:00:00.000000Z while this run was taking it"):
        cl.acquire_lease(RacingStore(leases, rival), NS, NAME, "awx-job-8", NOW, 600, False)
    assert get_lease(api)["spec"]["holderIdentity"] == "awx-job-7"


def test_racing_break_of_a_stale_lease_loses_on_resource_version(store):
    api, leases = store
    cl.acquire_lease(leases, NS, NAME, "killed@a:1", NOW - dt.timedelta(hours=2), 600, False)

    def rival():
        cl.acquire_lease(leases, NS, NAME, "awx-job-7", NOW, 600, True)

    with pytest.raises(cl.LockHeld, match="taken by awx-job-7"):
        cl.acquire_lease(RacingStore(leases, rival), NS, NAME, "awx-job-8", NOW, 600, True)
    assert get_lease(api)["spec"]["holderIdentity"] == "awx-job-7"
    conflicts = [r for r in api.requests if r[0] == "PUT"]
    assert len(conflicts) == 2  # the rival's replace and this run's refused one
