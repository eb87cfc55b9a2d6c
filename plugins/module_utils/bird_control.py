# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""calico-node's BGP sessions read from its BIRD control sockets (what ``birdc`` speaks).

Standard library only; runs on the nodes. calico-node runs BIRD (IPv4) and BIRD6 with their
control sockets in /var/run/calico, a directory it mounts from the host, so any node can be
asked without entering the container and without birdc installed.

The protocol: BIRD greets with ``0001 BIRD <version> ready.``; each command is one line, and the
reply is a series of lines ``NNNN-text`` (more to come), `` text`` (continuation of the previous
code) and ends with a line ``NNNN text`` (code, then a space). Codes 8xxx and 9xxx are errors.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
import socket
import time

CALICO_SOCKETS = {4: "/var/run/calico/bird.ctl", 6: "/var/run/calico/bird6.ctl"}
ESTABLISHED = "Established"

_CODE_RE = re.compile(r"^(\d{4})([ -])(.*)$")
# A protocol row of "show protocols": name, protocol, table, state, then since and info (the
# BGP state of a BGP protocol is read from its "BGP state:" detail line instead).
_ROW_RE = re.compile(r"^(?P<name>\S+)\s+(?P<proto>\S+)\s+(?P<table>\S+)\s+(?P<state>up|down|start|stop|feed|flush)\b")


class BirdError(Exception):
    pass


def read_reply(readline):
    """Lines of one reply, without codes; ``readline()`` returns one line (str, '' at EOF)."""
    lines = []
    while True:
        line = readline()
        if not line:
            raise BirdError("BIRD closed the control socket in the middle of a reply")
        line = line.rstrip("\r\n")
        match = _CODE_RE.match(line)
        if not match:
            lines.append(line[1:] if line.startswith(" ") else line)
            continue
        code, separator, text = match.groups()
        if code[0] in "89":
            raise BirdError("BIRD error %s: %s" % (code, text.strip()))
        lines.append(text)
        if separator == " ":
            return lines


class BirdControl(object):
    """One connection to a BIRD control socket."""

    def __init__(self, path, timeout=5.0):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except (OSError, socket.error) as exc:
            self.sock.close()
            raise BirdError("cannot connect to %s: %s" % (path, exc))
        self.stream = self.sock.makefile("r", encoding="utf-8", errors="replace")
        self.greeting = " ".join(read_reply(self.stream.readline)).strip()

    def command(self, text):
        self.sock.sendall((text + "\n").encode("utf-8"))
        return read_reply(self.stream.readline)

    def close(self):
        self.stream.close()
        self.sock.close()


def parse_protocols_all(lines):
    """BGP protocols of ``show protocols all`` as {name: {"state", "neighbor", "asn"}}.

    ``state`` is the BGP state (Established, Active, Connect, Idle...) or "down" when the protocol
    is shut down; ``neighbor`` the neighbour address BIRD reports.
    """
    protocols, current = {}, None
    for line in lines:
        row = _ROW_RE.match(line)
        if row and not line.startswith(" "):
            current = None
            if row.group("proto") == "BGP":
                current = protocols.setdefault(row.group("name"), {
                    "state": ESTABLISHED if row.group("state") == "up" else row.group("state"),
                    "neighbor": None, "asn": None})
            continue
        if current is None:
            continue
        key, value = (line.strip().split(":", 1) + [""])[:2]
        value = value.strip()
        if key == "BGP state":
            current["state"] = value.split()[0] if value else current["state"]
        elif key == "Neighbor address":
            current["neighbor"] = _address(value)
        elif key == "Neighbor AS":
            current["asn"] = int(value) if value.isdigit() else None
    return protocols


def _address(text):
    text = text.split("%")[0].strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def sessions_by_peer(protocols):
    """{neighbour address: BGP state} from parse_protocols_all()."""
    return {p["neighbor"]: p["state"] for p in protocols.values() if p["neighbor"]}


def read_sessions(paths, connect=BirdControl):
    """Sessions of every socket in ``paths``: ({peer: state}, {path: error}, {path: greeting})."""
    sessions, errors, greetings = {}, {}, {}
    for path in paths:
        try:
            client = connect(path)
        except BirdError as exc:
            errors[path] = str(exc)
            continue
        try:
            greetings[path] = client.greeting
            sessions.update(sessions_by_peer(parse_protocols_all(client.command("show protocols all"))))
        except (BirdError, OSError, socket.error) as exc:
            errors[path] = str(exc)
        finally:
            client.close()
    return sessions, errors, greetings


def wait_for_peers(read, peers, timeout, interval=1.0, clock=time.monotonic, sleep=time.sleep):
    """Call ``read()`` (-> sessions, errors, greetings) until every address in ``peers`` is
    Established or ``timeout`` seconds pass; returns the last reading and the seconds waited."""
    wanted = {_address(p) for p in peers}
    start = clock()
    while True:
        sessions, errors, greetings = read()
        waited = clock() - start
        if all(sessions.get(p) == ESTABLISHED for p in wanted) or waited >= timeout:
            return sessions, errors, greetings, round(waited, 1)
        sleep(min(interval, max(timeout - waited, 0.1)))
