# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the day-2 playbooks (retire_node.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Pods in these phases hold no address and run nothing.
FINISHED_PHASES = ("Succeeded", "Failed")


def calico_retire_blocking_pods(info_results):
    """The pods that keep a node from being retired: running or pending, not owned by a DaemonSet.

    ``info_results``: the ``results`` of a kubernetes.core.k8s_info loop over the retired nodes
    (item = node name). Returns ["<node>: <namespace>/<name>"], sorted.
    """
    blocking = []
    for result in info_results or []:
        if result.get("skipped"):
            continue
        for pod in result.get("resources") or []:
            meta = pod.get("metadata") or {}
            owners = meta.get("ownerReferences") or []
            if any(owner.get("kind") == "DaemonSet" for owner in owners):
                continue
            if (pod.get("status") or {}).get("phase") in FINISHED_PHASES:
                continue
            blocking.append("%s: %s/%s" % (result.get("item"), meta.get("namespace"), meta.get("name")))
    return sorted(blocking)


class FilterModule(object):
    def filters(self):
        return {"calico_retire_blocking_pods": calico_retire_blocking_pods}
