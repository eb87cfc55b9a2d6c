"""A small fake Cisco NX-OS device speaking NX-API (``ins_api`` JSON over HTTP on /ins), which is
what the ``httpapi`` connection of ``cisco.nxos`` talks to.

Configuration (``cli_conf``) is applied the way the NX-OS CLI does for what the collection
sends: a command that the current mode does not accept leaves modes until one does
(``router bgp`` > ``template peer`` / ``neighbor`` > ``address-family``; ``route-map``),
``no <command>`` removes the matching line or block. Exec commands: ``checkpoint <name>``,
``no checkpoint <name>``, ``rollback running-config checkpoint <name>``. Show commands
answered from that state: ``show version``, ``show inventory``, ``show running-config``,
``show checkpoint summary`` (text) and ``show ip bgp summary`` / ``show bgp ipv6 unicast
summary`` (JSON in NX-OS's TABLE_/ROW_ form; every node neighbour is Established unless the
test set another state). BGP passwords are kept "encrypted" (``password 3 <hex>``).

Listens on 127.0.0.1 only; every request's commands are kept in ``requests``.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from eapi_server import parse_config

ACCEPTS = {
    "root": ("router bgp ", "route-map ", "ip prefix-list ", "ipv6 prefix-list ", "ip as-path ", "hostname "),
    "bgp": ("template peer ", "neighbor ", "bestpath ", "router-id ", "address-family "),
    "peer": ("inherit peer ", "remote-as ", "description ", "password ", "timers ", "ttl-security ",
             "maximum-peers ", "address-family "),
    "peer-af": ("route-map ", "maximum-prefix ", "route-reflector-client"),
    "bgp-af": ("maximum-paths ",),
    "rmap": ("match ", "set "),
}
PASSWORD_RE = re.compile(r"^password (?!3 )(\S+)$")


def _kind(line, parent_kind):
    if line.startswith("router bgp "):
        return "bgp"
    if line.startswith("route-map "):
        return "rmap"
    if line.startswith(("template peer ", "neighbor ")) and parent_kind == "bgp":
        return "peer"
    if line.startswith("address-family "):
        return "peer-af" if parent_kind == "peer" else "bgp-af"
    return None


def dump_nxos(tree, depth=0):
    lines = []
    for line, children in tree:
        lines.append("  " * depth + line)
        lines += dump_nxos(children, depth + 1)
    return lines


class FakeNxos:
    def __init__(self, running, hostname="tor1"):
        self.running = parse_config(running)
        self.hostname = hostname
        self.checkpoints = {}  # name -> tree
        self.peer_states = {}
        self.requests = []
        self.lock = threading.Lock()
        # Tests: refuse the configuration command with this index (counted over every cli_conf
        # command from now on), as NX-OS refuses a command mid-batch: the ones before it stay applied.
        self.fail_config_command = None

    def configure(self, commands):
        stack = [("root", self.running)]
        for command in commands:
            bare = command[3:] if command.startswith("no ") else command
            while not bare.startswith(ACCEPTS[stack[-1][0]]) and len(stack) > 1:
                stack.pop()
            children = stack[-1][1]
            if command.startswith("no "):
                children[:] = [n for n in children if not (n[0] == bare or n[0].startswith(bare + " "))]
                continue
            clear = PASSWORD_RE.match(command)
            if clear:
                command = "password 3 " + clear.group(1).encode().hex()
                children[:] = [n for n in children if not n[0].startswith("password ")]
            node = next((n for n in children if n[0] == command), None)
            if node is None:
                node = [command, []]
                children.append(node)
            kind = _kind(command, stack[-1][0])
            if kind:
                stack.append((kind, node[1]))

    def exec_command(self, command):
        words = command.split()
        if words[0] == "checkpoint":
            self.checkpoints[words[1]] = copy.deepcopy(self.running)
            return ""
        if words[:2] == ["no", "checkpoint"]:
            self.checkpoints.pop(words[2], None)
            return ""
        if words[:3] == ["rollback", "running-config", "checkpoint"]:
            self.running = copy.deepcopy(self.checkpoints[words[3]])
            return "Rollback completed successfully."
        return None

    def show(self, command):
        if command == "show version":
            return "Cisco Nexus Operating System (NX-OS) Software\n  NXOS: version 10.3(2) [fake]\n"
        if command == "show inventory":
            return 'NAME: "Chassis", DESCR: "Nexus9000 C93180YC-FX Chassis"\nPID: N9K-C93180YC-FX\n'
        if command == "show running-config":
            return "\n".join(["!Command: show running-config", f"hostname {self.hostname}"]
                             + dump_nxos(self.running)) + "\n"
        if command == "show checkpoint summary":
            out = ["User Checkpoint Summary", "-" * 80]
            for index, name in enumerate(self.checkpoints, start=1):
                out += [f"{index}) {name}:", "Created by admin", "Description: None", ""]
            return "\n".join(out) + "\n"
        if command in ("show ip bgp summary", "show bgp ipv6 unicast summary"):
            return self._summary(6 if "ipv6" in command else 4)
        raise ValueError(f"fake NX-OS does not know {command!r}")

    def _summary(self, family):
        router = next((children for line, children in self.running if line.startswith("router bgp ")), [])
        templates = {line.split()[2]: children for line, children in router if line.startswith("template peer ")}

        def remote_as(children):
            return next((line.split()[1] for line, _c in children if line.startswith("remote-as ")), None)
        rows = []
        for line, children in router:
            if not line.startswith("neighbor ") or "/" in line.split()[1]:
                continue
            address = line.split()[1]
            if ipaddress.ip_address(address).version != family:
                continue
            template = next((c[0].split()[2] for c in children if c[0].startswith("inherit peer ")), None)
            asn = remote_as(children) or remote_as(templates.get(template, []))
            state = self.peer_states.get(address, "Established")
            rows.append({"neighborid": address, "neighboras": asn, "state": "3" if state == "Established" else state})
        return {"TABLE_vrf": {"ROW_vrf": {"vrf-name-out": "default", "TABLE_af": {"ROW_af": [
            {"TABLE_saf": {"ROW_saf": {"TABLE_neighbor": {"ROW_neighbor": rows}}}}]}}}}

    def handle(self, request):
        api = request["ins_api"]
        commands = [c.strip() for c in api["input"].split(" ;") if c.strip()]
        self.requests.append((api["type"], commands))
        outputs = []
        with self.lock:
            if api["type"] == "cli_conf":
                applied = commands
                if self.fail_config_command is not None and self.fail_config_command < len(commands):
                    applied = commands[:self.fail_config_command]
                elif self.fail_config_command is not None:
                    self.fail_config_command -= len(commands)
                self.configure(applied)
                outputs = [{"code": "200", "msg": "Success", "body": {}} for _c in applied]
                if applied is not commands:
                    self.fail_config_command = None
                    outputs.append({"code": "400", "msg": "Input CLI command error", "input": commands[len(applied)],
                                    "clierror": "% Invalid command (injected by the test)"})
            else:
                for command in commands:
                    result = self.exec_command(command)
                    if result is None:
                        try:
                            result = self.show(command)
                        except ValueError as err:
                            outputs.append({"code": "400", "msg": "Input CLI command error", "input": command,
                                            "clierror": str(err)})
                            break
                    outputs.append({"code": "200", "msg": "Success", "body": result})
        return {"ins_api": {"type": api["type"], "version": "1.0", "sid": "eoc",
                            "outputs": {"output": outputs if len(outputs) != 1 else outputs[0]}}}


class NxapiServer:
    """``FakeNxos`` behind an HTTP server on 127.0.0.1:<free port>."""

    def __init__(self, device):
        self.device = device
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                reply = json.dumps(outer.device.handle(json.loads(self.rfile.read(length) or b"{}"))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *_args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
