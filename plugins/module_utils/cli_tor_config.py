# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an EOS or NX-OS push must send: the difference between the owned objects on the router
and the rendered ones, nothing else.

Standard library only (runs on the controller through the ``tor_cli_changes`` filter and can
run anywhere). Both platforms print ``show running-config`` as indented blocks; the rendered
text (``plugins/plugin_utils/tor/eos.py`` / ``nxos.py``) is written in the same form, so the two
are compared block by block:

* top level, owned when named with the prefix: ``ip|ipv6 prefix-list``, ``route-map``,
  ``ip as-path access-list``, ``peer-filter``: a block that differs is replaced whole;
* inside ``router bgp <asn>``: lines about owned peer groups / templates, their members, the
  planned node addresses and listen ranges of owned groups, owned ``address-family``
  lines and ``aggregate-address`` lines naming an owned attribute map, compared line by line; neighbour blocks (NX-OS) that no longer exist are removed
  with ``no neighbor <address>``;
* router-wide lines a design needs (multipath-relax) are added when missing, never removed;
* anything else (AS, router id, uplinks, ``maximum-paths``) is never sent. An ECMP limit below
  the plan's ``maximum_paths`` is reported as a finding (``ecmp_finding``), never changed.

Passwords: routers store them encrypted (EOS ``password 7``, NX-OS ``password 3``), so the
clear text can never be compared. With ``update_password='on_create'`` a password line counts
as equal when both sides have one; ``'always'`` sends it on every run (rotation).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

REDACTED = "<redacted>"
PASSWORD_RE = re.compile(r"^(\s*(?:no )?(?:neighbor \S+ )?password )(?:\d+ )?\S+(.*)$")
ROUTER_BGP_RE = re.compile(r"^router bgp (\S+)$")
ADDITIVE = {"eos": ("bgp bestpath as-path multipath-relax",), "nxos": ("bestpath as-path multipath-relax",)}
INDENT = {"eos": "   ", "nxos": "  "}


class CliConfigError(Exception):
    """The push cannot go on safely; the message says why and what to do."""


def redact(text):
    """Every password form (clear or encrypted) as <redacted>."""
    return "\n".join(PASSWORD_RE.sub(r"\1%s\2" % REDACTED, line) for line in text.splitlines()) + (
        "\n" if text.endswith("\n") else "")


def parse(text):
    """Indented configuration as a tree: [(line, children)], comments and '!' dropped."""
    root = []
    stack = [(-1, root)]
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("!") or stripped == "end":
            continue
        depth = len(raw) - len(raw.lstrip(" "))
        while stack[-1][0] >= depth:
            stack.pop()
        node = (stripped, [])
        stack[-1][1].append(node)
        stack.append((depth, node[1]))
    return root


def _owned_top(line, prefix):
    words = line.split()
    if words[:2] in (["ip", "prefix-list"], ["ipv6", "prefix-list"]) and len(words) > 2:
        return words[2].startswith(prefix)
    if words[:1] == ["route-map"] and len(words) > 1:
        return words[1].startswith(prefix)
    if words[:3] == ["ip", "as-path", "access-list"] and len(words) > 3:
        return words[3].startswith(prefix)
    if words[:1] == ["peer-filter"] and len(words) > 1:
        return words[1].startswith(prefix)
    return False


def _unit_key(line):
    """What identifies a top-level unit: NX-OS prints prefix-list entries as one line each."""
    words = line.split()
    if words[1:2] == ["prefix-list"] and "seq" in words:
        return " ".join(words[:words.index("seq") + 2])
    if words[:3] == ["ip", "as-path", "access-list"] and "seq" in words:
        return " ".join(words[:words.index("seq") + 2])
    return line


def _flatten(nodes, context=()):
    out = []
    for line, children in nodes:
        out.append((context, line))
        out += _flatten(children, context + (line,))
    return out


