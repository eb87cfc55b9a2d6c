"""A reusable lab of network namespaces: switches (Linux bridges), FRR routers, BIRD nodes.

Each router or node is one network namespace; a switch is a bridge inside its own namespace
so nothing is added to the host's namespace. FRR runs zebra + bgpd per namespace with its
own vty socket directory; BIRD 2 runs per namespace with its own control socket.

Usage::

    with NetLab("t1") as lab:
        lab.add_switch("r1")
        lab.add_host("tor1"); lab.attach("tor1", "r1", "10.0.1.1/24")
        lab.start_frr("tor1", "hostname tor1\\n")
        lab.vtysh("tor1", "show bgp summary json")

Teardown (``close()``, also on exceptions) kills every daemon the lab started by pid and
deletes its namespaces.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

FRR_BIN = "/usr/lib/frr"


def run(cmd, check=True, timeout=30):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed rc={proc.returncode}: {proc.stderr.strip()} {proc.stdout.strip()}")
    return proc


class NetLab:
    def __init__(self, tag: str):
        # Namespace and interface names must stay short (interfaces: 15 characters).
        self.tag = f"{tag}{os.getpid() % 10000}"
        # frr drops privileges: its run directories must be reachable by user frr, which
        # pytest's 0700 tmp_path is not.
        self.root = tempfile.mkdtemp(prefix=f"onprem-calico-{self.tag}-", dir="/tmp")
        os.chmod(self.root, 0o755)
        self.namespaces: list[str] = []
        self.pids: list[int] = []
        self.pidfiles: list[str] = []
        self._links = 0

    # --- topology -------------------------------------------------------------------
    def ns(self, name: str) -> str:
        return f"{self.tag}-{name}"

    def _add_ns(self, name: str) -> str:
        ns = self.ns(name)
        run(["ip", "netns", "add", ns])
        self.namespaces.append(ns)
        self.exec(name, "ip", "link", "set", "lo", "up")
        return ns

    def add_host(self, name: str, forwarding: bool = True) -> str:
        ns = self._add_ns(name)
        value = "1" if forwarding else "0"
        self.exec(name, "sysctl", "-qw", f"net.ipv4.ip_forward={value}")
        self.exec(name, "sysctl", "-qw", f"net.ipv6.conf.all.forwarding={value}")
        return ns

    def add_switch(self, name: str) -> str:
        ns = self._add_ns("sw-" + name)
        self.exec("sw-" + name, "ip", "link", "add", "br0", "type", "bridge")
        self.exec("sw-" + name, "ip", "link", "set", "br0", "up")
        return ns

    def _veth(self):
        self._links += 1
        return f"v{self._links}a", f"v{self._links}b"

    def attach(self, host: str, switch: str, address: str, ifname: str = "eth0"):
        """Connect ``host`` to ``switch`` with ``address`` (CIDR) on ``ifname``."""
        near, far = self._veth()
        run(["ip", "link", "add", near, "netns", self.ns(host), "type", "veth", "peer", "name", far,
             "netns", self.ns("sw-" + switch)])
        self.exec(host, "ip", "link", "set", near, "name", ifname)
        self.exec(host, "ip", "addr", "add", address, "dev", ifname)
        self.exec(host, "ip", "link", "set", ifname, "up")
        self.exec("sw-" + switch, "ip", "link", "set", far, "master", "br0")
        self.exec("sw-" + switch, "ip", "link", "set", far, "up")

    def link(self, a: str, a_addr: str, b: str, b_addr: str, a_if="uplink0", b_if="uplink0"):
        """A point-to-point veth between two hosts."""
        near, far = self._veth()
        run(["ip", "link", "add", near, "netns", self.ns(a), "type", "veth", "peer", "name", far,
             "netns", self.ns(b)])
        for host, dev, name, addr in ((a, near, a_if, a_addr), (b, far, b_if, b_addr)):
            self.exec(host, "ip", "link", "set", dev, "name", name)
            self.exec(host, "ip", "addr", "add", addr, "dev", name)
            self.exec(host, "ip", "link", "set", name, "up")

    def add_address(self, host: str, address: str, dev: str = "lo"):
        self.exec(host, "ip", "addr", "add", address, "dev", dev)

    # --- commands -------------------------------------------------------------------
    def exec_cmd(self, host: str) -> list[str]:
        return ["ip", "netns", "exec", self.ns(host)]

    def exec(self, host: str, *cmd, check=True, timeout=30):
        return run(self.exec_cmd(host) + list(cmd), check=check, timeout=timeout)

    def rundir(self, host: str) -> str:
        path = os.path.join(self.root, host)
        os.makedirs(path, exist_ok=True)
        return path

    # --- FRR ------------------------------------------------------------------------
    def vty_socket(self, host: str) -> str:
        return self.rundir(host)

    def start_frr(self, host: str, config: str):
        """zebra + bgpd in ``host``'s namespace, started from ``config`` (FRR syntax)."""
        rundir = self.rundir(host)
        shutil.chown(rundir, "frr", "frr")
        conf = os.path.join(rundir, "frr.conf")
        with open(conf, "w", encoding="utf-8") as handle:
            handle.write(config)
        shutil.chown(conf, "frr", "frr")
        zebra_conf = os.path.join(rundir, "zebra.conf")
        with open(zebra_conf, "w", encoding="utf-8") as handle:
            handle.write(f"hostname {host}\n")
        shutil.chown(zebra_conf, "frr", "frr")
        zapi = os.path.join(rundir, "zserv.api")
        for daemon in ("zebra", "bgpd"):
            pidfile = os.path.join(rundir, f"{daemon}.pid")
            self.exec(host, f"{FRR_BIN}/{daemon}", "-d", "-u", "frr", "-g", "frr", "-P", "0",
                      "--vty_socket", rundir, "-i", pidfile, "-z", zapi,
                      "-f", zebra_conf if daemon == "zebra" else conf)
            self.pidfiles.append(pidfile)
            self._wait_file(pidfile)
        self._wait_frr(host)

    def _wait_file(self, path, timeout=10):
        deadline = time.monotonic() + timeout
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{path} did not appear within {timeout}s")
            time.sleep(0.05)

    def _wait_frr(self, host, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            proc = self.exec(host, "vtysh", "--vty_socket", self.vty_socket(host), "-c", "show version",
                             check=False)
            if proc.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"FRR in {host} not answering: {proc.stderr}")
            time.sleep(0.1)

    def vtysh(self, host: str, *commands: str, check=True) -> str:
        cmd = ["vtysh", "--vty_socket", self.vty_socket(host)]
        for command in commands:
            cmd += ["-c", command]
        return self.exec(host, *cmd, check=check).stdout

    def vtysh_json(self, host: str, command: str):
        return json.loads(self.vtysh(host, command) or "{}")

    # --- BIRD -----------------------------------------------------------------------
    def start_bird(self, host: str, config: str):
        rundir = self.rundir(host)
        conf = os.path.join(rundir, "bird.conf")
        with open(conf, "w", encoding="utf-8") as handle:
            handle.write(config)
        pidfile = os.path.join(rundir, "bird.pid")
        self.exec(host, "bird", "-c", conf, "-s", os.path.join(rundir, "bird.ctl"), "-P", pidfile)
        self.pidfiles.append(pidfile)
        self._wait_file(pidfile)

    def reconfigure_bird(self, host: str, config: str):
        rundir = self.rundir(host)
        with open(os.path.join(rundir, "bird.conf"), "w", encoding="utf-8") as handle:
            handle.write(config)
        self.birdc(host, "configure")

    def birdc(self, host: str, command: str) -> str:
        return self.exec(host, "birdc", "-s", os.path.join(self.rundir(host), "bird.ctl"), command).stdout

    # --- reachability ---------------------------------------------------------------
    def tcp_probe(self, src_host: str, src_ip: str, dst_host: str, dst_ip: str, port: int = 7777,
                  timeout: float = 3.0) -> str:
        """Open a TCP connection src_ip -> dst_ip:port across the lab; returns the greeting.

        A one-shot listener in ``dst_host`` answers with its host name, so a reply proves the
        packets went there and back (no ping binary needed).
        """
        server_code = (
            "import socket,sys;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);"
            f"s.bind(({dst_ip!r},{port}));s.listen(1);s.settimeout({timeout});"
            f"c,_=s.accept();c.sendall(b'hello from {dst_host}');c.close()"
        )
        client_code = (
            "import socket,sys;s=socket.socket();s.settimeout(%r);s.bind((%r,0));s.connect((%r,%d));"
            "print(s.recv(100).decode())" % (timeout, src_ip, dst_ip, port)
        )
        server = subprocess.Popen(self.exec_cmd(dst_host) + ["python3", "-c", server_code],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(0.2)
            proc = self.exec(src_host, "python3", "-c", client_code, check=False, timeout=timeout + 5)
            return proc.stdout.strip() if proc.returncode == 0 else ""
        finally:
            try:
                server.wait(timeout=timeout + 2)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    # --- waiting --------------------------------------------------------------------
    @staticmethod
    def wait_for(predicate, timeout=30.0, interval=0.5, what="condition"):
        """Poll ``predicate`` until truthy; returns its value or raises after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(interval)

    # --- teardown -------------------------------------------------------------------
    def close(self):
        for pidfile in self.pidfiles:
            try:
                with open(pidfile, encoding="utf-8") as handle:
                    pid = int(handle.read().strip())
                os.kill(pid, signal.SIGTERM)
            except (OSError, ValueError):
                pass
        time.sleep(0.2)
        for ns in reversed(self.namespaces):
            run(["ip", "netns", "delete", ns], check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
