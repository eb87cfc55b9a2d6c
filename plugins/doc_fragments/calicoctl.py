# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the modules that run calicoctl against the Calico datastore."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  datastore:
    description: The Calico datastore (plan C(cluster.datastore)).
    type: str
    required: true
    choices: [kubernetes, etcd]
  calicoctl_path:
    description: Path of the calicoctl binary, installed at the cluster's Calico version.
    type: path
    default: /usr/local/bin/calicoctl
  kubeconfig:
    description: Kubeconfig calicoctl uses with O(datastore=kubernetes).
    type: path
  etcd_endpoints:
    description: etcd client URLs with O(datastore=etcd).
    type: list
    elements: str
  etcd_ca_file:
    description: CA bundle for https etcd endpoints.
    type: path
  etcd_cert_file:
    description: Client certificate for https etcd endpoints.
    type: path
  etcd_key_file:
    description: Client key for https etcd endpoints.
    type: path
"""
