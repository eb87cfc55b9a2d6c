"""The Junos push logic (plugins/module_utils/junos_tor_config.py) without Ansible: the $9$
decoding, what is loaded (owned objects only, stale owned ones deleted, an unchanged password
kept as the router stores it), the AS check, and the RPC sequence on success and on every
failure (through a session that records the calls and fails where told).
The same push through the real NETCONF connection: tests/integration/tor/test_junos_netconf.py.
"""

from __future__ import annotations

import os
import random
import sys
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.onprem.calico.plugins.module_utils.junos_tor_config import (
    REDACTED,
    JunosPushError,
    decode_secret,
    confirm,
    prepare,
    push,
    redact,
    rollback,
)
from ansible_collections.onprem.calico.plugins.plugin_utils.tor import router_config

from sample_plan import make_plan

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "fakes"))
from netconf_server import encode_secret  # noqa: E402  pylint: disable=wrong-import-position

# A published vector (ytti/router_crypt's test data), encoded by a Junos router, not by us.
PUBLISHED = ("$9$40aikFn/9tOQFRSleXxoJGDi.CA0Ihr.PRSylXxGDi.Qn/9p0BEz3rvLNY2.P5QF/", "99problemsbutpwaintone")
PASSWORD = "unit-s3cret"


def running(groups="", policies="", asn="65001"):
    autonomous = "<autonomous-system><as-number>%s</as-number></autonomous-system>" % asn if asn else ""
    return ("<rpc-reply><configuration><routing-options>%s</routing-options><policy-options>%s</policy-options>"
            "<protocols><bgp>%s</bgp></protocols></configuration></rpc-reply>" % (autonomous, policies, groups))


def rendered(password=PASSWORD):
    return router_config(make_plan(platforms=("junos",), racks=1, password=True), "tor1", password)


def test_decodes_a_router_encoded_secret():
    assert decode_secret(PUBLISHED[0]) == PUBLISHED[1]


@pytest.mark.parametrize("value", ["", "secret", "$9$", "$1$abcdef", "$9$Q", "$9$QAB!!!"])
def test_anything_else_is_not_a_secret(value):
    assert decode_secret(value) is None


def test_every_salt_decodes_back():
    rng = random.Random(14)
    for length in list(range(1, 41)) * 5:
        clear = "".join(rng.choices("abcXYZ019-_!@# ", k=length))
        assert decode_secret(encode_secret(clear, rng)) == clear


def test_redacts_clear_and_encoded_secrets_in_compare_text_and_xml():
    text = ('[edit protocols bgp group CALICO-NODES]\n+    authentication-key "$9$abc.def"; ## SECRET-DATA\n'
            "-    authentication-key old-clear;\n<authentication-key>clear</authentication-key>\n+    hold-time 9;")
    out = redact(text)
    assert "$9$" not in out and "old-clear" not in out and ">clear<" not in out
    assert out.count(REDACTED) == 3 and "+    hold-time 9;" in out


def test_unchanged_password_is_loaded_as_the_router_stores_it():
    stored = encode_secret(PASSWORD)
    result = prepare(rendered(), running("<group><name>CALICO-NODES</name><authentication-key>%s</authentication-key>"
                                         "</group>" % stored), "CALICO-", 65001)
    loaded = ET.fromstring(result["config"])
    assert loaded.findtext("protocols/bgp/group/authentication-key") == stored
    assert result["kept_secrets"] == ["CALICO-NODES authentication-key"]


@pytest.mark.parametrize("stored", [encode_secret("an-older-secret"), "not-a-type-9-value", None])
def test_changed_or_unreadable_password_is_loaded_in_clear(stored):
    key = "<authentication-key>%s</authentication-key>" % stored if stored else ""
    result = prepare(rendered(), running("<group><name>CALICO-NODES</name>%s</group>" % key), "CALICO-", 65001)
    assert ET.fromstring(result["config"]).findtext("protocols/bgp/group/authentication-key") == PASSWORD
    assert result["kept_secrets"] == []


def test_only_owned_objects_are_loaded_and_stale_owned_ones_deleted():
    foreign_group = "<group><name>SPINE</name><authentication-key>%s</authentication-key></group>" % encode_secret("x")
    stale = "<policy-statement><name>CALICO-OLD</name></policy-statement><policy-statement><name>SPINE-IN</name></policy-statement>"
    result = prepare(rendered(), running(foreign_group + "<group><name>CALICO-RETIRED</name></group>", stale),
                     "CALICO-", 65001)
    loaded = ET.fromstring(result["config"])
    names = [(e.tag, e.findtext("name"), e.get("replace") or e.get("delete"))
             for e in list(loaded.find("policy-options")) + list(loaded.find("protocols/bgp"))]
    assert all(name.startswith("CALICO-") for _tag, name, _how in names)
    assert ("policy-statement", "CALICO-OLD", "delete") in names and ("group", "CALICO-RETIRED", "delete") in names
    assert ("group", "CALICO-NODES", "replace") in names
    assert loaded.find("routing-options") is None
    assert sorted(result["removed"]) == ["group CALICO-RETIRED", "policy-statement CALICO-OLD"]


def test_a_foreign_object_in_the_document_is_refused():
    document = rendered().replace("<name>CALICO-NODES</name>", "<name>SPINE</name>")
    with pytest.raises(JunosPushError, match="group SPINE outside the owned names"):
        prepare(document, running(), "CALICO-", 65001)


