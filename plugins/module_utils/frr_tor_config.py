# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merge the collection-owned objects into an FRR router's running configuration.

Runs on the router (standard library only). ``frr-reload.py --reload`` makes the running
configuration equal a file, so the file must be the whole running configuration with only
the owned objects replaced:

* top level: ``ip prefix-list``, ``ipv6 prefix-list``, ``route-map`` and
  ``bgp as-path access-list`` named with the prefix;
* inside ``router bgp <asn>`` (default VRF): every ``neighbor`` line of a peer group named
  with the prefix, of its members and of the planned node addresses; ``bgp listen`` lines of
  those peer groups; ``bgp listen limit``; in its address families, ``aggregate-address`` lines
  naming a route map with the prefix (the rack aggregates of rack pools).

The router's identity and global behaviour are its own: ``bgp router-id`` and the graceful
restart timers are rendered for a router whose ``router bgp`` the push creates, and never
added to or changed on an existing one (a different router id stops the push, like another
AS). ECMP limits (``maximum-paths``) are never touched: they also govern the uplinks. Router-wide
lines a design needs (``bgp bestpath as-path multipath-relax`` for ``as_per_node``) are added
when the router lacks them and never removed; the result names them.

Everything else is kept byte for byte; ``frr-reload.py --test`` then proves that only
owned lines change before anything is applied.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shlex
import shutil
import tempfile
import time

from ansible_collections.onprem.calico.plugins.module_utils import fault_injection
from ansible_collections.onprem.calico.plugins.module_utils.cli_tor_config import ecmp_finding

ROUTER_BGP_RE = re.compile(r"^router bgp (\d+)\s*$")
ROUTER_WIDE_PREFIXES = ("bgp listen limit ",)
# Only for a router bgp the push creates; an existing router keeps its own (or none).
NEW_ROUTER_ONLY_PREFIXES = ("bgp router-id ", "bgp graceful-restart restart-time ", "bgp graceful-restart stalepath-time ")
# Needed by a design, shared with the rest of the router: added when missing, never removed.
ADDITIVE_ROUTER_LINES = ("bgp bestpath as-path multipath-relax",)
OWNED_ADDRESS_FAMILIES = ("address-family ipv4 unicast", "address-family ipv6 unicast")
CONTEXT_EXITS = ("exit", "exit-address-family", "exit-vrf", "end")
LOG_LINE_RE = re.compile(r"^\s*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+\s+[A-Z]+:")
# Anywhere in a line: vtysh -C quotes the rejected line after "line N: % Unknown command[..]:".
SECRET_RE = re.compile(r"^(.*?\bneighbor \S+ password )\S+(.*)$")
PASSWORD_RE = re.compile(r"^\s*neighbor \S+ password (\S+)")


class FrrConfigError(Exception):
    """The change cannot be made safely; the message says why and what to do."""


def redact(text):
    """The text with every neighbour password replaced, for diffs and messages."""
    return "\n".join(SECRET_RE.sub(r"\1********\2", line) for line in text.splitlines()) + (
        "\n" if text.endswith("\n") else ""
    )


