# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A thin calicoctl client (standard library only): environment per datastore, JSON in and out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

# calicoctl's resource type names on the command line, per kind.
RESOURCE_NAMES = {
    "BGPConfiguration": "bgpconfigurations",
    "BGPPeer": "bgppeers",
    "BGPFilter": "bgpfilters",
    "IPPool": "ippools",
    "Node": "nodes",
    "CalicoNodeStatus": "caliconodestatuses",
}


class CalicoctlError(Exception):
    pass


# Module options that say how calicoctl reaches the datastore (documented once in
# plugins/doc_fragments/calicoctl.py).
DATASTORE_ARGS = dict(
    datastore=dict(type="str", required=True, choices=["kubernetes", "etcd"]),
    calicoctl_path=dict(type="path", default="/usr/local/bin/calicoctl"),
    kubeconfig=dict(type="path"),
    etcd_endpoints=dict(type="list", elements="str"),
    etcd_ca_file=dict(type="path"),
    etcd_cert_file=dict(type="path"),
    etcd_key_file=dict(type="path"),
)


def datastore_env_from_params(params):
    """datastore_env() from a module's DATASTORE_ARGS parameters."""
    return datastore_env(params["datastore"], params["kubeconfig"], params["etcd_endpoints"],
                         params["etcd_ca_file"], params["etcd_cert_file"], params["etcd_key_file"])


def datastore_env(datastore, kubeconfig=None, etcd_endpoints=None, etcd_ca_file=None,
                  etcd_cert_file=None, etcd_key_file=None):
    """The environment calicoctl reads to reach the datastore; raises ValueError when incomplete."""
    if datastore == "kubernetes":
        if not kubeconfig:
            raise ValueError("datastore kubernetes needs kubeconfig (the file calicoctl reads via KUBECONFIG)")
        return {"DATASTORE_TYPE": "kubernetes", "KUBECONFIG": kubeconfig}
    if datastore == "etcd":
        if not etcd_endpoints:
            raise ValueError("datastore etcd needs etcd_endpoints")
        env = {"DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": ",".join(etcd_endpoints)}
        tls = dict((k, v) for k, v in (("ETCD_CA_CERT_FILE", etcd_ca_file), ("ETCD_CERT_FILE", etcd_cert_file),
                                       ("ETCD_KEY_FILE", etcd_key_file)) if v)
        if any(e.startswith("https://") for e in etcd_endpoints) and len(tls) != 3:
            raise ValueError("https etcd endpoints need etcd_ca_file, etcd_cert_file and etcd_key_file")
        env.update(tls)
        return env
    raise ValueError("datastore must be kubernetes or etcd, got %r" % (datastore,))


class Calicoctl(object):
    """``run(argv, data, env) -> (rc, stdout, stderr)`` is AnsibleModule.run_command or a test double."""

    def __init__(self, run, path, env):
        self.run = run
        self.path = path
        self.env = env

    def _call(self, args, data=None):
        rc, out, err = self.run([self.path] + list(args), data, self.env)
        if rc != 0:
            raise CalicoctlError("calicoctl %s failed (rc=%s): %s" % (" ".join(args[:3]), rc, (err or out).strip()))
        return out

    def list(self, kind):
        out = self._call(["get", RESOURCE_NAMES[kind], "-o", "json"])
        data = json.loads(out) if out.strip() else {}
        if data.get("kind", "").endswith("List"):
            return data.get("items") or []
        return [data] if data else []

    def create(self, obj):
        self._call(["create", "-f", "-"], json.dumps(obj))

    def replace(self, obj):
        self._call(["replace", "-f", "-"], json.dumps(obj))

    def delete(self, kind, name):
        self._call(["delete", RESOURCE_NAMES[kind], name])

    def ipam_check(self):
        """The text report of ``calicoctl ipam check``."""
        return self._call(["ipam", "check"])
