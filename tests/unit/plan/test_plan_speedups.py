"""The integer and sorted versions of two plan helpers that were hot with hundreds of rack pools
give exactly what the straightforward versions give (issue 17, plan_bench with rack pools).

Each is checked against the obvious definition (``address_exclude``, every pool against every
other) on thousands of random cases of both families, with nesting, equal first addresses and
holes that are the whole network, plus the rack-pool shape plan_bench uses.
"""

from __future__ import annotations

import ipaddress
import random

from ansible_collections.onprem.calico.plugins.plugin_utils.plan.pools import _overlapping_later
from ansible_collections.onprem.calico.plugins.plugin_utils.plan.tor_sessions import _without


def without_by_address_exclude(networks, holes):
    out = list(networks)
    for hole in holes:
        pieces = []
        for net in out:
            pieces += list(net.address_exclude(hole)) if hole.version == net.version and hole.subnet_of(net) else [net]
        out = pieces
    return sorted(out)


def random_net(rng, parent, bits):
    offset = rng.randrange(parent.num_addresses)
    return ipaddress.ip_network((int(parent.network_address) + offset, rng.randint(parent.prefixlen, bits)), strict=False)


def random_case(rng):
    version = rng.choice((4, 6))
    bits = 32 if version == 4 else 128
    base = ipaddress.ip_network("10.0.0.0/%d" % rng.randint(4, 28) if version == 4 else "fd00::/%d" % rng.randint(8, 120), strict=False)
    networks = list(ipaddress.collapse_addresses(random_net(rng, base, bits) for _net in range(rng.randint(0, 6))))
    holes = [random_net(rng, rng.choice(networks) if networks and rng.random() < 0.8 else base, bits) for _hole in range(rng.randint(0, 3))]
    if networks and rng.random() < 0.1:
        holes.append(rng.choice(networks))  # a hole that is the whole network
    # One rack's own pools never overlap each other.
    return networks, list(ipaddress.collapse_addresses(holes)) if all(h.version == version for h in holes) else holes


def test_without_equals_address_exclude_on_random_networks():
    rng = random.Random(17)
    for _case in range(3000):
        networks, holes = random_case(rng)
        assert _without(networks, holes) == without_by_address_exclude(networks, holes), (networks, holes)


def test_without_on_the_rack_pool_shape():
    # 250 /20 rack pools of 100.64.0.0/10 collapsed, minus each rack's own: what every rack's routers send down.
    pools = [ipaddress.ip_network((int(ipaddress.ip_address("100.64.0.0")) + index * 4096, 20)) for index in range(250)]
    union = list(ipaddress.collapse_addresses(pools))
    for own in pools[::7]:
        result = _without(union, [own])
        assert result == without_by_address_exclude(union, [own])
        assert own not in result and sum(n.num_addresses for n in result) == 249 * 4096


def overlapping_pairwise(nets):
    return [[j for j in range(i + 1, len(nets)) if nets[i][1].version == nets[j][1].version and nets[i][1].overlaps(nets[j][1])]
            for i in range(len(nets))]


def test_overlapping_later_equals_every_pool_against_every_other():
    rng = random.Random(18)
    bases = (ipaddress.ip_network("10.0.0.0/12"), ipaddress.ip_network("fd00::/100"))
    for _case in range(2000):
        nets = []
        for _pool in range(rng.randint(0, 12)):
            base = rng.choice(bases)
            net = random_net(rng, base, base.max_prefixlen)
            if nets and rng.random() < 0.2:
                # Same first address as an earlier pool, another length.
                earlier = rng.choice(nets)[1]
                net = ipaddress.ip_network((earlier.network_address, rng.randint(earlier.prefixlen // 2, earlier.max_prefixlen)), strict=False)
            nets.append(({"name": "p%d" % len(nets)}, net))
        assert _overlapping_later(nets) == overlapping_pairwise(nets), nets


def test_build_plan_leaves_the_cycle_collector_as_it_found_it():
    import gc

    from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
    from plan_inputs import tor_base

    assert gc.isenabled()
    assert build_plan(tor_base()).ok and gc.isenabled()
    gc.disable()
    try:
        assert build_plan(tor_base()).ok and not gc.isenabled()
    finally:
        gc.enable()