def strip_show_header(text):
    """``show running-config`` output without the banner lines before the first '!'."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("Current configuration:"):
            lines = lines[index + 1:]
            break
    return "\n".join(lines).strip("\n") + "\n"


def split_chunks(text):
    """Top-level chunks: a line at column 0 plus its indented lines and closing 'exit'.

    '!' separators and a final 'end' are dropped; they carry no configuration.
    """
    chunks = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("!") or line == "end":
            continue
        if line[0] != " " and line not in ("exit",):
            chunks.append([line])
        elif chunks:
            chunks[-1].append(line)
        else:
            raise FrrConfigError("configuration starts with an indented line: %r" % line)
    return chunks


def _owned_top_level(line, prefix):
    words = line.split()
    if words[:1] == ["no"]:
        words = words[1:]
    if len(words) >= 3 and words[0] in ("ip", "ipv6") and words[1] == "prefix-list":
        return words[2].startswith(prefix)
    if len(words) >= 2 and words[0] == "route-map":
        return words[1].startswith(prefix)
    if len(words) >= 4 and words[:3] == ["bgp", "as-path", "access-list"]:
        return words[3].startswith(prefix)
    return False


def owned_neighbors(router_chunk, prefix, planned=()):
    """Peer groups named with the prefix, their members in ``router_chunk``, and ``planned``."""
    owned = set(planned)
    for line in router_chunk[1:]:
        words = line.split()
        if len(words) >= 2 and words[0] == "neighbor" and words[1].startswith(prefix):
            owned.add(words[1])
        if len(words) == 4 and words[0] == "neighbor" and words[2] == "peer-group" and words[3].startswith(prefix):
            owned.add(words[1])
    return owned


def owned_router_line(line, depth_context, prefix, neighbors):
    """Whether one line inside ``router bgp`` belongs to the collection.

    ``depth_context`` is '' for the router body or the address-family header for AF lines.
    """
    words = line.split()
    if words[:1] == ["no"]:
        words = words[1:]
    if not words:
        return False
    text = " ".join(words)
    if words[0] == "neighbor" and len(words) >= 2:
        return words[1] in neighbors or words[1].startswith(prefix)
    if words[0] == "aggregate-address" and "route-map" in words[:-1]:
        # A rack aggregate: the route map it names carries the prefix (rack pools).
        return words[words.index("route-map") + 1].startswith(prefix)
    if depth_context == "":
        if text.startswith("bgp listen range ") and words[-1].startswith(prefix):
            return True
        return text.startswith(ROUTER_WIDE_PREFIXES)
    return False


def _check_router_id(present, own_body):
    """A router id set on the router must be the plan's: the collection never changes it."""
    running_id = [line.split()[-1] for line in present if line.startswith("bgp router-id ")]
    planned_id = [line.split()[-1] for line in own_body if line.strip().startswith("bgp router-id ")]
    if running_id and planned_id and running_id[0] != planned_id[0]:
        raise FrrConfigError(
            "the router's bgp router-id is %s but the plan says %s; the collection never changes a router id: "
            "fix calico_tor_router_id or the router" % (running_id[0], planned_id[0]))


def router_wide_additions(running, owned):
    """The additive router-wide lines of ``owned`` that the running ``router bgp`` lacks."""
    own_router = [c for c in split_chunks(owned) if ROUTER_BGP_RE.match(c[0])]
    if not own_router:
        return []
    wanted = [line.strip() for line in _split_router(own_router[0])[1] if line.strip() in ADDITIVE_ROUTER_LINES]
    run_router = [c for c in split_chunks(strip_show_header(running)) if c[0] == own_router[0][0]]
    present = {line.strip() for line in _split_router(run_router[0])[1]} if run_router else set()
    return [line for line in wanted if line not in present]


def _split_router(chunk):
    """(header, body lines, [(af header line, af body lines, af exit line)], trailing lines)."""
    body, families, tail = [], [], []
    current = None
    for line in chunk[1:]:
        stripped = line.strip()
        if current is not None:
            current[1].append(line) if stripped != "exit-address-family" else None
            if stripped == "exit-address-family":
                families.append((current[0], current[1], line))
                current = None
            continue
        if stripped.startswith("address-family "):
            current = (line, [])
        elif line == "exit":
            tail.append(line)
        else:
            body.append(line)
    if current is not None:
        families.append((current[0], current[1], " exit-address-family"))
    return chunk[0], body, families, tail


