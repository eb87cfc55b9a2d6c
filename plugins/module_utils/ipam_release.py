# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release a retired node's IPAM the way Calico does, and check nothing leaked.

Kubernetes datastore: deleting the Kubernetes Node (done by the playbook) lets
kube-controllers release the node's blocks and delete its Calico Node. etcd datastore:
``calicoctl delete node <name>`` removes the Calico Node and releases its IPAM. Either way
``calicoctl ipam check`` then reports what is left: its "Check complete; found N problems"
summary, and every block still affine to a retired node.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

PROBLEMS_RE = re.compile(r"found (\d+) problems", re.I)
AFFINITY_RE = re.compile(r"IPAM block (\S+) affinity=host:(\S+?):?\s*$")


def release(client, nodes, datastore, check_mode=False):
    """Delete the Calico Node of each of ``nodes`` that still has one (etcd); the names deleted."""
    if datastore != "etcd":
        return []
    live = {obj["metadata"]["name"] for obj in client.list("Node")}
    deleted = [name for name in nodes if name in live]
    if not check_mode:
        for name in deleted:
            client.delete("Node", name)
    return deleted


def parse_check(output, nodes):
    """(problem count or None, {node: [blocks still affine to it]}) from ``calicoctl ipam check``."""
    found = PROBLEMS_RE.search(output)
    affine = {}
    for line in output.splitlines():
        match = AFFINITY_RE.search(line.strip())
        if match and match.group(2) in nodes:
            affine.setdefault(match.group(2), []).append(match.group(1))
    return (int(found.group(1)) if found else None), affine


def leaks(output, nodes):
    """Messages naming what ``calicoctl ipam check`` still reports; empty when nothing leaked."""
    problems, affine = parse_check(output, nodes)
    messages = ["%s still holds IPAM block(s) %s" % (node, ", ".join(blocks)) for node, blocks in sorted(affine.items())]
    if problems is None:
        messages.append("calicoctl ipam check printed no 'found N problems' summary: %s" % output.strip()[-300:])
    elif problems:
        messages.append("calicoctl ipam check found %d problem(s)" % problems)
    return messages