def _router(tree):
    routers = [(line, children) for line, children in tree if ROUTER_BGP_RE.match(line)]
    return routers[0] if routers else None


def _owned_names(router_children, prefix, planned):
    """Owned peer groups / templates, their members, and the planned node addresses."""
    owned = set(planned)
    for line, children in router_children:
        words = line.split()
        if words[:1] == ["neighbor"] and len(words) > 1 and words[1].startswith(prefix):
            owned.add(words[1])
        if words[:2] == ["template", "peer"] and len(words) > 2 and words[2].startswith(prefix):
            owned.add(words[2])
        # EOS member: "neighbor <ip> peer group <G>"; NX-OS: "neighbor <ip>" + "inherit peer <G>"
        if words[:1] == ["neighbor"] and len(words) >= 5 and words[2:4] == ["peer", "group"] and words[4].startswith(prefix):
            owned.add(words[1])
        if words[:1] == ["neighbor"] and len(words) >= 2 and any(
                c[0].split()[:2] == ["inherit", "peer"] and c[0].split()[2].startswith(prefix) for c in children):
            owned.add(words[1])
    return owned


def _owned_router_node(line, owned, prefix, platform):
    words = line.split()
    bare = words[1:] if words[:1] == ["no"] else words
    if bare[:1] == ["neighbor"] and len(bare) > 1:
        return bare[1] in owned
    if bare[:2] == ["template", "peer"] and len(bare) > 2:
        return bare[2].startswith(prefix)
    if bare[:3] == ["bgp", "listen", "range"]:
        return any(word.startswith(prefix) for word in bare[3:])
    if bare[:3] == ["dynamic", "peer", "max"]:
        return True
    if bare[:1] == ["aggregate-address"] and "attribute-map" in bare[:-1]:
        # A rack aggregate: the attribute map it names carries the prefix (rack pools).
        return bare[bare.index("attribute-map") + 1].startswith(prefix)
    return " ".join(bare) in ADDITIVE[platform]


def _owned_router_lines(router, prefix, platform, planned):
    """{(context, line)} of the owned lines inside ``router bgp`` (address families included)."""
    if router is None:
        return []
    header, children = router
    owned = _owned_names(children, prefix, planned)
    out = []
    for line, sub in children:
        if line.startswith("address-family "):
            for af_line, af_sub in sub:
                if _owned_router_node(af_line, owned, prefix, platform):
                    out.append(((header, line), af_line))
                    out += _flatten(af_sub, (header, line, af_line))
            continue
        if _owned_router_node(line, owned, prefix, platform):
            out.append(((header,), line))
            out += _flatten(sub, (header, line))
    return out


def _canonical(line, update_password):
    if update_password == "on_create" and PASSWORD_RE.match(line):
        return PASSWORD_RE.sub(r"\1%s\2" % REDACTED, line)
    return line


