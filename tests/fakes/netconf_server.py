"""A fake Juniper Junos device speaking NETCONF over SSH, for tests of the Junos push through the
real ``ansible.netcommon.netconf`` connection and the ``junipernetworks.junos`` netconf plugin.

An SSH server (paramiko) with the ``netconf`` subsystem, base 1.0 framing (``]]>]]>``). The
device keeps an active and a candidate configuration (XML), a rollback history and a lock,
records every RPC it receives, and answers what the push and the verification use:
``get-software-information``, ``lock`` / ``unlock``, ``get-configuration`` (with a subtree
filter, or ``compare="rollback"`` as text), ``load-configuration`` (``action="replace"``
with ``replace="replace"`` / ``delete="delete"`` on elements, everything else merged, or
``rollback="N"``),
``commit-configuration`` (``check``, ``confirmed``, a plain confirming commit),
``discard-changes``, ``close-session`` and ``<command format="json">show bgp summary``.
Like Junos it stores an ``authentication-key`` as ``$9$`` text with a random salt, so loading
the same clear text twice changes the stored value. ``fail_commit_check`` makes the next
``commit check`` fail with an rpc-error, like a candidate Junos refuses.
"""

from __future__ import annotations

import copy
import difflib
import json
import random
import socket
import threading
import xml.etree.ElementTree as ET

import paramiko

BASE_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
EOM = b"]]>]]>"
CAPABILITIES = ("urn:ietf:params:netconf:base:1.0", "urn:ietf:params:netconf:capability:candidate:1.0",
                "urn:ietf:params:netconf:capability:confirmed-commit:1.0",
                "urn:ietf:params:netconf:capability:validate:1.0", "http://xml.juniper.net/netconf/junos/1.0")
SECRET_TAGS = ("authentication-key",)

# The $9$ alphabet and weights (the same public scheme the push decodes), for encoding here.
FAMILIES = ("QzF3n6/9CAtpu0O", "B1IREhcSyrleKvMW8LXx", "7N-dVbwsY2g4oaJZGUDj", "iHkq.mPf5T")
ALPHABET = "".join(FAMILIES)
RANDOM_AFTER_SALT = {char: 3 - family for family, chars in enumerate(FAMILIES) for char in chars}
WEIGHTS = ((1, 4, 32), (1, 16, 32), (1, 8, 32), (1, 64), (1, 32), (1, 4, 16, 128), (1, 32, 64))


