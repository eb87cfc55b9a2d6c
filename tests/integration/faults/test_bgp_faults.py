"""An interrupted BGP resources stage: playbooks/bgp.yml on the etcd example through the FAKE
calicoctl of tests/fakes (not calicoctl; see tests/integration/bgp/test_bgp_role.py), failing
right after the first Calico object was written. The rerun converges to what an uninterrupted
run writes, and the run after reports changed=0."""

from __future__ import annotations

import os
import sys

from testpaths import REPO

sys.path.insert(0, os.path.join(REPO, "tests", "integration", "bgp"))

from test_bgp_role import Lab  # noqa: E402

from ansible_collections.onprem.calico.plugins.module_utils.fault_injection import ENVIRONMENT  # noqa: E402


def resources(lab):
    """The stored Calico objects without what the fake's server side sets."""
    stored = {kind: objs for kind, objs in lab.stored().items() if kind != "CalicoNodeStatus"}
    for objs in stored.values():
        for obj in objs.values():
            for field in ("resourceVersion", "uid", "creationTimestamp"):
                obj["metadata"].pop(field, None)
    return stored


def test_rerun_after_a_fault_mid_apply_converges(tmp_path, monkeypatch):
    clean = Lab(str(tmp_path / "clean"))
    os.makedirs(clean.tmp)
    clean.seed_calico_node()
    proc, _changed, failed = clean.run()
    assert failed == 0, proc.stdout[-4000:]

    lab = Lab(str(tmp_path / "faulty"))
    os.makedirs(lab.tmp)
    lab.seed_calico_node()
    monkeypatch.setenv(ENVIRONMENT, "bgp_resources_mid_apply")
    proc, _changed, failed = lab.run()
    assert failed == 1 and "fault injected at bgp_resources_mid_apply" in proc.stdout, proc.stdout[-4000:]
    writes = [c for c in lab.calls() if c["argv"][0] != "get"]
    assert len(writes) == 1  # interrupted after the first object
    assert resources(lab) != resources(clean)

    monkeypatch.delenv(ENVIRONMENT)
    proc, changed, failed = lab.run()
    assert failed == 0 and changed > 0, proc.stdout[-4000:]
    assert resources(lab) == resources(clean)
    proc, changed, failed = lab.run()
    assert (changed, failed) == (0, 0), proc.stdout[-4000:]