def changes(running, rendered, prefix, platform, planned=(), update_password="on_create", maximum_paths=None,
            session_type="ibgp", router_id=None):
    """The push of one router: a dict with the commands (configuration text) and a summary.

    Raises CliConfigError before anything is sent when the router's BGP instance is missing,
    runs another AS or sets another ``router-id`` than ``router_id``: the collection never
    bootstraps BGP or changes a router's AS or id.
    """
    if not prefix:
        raise CliConfigError("object_prefix is empty: the collection could not tell its objects apart")
    run_tree, own_tree = parse(running), parse(rendered)
    own_router = _router(own_tree)
    if own_router is None:
        raise CliConfigError("the rendered configuration has no 'router bgp' block")
    run_router = _router(run_tree)
    if run_router is None:
        raise CliConfigError("the router has no 'router bgp': configure BGP (AS, router id, uplinks) on it first; "
                             "the collection does not bootstrap BGP")
    if run_router[0] != own_router[0]:
        raise CliConfigError("the router runs '%s' but the plan says '%s'; the collection never changes a router's AS: "
                             "fix calico_tor_asn / the rack AS or the router" % (run_router[0], own_router[0]))
    running_ids = [line.split()[1] for line, _sub in run_router[1] if line.startswith("router-id ")]
    if router_id and running_ids and running_ids[0] != str(router_id):
        raise CliConfigError("the router's router-id is %s but the plan says %s; the collection never changes a router "
                             "id: fix calico_tor_router_id or the router" % (running_ids[0], router_id))
    indent = INDENT[platform]
    commands = []

    # Top-level owned units: replaced whole when they differ, removed when no longer rendered.
    run_units = {_unit_key(line): (line, children) for line, children in run_tree if _owned_top(line, prefix)}
    own_units = {_unit_key(line): (line, children) for line, children in own_tree if _owned_top(line, prefix)}
    removed_units = [key for key in run_units if key not in own_units]
    changed_units = [key for key in own_units
                     if key not in run_units or _flatten([own_units[key]]) != _flatten([run_units[key]])]
    for key in removed_units:
        commands.append("no " + run_units[key][0])
    for key in changed_units:
        if key in run_units and run_units[key][1]:
            commands.append("no " + run_units[key][0])  # a block: replaced whole, stale entries go too
        commands += _render_unit(own_units[key], indent)

    # Inside router bgp: line by line.
    planned = set(planned) | _owned_names(own_router[1], prefix, ())
    run_lines = _owned_router_lines(run_router, prefix, platform, planned)
    own_lines = _owned_router_lines(own_router, prefix, platform, planned)
    run_canon = {(c, _canonical(line, update_password)) for c, line in run_lines}
    own_canon = [(c, _canonical(line, update_password)) for c, line in own_lines]
    additive = set(ADDITIVE[platform])
    router_wide_added = [line for c, line in own_lines if line in additive and (c, line) not in set(run_lines)]
    # Owned neighbours and groups the plan no longer has (a retired node) go whole.
    stale = sorted(_owned_names(run_router[1], prefix, ()) - planned, key=lambda n: (n.startswith(prefix), n))
    removals = [((run_router[0],), "template peer " + name if _is_template(run_router, name) else "neighbor " + name)
                for name in stale]
    removed_blocks = set()
    # A password line the plan still has is overwritten, never removed first.
    own_set = {(c, _canonical(line, "on_create")) for c, line in own_lines}
    for context, line in run_lines:
        if (context, _canonical(line, "on_create")) in own_set or line in additive:
            continue
        if _subject(context, line) in stale:
            continue
        if any(context[:n] in removed_blocks for n in range(1, len(context) + 1)):
            continue  # its whole block goes with it
        removed_blocks.add(context + (line,))
        removals.append((context, line))
    additions = [(c, line) for (c, line), canon in zip(own_lines, own_canon)
                 if canon not in run_canon or (update_password == "always" and PASSWORD_RE.match(line))]
    body = _nest(removals, indent, negate=True) + _nest(additions, indent)
    if body:
        commands += body
    text = "\n".join(commands) + ("\n" if commands else "")
    return {
        "changed": bool(commands),
        "commands": text,
        "session_lines": session_lines(text),
        "commands_redacted": redact(text),
        "removed": [" / ".join(c + (redact(ln).strip(),)) for c, ln in removals]
        + ["no " + run_units[k][0] for k in removed_units],
        "replaced": [own_units[k][0] for k in changed_units],
        "router_wide_added": router_wide_added,
        "findings": [finding for finding in [ecmp_finding(running, platform, maximum_paths, session_type)] if finding],
        "before": redact(_owned_text(run_lines, run_units, indent)),
        "after": redact(_owned_text(own_lines, own_units, indent)),
    }


def session_lines(text):
    """Indented configuration text as flat commands for a configuration session (eAPI runs
    them one after another in one CLI session): each block ends with ``exit``, so every
    command lands in the mode it was written for."""
    def walk(nodes):
        out = []
        for line, children in nodes:
            out.append(line)
            if children:
                out += walk(children) + ["exit"]
        return out
    return walk(parse(text))


