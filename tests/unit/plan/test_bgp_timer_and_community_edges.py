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


TWO_POOLS = [{"name": "pods-a", "cidr": "192.168.0.0/17"}, {"name": "pods-b", "cidr": "192.168.128.0/17"}]


def community_errors(communities):
    return [str(e) for e in build_plan(base(calico_ip_pools=TWO_POOLS, calico_bgp_communities=communities)).errors]


def test_every_community_without_prefixes_is_named_with_the_pools_to_choose_from():
    # calicoctl refuses a community that no prefixAdvertisement uses.
    errors = community_errors([{"name": "a", "value": "65000:1"}, {"name": "b", "value": "65000:2"}])
    assert errors == [
        "calico_bgp_communities[%d]: (%s) is attached to no prefix; calicoctl refuses a community that no prefixAdvertisement uses. "
        "Fix: add prefixes: [<pool name or CIDR>] to it (pools: pods-a, pods-b), or remove it." % (i, name)
        for i, name in ((0, "a"), (1, "b"))
    ]


def test_prefixes_given_as_one_string_are_refused_as_no_list():
    # A YAML slip (prefixes: pods-a instead of [pods-a]) must not be read letter by letter.
    errors = community_errors([{"name": "a", "value": "65000:1", "prefixes": "pods-a"}])
    assert len(errors) == 1 and "(a) is attached to no prefix" in errors[0], errors


def test_every_unknown_prefix_of_a_community_is_named():
    errors = community_errors([{"name": "a", "value": "65000:1", "prefixes": ["nope", "pods-zz"]}])
    assert errors == [
        "calico_bgp_communities[0]: prefix %r is neither a pool name nor a CIDR. "
        "Fix: use one of the pools (pods-a, pods-b) or a CIDR such as 10.244.0.0/16." % prefix
        for prefix in ("nope", "pods-zz")
    ]
