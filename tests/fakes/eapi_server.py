"""A small fake Arista EOS device speaking eAPI (JSON-RPC ``runCmds`` over HTTP on /command-api),
which is what the ``httpapi`` connection of ``arista.eos`` talks to.

It keeps a running configuration as an indented tree and applies configuration the way the
EOS CLI does for what the collection sends: mode-entering commands (``router bgp``,
``address-family``, ``ip prefix-list``, ``route-map``, ``peer-filter``), ``no <command>``
removing the matching line or block, ``exit``. Configuration sessions: ``configure session
<name>`` works on a copy; ``commit`` applies it; ``commit timer hh:mm:ss`` applies it pending
confirmation (a second ``commit`` of the same session confirms, ``abort`` or the timer
expiring restores the configuration from before); ``abort`` of an open session drops it.
Show commands answered from that state: ``show running-config`` (text), ``show version``,
``show hostname``, ``show configuration sessions``, ``show ip bgp summary`` and
``show ipv6 bgp summary`` (JSON; each configured neighbour, in a peer group or with its own
``remote-as``, is Established unless the test set another state for it), and ``show ip|ipv6
bgp neighbors <peer> advertised-routes`` (JSON ``bgpRouteEntries``: the prefixes the test put
in ``advertised[peer]``).

Listens on 127.0.0.1 only; ``close()`` stops it. Every request is kept in ``requests`` so
tests can assert the exact command sequence.
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOP_MODES = ("router bgp ", "ip prefix-list ", "ipv6 prefix-list ", "route-map ", "peer-filter ")
SUB_MODES = ("address-family ",)
TIMER_RE = re.compile(r"^commit timer (\d+):(\d+):(\d+)$")
PASSWORD_RE = re.compile(r"^(neighbor \S+ )password (?!7 )(\S+)$")


def parse_config(text):
    # The device keeps its own parser on purpose: a fake that read configuration with the
    # push module's parser (module_utils/cli_tor_config.py) would share that parser's mistakes.
    root = []
    stack = [(-1, root)]
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("!") or stripped == "end":
            continue
        depth = len(raw) - len(raw.lstrip(" "))
        while stack[-1][0] >= depth:
            stack.pop()
        node = [stripped, []]
        stack[-1][1].append(node)
        stack.append((depth, node[1]))
    return root


def dump_config(tree, depth=0):
    lines = []
    for line, children in tree:
        lines.append("   " * depth + line)
        lines += dump_config(children, depth + 1)
        if depth == 0:
            lines.append("!")
    return lines


class FakeEos:
    def __init__(self, running, hostname="tor1"):
        self.running = parse_config(running)
        self.hostname = hostname
        self.sessions = {}  # name -> candidate tree
        self.pending = {}  # name -> (previous running, timer)
        self.peer_states = {}  # ip -> state other than Established
        self.advertised = {}  # neighbour ip -> [prefixes] it is sent
        self.requests = []  # [[command, ...], ...]
        self.lock = threading.RLock()  # the commit timer rolls back from its own thread
        self._mode = None  # (session name, stack of child lists)
        # Tests: in the next request that opens a configuration session, refuse the command with
        # this index, as EOS refuses a command: the ones before it ran, the request stops there.
        self.fail_session_command = None

    # --- configuration ------------------------------------------------------------
    def _apply(self, command):
        session, stack = self._mode
        if command == "exit":
            if len(stack) > 1:
                stack.pop()
            return
        if command == "end":
            self._mode = (session, [stack[0]])
            return
        if command.startswith(TOP_MODES):
            del stack[1:]
        if command.startswith("no "):
            target = command[3:]
            stack[-1][:] = [n for n in stack[-1] if not (n[0] == target or n[0].startswith(target + " "))]
            return
        # EOS keeps BGP passwords encrypted ("password 7 <cipher>"); base64 stands in for it.
        clear = PASSWORD_RE.match(command)
        if clear:
            command = "%spassword 7 %s" % (clear.group(1), base64.b64encode(clear.group(2).encode()).decode())
            stack[-1][:] = [n for n in stack[-1] if not n[0].startswith(clear.group(1) + "password ")]
        node = next((n for n in stack[-1] if n[0] == command), None)
        if node is None:
            node = [command, []]
            stack[-1].append(node)
        if command.startswith(TOP_MODES) or command.startswith(SUB_MODES):
            stack.append(node[1])

    def _rollback(self, name):
        with self.lock:
            previous, timer = self.pending.pop(name, (None, None))
            if previous is not None:
                timer.cancel()
                self.running = previous

    def run(self, command, output):
        """One command; returns the eAPI result object."""
        if isinstance(command, dict):
            command = command["cmd"]
        command = command.strip()
        if self._mode is not None and not command.startswith(("commit", "abort", "show ", "configure session")):
            self._apply(command)
            return {}
        if command == "enable":
            return {}
        if command.startswith("configure session "):
            name = command.split()[2]
            if name not in self.sessions and name not in self.pending:
                self.sessions[name] = copy.deepcopy(self.running)
            tree = self.sessions.get(name)
            self._mode = (name, [tree]) if tree is not None else (name, [[]])
            return {}
        if command in ("commit", "abort") or TIMER_RE.match(command):
            name = self._mode[0] if self._mode else None
            self._mode = None
            if name in self.pending:  # a commit waiting for confirmation
                if command == "commit":
                    self.pending.pop(name)[1].cancel()
                else:
                    self._rollback(name)
                return {}
            candidate = self.sessions.pop(name, None)
            if command == "abort" or candidate is None:
                return {}
            previous = self.running
            self.running = candidate
            timer_match = TIMER_RE.match(command)
            if timer_match:
                hours, minutes, seconds = (int(x) for x in timer_match.groups())
                timer = threading.Timer(hours * 3600 + minutes * 60 + seconds, self._rollback, [name])
                timer.daemon = True
                self.pending[name] = (previous, timer)
                timer.start()
            return {}
        return self.show(command, output)

    # --- show commands ------------------------------------------------------------
    def show(self, command, output):
        if command == "show running-config":
            text = "\n".join(["! Command: show running-config", f"hostname {self.hostname}", "!"]
                             + dump_config(self.running) + ["end"])
            return {"output": text + "\n"} if output == "text" else {"cmds": {}}
        if command == "show version":
            return {"version": "4.30.1F-fake", "modelName": "vEOS-fake"}
        if command == "show hostname":
            return {"hostname": self.hostname, "fqdn": self.hostname}
        if command == "show configuration sessions":
            return {"sessions": {name: {"state": "pending"} for name in list(self.sessions) + list(self.pending)}}
        if command in ("show ip bgp summary", "show ipv6 bgp summary"):
            return {"vrfs": {"default": {"peers": self._peers(6 if "ipv6" in command else 4)}}}
        advertised = re.match(r"^show (?:ip|ipv6) bgp neighbors (\S+) advertised-routes$", command)
        if advertised:
            entries = {p: {"address": p.split("/")[0], "maskLength": int(p.split("/")[1])}
                       for p in self.advertised.get(advertised.group(1), [])}
            return {"vrfs": {"default": {"routerId": "10.255.0.1", "bgpRouteEntries": entries}}}
        raise ValueError(f"fake EOS does not know {command!r}")

    def _peers(self, family):
        router = next((children for line, children in self.running if line.startswith("router bgp ")), [])
        asn_of = {}
        members = {}
        for line, _children in router:
            words = line.split()
            if words[:1] == ["neighbor"] and len(words) == 4 and words[2] == "remote-as":
                asn_of[words[1]] = words[3]
            if words[:1] == ["neighbor"] and len(words) == 5 and words[2:4] == ["peer", "group"]:
                members[words[1]] = words[4]
        peers = {}
        # Peer group members, and neighbours with their own remote-as (a group name is no address).
        direct = {a: None for a in asn_of if a not in members and re.fullmatch(r"[0-9a-fA-F.:]+", a)}
        for address, group in dict(direct, **members).items():
            if ipaddress.ip_address(address).version != family:
                continue
            peers[address] = {"peerState": self.peer_states.get(address, "Established"),
                              "asn": asn_of.get(address) or asn_of.get(group)}
        return peers

    # --- JSON-RPC -------------------------------------------------------------------
    def handle(self, request):
        params = request.get("params") or {}
        output = params.get("format", "json")
        commands = params.get("cmds") or []
        self.requests.append([c["cmd"] if isinstance(c, dict) else c for c in commands])
        results = []
        names = [c["cmd"] if isinstance(c, dict) else c for c in commands]
        refuse = None
        if self.fail_session_command is not None and any(n.startswith("configure session ") for n in names):
            refuse, self.fail_session_command = self.fail_session_command, None
        with self.lock:
            try:
                for index, command in enumerate(commands):
                    if index == refuse:
                        self._mode = None  # an eAPI request that fails leaves configuration mode
                        raise ValueError("CLI command %d of %d '%s' failed: invalid command (injected by the test)"
                                         % (index + 1, len(names), names[index]))
                    results.append(self.run(command, output))
            except ValueError as err:
                return {"jsonrpc": "2.0", "id": request.get("id"),
                        "error": {"code": 1002, "message": str(err), "data": results + [{"errors": [str(err)]}]}}
        return {"jsonrpc": "2.0", "id": request.get("id"), "result": results}


class EapiServer:
    """``FakeEos`` behind an HTTP server on 127.0.0.1:<free port>."""

    def __init__(self, device):
        self.device = device
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                reply = json.dumps(outer.device.handle(body)).encode()
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
        for _previous, timer in self.device.pending.values():
            timer.cancel()
