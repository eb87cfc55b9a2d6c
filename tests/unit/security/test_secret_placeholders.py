"""Which secrets a render gets as placeholders and which an apply reads for real, and what a
missing one is called: the artifacts of an etcd-datastore or Typha-TLS cluster never hold a key."""

from __future__ import annotations

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import placeholders
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderError

# docs/awx.md and docs/tor.md show the BGP password's placeholder literally.
DOCUMENTED_BGP_PLACEHOLDER = "@@onprem.calico:secret:bgp_password@@"
CA_PEM = "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n"
CERT_PEM = "-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n"
KEY_PEM = "-----BEGIN PRIVATE KEY-----\nsecret-key\n-----END PRIVATE KEY-----\n"


@pytest.fixture
def etcd_plan(tmp_path):
    files = {}
    for name, text in (("ca_file", CA_PEM), ("cert_file", CERT_PEM), ("key_file", KEY_PEM)):
        path = tmp_path / name
        path.write_text(text)
        files[name] = str(path)
    return {"manifest": {"etcd": dict(tls=True, **files)}}


def test_the_placeholder_is_the_documented_token():
    assert placeholders.placeholder("bgp_password") == DOCUMENTED_BGP_PLACEHOLDER


def test_a_render_gets_the_public_etcd_certificates_and_a_placeholder_for_the_key(etcd_plan):
    assert placeholders.render_secrets(etcd_plan) == {
        "bgp_password": DOCUMENTED_BGP_PLACEHOLDER,
        "etcd_ca": CA_PEM,
        "etcd_cert": CERT_PEM,
        "etcd_key": "@@onprem.calico:secret:etcd_key@@",
    }


def test_a_render_without_etcd_tls_gets_only_the_password_placeholder(etcd_plan):
    etcd_plan["manifest"]["etcd"]["tls"] = False
    assert placeholders.render_secrets(etcd_plan) == {"bgp_password": DOCUMENTED_BGP_PLACEHOLDER}
    assert placeholders.secret_values(etcd_plan, None) == {}


def test_an_apply_reads_the_real_key_and_the_password_as_text(etcd_plan):
    # An inventory may hold a numeric password (YAML reads 12345 as an int): it is still text.
    assert placeholders.secret_values(etcd_plan, 12345) == {"bgp_password": "12345", "etcd_key": KEY_PEM}
    assert placeholders.secret_values(etcd_plan, "") == {"etcd_key": KEY_PEM}


def test_a_missing_typha_certificate_names_the_file_and_the_step_that_makes_it(tmp_path):
    plan = {"manifest": {"typha": {"tls": {"enabled": True, "pki_dir": str(tmp_path)}}}}
    with pytest.raises(RenderError) as missing:
        placeholders.render_secrets(plan)
    assert missing.value.messages == [
        "%s is missing; the Typha certificates are made by the calico_manifest role's typha_pki step (playbooks/render.yml runs "
        "it when calico_typha_tls is true)." % (tmp_path / "ca.crt")]


def test_a_missing_secret_deep_in_parsed_yaml_names_the_artifact_and_the_variable():
    objects = {"items": [{"stringData": {"password": DOCUMENTED_BGP_PLACEHOLDER}}]}
    with pytest.raises(placeholders.MissingSecret) as missing:
        placeholders.fill_objects(objects, {}, "secrets/calico-bgp-password.yaml")
    assert str(missing.value) == (
        "secrets/calico-bgp-password.yaml holds the placeholder of bgp_password, but no value was given at apply time; "
        "set calico_bgp_password (vaulted in the inventory, or through the AWX credential)")
    with pytest.raises(placeholders.MissingSecret, match="^the artifact holds the placeholder of bgp_password"):
        placeholders.fill_objects([DOCUMENTED_BGP_PLACEHOLDER], {})


def test_fill_leaves_numbers_and_other_scalars_alone():
    filled = placeholders.fill_objects({"asNumber": 64512, "enabled": True, "x": None}, {"bgp_password": "p"})
    assert filled == {"asNumber": 64512, "enabled": True, "x": None}


def test_a_missing_secret_in_router_text_names_the_artifact_or_says_the_artifact():
    with pytest.raises(placeholders.MissingSecret, match="^tor/r1.conf holds the placeholder of bgp_password"):
        placeholders.fill_text("neighbor X password %s\n" % DOCUMENTED_BGP_PLACEHOLDER, {}, "tor/r1.conf")
    with pytest.raises(placeholders.MissingSecret, match="^the artifact holds the placeholder of bgp_password"):
        placeholders.fill_text(DOCUMENTED_BGP_PLACEHOLDER, {})