def _subject(context, line):
    """The neighbour, group or template a router line is about (or None)."""
    for text in context[1:2] + (line,):
        words = text.split()
        words = words[1:] if words[:1] == ["no"] else words
        if words[:1] == ["neighbor"] and len(words) > 1:
            return words[1]
        if words[:2] == ["template", "peer"] and len(words) > 2:
            return words[2]
    return None


def _is_template(router, name):
    return any(line == "template peer " + name for line, _children in router[1])


def _render_unit(unit, indent, depth=0):
    line, children = unit
    out = [indent * depth + line]
    for child in children:
        out += _render_unit(child, indent, depth + 1)
    return out


def _nest(entries, indent, negate=False):
    """(context, line) entries as indented configuration text, contexts written once."""
    out, current = [], ()
    for context, line in entries:
        common = 0
        while common < min(len(current), len(context)) and current[common] == context[common]:
            common += 1
        for depth in range(common, len(context)):
            out.append(indent * depth + context[depth])
        text = line
        if negate:
            text = line[3:] if line.startswith("no ") else "no " + line
        out.append(indent * len(context) + text)
        # An added block line is the context of the lines that follow it.
        current = context if negate else context + (line,)
    return out


def _owned_text(router_lines, units, indent):
    lines = []
    for key in sorted(units):
        lines += _render_unit(units[key], indent)
    lines += _nest(router_lines, indent)
    return "\n".join(lines) + "\n"


# ECMP limit of a router without a maximum-paths line; FRR's is its build's MULTIPATH_NUM (unknown here).
ECMP_DEFAULT = {"eos": 1, "nxos": 1, "frr": None}


def ecmp_finding(running, platform, expected, session_type):
    """Why the router's ECMP limit for the node sessions falls short of the plan's, or None.

    The limit also governs the uplinks, so the collection never changes it (issue 14): a design
    that needs more paths is a finding for the operator. EOS: ``maximum-paths N`` under
    ``router bgp`` (iBGP and eBGP alike); NX-OS and FRR: ``maximum-paths [ibgp] N`` in
    ``address-family ipv4 unicast``, the ``ibgp`` form for iBGP sessions.
    """
    router = _router(parse(running or ""))
    if router is None or not expected:
        return None
    keyword = ["maximum-paths", "ibgp"] if session_type == "ibgp" and platform != "eos" else ["maximum-paths"]
    limit = None
    for line, children in router[1]:
        lines = [line] + ([child for child, _sub in children] if line == "address-family ipv4 unicast" else [])
        for text in lines:
            words = text.split()
            if words[:len(keyword)] == keyword and len(words) > len(keyword) and words[len(keyword)].isdigit():
                limit = int(words[len(keyword)])
    if limit is None:
        limit = ECMP_DEFAULT[platform]
    if limit is None or limit >= int(expected):
        return None
    return ("%s is %d but the plan expects %d paths (calico_tor_maximum_paths): the limit also governs the uplinks, "
            "so the collection leaves it; raise it on the router or lower calico_tor_maximum_paths"
            % (" ".join(keyword), limit, int(expected)))


CHECKPOINT_PREFIX = "onprem-calico-"
CHECKPOINT_RE = re.compile(r"^\s*\d+\)\s+(\S+?):?\s*$")


def leftover_checkpoints(summary):
    """NX-OS ``show checkpoint summary``: the collection's checkpoints still on the router.

    NX-OS has no commit timer: a checkpoint left behind means an earlier push stopped between
    its checkpoint and its clean-up, so the router may hold an unverified change.
    """
    names = []
    for line in summary.splitlines():
        match = CHECKPOINT_RE.match(line)
        if match and match.group(1).startswith(CHECKPOINT_PREFIX):
            names.append(match.group(1))
    return names
