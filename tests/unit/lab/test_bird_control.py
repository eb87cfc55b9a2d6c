"""The node-side verify reader: BIRD's control-socket protocol, spoken to a socket server that
replies with the bytes a real BIRD 1.6.8 sent for `show protocols all` (captured in the lab)."""

import os
import socket
import threading

import pytest

from ansible_collections.onprem.calico.plugins.module_utils import bird_control
from ansible_collections.onprem.calico.plugins.modules.calico_bird_status import sockets_to_read

# BIRD 1.6.8, two BGP protocols named as calico-node names them (one Active, one Passive), one
# Established, plus the device and kernel protocols.
SHOW_PROTOCOLS_ALL = (
    "2002-name     proto    table    state  since       info\n"
    "1002-device1  Device   master   up     15:18:08    \n"
    "1006-  Preference:     240\n"
    "   Input filter:   ACCEPT\n"
    "   Output filter:  REJECT\n"
    " \n"
    "1002-kernel1  Kernel   master   up     15:18:08    \n"
    "1006-  Preference:     10\n"
    " \n"
    "1002-Node_10_0_0_2 BGP      master   start  15:18:08    Active        \n"
    "1006-  Preference:     100\n"
    "   Input filter:   ACCEPT\n"
    "   Output filter:  REJECT\n"
    "   BGP state:          Active\n"
    "     Neighbor address: 10.0.0.2\n"
    "     Neighbor AS:      65001\n"
    "     Connect delay:    1/2\n"
    " \n"
    "1002-Mesh_10_0_0_3 BGP      master   start  15:18:08    Passive       \n"
    "1006-  Preference:     100\n"
    "   BGP state:          Passive\n"
    "     Neighbor address: 10.0.0.3\n"
    "     Neighbor AS:      64512\n"
    " \n"
    "1002-Node_fd00__1 BGP      master   up     15:18:09    Established   \n"
    "1006-  Preference:     100\n"
    "   BGP state:          Established\n"
    "     Neighbor address: fd00::1\n"
    "     Neighbor AS:      65001\n"
    " \n"
    "0000 \n"
)


class FakeBird:
    """A Unix socket speaking BIRD's control protocol: greeting, then one canned reply per command."""

    def __init__(self, path, replies):
        self.path, self.replies, self.commands = path, replies, []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(4)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn = self.server.accept()[0]
            except OSError:
                return
            with conn, conn.makefile("rw", encoding="utf-8") as stream:
                stream.write("0001 BIRD 1.6.8 ready.\n")
                stream.flush()
                for line in stream:
                    self.commands.append(line.strip())
                    stream.write(self.replies.get(line.strip(), "9001 syntax error\n"))
                    stream.flush()

    def close(self):
        self.server.close()


@pytest.fixture
def bird(tmp_path):
    servers = []

    def start(name="bird.ctl", replies=None):
        server = FakeBird(str(tmp_path / name), replies or {"show protocols all": SHOW_PROTOCOLS_ALL})
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def test_sessions_by_neighbour_address_from_a_real_bird_reply():
    lines = bird_control.read_reply(iter(SHOW_PROTOCOLS_ALL.splitlines(True)).__next__)
    protocols = bird_control.parse_protocols_all(lines)
    assert set(protocols) == {"Node_10_0_0_2", "Mesh_10_0_0_3", "Node_fd00__1"}  # BGP only
    assert protocols["Node_10_0_0_2"] == {"state": "Active", "neighbor": "10.0.0.2", "asn": 65001}
    assert bird_control.sessions_by_peer(protocols) == {
        "10.0.0.2": "Active", "10.0.0.3": "Passive", "fd00::1": "Established"}


def test_reply_errors_and_truncation_are_errors():
    with pytest.raises(bird_control.BirdError, match="9001"):
        bird_control.read_reply(iter(["9001 syntax error\n"]).__next__)
    with pytest.raises(bird_control.BirdError, match="closed"):
        bird_control.read_reply(iter(["1002-Node_1 BGP master up\n", ""]).__next__)


def test_reads_over_the_socket_like_birdc(bird):
    server = bird()
    sessions, errors, greetings = bird_control.read_sessions([server.path])
    assert errors == {}
    assert greetings == {server.path: "BIRD 1.6.8 ready."}
    assert sessions["10.0.0.2"] == "Active" and sessions["fd00::1"] == "Established"
    assert server.commands == ["show protocols all"]


def test_a_missing_socket_is_reported_not_raised(bird, tmp_path):
    server = bird()
    missing = str(tmp_path / "bird6.ctl")
    sessions, errors = bird_control.read_sessions([server.path, missing])[:2]
    assert "10.0.0.3" in sessions
    assert list(errors) == [missing] and "cannot connect" in errors[missing]


def test_wait_until_the_planned_peers_are_established():
    readings = iter([({"10.0.0.2": "Active"}, {}, {}), ({"10.0.0.2": "Established"}, {}, {})])
    clock = iter([0.0, 1.0, 2.0, 3.0]).__next__
    reading = bird_control.wait_for_peers(lambda: next(readings), ["10.0.0.2"], 30, clock=clock, sleep=lambda s: None)
    sessions, waited = reading[0], reading[3]
    assert sessions == {"10.0.0.2": "Established"} and waited == 2.0


def test_wait_gives_up_after_the_timeout_with_the_last_reading():
    clock = iter([0.0, 5.0, 11.0]).__next__
    reading = bird_control.wait_for_peers(lambda: ({"10.0.0.2": "Connect"}, {}, {}), ["10.0.0.2"], 10,
                                          clock=clock, sleep=lambda s: None)
    sessions, waited = reading[0], reading[3]
    assert sessions == {"10.0.0.2": "Connect"} and waited == 11.0


def test_bird6_socket_only_when_ipv6_is_expected_or_present(tmp_path):
    v4, v6 = str(tmp_path / "bird.ctl"), str(tmp_path / "bird6.ctl")
    assert sockets_to_read(["10.0.0.2"], v4, v6) == [v4]
    assert sockets_to_read(["10.0.0.2", "fd00::1"], v4, v6) == [v4, v6]
    open(v6, "w").close()
    assert sockets_to_read(["10.0.0.2"], v4, v6) == [v4, v6]
    assert os.path.exists(v6)


def test_routes_are_reported_once_two_readings_agree():
    from ansible_collections.onprem.calico.plugins.module_utils.kernel_routes import settled

    # The rack's second ToR's routes arrive a moment after its session is Established.
    readings = iter([["via tor1a"], ["via tor1a", "via tor1b"], ["via tor1a", "via tor1b"], ["never read"]])
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    assert settled(lambda: next(readings), timeout=30, interval=1.0, clock=lambda: now[0], sleep=sleep) == ["via tor1a", "via tor1b"]
    assert now[0] == 2.0
    # Routes that keep changing: the last reading when the time is up, never later.
    counter = iter(range(100))
    now[0] = 0.0
    assert settled(lambda: next(counter), timeout=5, interval=1.0, clock=lambda: now[0], sleep=sleep) == 5
