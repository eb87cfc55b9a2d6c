"""The uplink filters of rack aggregates: each aggregate alone goes up, every longer prefix
inside it (up to a host route: /32 for IPv4, /128 for IPv6) is held back. A single-address
pool has no longer prefix, so it gets no specifics entry, and the aggregates after it still do.
"""

from __future__ import annotations

from sample_plan import make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils.tor.common import prefix_text, uplink_filters, uplink_route_map_lines
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import build_model


def model_with(aggregates):
    router = make_plan("as_per_rack", racks=1, pool_v6="fd00:10:244::/48")["tor_routers"]["tor1"]
    return build_model(dict(router, aggregates=aggregates))


def test_specifics_reach_the_host_route_of_each_family_and_skip_single_addresses():
    model = model_with([{"prefix": "10.244.7.1/32", "family": 4}, {"prefix": "10.244.0.0/24", "family": 4},
                        {"prefix": "fd00:10:244::/56", "family": 6}])
    held_back = [(family, aggregate.prefix, prefix_text(specifics)) for family, _a, _s, aggregate, specifics in uplink_filters(model)]
    assert held_back == [(4, "10.244.0.0/24", "10.244.0.0/24 ge 25 le 32"),
                         (6, "fd00:10:244::/56", "fd00:10:244::/56 ge 57 le 128")]


def test_ipv6_aggregates_use_the_ipv6_lists_and_match():
    model = model_with([{"prefix": "10.244.0.0/24", "family": 4}, {"prefix": "fd00:10:244::/56", "family": 6}])
    names = model.names
    lists = [(family, aggregate_list, specifics_list) for family, aggregate_list, specifics_list, _r, _s in uplink_filters(model)]
    assert lists == [(4, names.aggregate_v4, names.specifics_v4), (6, names.aggregate_v6, names.specifics_v6)]
    assert names.aggregate_v6 != names.aggregate_v4
    lines = uplink_route_map_lines(model, " ")
    assert " match ipv6 address prefix-list %s" % names.aggregate_v6 in lines
    assert " match ipv6 address prefix-list %s" % names.specifics_v6 in lines


def test_an_aggregate_of_a_family_the_router_does_not_serve_is_skipped_alone():
    router = make_plan("as_per_rack", racks=1)["tor_routers"]["tor1"]  # IPv4 only
    model = build_model(dict(router, aggregates=[{"prefix": "fd00:10:244::/56", "family": 6}, {"prefix": "10.244.0.0/24", "family": 4}]))
    assert [aggregate.prefix for _f, _a, _s, aggregate, _sp in uplink_filters(model)] == ["10.244.0.0/24"]