def merge(running, owned, prefix):
    """The running configuration with the owned objects replaced by those of ``owned``.

    ``owned`` is the rendered artifact (what a fresh router needs). Raises FrrConfigError
    when the router runs BGP under another AS: the collection never changes a router's AS.
    """
    if not prefix:
        raise FrrConfigError("object_prefix is empty: the collection could not tell its objects apart")
    run_chunks = split_chunks(strip_show_header(running))
    own_chunks = split_chunks(owned)
    own_router = [c for c in own_chunks if ROUTER_BGP_RE.match(c[0])]
    if len(own_router) != 1:
        raise FrrConfigError("the rendered configuration must hold exactly one 'router bgp <asn>' block")
    own_router = own_router[0]
    own_asn = ROUTER_BGP_RE.match(own_router[0]).group(1)
    for chunk in own_chunks:
        if chunk is not own_router and not _owned_top_level(chunk[0], prefix):
            raise FrrConfigError("rendered line %r is not a %s* object" % (chunk[0], prefix))

    own_body, own_families = _split_router(own_router)[1:3]
    planned = owned_neighbors(own_router, prefix)

    out, placed = [], False
    for chunk in run_chunks:
        header = chunk[0]
        if _owned_top_level(header, prefix):
            continue
        match = ROUTER_BGP_RE.match(header)
        if header.startswith("router bgp ") and not header.startswith("router bgp %s" % own_asn):
            if match:
                raise FrrConfigError(
                    "the router runs '%s' but the plan says AS %s for it; the collection never changes "
                    "a router's AS: fix calico_tor_asn / the rack AS or the router" % (header, own_asn)
                )
            out.append(chunk)  # a VRF instance: not ours
            continue
        if not match:
            out.append(chunk)
            continue
        neighbors = owned_neighbors(chunk, prefix, planned)
        body, families, tail = _split_router(chunk)[1:]
        new = [header]
        kept_body = [line for line in body if not owned_router_line(line, "", prefix, neighbors)]
        present = {line.strip() for line in kept_body}
        _check_router_id(present, own_body)
        new += kept_body
        new += [line for line in own_body if not (line.strip() in ADDITIVE_ROUTER_LINES and line.strip() in present)
                and not line.strip().startswith(NEW_ROUTER_ONLY_PREFIXES)]
        own_by_af = {family[0].strip(): family[1] for family in own_families}
        seen = set()
        for af_header, af_lines, af_exit in families:
            key = af_header.strip()
            kept = [line for line in af_lines if not owned_router_line(line, key, prefix, neighbors)]
            kept += own_by_af.get(key, [])
            seen.add(key)
            if kept or key not in own_by_af:
                new += [af_header] + kept + [af_exit]
        for af_header, af_lines, af_exit in own_families:
            if af_header.strip() not in seen:
                new += [af_header] + af_lines + [af_exit]
        new += tail or ["exit"]
        out.append(new)
        placed = True
    if not placed:
        out.append(own_router)
    for chunk in own_chunks:
        if chunk is not own_router:
            out.append(chunk)
    text = []
    for chunk in out:
        text += chunk
        if len(chunk) > 1:
            text.append("!")
    if text[-1] != "!":
        text.append("!")
    return "\n".join(text) + "\nend\n"


def parse_reload_test(output):
    """(lines to delete, lines to add) from ``frr-reload.py --test``, each (context, line).

    ``context`` is the tuple of enclosing context lines (stripped), outermost first.
    """
    section = None
    result = {"delete": [], "add": []}
    stack = []
    for raw in output.splitlines():
        if LOG_LINE_RE.match(raw):
            continue
        if raw.strip() == "Lines To Delete":
            section, stack = "delete", []
            continue
        if raw.strip() == "Lines To Add":
            section, stack = "add", []
            continue
        if section is None or not raw.strip() or set(raw.strip()) == {"="}:
            continue
        depth = len(raw) - len(raw.lstrip(" "))
        stack = [entry for entry in stack if entry[0] < depth]
        context = tuple(entry[1] for entry in stack)
        result[section].append((context, raw.strip()))
        stack.append((depth, raw.strip()))
    # A context line printed only to introduce the next (deeper) line is not a change itself.
    for key, entries in result.items():
        result[key] = [
            entry for index, entry in enumerate(entries)
            if not (index + 1 < len(entries) and entries[index + 1][0][:len(entry[0]) + 1] == entry[0] + (entry[1],)
                    and len(entries[index + 1][0]) > len(entry[0]))
        ]
    return result["delete"], result["add"]


