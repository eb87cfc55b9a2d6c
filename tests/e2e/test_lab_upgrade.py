"""The lab upgraded 3.30.7 -> 3.31.7 -> 3.32.1 through the lab's site playbook (the product's
stages in the order of playbooks/site.yml, with the cluster lock and the upgrade guard), every
planned BGP session verified on both ends after each step.

What the lab cannot show: it has no API server, so nothing reads a running release and the
guard says it is skipped (the guard is tested against the fake API in
tests/integration/upgrade); and the calico-node stand-in is configured by one set of confd rules
for every release (docs/lab.md), so a change in calico-node's own BIRD templates between releases
would not show here.
"""

from __future__ import annotations

import os
import sys

from labtools import LAB, SITE, run

RELEASES = ("3.30.7", "3.31.7", "3.32.1")
# 3.32.1 has no calicoctl checksum in the catalog, so the plan needs a user-supplied one (as a real
# site would, docs/upgrade.md). The lab never downloads calicoctl (calico_bgp_skip_api), so this
# well-formed stand-in value is never checked against a binary.
USER_SUPPLIED = {"3.32.1": ["-e", "calico_calicoctl_sha256=" + "0" * 64]}


def test_upgrade_one_minor_release_at_a_time(lab, artifacts_root):
    env = {"LAB_DESIGN": "as_per_rack"}
    up = run([sys.executable, LAB, "up"], env=env)
    assert up.rc == 0, up.tail()
    artifacts = os.path.join(artifacts_root, "upgrade")
    for version in RELEASES:
        step = run([SITE, "-e", "calico_artifacts_dir=" + artifacts, "-e", "calico_version=" + version]
                   + USER_SUPPLIED.get(version, []), env=env)
        assert step.rc == 0, "%s: %s" % (version, step.tail())
        assert "not compared with calico_version %s" % version in " ".join(step.output.split())
        with open(os.path.join(artifacts, "calico.yaml"), encoding="utf-8") as handle:
            assert "calico/node:v%s" % version in handle.read()
        with open(os.path.join(artifacts, "report.md"), encoding="utf-8") as handle:
            assert "**All 9 BGP sessions Established.**" in handle.read(), version
        assert not os.path.exists(artifacts + ".lock")  # released at the end of each run
