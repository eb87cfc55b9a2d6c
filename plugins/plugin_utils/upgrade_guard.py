"""Upgrade guard: compare the release running in the cluster with the plan's before any change.

The running release is read from Calico's ClusterInformation (``spec.calicoVersion``, written by
calico-node for the Kubernetes datastore) or, when there is none, from the image tag of the
``calico-node`` container of the calico-node DaemonSet (both datastores). A downgrade is refused,
and so, as this collection's own policy, is a jump over a minor release (upstream allows larger
steps; one minor at a time keeps each step reviewed and verified on its own, docs/upgrade.md).
``calico_upgrade_force`` lets either through with a warning.

Pure Python: no Ansible import (docs/architecture.md).
"""

from __future__ import annotations

import re

_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")


def parse_version(text):
    """(major, minor, patch) of "v3.31.7" / "3.31.7" / "v3.31.7-0.dev"; None when not a release."""
    match = _VERSION.match(str(text or "").strip())
    return tuple(int(part) for part in match.groups()) if match else None


def _image_tag(image):
    """The tag of an image reference (registry ports and digests left out)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def running_release(cluster_information=None, daemonset=None):
    """(version, where it was read) of the running release, or (None, None) on a fresh cluster."""
    version = ((cluster_information or {}).get("spec") or {}).get("calicoVersion")
    if parse_version(version):
        return version.lstrip("v"), "ClusterInformation default (calicoVersion %s)" % version
    containers = (((((daemonset or {}).get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")) or []
    for container in containers:
        if container.get("name") == "calico-node":
            tag = _image_tag(container.get("image", ""))
            if parse_version(tag):
                return tag.lstrip("v"), "DaemonSet kube-system/calico-node (image %s)" % container["image"]
    return None, None


def check(target, cluster_information=None, daemonset=None, force=False):
    """Decide about moving the cluster to release ``target``. Returns a dict with ``status``
    (``fresh``, ``same``, ``upgrade``, ``forced`` or ``refused``), ``running``, ``target`` and a
    ``message`` naming both versions."""
    running, source = running_release(cluster_information, daemonset)
    result = {"running": running, "target": target, "source": source}
    if running is None:
        return dict(result, status="fresh", message="No Calico release is running yet (no ClusterInformation, no calico-node "
                                                    "DaemonSet): installing %s." % target)
    have, want = parse_version(running), parse_version(target)
    if want is None:
        raise ValueError("calico_version %r is not a release (MAJOR.MINOR.PATCH)" % target)
    if have == want:
        return dict(result, status="same", message="Calico %s is running (%s); the plan keeps it." % (running, source))
    problem = None
    if want < have:
        problem = ("a downgrade from %s (running, %s) to %s (calico_version). Calico does not support going back: the datastore may "
                   "hold data the older release cannot read. Set calico_version back to %s" % (running, source, target, running))
    elif want[:2] != have[:2] and (want[0] != have[0] or want[1] > have[1] + 1):
        next_minor = "%d.%d" % (have[0], have[1] + 1)
        problem = ("the upgrade from %s (running, %s) to %s (calico_version) skips a minor release. This collection upgrades one minor "
                   "release at a time: upgrade to the latest %s.x first, verify, then to %s" % (running, source, target, next_minor, target))
    if problem is None:
        return dict(result, status="upgrade", message="Upgrading Calico from %s (running, %s) to %s." % (running, source, target))
    if force:
        return dict(result, status="forced", message="calico_upgrade_force=true, going ahead despite: %s." % problem.split(". ")[0])
    return dict(result, status="refused",
                message="Refusing: %s; or, knowing the risk, rerun with -e calico_upgrade_force=true." % problem)
