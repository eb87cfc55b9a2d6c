# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the calico_bgp role: Kubernetes Node patches and prune lists from the rendered objects."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.onprem.calico.plugins.module_utils.calico_reconcile import (
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    node_merge_patch,
)


def calico_node_patches(live_nodes, rendered):
    """[{name, patch}] merge patches bringing live Kubernetes Nodes to the rendered label/annotation entries.

    Nodes already right get no entry (so a second run patches nothing); a rendered Node that does
    not exist in the cluster is an error naming it.
    """
    live = dict((n["metadata"]["name"], n) for n in live_nodes or [])
    out = []
    missing = []
    for entry in rendered or []:
        if entry.get("kind") != "Node":
            continue
        name = entry["metadata"]["name"]
        if name not in live:
            missing.append(name)
            continue
        patch = node_merge_patch(live[name], entry)
        if patch:
            out.append({"name": name, "patch": patch})
    if missing:
        raise AnsibleFilterError("calico_bgp: Kubernetes Nodes %s do not exist; the inventory names of k8s_cluster "
                                 "hosts must be the Kubernetes node names" % ", ".join(sorted(missing)))
    return out


def calico_owned_leftovers(info_results, rendered):
    """Objects with the managed-by label that the rendered set no longer has.

    ``info_results``: the ``results`` of a kubernetes.core.k8s_info loop over kinds (item = kind).
    Returns [{kind, name, namespace}] to delete.
    """
    wanted = set((o.get("kind"), o["metadata"].get("namespace"), o["metadata"]["name"]) for o in rendered or [] if o)
    out = []
    for result in info_results or []:
        if result.get("skipped"):
            continue
        kind = result.get("item")
        for obj in result.get("resources") or []:
            meta = obj.get("metadata") or {}
            if (meta.get("labels") or {}).get(MANAGED_BY_LABEL) != MANAGED_BY_VALUE:
                continue
            if (kind, meta.get("namespace"), meta.get("name")) not in wanted:
                out.append({"kind": kind, "name": meta.get("name"), "namespace": meta.get("namespace")})
    return out


class FilterModule(object):
    def filters(self):
        return {
            "calico_node_patches": calico_node_patches,
            "calico_owned_leftovers": calico_owned_leftovers,
        }
