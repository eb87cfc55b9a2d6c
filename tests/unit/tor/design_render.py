"""One rack's ToR of a sample plan rendered for one platform: input of the per-design tests.

Racks of ``sample_plan``: rack r1 has nodes node11 (10.0.1.11, fd00:0:1::b) and node12
(10.0.1.12, fd00:0:1::c) on 10.0.1.0/24 (fd00:0:1::/64); its ToR tor1 is AS 65001 in
as_per_rack, 65101 otherwise; the nodes are AS 65001 (as_per_rack), 65011 / 65012
(as_per_node) or 64512 (downward_default).
"""

from __future__ import annotations

from sample_plan import make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils import tor

PASSWORD = "s3cret-bgp"
POOL_V6 = "fd00:10:244::/56"


def one_rack_plan(design, platform, aggregates=(), **options):
    """make_plan with one rack; ``aggregates`` are rack pools as the plan core lists them."""
    plan = make_plan(design, platforms=(platform,), racks=1, **options)
    plan["tor_routers"]["tor1"]["aggregates"] = [{"prefix": p, "family": 6 if ":" in p else 4} for p in aggregates]
    return plan


def rendered_lines(design, platform, aggregates=(), **options):
    """The lines of tor1's configuration, as the push would send them."""
    plan = one_rack_plan(design, platform, aggregates, **options)
    return tor.router_config(plan, "tor1", PASSWORD if options.get("password") else None).splitlines()


def block(lines, first):
    """``first`` and the lines indented below it (one configuration mode)."""
    start = lines.index(first)
    depth = len(first) - len(first.lstrip())
    out = [first]
    for line in lines[start + 1:]:
        if len(line) - len(line.lstrip()) <= depth:
            break
        out.append(line)
    return out
