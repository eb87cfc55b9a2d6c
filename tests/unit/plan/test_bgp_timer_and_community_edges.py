"""BGP timers and communities at their edges. RFC 4271 section 4.2: a hold time is either zero
(no keepalives, the session never times out) or at least three seconds, and the keepalive is
usually a third of it; so zero timers are accepted, and a hold of 1 s gets the warning. Every
malformed community entry is named, not only the first."""

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from plan_inputs import base


def test_zero_timers_are_accepted_without_a_warning():
    result = build_plan(base(calico_bgp_timers={"hold": 0, "keepalive": 0}))
    assert result.ok, [str(e) for e in result.errors]
    assert result.plan["bgp"]["timers"] == {"keepalive": 0, "hold": 0, "connect_retry": 10}
    assert not [w for w in result.warnings if "calico_bgp_timers" in str(w)]


def test_a_hold_of_one_second_is_below_three_keepalives():
    result = build_plan(base(calico_bgp_timers={"hold": 1}))
    assert result.ok, [str(e) for e in result.errors]
    assert [str(w) for w in result.warnings if "calico_bgp_timers" in str(w)] == [
        "calico_bgp_timers: hold 1 is less than three keepalives (30). Fix: hold should be 3x keepalive."]


def test_every_malformed_community_is_named():
    result = build_plan(base(calico_bgp_communities=[{"name": "no-value"}, {"name": "bad-value", "value": "65000"}]))
    assert [str(e) for e in result.errors] == [
        "calico_bgp_communities[0], calico_bgp_communities[1]: must be {name, value, prefixes} with value like 65000:100 "
        "or 65000:100:200. Fix: fix the entry."]
