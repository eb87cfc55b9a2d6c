# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Junos push of the objects the collection owns, over NETCONF.

Standard library only; the module ``onprem.calico.junos_tor_config`` hands in the NETCONF
session (an object with ``lock``, ``unlock``, ``get_configuration(filter_xml)``,
``load_configuration(config_xml)`` (action replace, format xml), ``load_rollback(number)``,
``commit_check``, ``compare`` (the candidate against the active configuration as text),
``commit(confirm_minutes=None, comment=None)`` and ``discard_changes``), so the RPC sequence is
plain Python and testable without Ansible.

One push, all inside the configuration lock::

    lock
    get-configuration      routing-options AS, router id and aggregate routes, policy-options,
                           protocols bgp (the owned part is read)
    load-configuration     action="replace", only owned objects (each replace="replace"; owned
                           objects the plan no longer has delete="delete")
    commit-configuration   <check/>
    get-configuration      compare="rollback" rollback="0" (the change, as "show | compare")
    commit-configuration   <confirmed/> <confirm-timeout>  (or discard-changes: check mode, no change)
    unlock

Owned: the objects named with the prefix and the aggregate routes under ``routing-options``
that name a policy with the prefix (an aggregate has no name of its own; the rendered ones all
name the rack aggregate's contributor policy, so the router records what is owned). The site's
aggregates are never in the document; a planned one the site already has, or a stale owned
policy the site's configuration still names, stops the push before the load.

Any failure after the load discards the candidate before the unlock, so nothing half-loaded is
left for the next commit. A confirming commit (``confirm``) and a rollback to the configuration
before the push (``rollback``: ``load-configuration rollback="1"`` + commit) are separate calls.

Passwords: Junos keeps an ``authentication-key`` as ``$9$...``, a reversible encoding with a
random salt, so loading the clear text again always shows up as a change. The push decodes the
router's value; when it equals the planned secret, the router's own encoded value is loaded
instead of the clear text and the group compares equal (a second run reports no change). A
different or unreadable value loads the clear text, so a changed password is pushed. The
encoded form is as secret as the clear one: both appear as ``<redacted>`` in every diff.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import re
import xml.etree.ElementTree as ET

from ansible_collections.onprem.calico.plugins.module_utils import fault_injection

REDACTED = "<redacted>"
# Owned object kinds: (parent path inside <configuration>, element name).
OWNED_KINDS = (("policy-options", "policy-statement"), ("policy-options", "as-path"),
               ("policy-options", "as-list"), ("protocols/bgp", "group"))
READ_FILTER = ("<configuration><routing-options><autonomous-system/><router-id/><aggregate/><rib/></routing-options>"
               "<policy-options/><protocols><bgp/></protocols></configuration>")
SECRET_TAGS = ("authentication-key",)
# "authentication-key "$9$..."; ## SECRET-DATA" (compare text) and <authentication-key>..</..> (XML)
SECRET_TEXT_RE = re.compile(r'(\b(?:%s)\s+)("[^"]*"|[^;\s]+)' % "|".join(SECRET_TAGS))
SECRET_XML_RE = re.compile(r"(<(%s)(?:\s[^>]*)?>)[^<]*(</\2>)" % "|".join(SECRET_TAGS))

# Junos "$9$" encoding: four character families (the family of the first character says how
# many random characters follow it), each clear character spread over 1-4 encoded characters
# whose distances in the alphabet are weighted as below, the weights cycling per character.
_FAMILIES = ("QzF3n6/9CAtpu0O", "B1IREhcSyrleKvMW8LXx", "7N-dVbwsY2g4oaJZGUDj", "iHkq.mPf5T")
_ALPHABET = "".join(_FAMILIES)
_POSITION = dict((char, index) for index, char in enumerate(_ALPHABET))
_RANDOM_AFTER_SALT = dict((char, 3 - family) for family, chars in enumerate(_FAMILIES) for char in chars)
_WEIGHTS = ((1, 4, 32), (1, 16, 32), (1, 8, 32), (1, 64), (1, 32), (1, 4, 16, 128), (1, 32, 64))


class JunosPushError(Exception):
    """The push cannot go on safely; the message says why and what to do."""


def decode_secret(value):
    """The clear text of a Junos ``$9$`` value, or None when it is not one."""
    if not value or not value.startswith("$9$") or len(value) < 5 or value[3] not in _RANDOM_AFTER_SALT:
        return None
    previous = value[3]
    rest = value[4 + _RANDOM_AFTER_SALT[previous]:]
    clear = []
    while rest:
        weights = _WEIGHTS[len(clear) % len(_WEIGHTS)]
        chunk, rest = rest[:len(weights)], rest[len(weights):]
        if len(chunk) < len(weights) or any(char not in _POSITION for char in chunk):
            return None
        code = 0
        for char, weight in zip(chunk, weights):
            code += ((_POSITION[char] - _POSITION[previous]) % len(_ALPHABET) - 1) * weight
            previous = char
        clear.append(chr(code % 256))
    return "".join(clear)


def redact(text):
    """Every secret (clear or ``$9$``) in compare text or XML as <redacted>."""
    text = SECRET_XML_RE.sub(r"\1%s\3" % REDACTED, text or "")
    return SECRET_TEXT_RE.sub(r"\1%s" % REDACTED, text)


def _strip_namespaces(root):
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root


def _configuration(xml_text):
    """The <configuration> element of a reply (or the document itself)."""
    try:
        root = _strip_namespaces(ET.fromstring(xml_text))
    except ET.ParseError as err:
        raise JunosPushError("cannot read the configuration document: %s" % err)
    if root.tag == "configuration":
        return root
    found = root.find(".//configuration")
    return found if found is not None else ET.Element("configuration")


def _objects(configuration, parent, kind):
    holder = configuration.find(parent)
    if holder is None:
        return {}
    return dict(((element.findtext("name") or "").strip(), element) for element in holder.findall(kind))


def _router_asn(configuration):
    autonomous = configuration.find("routing-options/autonomous-system")
    if autonomous is None:
        return None
    number = autonomous.findtext("as-number")
    return (number if number is not None else autonomous.text or "").strip() or None


def prepare(candidate_xml, running_xml, prefix, asn, router_id=None):
    """The document to load and what it does, from the rendered one and the router's reading.

    Owned: the objects named ``prefix``* (each replaced whole) and the aggregate routes under
    ``routing-options`` (``aggregate``, ``rib <name> aggregate``) that name a ``prefix``* policy;
    owned ones on the router the plan no longer has are deleted (``delete="delete"``).

    Raises JunosPushError, before anything is loaded, when the router has no BGP AS or another
    one, another router id than ``router_id`` (one the router sets; without it Junos takes
    lo0's address, which is not checked), when the rendered document holds an object outside
    the owned names, when a planned aggregate route would replace one of the site's own, or when
    the site's own configuration still names an owned object the plan no longer has.
    """
    if not prefix:
        raise JunosPushError("object_prefix is empty: the collection could not tell its objects apart")
    running = _configuration(running_xml)
    router_asn = _router_asn(running)
    if router_asn is None:
        raise JunosPushError("the router has no routing-options autonomous-system: configure BGP (AS, router id, "
                             "uplinks) on it first; the collection does not bootstrap BGP")
    if router_asn != str(asn):
        raise JunosPushError("the router runs AS %s but the plan says AS %s; the collection never changes a router's "
                             "AS: fix calico_tor_asn / the rack AS or the router" % (router_asn, asn))
    running_id = (running.findtext("routing-options/router-id") or "").strip()
    if router_id and running_id and running_id != str(router_id):
        raise JunosPushError("the router's routing-options router-id is %s but the plan says %s; the collection never "
                             "changes a router id: fix calico_tor_router_id or the router" % (running_id, router_id))
    candidate = _configuration(candidate_xml)
    kept_secrets, removed, stale_names = [], [], set()
    for parent, kind in OWNED_KINDS:
        planned = _objects(candidate, parent, kind)
        foreign = sorted(name for name in planned if not name.startswith(prefix))
        if foreign:
            raise JunosPushError("the rendered document holds %s %s outside the owned names (%s*); nothing was loaded"
                                 % (kind, ", ".join(foreign), prefix))
        on_router = _objects(running, parent, kind)
        for name, element in planned.items():
            if element.get("delete") == "delete":
                stale_names.add(name)  # deleted by the document itself (uninstall)
            elif kind == "group":
                kept_secrets += _keep_equal_secrets(element, on_router.get(name))
        for name in sorted(set(on_router) - set(planned)):
            if name.startswith(prefix):
                _delete(_holder(candidate, parent.split("/")), kind, name)
                removed.append("%s %s" % (kind, name))
                stale_names.add(name)
    removed += _stale_aggregate_routes(candidate, running, prefix)
    _refuse_dangling_references(running, stale_names, prefix)
    return {"config": ET.tostring(candidate, encoding="unicode"), "kept_secrets": kept_secrets, "removed": removed}


def _keep_equal_secrets(planned_group, running_group):
    """Load the router's own encoded secret where it decodes to the planned one."""
    kept = []
    if running_group is None:
        return kept
    for tag in SECRET_TAGS:
        planned, present = planned_group.find(tag), running_group.find(tag)
        if planned is None or present is None:
            continue
        stored = (present.text or "").strip()
        if decode_secret(stored) == (planned.text or "").strip():
            planned.text = stored
            kept.append("%s %s" % (planned_group.findtext("name"), tag))
    return kept


def _holder(configuration, steps):
    """The element at ``steps`` (tags, or (tag, name) for a keyed one) in the document, created when missing."""
    holder = configuration
    for step in steps:
        tag, name = step if isinstance(step, tuple) else (step, None)
        found = next((child for child in holder.findall(tag)
                      if name is None or (child.findtext("name") or "").strip() == name), None)
        if found is None:
            found = ET.SubElement(holder, tag)
            if name is not None:
                ET.SubElement(found, "name").text = name
        holder = found
    return holder


def _delete(holder, kind, name):
    stale = ET.SubElement(holder, kind, {"delete": "delete"})
    ET.SubElement(stale, "name").text = name


def _aggregate_routes(configuration):
    """{(rib, prefix): route} of the aggregate routes under routing-options, ``routing-options
    aggregate`` (inet.0, rib "") first, then each ``rib <name> aggregate`` (inet6.0)."""
    found = []
    routing = configuration.find("routing-options")
    if routing is not None:
        ribs = [("", routing)] + [((rib.findtext("name") or "").strip(), rib) for rib in routing.findall("rib")]
        found = [((rib, (route.findtext("name") or "").strip()), route)
                 for rib, holder in ribs for route in holder.findall("aggregate/route")]
    return dict(sorted(found, key=lambda item: item[0]))


def _owned_route(route, prefix):
    """An aggregate route is the collection's when it names an owned policy (the rack aggregate's
    contributor policy): the site's own aggregates name none or their own."""
    return any((policy.text or "").strip().startswith(prefix) for policy in route.findall("policy"))


def _route_label(rib, name):
    return ("rib %s aggregate route %s" % (rib, name)) if rib else "aggregate route %s" % name


def _stale_aggregate_routes(candidate, running, prefix):
    """Delete the owned aggregate routes the plan no longer has; refuse a planned route that is
    not owned or that would replace one of the site's own. Returns what is deleted."""
    planned, on_router = _aggregate_routes(candidate), _aggregate_routes(running)
    for (rib, name), route in planned.items():
        if not _owned_route(route, prefix):
            raise JunosPushError("the rendered document holds routing-options %s without a %s* policy, outside the "
                                 "owned objects; nothing was loaded" % (_route_label(rib, name), prefix))
        present = on_router.get((rib, name))
        if present is not None and not _owned_route(present, prefix):
            raise JunosPushError(
                "the router already has routing-options %s of its own (policy %s), which the collection never replaces; "
                "nothing was loaded: remove it by hand if the rack aggregate may take its place, or give the rack "
                "another calico_racks index" % (_route_label(rib, name), ", ".join(
                    (p.text or "").strip() for p in present.findall("policy")) or "none"))
    removed = []
    for (rib, name), route in on_router.items():
        if (rib, name) not in planned and _owned_route(route, prefix):
            steps = ["routing-options"] + ([("rib", rib)] if rib else []) + ["aggregate"]
            _delete(_holder(candidate, steps), "route", name)
            removed.append("routing-options " + _route_label(rib, name))
    return removed


def _refuse_dangling_references(running, stale_names, prefix):
    """Junos refuses to commit a deleted policy that something still names (the site's uplink
    export chain naming CALICO-TO-UPLINKS once rack pools are off): say who names it and what
    to remove, before anything is loaded, instead of a failing commit check."""
    users = []  # (stale name, "where")
    for parent, kind in OWNED_KINDS:
        for name, element in sorted(_objects(running, parent, kind).items()):
            if not name.startswith(prefix):
                users += [(child.text.strip(), "%s %s %s" % (kind, name, child.tag)) for child in element.iter()
                          if child.tag != "name" and (child.text or "").strip() in stale_names]
    for (rib, name), route in _aggregate_routes(running).items():
        if not _owned_route(route, prefix):
            users += [(policy.text.strip(), "routing-options %s policy" % _route_label(rib, name))
                      for policy in route.findall("policy") if (policy.text or "").strip() in stale_names]
    if users:
        raise JunosPushError(
            "the plan no longer has %s, but the site's own configuration still names %s (%s); Junos would refuse the "
            "commit, so nothing was loaded: remove the name there first (for example from the uplink group's export "
            "chain: delete protocols bgp group <uplinks> export %s), then run again" % (
                ", ".join(sorted(set(name for name, _where in users))), "them" if len(set(u[0] for u in users)) > 1 else "it",
                "; ".join("%s names %s" % (where, name) for name, where in users), users[0][0]))


def push(session, candidate_xml, prefix, asn, confirm_minutes, comment=None, check_mode=False, router_id=None):
    """Load the owned objects and commit them confirmed (or, in check mode, only compare).

    Returns a dict: changed, diff (redacted compare text), removed, kept_secrets, committed.
    """
    with _locked_candidate(session) as load:
        prepared = prepare(candidate_xml, session.get_configuration(READ_FILTER), prefix, asn, router_id)
        load(session.load_configuration, prepared["config"])
        session.commit_check()
        diff = (session.compare() or "").strip()
        committed = bool(diff) and not check_mode
        if committed:
            fault_injection.point("tor_junos_before_commit", JunosPushError)
            session.commit(confirm_minutes=confirm_minutes, comment=comment)
        else:
            session.discard_changes()
    return {"changed": bool(diff), "diff": redact(diff), "removed": prepared["removed"],
            "kept_secrets": prepared["kept_secrets"], "committed": committed}


@contextlib.contextmanager
def _locked_candidate(session):
    """The configuration lock around one change. Yields ``load(method, *args)``, through which
    every load is sent: once one was sent, a failure inside the block discards the candidate
    before the unlock, so nothing half-loaded is left for the next commit. A refusal before any
    load only unlocks."""
    loaded = []

    def load(method, *args):
        loaded.append(method)  # before the call: a load that fails half way is discarded too
        return method(*args)

    session.lock()
    try:
        yield load
    except Exception:
        if loaded:
            _discard_quietly(session)
        raise
    finally:
        session.unlock()


def _discard_quietly(session):
    """Discard after a failure; the first error is the one to report."""
    try:
        session.discard_changes()
    except Exception:  # pylint: disable=broad-except
        pass


def confirm(session, comment=None):
    """The confirming commit of a verified push."""
    with _locked_candidate(session):
        session.commit(comment=comment)


def rollback(session, comment=None):
    """Back to the configuration before the last commit (rollback 1), committed at once."""
    with _locked_candidate(session) as load:
        load(session.load_rollback, 1)
        session.commit(comment=comment)