def foreign_changes(changes, prefix, neighbors, asn, router_created=False):
    """The (context, line) changes that touch something the collection does not own."""
    foreign = []
    for context, line in changes:
        bare = line[3:] if line.startswith("no ") else line
        if not context:
            if _owned_top_level(bare, prefix):
                continue
            if bare == "router bgp %s" % asn and router_created and not line.startswith("no "):
                continue
            foreign.append((context, line))
            continue
        if _owned_top_level(context[0], prefix):
            continue
        if context[0] == "router bgp %s" % asn:
            af = context[1] if len(context) > 1 else ""
            if len(context) <= 2 and owned_router_line(bare, af, prefix, neighbors):
                continue
            if len(context) == 1 and line in ADDITIVE_ROUTER_LINES:
                continue
            if len(context) == 1 and bare in OWNED_ADDRESS_FAMILIES:
                continue
            # The router's identity is the collection's only in a router bgp it creates.
            if len(context) == 1 and router_created and line.startswith(NEW_ROUTER_ONLY_PREFIXES):
                continue
        foreign.append((context, line))
    return foreign


def format_changes(changes):
    return [" / ".join(context + (redact(line).strip(),)) for context, line in changes]


# Where FRR keeps frr.conf and vtysh.conf on a router (Debian and upstream packages).
FRR_CONFDIR = "/etc/frr"


class FrrRouter:
    """Talks to the FRR daemons of one router through vtysh and frr-reload.py.

    ``run(argv) -> (rc, stdout, stderr)``: AnsibleModule.run_command on a router, or a
    wrapper (e.g. ``ip netns exec``) in tests.
    """

    def __init__(self, run, vtysh="vtysh", frr_reload="/usr/lib/frr/frr-reload.py", vty_socket=None,
                 python=None):
        self.run = run
        self.vtysh = vtysh
        self.frr_reload = frr_reload
        self.vty_socket = vty_socket
        self.python = python

    def _vtysh(self):
        cmd = [self.vtysh]
        if self.vty_socket:
            cmd += ["--vty_socket", self.vty_socket]
        return cmd

    def show(self, command):
        rc, out, err = self.run(self._vtysh() + ["-c", command])
        if rc != 0:
            raise FrrConfigError("vtysh -c %r failed (rc=%s): %s" % (command, rc, (err or out).strip()))
        return out

    def running_config(self):
        return strip_show_header(self.show("show running-config"))

    def check_file(self, path):
        rc, out, err = self.run([self.vtysh, "-C", "-f", path])
        if rc != 0:
            raise FrrConfigError("vtysh -C rejected the merged configuration: %s" % redact((out + err).strip()))

    def _reload_cmd(self, mode, path):
        cmd = [self.python] if self.python else []
        cmd += [self.frr_reload, mode, "--stdout", "--log-level", "critical",
                "--bindir", os.path.dirname(self._resolved_vtysh())]
        if self.vty_socket:
            cmd += ["--vty_socket", self.vty_socket]
        # frr-reload.py ends with "vtysh write" (integrated config into <confdir>/frr.conf) unless
        # the file it was given is that file. The candidate is named frr.conf in a private
        # directory given as --confdir, so the reload writes nothing else; persisting is
        # _persist()'s job (config_file), which also keeps namespaced test routers off /etc/frr.
        # vtysh then reads vtysh.conf from there too: give it the router's own, or "service
        # integrated-vtysh-config" would look like a change the collection does not own.
        confdir = os.path.dirname(os.path.abspath(path))
        vtysh_conf = os.path.join(FRR_CONFDIR, "vtysh.conf")
        if os.path.isfile(vtysh_conf) and not os.path.exists(os.path.join(confdir, "vtysh.conf")):
            shutil.copyfile(vtysh_conf, os.path.join(confdir, "vtysh.conf"))
        cmd += ["--confdir", confdir]
        return cmd + [path]

    def _resolved_vtysh(self):
        if os.path.isabs(self.vtysh):
            return self.vtysh
        for directory in os.environ.get("PATH", "/usr/bin").split(os.pathsep):
            candidate = os.path.join(directory, self.vtysh)
            if os.access(candidate, os.X_OK):
                return candidate
        return "/usr/bin/" + self.vtysh

    def reload_test(self, path):
        cmd = self._reload_cmd("--test", path)
        rc, out, err = self.run(cmd)
        if rc != 0:
            raise FrrConfigError("%s failed (rc=%s): %s" % (" ".join(map(shlex.quote, cmd[:2])), rc,
                                                            redact((err or out).strip())))
        return parse_reload_test(out)

    def reload(self, path):
        staged = _staged_as_frr_conf(path)
        try:
            cmd = self._reload_cmd("--reload", staged)
            rc, out, err = self.run(cmd)
        finally:
            _unstage(path, staged)
        if rc != 0:
            raise FrrConfigError("frr-reload.py --reload failed (rc=%s): %s" % (rc, redact((err or out).strip())))


