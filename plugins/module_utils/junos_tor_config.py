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
    get-configuration      routing-options AS, policy-options, protocols bgp (the owned part is read)
    load-configuration     action="replace", only owned objects (each replace="replace"; owned
                           objects the plan no longer has delete="delete")
    commit-configuration   <check/>
    get-configuration      compare="rollback" rollback="0" (the change, as "show | compare")
    commit-configuration   <confirmed/> <confirm-timeout>  (or discard-changes: check mode, no change)
    unlock

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

import re
import xml.etree.ElementTree as ET

from ansible_collections.onprem.calico.plugins.module_utils import fault_injection

REDACTED = "<redacted>"
# Owned object kinds: (parent path inside <configuration>, element name).
OWNED_KINDS = (("policy-options", "policy-statement"), ("policy-options", "as-path"),
               ("policy-options", "as-list"), ("protocols/bgp", "group"))
READ_FILTER = ("<configuration><routing-options><autonomous-system/><router-id/></routing-options>"
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

    Raises JunosPushError, before anything is loaded, when the router has no BGP AS or another
    one, another router id than ``router_id`` (one the router sets; without it Junos takes
    lo0's address, which is not checked), or when the rendered document holds an object outside
    the owned names.
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
    kept_secrets, removed = [], []
    for parent, kind in OWNED_KINDS:
        planned = _objects(candidate, parent, kind)
        foreign = sorted(name for name in planned if not name.startswith(prefix))
        if foreign:
            raise JunosPushError("the rendered document holds %s %s outside the owned names (%s*); nothing was loaded"
                                 % (kind, ", ".join(foreign), prefix))
        on_router = _objects(running, parent, kind)
        for name, element in planned.items():
            if kind == "group":
                kept_secrets += _keep_equal_secrets(element, on_router.get(name))
        for name in sorted(set(on_router) - set(planned)):
            if name.startswith(prefix):
                holder = candidate
                for step in parent.split("/"):
                    holder = holder.find(step) if holder.find(step) is not None else ET.SubElement(holder, step)
                stale = ET.SubElement(holder, kind, {"delete": "delete"})
                ET.SubElement(stale, "name").text = name
                removed.append("%s %s" % (kind, name))
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


def push(session, candidate_xml, prefix, asn, confirm_minutes, comment=None, check_mode=False, router_id=None):
    """Load the owned objects and commit them confirmed (or, in check mode, only compare).

    Returns a dict: changed, diff (redacted compare text), removed, kept_secrets, committed.
    """
    session.lock()
    loaded = False
    try:
        prepared = prepare(candidate_xml, session.get_configuration(READ_FILTER), prefix, asn, router_id)
        loaded = True  # from here on the candidate may hold our change: discard it on any failure
        session.load_configuration(prepared["config"])
        session.commit_check()
        diff = (session.compare() or "").strip()
        committed = bool(diff) and not check_mode
        if committed:
            fault_injection.point("tor_junos_before_commit", JunosPushError)
            session.commit(confirm_minutes=confirm_minutes, comment=comment)
        else:
            session.discard_changes()
        loaded = False
    except Exception:
        if loaded:
            _discard_quietly(session)
        raise
    finally:
        session.unlock()
    return {"changed": bool(diff), "diff": redact(diff), "removed": prepared["removed"],
            "kept_secrets": prepared["kept_secrets"], "committed": committed}


def _discard_quietly(session):
    """Discard after a failure; the first error is the one to report."""
    try:
        session.discard_changes()
    except Exception:  # pylint: disable=broad-except
        pass


def confirm(session, comment=None):
    """The confirming commit of a verified push."""
    session.lock()
    try:
        session.commit(comment=comment)
    finally:
        session.unlock()


def rollback(session, comment=None):
    """Back to the configuration before the last commit (rollback 1), committed at once."""
    session.lock()
    loaded = False
    try:
        loaded = True
        session.load_rollback(1)
        session.commit(comment=comment)
        loaded = False
    except Exception:
        if loaded:
            _discard_quietly(session)
        raise
    finally:
        session.unlock()
