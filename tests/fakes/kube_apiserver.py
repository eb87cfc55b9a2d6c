"""FAKE Kubernetes API server, for tests only. It is NOT kube-apiserver.

No API server can be installed on the test machines, so the kubernetes.core tasks of the
calico_bgp role run against this stand-in. It serves, over plain HTTP on 127.0.0.1, the
discovery documents and the REST verbs the kubernetes Python client uses (GET, LIST with
labelSelector, POST, PUT, PATCH as JSON merge patch, DELETE, and ``dryRun=All``) for exactly
the kinds the collection touches: Nodes, Secrets, Roles and RoleBindings (calico_bgp), Leases (the
cluster lock), Calico's ClusterInformation (the upgrade guard), Pods (retire_node.yml) and the kinds
of the Calico manifest (deleted by the uninstall). It keeps the objects in memory, sets
resourceVersion/uid like a server, refuses a PUT whose resourceVersion is not the stored one (409
Conflict, optimistic concurrency), turns Secret ``stringData`` into base64 ``data``,
and records every request so tests can assert what was called.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# (group/version, plural) -> (kind, namespaced)
RESOURCES = {
    ("v1", "nodes"): ("Node", False),
    ("v1", "secrets"): ("Secret", True),
    ("rbac.authorization.k8s.io/v1", "roles"): ("Role", True),
    ("rbac.authorization.k8s.io/v1", "rolebindings"): ("RoleBinding", True),
    ("coordination.k8s.io/v1", "leases"): ("Lease", True),
    ("crd.projectcalico.org/v1", "clusterinformations"): ("ClusterInformation", False),
    # The kinds of the Calico manifest, for the uninstall's deletes.
    ("v1", "pods"): ("Pod", True),  # read by retire_node.yml (fieldSelector spec.nodeName)
    ("v1", "serviceaccounts"): ("ServiceAccount", True),
    ("v1", "configmaps"): ("ConfigMap", True),
    ("v1", "services"): ("Service", True),
    ("apps/v1", "daemonsets"): ("DaemonSet", True),
    ("apps/v1", "deployments"): ("Deployment", True),
    ("policy/v1", "poddisruptionbudgets"): ("PodDisruptionBudget", True),
    ("rbac.authorization.k8s.io/v1", "clusterroles"): ("ClusterRole", False),
    ("rbac.authorization.k8s.io/v1", "clusterrolebindings"): ("ClusterRoleBinding", False),
    ("apiextensions.k8s.io/v1", "customresourcedefinitions"): ("CustomResourceDefinition", False),
}


def _group_list():
    groups = sorted({gv for gv, _plural in RESOURCES if "/" in gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
         "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]}} for gv in groups]}


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _resource_list(group_version):
    resources = []
    for (gv, plural), (kind, namespaced) in RESOURCES.items():
        if gv == group_version:
            resources.append({"name": plural, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind,
                              "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]})
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}


class FakeKubeAPI:
    def __init__(self):
        self.objects = {}  # (gv, plural, namespace, name) -> object
        self.requests = []
        # Controllers of the fake cluster: called with (key, object) after an object is deleted,
        # e.g. kube-controllers releasing the IPAM of a deleted Node.
        self.on_delete = []
        self._version = 100
        self._lock = threading.Lock()
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def kubeconfig(self):
        return json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake", "user": {"token": "fake-token"}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
        })

    def add(self, gv, plural, obj):
        meta = obj["metadata"]
        self._store((gv, plural, meta.get("namespace"), meta["name"]), obj)

    def get(self, gv, plural, name, namespace=None):
        return self.objects.get((gv, plural, namespace, name))

    def writes(self):
        return [r for r in self.requests if r[0] in ("POST", "PUT", "PATCH", "DELETE") and not r[2]]

    @staticmethod
    def _normalize(key, obj):
        """What the server stores: apiVersion/kind set, Secret stringData folded into base64 data."""
        obj = copy.deepcopy(obj)
        obj.setdefault("apiVersion", key[0])
        obj["kind"] = RESOURCES[(key[0], key[1])][0]
        obj.setdefault("metadata", {})
        if obj["kind"] == "Secret" and "stringData" in obj:
            data = obj.setdefault("data", {})
            for k, v in obj.pop("stringData").items():
                data[k] = base64.b64encode(v.encode()).decode()
        return obj

    def _store(self, key, obj):
        obj = self._normalize(key, obj)
        meta = obj["metadata"]
        self._version += 1
        meta["resourceVersion"] = str(self._version)
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
        self.objects[key] = obj
        return obj

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _status(self, code, reason, message):
                self._send(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                  "reason": reason, "message": message, "code": code})

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def _route(self):
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                parts = [p for p in url.path.split("/") if p]
                dry = query.get("dryRun") == ["All"]
                with api._lock:
                    api.requests.append((self.command, url.path, dry))
                if parts == ["version"]:
                    return self._send(200, {"major": "1", "minor": "33", "gitVersion": "v1.33.0"})
                if parts == ["api"]:
                    return self._send(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
                if parts == ["apis"]:
                    return self._send(200, _group_list())
                if parts[:1] == ["api"]:
                    gv, rest = "v1", parts[2:]
                elif parts[:1] == ["apis"] and len(parts) >= 3:
                    gv, rest = parts[1] + "/" + parts[2], parts[3:]
                else:
                    return self._status(404, "NotFound", "no route %s" % url.path)
                if not rest:
                    return self._send(200, _resource_list(gv))
                namespace = None
                if rest[0] == "namespaces" and len(rest) >= 3:
                    namespace, rest = rest[1], rest[2:]
                plural, name = rest[0], (rest[1] if len(rest) > 1 else None)
                if (gv, plural) not in RESOURCES:
                    return self._status(404, "NotFound", "the server could not find the requested resource")
                kind = RESOURCES[(gv, plural)][0]
                key = (gv, plural, namespace, name)
                with api._lock:
                    return self._verb(gv, plural, kind, namespace, name, key, query, dry)

            def _verb(self, gv, plural, kind, namespace, name, key, query, dry):
                current = api.objects.get(key)
                if self.command == "GET" and name is None:
                    selector = dict(s.split("=", 1) for s in (query.get("labelSelector", [""])[0].split(",")) if s)
                    # Only the field a client asks pods by: spec.nodeName.
                    fields = dict(s.split("=", 1) for s in (query.get("fieldSelector", [""])[0].split(",")) if s)
                    items = [copy.deepcopy(o) for (g, p, ns, _n), o in sorted(api.objects.items(), key=lambda kv: kv[0][3])
                             if g == gv and p == plural and (namespace is None or ns == namespace)
                             and all((o["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())
                             and all((o.get("spec") or {}).get("nodeName") == v for k, v in fields.items() if k == "spec.nodeName")]
                    return self._send(200, {"kind": kind + "List", "apiVersion": gv, "items": items,
                                            "metadata": {"resourceVersion": str(api._version)}})
                if self.command == "POST":
                    body = self._body()
                    body.setdefault("metadata", {})
                    if namespace:
                        body["metadata"]["namespace"] = namespace
                    new_key = (gv, plural, namespace, body["metadata"]["name"])
                    if new_key in api.objects:
                        return self._status(409, "AlreadyExists", "%s %s already exists" % (kind, new_key[3]))
                    if dry:
                        return self._send(201, body)
                    return self._send(201, api._store(new_key, body))
                if current is None:
                    return self._status(404, "NotFound", '%s "%s" not found' % (plural, name))
                if self.command == "GET":
                    return self._send(200, current)
                if self.command == "DELETE":
                    # DeleteOptions.preconditions.resourceVersion, as kube-apiserver checks it.
                    wanted = (self._body().get("preconditions") or {}).get("resourceVersion")
                    if wanted and wanted != current["metadata"]["resourceVersion"]:
                        return self._status(409, "Conflict", "Precondition failed: resourceVersion %s, object has %s"
                                            % (wanted, current["metadata"]["resourceVersion"]))
                    if not dry:
                        del api.objects[key]
                        for controller in api.on_delete:
                            controller(key, current)
                    return self._send(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})
                if self.command in ("PATCH", "PUT"):
                    body = self._body()
                    updated = merge_patch(current, body) if self.command == "PATCH" else body
                    updated["metadata"]["name"], updated["metadata"]["namespace"] = name, namespace
                    if namespace is None:
                        updated["metadata"].pop("namespace")
                    updated = api._normalize(key, updated)
                    sent_version = updated["metadata"].get("resourceVersion") if self.command == "PUT" else None
                    if sent_version and sent_version != current["metadata"]["resourceVersion"]:
                        return self._status(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object has been '
                                            "modified; please apply your changes to the latest version and try again" % (plural, name))
                    if self.command == "PUT":
                        for field in ("uid", "creationTimestamp", "resourceVersion"):
                            updated["metadata"].setdefault(field, current["metadata"].get(field))
                    if dry:
                        return self._send(200, updated)
                    if updated == current:  # a no-op write keeps the resourceVersion, as the real server does
                        return self._send(200, current)
                    updated["metadata"].pop("resourceVersion", None)
                    return self._send(200, api._store(key, updated))
                return self._status(405, "MethodNotAllowed", self.command)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _route

        return Handler