def encode_secret(clear, rng=random):
    """Junos-style ``$9$`` text of ``clear`` with a random salt (as the router stores it)."""
    salt = rng.choice(ALPHABET)
    out = "$9$" + salt + "".join(rng.choices(ALPHABET, k=RANDOM_AFTER_SALT[salt]))
    previous = salt
    for index, char in enumerate(clear):
        code = ord(char)
        steps = []
        for weight in reversed(WEIGHTS[index % len(WEIGHTS)]):
            steps.insert(0, code // weight)
            code %= weight
        for step in steps:
            previous = ALPHABET[(ALPHABET.index(previous) + step + 1) % len(ALPHABET)]
            out += previous
    return out


def strip_ns(element):
    for node in element.iter():
        if isinstance(node.tag, str) and "}" in node.tag:
            node.tag = node.tag.split("}", 1)[1]
    return element


def _key(element):
    name = element.find("name")
    return (element.tag, name.text if name is not None else None)


def as_text(element, depth=0):
    """Junos curly-brace text of a configuration element's children ("show configuration")."""
    lines = []
    pad = "    " * depth
    for child in element:
        name = child.find("name")
        label = child.tag + (" " + name.text if name is not None else "")
        rest = [c for c in child if c.tag != "name"]
        if rest:
            holder = ET.Element("children")  # ElementTree keeps no parent links: a view, not a move
            holder.extend(rest)
            lines += [pad + label + " {"] + as_text(holder, depth + 1) + [pad + "}"]
        elif child.text and child.text.strip():
            value = child.text.strip()
            if child.tag in SECRET_TAGS:
                lines.append('%s%s "%s"; ## SECRET-DATA' % (pad, label, value))
            else:
                lines.append("%s%s %s;" % (pad, label, value))
        else:
            lines.append(pad + label + ";")
    return lines


class FakeJunos:
    """Device state; ``handle`` answers one RPC (an ``<rpc>`` element) with reply XML text."""

    def __init__(self, active_xml, hostname="tor1"):
        self.hostname = hostname
        self.active = strip_ns(ET.fromstring(active_xml))
        self._encode_secrets(self.active)
        self.candidate = copy.deepcopy(self.active)
        self.history = []  # rollback 1, 2, ...: the active configurations before each commit
        self.rpcs = []  # (tag, attributes, request XML) of every RPC, in order
        self.locked = False
        self.pending_confirm = None  # minutes of an unconfirmed "commit confirmed"
        self.fail_commit_check = None
        self.peer_states = {}  # address -> state shown by "show bgp summary" (default Establ)
        self.lock = threading.Lock()

    # ----- configuration edits
    def _encode_secrets(self, root):
        for tag in SECRET_TAGS:
            for element in root.iter(tag):
                if element.text and not element.text.startswith("$9$"):
                    element.text = encode_secret(element.text)

    def _merge(self, target, source, action):
        for child in source:
            match = next((c for c in target if _key(c) == _key(child)), None)
            if child.get("delete") == "delete":
                if match is not None:
                    target.remove(match)
                continue
            # Like Junos: with action="replace" only an element marked replace="replace" is swapped
            # whole; every other element is merged into the one with the same name.
            replace = action == "replace" and child.get("replace") == "replace"
            clean = copy.deepcopy(child)
            clean.attrib.pop("replace", None)
            if match is None:
                target.append(clean)
            elif replace or not len(child):
                target[list(target).index(match)] = clean
            else:
                self._merge(match, child, action)

    def load(self, request):
        if request.get("rollback") is not None:
            number = int(request.get("rollback"))
            self.candidate = copy.deepcopy(self.active if number == 0 else self.history[number - 1])
            return "<load-configuration-results><ok/></load-configuration-results>"
        configuration = request.find("configuration")
        if configuration is None or request.get("format", "xml") != "xml":
            raise RpcError("the fake loads XML configuration only")
        self._merge(self.candidate, configuration, request.get("action", "merge"))
        self._encode_secrets(self.candidate)
        return "<load-configuration-results><ok/></load-configuration-results>"

    def compare(self):
        before, after = as_text(self.active), as_text(self.candidate)
        lines = [line for line in difflib.unified_diff(before, after, lineterm="", n=1)
                 if not line.startswith(("---", "+++", "@@"))]
        return "\n".join(lines)

    def commit(self, request):
        if request.find("check") is not None:
            if self.fail_commit_check:
                message, self.fail_commit_check = self.fail_commit_check, None
                raise RpcError(message)
            return "<commit-results><routing-engine><name>re0</name><commit-check-success/></routing-engine></commit-results>"
        self.history.insert(0, copy.deepcopy(self.active))
        self.active = copy.deepcopy(self.candidate)
        confirmed = request.find("confirmed")
        self.pending_confirm = int(request.findtext("confirm-timeout") or 10) if confirmed is not None else None
        return "<commit-results><routing-engine><name>re0</name><commit-success/></routing-engine></commit-results>"

    # ----- answers
    def filtered(self, selection):
        """The active configuration restricted to a subtree filter."""
        def pick(source, wanted, out):
            for want in wanted:
                for child in source.findall(want.tag):
                    if len(want):
                        holder = ET.SubElement(out, child.tag)
                        pick(child, want, holder)
                    else:
                        out.append(copy.deepcopy(child))
        if selection is None or not len(selection):
            return copy.deepcopy(self.active)
        out = ET.Element("configuration")
        pick(self.active, selection, out)
        return out

    def bgp_summary(self):
        peers = []
        for group in self.active.iterfind("protocols/bgp/group"):
            for neighbor in group.iterfind("neighbor"):
                address = neighbor.findtext("name")
                asn = neighbor.findtext("peer-as") or self.active.findtext("routing-options/autonomous-system/as-number")
                peers.append({"peer-address": [{"data": address}], "peer-as": [{"data": asn}],
                              "peer-state": [{"data": self.peer_states.get(address, "Establ")}]})
        return json.dumps({"bgp-information": [{"bgp-peer": peers}]})

    def handle(self, rpc):
        operation = rpc[0]
        with self.lock:
            self.rpcs.append((operation.tag, dict(operation.attrib), ET.tostring(operation, encoding="unicode")))
            tag = operation.tag
            if tag == "get-software-information":
                return ("<software-information><host-name>%s</host-name><product-model>vqfx-10000</product-model>"
                        "<junos-version>21.4R1.12</junos-version></software-information>" % self.hostname)
            if tag == "lock":
                if self.locked:
                    raise RpcError("configuration database locked by another session")
                self.locked = True
                return "<ok/>"
            if tag == "unlock":
                self.locked = False
                return "<ok/>"
            if tag == "discard-changes":
                self.candidate = copy.deepcopy(self.active)
                return "<ok/>"
            if tag == "close-session":
                return "<ok/>"
            if tag == "get-configuration":
                if operation.get("compare") == "rollback":
                    text = self.compare()
                    return ("<configuration-information><configuration-output>%s</configuration-output>"
                            "</configuration-information>" % _escape(text))
                return ET.tostring(self.filtered(operation.find("configuration")), encoding="unicode")
            if tag == "load-configuration":
                return self.load(operation)
            if tag == "commit-configuration":
                return self.commit(operation)
            if tag == "command" and (operation.text or "").startswith("show bgp summary"):
                return _escape(self.bgp_summary())
            raise RpcError("syntax error: %s is not an RPC the fake knows" % tag)


def _escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class RpcError(Exception):
    pass


class _Server(paramiko.ServerInterface):
    def __init__(self, on_subsystem):
        self.on_subsystem = on_subsystem

    def check_auth_password(self, username, password):
        return paramiko.AUTH_SUCCESSFUL if (username, password) == ("admin", "admin") else paramiko.AUTH_FAILED

    def check_auth_publickey(self, username, key):
        return paramiko.AUTH_FAILED

    def get_allowed_auths(self, username):
        return "password"

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_subsystem_request(self, channel, name):
        if name != "netconf":
            return False
        threading.Thread(target=self.on_subsystem, args=(channel,), daemon=True).start()
        return True


class NetconfServer:
    """Listens on 127.0.0.1:<port>; one thread per SSH connection."""

    def __init__(self, device):
        self.device = device
        self.host_key = paramiko.RSAKey.generate(2048)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.session_ids = iter(range(100, 10_000))
        self.transports = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                client = self.sock.accept()[0]
            except OSError:
                return
            transport = paramiko.Transport(client)
            transport.add_server_key(self.host_key)
            self.transports.append(transport)
            transport.start_server(server=_Server(self._serve))

    def _serve(self, channel):
        hello = ('<?xml version="1.0" encoding="UTF-8"?><hello xmlns="%s"><capabilities>%s</capabilities>'
                 "<session-id>%d</session-id></hello>" % (
                     BASE_NS, "".join("<capability>%s</capability>" % c for c in CAPABILITIES), next(self.session_ids)))
        channel.sendall(hello.encode() + EOM)
        buffer, session_open = b"", True
        while session_open:
            data = channel.recv(65536)
            if not data:
                break
            buffer += data
            while session_open and EOM in buffer:
                message, buffer = buffer.split(EOM, 1)
                session_open = self._answer(channel, message)
        try:
            channel.close()
        except (EOFError, OSError):
            pass  # the client hung up first

    def _answer(self, channel, message):
        root = strip_ns(ET.fromstring(message.decode().strip()))
        if root.tag == "hello":
            return True
        message_id = root.get("message-id", "")
        try:
            body = self.device.handle(root)
        except RpcError as err:
            body = ("<rpc-error><error-type>application</error-type><error-tag>operation-failed</error-tag>"
                    "<error-severity>error</error-severity><error-message>%s</error-message></rpc-error>"
                    % _escape(str(err)))
        reply = '<rpc-reply xmlns="%s" xmlns:junos="http://xml.juniper.net/junos/21.4R1/junos" message-id="%s">%s</rpc-reply>' % (
            BASE_NS, message_id, body)
        channel.sendall(reply.encode() + EOM)
        return root[0].tag != "close-session"

    def close(self):
        self.sock.close()
        for transport in self.transports:
            transport.close()
