"""Which etcd client URLs the plan accepts, and that it names every bad one (issue 18: mutants that
refused port 1 or 65535, upper-case host names and IPv6 hex digits, or stopped at the first bad
URL survived the tests).

Facts used: a TCP port is 1..65535 (RFC 6335 section 6: port 0 is reserved); host names compare
case-insensitively (RFC 4343) and IPv6 hex digits may be written in either case (RFC 4291
section 2.2); an etcd client URL is scheme://host:port (etcd's --listen-client-urls).
"""

from __future__ import annotations

import pytest
from plan_inputs import base, plan_of

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan


def etcd(endpoints, **cluster):
    return base(calico_datastore="etcd", calico_etcd_endpoints=endpoints, **cluster)


@pytest.mark.parametrize("endpoint", ["http://etcd1:1", "http://etcd1:65535", "http://ETCD1.Example.COM:2379", "http://[FD00::5]:2379",
                                      "http://[fd00::AbC]:2379"])
def test_a_valid_etcd_url_is_accepted_as_written(endpoint):
    section = plan_of(etcd([endpoint]))["manifest"]["etcd"]
    assert (section["endpoints"], section["tls"]) == ([endpoint], False)


def test_every_bad_etcd_url_is_named_and_a_later_https_url_still_asks_for_certificates():
    result = build_plan(etcd(["ftp://etcd1:2379", "etcd2:2379", "https://etcd3:2379"]))
    errors = [(e.subject, e.message) for e in result.errors]
    assert errors[:2] == [("calico_etcd_endpoints", "'ftp://etcd1:2379' is not a URL with scheme and port."),
                          ("calico_etcd_endpoints", "'etcd2:2379' is not a URL with scheme and port.")]
    assert [subject for subject, _message in errors[2:]] == ["calico_etcd_ca_file", "calico_etcd_cert_file", "calico_etcd_key_file"]