def _staged_as_frr_conf(path):
    """``path`` itself when it is named frr.conf, else a private copy named frr.conf.

    See _reload_cmd: frr-reload.py writes <confdir>/frr.conf unless it was given that file.
    """
    if os.path.basename(path) == "frr.conf":
        return path
    workdir = tempfile.mkdtemp(prefix="onprem-calico-frr-")
    staged = os.path.join(workdir, "frr.conf")
    with open(path) as source:
        write_private(staged, source.read())
    return staged


def _unstage(path, staged):
    if staged != path:
        shutil.rmtree(os.path.dirname(staged), ignore_errors=True)


def write_private(path, content):
    """Write ``content`` to ``path`` atomically with mode 0600 (it may hold the BGP password)."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(content)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _persist(config_file, content):
    """Save the applied configuration where FRR reads it at start, keeping its owner."""
    if not config_file:
        return
    owner = None
    if os.path.exists(config_file):
        stat = os.stat(config_file)
        owner = (stat.st_uid, stat.st_gid)
    write_private(config_file, content)
    if owner:
        os.chown(config_file, owner[0], owner[1])


def _prune_backups(backup_dir, keep):
    backups = sorted(f for f in os.listdir(backup_dir) if f.startswith("frr-") and f.endswith(".conf"))
    for name in backups[:-keep] if keep > 0 else []:
        os.unlink(os.path.join(backup_dir, name))


def neighbor_passwords(text):
    """The neighbour passwords a configuration holds."""
    return {m.group(1) for m in (PASSWORD_RE.match(line) for line in text.splitlines()) if m}


def _purge_backups_with_other_passwords(backup_dir, owned_config):
    """After a verified push, remove the backups that still hold a password the configuration no
    longer has (a rotated-out secret must not outlive the rotation on the router's disk)."""
    current = neighbor_passwords(owned_config)
    purged = []
    for name in sorted(f for f in os.listdir(backup_dir) if f.startswith("frr-") and f.endswith(".conf")):
        path = os.path.join(backup_dir, name)
        with open(path) as handle:
            if neighbor_passwords(handle.read()) - current:
                os.unlink(path)
                purged.append(path)
    return purged


def apply_owned(router, owned_config, prefix, check_mode=False, backup_dir="/var/lib/onprem-calico/frr",
                config_file=None, keep_backups=5, maximum_paths=None, session_type="ibgp"):
    """Merge ``owned_config`` into the running configuration of ``router`` (FrrRouter).

    Returns a result dict (changed, diff, lines_added, lines_removed, backup_file, findings:
    an ECMP limit below ``maximum_paths``, reported and never changed).
    Raises FrrConfigError before anything changes when the merge is unsafe.
    """
    running = router.running_config()
    merged = merge(running, owned_config, prefix)
    finding = ecmp_finding(strip_show_header(running), "frr", maximum_paths, session_type)
    # The candidate lives in a private temporary directory, so check mode leaves no trace.
    workdir = tempfile.mkdtemp(prefix="onprem-calico-frr-")
    try:
        result = _apply_candidate(router, running, merged, owned_config, prefix, check_mode, backup_dir,
                                  config_file, keep_backups, os.path.join(workdir, "frr.conf"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result["findings"] = [finding] if finding else []
    return result


def _apply_candidate(router, running, merged, owned_config, prefix, check_mode, backup_dir, config_file,
                     keep_backups, candidate):
    own_router = [c for c in split_chunks(owned_config) if ROUTER_BGP_RE.match(c[0])][0]
    asn = ROUTER_BGP_RE.match(own_router[0]).group(1)
    run_router = [c for c in split_chunks(running) if c[0] == "router bgp %s" % asn]
    neighbors = owned_neighbors(own_router, prefix)
    if run_router:
        neighbors |= owned_neighbors(run_router[0], prefix)

    write_private(candidate, merged)
    router.check_file(candidate)
    deletes, adds = router.reload_test(candidate)
    foreign = foreign_changes(deletes + adds, prefix, neighbors, asn, router_created=not run_router)
    if foreign:
        raise FrrConfigError(
            "refusing to push: frr-reload.py would change lines the collection does not own: %s"
            % "; ".join(format_changes(foreign))
        )
    result = {
        "changed": bool(deletes or adds),
        "lines_removed": format_changes(deletes),
        "lines_added": format_changes(adds),
        "router_wide_added": router_wide_additions(running, owned_config),
        "diff": {"before": redact(running), "after": redact(merged),
                 "before_header": "running-config", "after_header": "running-config (merged)"},
        "backup_file": None,
    }
    if not result["changed"] or check_mode:
        return result
    if not os.path.isdir(backup_dir):
        os.makedirs(backup_dir, 0o700)
    backup = os.path.join(backup_dir, "frr-%s.conf" % time.strftime("%Y%m%dT%H%M%S"))
    suffix = 0
    while os.path.exists(backup):
        suffix += 1
        backup = os.path.join(backup_dir, "frr-%s-%d.conf" % (time.strftime("%Y%m%dT%H%M%S"), suffix))
    write_private(backup, running)
    result["backup_file"] = backup
    fault_injection.point("tor_frr_after_backup", FrrConfigError)
    # Some transitions (e.g. a peer group changing from iBGP to eBGP) need a second pass of
    # frr-reload.py; anything still different after that, or a reload failing half way, is rolled back.
    try:
        remaining = ([], [])
        for _attempt in range(2):
            router.reload(candidate)
            fault_injection.point("tor_frr_mid_apply", FrrConfigError)
            remaining = router.reload_test(candidate)
            if not (remaining[0] or remaining[1]):
                break
        else:
            raise FrrConfigError("after frr-reload.py --reload the running configuration still differs (%s)"
                                 % "; ".join(format_changes(remaining[0] + remaining[1])))
    except FrrConfigError as err:
        router.reload(backup)
        raise FrrConfigError("%s; the previous configuration from %s was restored" % (err, backup))
    _persist(config_file, router.running_config())
    _prune_backups(backup_dir, keep_backups)
    result["purged_backups"] = _purge_backups_with_other_passwords(backup_dir, owned_config)
    if backup in result["purged_backups"]:
        result["backup_file"] = None
    return result


def restore(router, backup_file, check_mode=False, config_file=None):
    """Make the running configuration equal ``backup_file`` again (rollback)."""
    if not os.path.isfile(backup_file):
        raise FrrConfigError("backup %s does not exist; nothing to restore" % backup_file)
    running = router.running_config()
    deletes, adds = router.reload_test(backup_file)
    with open(backup_file) as handle:
        wanted = handle.read()
    result = {
        "changed": bool(deletes or adds),
        "lines_removed": format_changes(deletes),
        "lines_added": format_changes(adds),
        "diff": {"before": redact(running), "after": redact(wanted),
                 "before_header": "running-config", "after_header": backup_file},
        "backup_file": backup_file,
    }
    if result["changed"] and not check_mode:
        router.reload(backup_file)
        _persist(config_file, router.running_config())
    return result