@pytest.mark.parametrize("asn, message", [(None, "does not bootstrap BGP"), ("65002", "runs AS 65002 but the plan says AS 65001")])
def test_router_as_is_checked(asn, message):
    with pytest.raises(JunosPushError, match=message):
        prepare(rendered(), running(asn=asn), "CALICO-", 65001)


def test_router_id_is_checked_when_the_router_sets_one():
    with_id = running().replace("<routing-options>", "<routing-options><router-id>10.255.0.1</router-id>")
    assert prepare(rendered(), with_id, "CALICO-", 65001, "10.255.0.1")["removed"] == []
    assert prepare(rendered(), running(), "CALICO-", 65001, "10.255.0.9")["removed"] == []  # lo0's address: unchecked
    with pytest.raises(JunosPushError, match="router-id is 10.255.0.1 but the plan says 10.255.0.9; the collection never"):
        prepare(rendered(), with_id, "CALICO-", 65001, "10.255.0.9")


class RecordingSession:
    """Records the calls; ``fail_on`` names the call that raises, ``diff`` is what compare says."""

    def __init__(self, diff="+    neighbor 10.0.1.12;", fail_on=None, active=None):
        self.calls, self.diff, self.fail_on, self.active = [], diff, fail_on, active or running()

    def _call(self, name, result=None):
        self.calls.append(name)
        if name == self.fail_on:
            raise ValueError("rpc-error: %s refused" % name)
        return result

    def lock(self):
        return self._call("lock")

    def unlock(self):
        return self._call("unlock")

    def get_configuration(self, filter_xml):
        return self._call("get-configuration", self.active)

    def load_configuration(self, config_xml):
        return self._call("load-configuration")

    def load_rollback(self, number):
        return self._call("load-configuration rollback %d" % number)

    def commit_check(self):
        return self._call("commit check")

    def compare(self):
        return self._call("compare", self.diff)

    def commit(self, confirm_minutes=None, comment=None):
        return self._call("commit confirmed %s" % confirm_minutes if confirm_minutes else "commit")

    def discard_changes(self):
        return self._call("discard-changes")


READ_AND_LOAD = ["lock", "get-configuration", "load-configuration", "commit check", "compare"]


def test_push_commits_confirmed_when_something_changes():
    session = RecordingSession()
    result = push(session, rendered(), "CALICO-", 65001, 5)
    assert session.calls == READ_AND_LOAD + ["commit confirmed 5", "unlock"]
    assert result["changed"] and result["committed"]


def test_no_change_and_check_mode_discard_instead_of_committing():
    session = RecordingSession(diff="")
    assert push(session, rendered(), "CALICO-", 65001, 5)["changed"] is False
    assert session.calls == READ_AND_LOAD + ["discard-changes", "unlock"]
    session = RecordingSession(diff='+  authentication-key "$9$abc"; ## SECRET-DATA')
    result = push(session, rendered(), "CALICO-", 65001, 5, check_mode=True)
    assert session.calls == READ_AND_LOAD + ["discard-changes", "unlock"]
    assert result["changed"] and not result["committed"] and "$9$" not in result["diff"]


@pytest.mark.parametrize("failing", ["load-configuration", "commit check", "compare", "commit confirmed 5"])
def test_a_failure_after_the_load_discards_then_unlocks(failing):
    session = RecordingSession(fail_on=failing)
    with pytest.raises(ValueError, match="refused"):
        push(session, rendered(), "CALICO-", 65001, 5)
    done = READ_AND_LOAD + ["commit confirmed 5"]
    assert session.calls == done[:done.index(failing) + 1] + ["discard-changes", "unlock"]


def test_a_refusal_before_the_load_only_unlocks():
    session = RecordingSession(active=running(asn="65009"))
    with pytest.raises(JunosPushError):
        push(session, rendered(), "CALICO-", 65001, 5)
    assert session.calls == ["lock", "get-configuration", "unlock"]


def test_rollback_loads_rollback_1_and_commits_or_discards():
    session = RecordingSession()
    rollback(session)
    assert session.calls == ["lock", "load-configuration rollback 1", "commit", "unlock"]
    session = RecordingSession(fail_on="commit")
    with pytest.raises(ValueError):
        rollback(session)
    assert session.calls == ["lock", "load-configuration rollback 1", "commit", "discard-changes", "unlock"]


def test_confirm_commits_inside_the_lock_and_never_discards():
    session = RecordingSession()
    confirm(session)
    assert session.calls == ["lock", "commit", "unlock"]
    session = RecordingSession(fail_on="commit")
    with pytest.raises(ValueError):
        confirm(session)
    # Nothing was loaded: the unconfirmed commit stays for its timer to roll back, nothing to discard.
    assert session.calls == ["lock", "commit", "unlock"]


@pytest.mark.parametrize("failing", ["lock", "load-configuration rollback 1"])
def test_rollback_failing_at_the_lock_or_load(failing):
    session = RecordingSession(fail_on=failing)
    with pytest.raises(ValueError):
        rollback(session)
    expected = {"lock": ["lock"], "load-configuration rollback 1": ["lock", "load-configuration rollback 1", "discard-changes", "unlock"]}
    assert session.calls == expected[failing]


def test_a_document_that_is_not_xml_is_refused_before_the_load():
    session = RecordingSession()
    with pytest.raises(JunosPushError, match="cannot read the configuration document"):
        push(session, "<configuration><policy-options>", "CALICO-", 65001, 5)
    assert session.calls == ["lock", "get-configuration", "unlock"]
