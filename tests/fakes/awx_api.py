"""A small fake of the AWX REST API (v2): the endpoints the awx.awx modules of
playbooks/awx/workflow.yml call, kept in memory so a test can assert what was created.

Generic list/detail resources with name and field filters, PATCH, DELETE, association
sub-lists (``{"id": n}`` to associate, ``"disassociate": true`` to remove), ``survey_spec``,
``create_approval_template`` and the ``unified_job_templates`` view the workflow module looks
job templates up in. Objects are only ever what the client sent plus ``id``, ``url``, ``type``
and ``related``, the fields the modules read back.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

PREFIX = "/api/v2/"
# Collection name -> the object type AWX reports.
TYPES = {
    "organizations": "organization", "projects": "project", "inventories": "inventory",
    "execution_environments": "execution_environment", "credentials": "credential",
    "credential_types": "credential_type", "job_templates": "job_template",
    "workflow_job_templates": "workflow_job_template", "workflow_job_template_nodes": "workflow_job_template_node",
    "workflow_approval_templates": "workflow_approval_template", "labels": "label",
    "instance_groups": "instance_group", "notification_templates": "notification_template",
}
UNIFIED = ("job_templates", "workflow_job_templates", "workflow_approval_templates")


class FakeAWX:
    def __init__(self):
        self.objects = {name: [] for name in TYPES}
        self.surveys = {}  # (collection, id) -> spec
        self.associations = {}  # (collection, id, relation) -> [ids]
        self.requests = []  # (method, path) of every call
        self._next_id = 1
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # --- what a test seeds and reads ---------------------------------------------------------

    def add(self, collection, **fields):
        with self._lock:
            return self._create(collection, fields)

    def named(self, collection, name):
        return next(o for o in self.objects[collection] if o.get("name") == name)

    def related_ids(self, collection, obj_id, relation):
        return list(self.associations.get((collection, obj_id, relation), []))

    def survey(self, collection, obj_id):
        return self.surveys.get((collection, obj_id))

    # --- the store -----------------------------------------------------------------------------

    def _create(self, collection, fields):
        obj = dict(fields, id=self._next_id, type=TYPES[collection])
        self._next_id += 1
        obj["url"] = "%s%s/%d/" % (PREFIX, collection, obj["id"])
        obj["related"] = {"survey_spec": obj["url"] + "survey_spec/"}
        self.objects[collection].append(obj)
        return obj

    def _list(self, collection):
        if collection == "unified_job_templates":
            return [o for c in UNIFIED for o in self.objects[c]]
        return self.objects[collection]

    @staticmethod
    def _matches(obj, query):
        ors = {k[4:]: v for k, v in query.items() if k.startswith("or__")}
        if ors and not any(str(obj.get(k)) == v for k, v in ors.items()):
            return False
        for key, value in query.items():
            if key.startswith("or__") or key in ("page_size", "page", "order_by"):
                continue
            if str(obj.get(key)) != value:
                return False
        return True

    def _find(self, collection, obj_id):
        return next((o for o in self._list(collection) if o["id"] == obj_id), None)

    def handle(self, method, path, query, body):
        self.requests.append((method, path))
        parts = [p for p in path[len(PREFIX):].split("/") if p]
        if not path.startswith(PREFIX) or not parts:
            return 200, {"current_version": PREFIX}
        collection = parts[0]
        if collection not in TYPES and collection != "unified_job_templates":
            return 404, {"detail": "unknown endpoint %s" % path}
        if len(parts) == 1:
            if method == "GET":
                found = [o for o in self._list(collection) if self._matches(o, query)]
                return 200, {"count": len(found), "next": None, "previous": None, "results": found}
            if method == "POST":
                return 201, self._create(collection, body)
        obj = self._find(collection, int(parts[1]))
        if obj is None:
            return 404, {"detail": "not found"}
        if len(parts) == 2:
            if method == "GET":
                return 200, obj
            if method == "PATCH":
                obj.update(body)
                return 200, obj
            if method == "DELETE":
                self.objects[collection].remove(obj)
                return 204, None
        sub = parts[2]
        if sub == "survey_spec":
            if method == "GET":
                return 200, self.surveys.get((collection, obj["id"]), {})
            if method == "POST":
                self.surveys[(collection, obj["id"])] = body
                return 200, {}
            if method == "DELETE":
                self.surveys.pop((collection, obj["id"]), None)
                return 200, {}
        if sub == "create_approval_template" and method == "POST":
            template = self._create("workflow_approval_templates", body)
            obj["unified_job_template"] = template["id"]
            obj["related"]["unified_job_template"] = template["url"]
            return 201, template
        key = (collection, obj["id"], sub)
        if method == "GET":
            ids = self.associations.get(key, [])
            results = [{"id": i} for i in ids]
            return 200, {"count": len(results), "next": None, "previous": None, "results": results}
        if method == "POST":
            ids = self.associations.setdefault(key, [])
            if body.get("disassociate"):
                ids.remove(body["id"])
            elif body["id"] not in ids:
                ids.append(body["id"])
            return 204, None
        return 405, {"detail": "%s not allowed on %s" % (method, path)}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self, method):
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                with fake._lock:
                    status, payload = fake.handle(method, url.path, dict(parse_qsl(url.query)), body)
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-API-Product-Name", "AWX")
                self.send_header("X-API-Product-Version", "24.6.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def do_PATCH(self):
                self._serve("PATCH")

            def do_DELETE(self):
                self._serve("DELETE")

        return Handler
