"""What every plan section shares: the input, the findings, and small parsers.

``_Ctx`` holds the validated cluster variables (``v``), the raw ``InventoryInput`` and the
findings. The parsers are cached per build because the plan compares the same addresses many
times.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
from typing import Any

from ansible_collections.onprem.calico.plugins.plugin_utils import input_schema
from ansible_collections.onprem.calico.plugins.plugin_utils.input_schema import as_bool as _as_bool  # noqa: F401 (shared by the sections)
from ansible_collections.onprem.calico.plugins.plugin_utils.input_schema import as_int as _as_int  # noqa: F401
from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import InventoryInput
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import Findings

AS_TRANS = 23456
# Private AS ranges (RFC 6996); anything else is public and worth a warning.
PRIVATE_AS = ((64512, 65534), (4200000000, 4294967294))


@functools.lru_cache(maxsize=None)
def _addr(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """Parsed address; the plan compares the same addresses many times."""
    return ipaddress.ip_address(text)


@functools.lru_cache(maxsize=None)
def _net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text)


def _ip(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return _addr(str(value).strip())
    except ValueError:
        return None


class _Ranges:
    """Membership of addresses in a set of non-overlapping networks, by binary search."""

    def __init__(self, networks):
        self._by_version = {}
        for version in (4, 6):
            nets = sorted(n for n in networks if n.version == version)
            self._by_version[version] = ([int(n.network_address) for n in nets], [int(n.broadcast_address) for n in nets])

    def __contains__(self, ip) -> bool:
        starts, ends = self._by_version[ip.version]
        i = bisect.bisect_right(starts, int(ip)) - 1
        return i >= 0 and int(ip) <= ends[i]


def _is_dotted_quad(value: Any) -> bool:
    try:
        ipaddress.IPv4Address(str(value))
        return True
    except ValueError:
        return False


class _Ctx:
    """State shared by the build steps: the input, the findings, and parsed values."""

    def __init__(self, inv: InventoryInput):
        self.inv = inv
        self.f = Findings()
        self.v: dict[str, Any] = {}

    # Cluster variables, converted by the input schema (a bad value is an error and the default
    # is used so that the rest of the checks still run), and the names the inventory sets.
    def load_cluster_vars(self) -> None:
        for host, var in self.inv.conflicts:
            self.f.error(
                host,
                "sets cluster variable %s to a value that differs from the cluster's." % var,
                "cluster variables apply to the whole cluster: set %s once in group_vars/all "
                "(or as an extra var), not per host or per group." % var,
            )
        self.v = input_schema.load_cluster(self.inv.cluster, self.f)
        if self.inv.set_names is not None:
            input_schema.check_set_names(self.inv.set_names, self.v["calico_allowed_extra_vars"], self.f)

    def network(self, subject: str, value: Any, family: int | None = None):
        """A strictly masked network, or None with an error."""
        text = str(value).strip()
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            self.f.error(subject, "%r is not a valid CIDR." % (value,), "write it as address/prefix, e.g. 10.244.0.0/16.")
            return None
        if "/" not in text:
            self.f.error(subject, "%r has no prefix length." % text, "write it as a network, e.g. %s." % loose)
            return None
        try:
            net = ipaddress.ip_network(text)
        except ValueError:
            self.f.error(subject, "%s has host bits set (the network is %s)." % (text, loose), "use the network address: %s." % loose)
            return None
        if family and net.version != family:
            self.f.error(subject, "%s is not an IPv%d network." % (text, family), "give an IPv%d CIDR." % family)
            return None
        return net


def _check_asn(ctx: _Ctx, subject: str, value: Any) -> int | None:
    asn = _as_int(value)
    if asn is None or not 1 <= asn <= 4294967295:
        ctx.f.error(
            subject, "AS number %r is not an integer in 1..4294967295." % (value,), "use a private AS such as 64512-65534 or 4200000000-4294967294."
        )
        return None
    if asn == AS_TRANS:
        ctx.f.error(subject, "AS 23456 is AS_TRANS (RFC 6793), reserved for 4-byte AS transition.", "use another AS number, e.g. from 64512-65534.")
        return None
    if not any(lo <= asn <= hi for lo, hi in PRIVATE_AS):
        ctx.f.warn(
            subject, "AS %d is not a private AS number (64512-65534, 4200000000-4294967294)." % asn, "use a private AS unless this AS is yours."
        )
    return asn


def _rejected(ctx: _Ctx, name: str) -> bool:
    """The inventory set a list or mapping variable, but its value was refused (and reported).

    Checks that depend on it stay quiet then: one wrong ``calico_racks`` is one error, not one
    per node that names a rack.
    """
    return ctx.inv.cluster.get(name) is not None and ctx.v[name] is input_schema.BY_NAME[name].default


def _valid_net(value: Any) -> bool:
    try:
        ipaddress.ip_network(str(value))
        return True
    except ValueError:
        return False


def _cidr_list(ctx: _Ctx, var: str) -> list[str]:
    out = []
    for item in ctx.v[var]:
        net = ctx.network(var, item)
        if net:
            out.append(str(net))
    return out
