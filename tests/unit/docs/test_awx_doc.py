"""docs/awx.md names real things: credential types that inject variables the collection reads,
survey questions for variables of the inventory contract or the roles, stage playbooks that exist.
A renamed variable or playbook fails here instead of silently breaking an AWX set-up.
"""

import os
import re

import yaml

from testpaths import REPO

from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import CLUSTER_VARS

with open(os.path.join(REPO, "docs", "awx.md"), encoding="utf-8") as _fh:
    DOC = _fh.read()

YAML_BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC, re.S)
# Variables the guide maps in group_vars/tor_routers.yml (site-level, not the collection's).
SITE_VARS = {"calico_router_user", "calico_router_password", "calico_router_enable_password"}


def role_options():
    names = set()
    roles = os.path.join(REPO, "roles")
    for role in os.listdir(roles):
        path = os.path.join(roles, role, "meta", "argument_specs.yml")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                for entry in (yaml.safe_load(fh).get("argument_specs") or {}).values():
                    names.update((entry or {}).get("options") or {})
    return names


def credential_types():
    """(inputs, injectors) pairs: each '# Input configuration' block and the block after it."""
    pairs = []
    for i, block in enumerate(YAML_BLOCKS):
        if block.startswith("# Input configuration"):
            assert YAML_BLOCKS[i + 1].startswith("# Injector configuration")
            pairs.append((yaml.safe_load(block), yaml.safe_load(YAML_BLOCKS[i + 1])))
    return pairs


def test_four_credential_types_are_documented():
    assert len(credential_types()) == 4


def test_injectors_use_declared_fields_and_known_variables():
    known = set(CLUSTER_VARS) | role_options() | SITE_VARS
    for inputs, injectors in credential_types():
        fields = {f["id"] for f in inputs["fields"]}
        assert set(inputs.get("required", [])) <= fields
        for value in yaml.safe_dump(injectors).split("\n"):
            for ref in re.findall(r"\{\{\s*([a-z_][a-z0-9_.]*)", value):
                assert ref in fields or ref.startswith("tower.filename"), ref
        for name in (injectors.get("extra_vars") or {}):
            assert not name.startswith("ansible_"), "AWX reserves ansible_* for itself: %s" % name
            assert name in known, "injected variable %s is not read by the collection" % name
        for name in (injectors.get("env") or {}):
            assert not name.startswith("ANSIBLE_"), name
        secret_fields = {f["id"] for f in inputs["fields"] if f.get("secret")}
        assert secret_fields, "every credential type here carries a secret"


def test_survey_variables_belong_to_the_contract_or_a_role():
    section = DOC[DOC.index("## 9. Survey"):DOC.index("## 10.")]
    rows = re.findall(r"^\| [^|]+ \| `([a-z_0-9]+)` \|", section, re.M)
    assert len(rows) >= 4
    known = set(CLUSTER_VARS) | role_options()
    assert [r for r in rows if r not in known] == []


def test_stage_playbooks_exist():
    stages = re.findall(r"import_playbook: onprem\.calico\.([a-z]+)", DOC) + re.findall(r"\.\.\. onprem\.calico\.([a-z]+)", DOC)
    assert {"plan", "preflight", "hosts", "manifest", "bgp", "tor", "verify", "render"} <= set(stages)
    for stage in stages:
        assert os.path.exists(os.path.join(REPO, "playbooks", stage + ".yml")), stage


def test_documented_credential_types_are_the_ones_the_workflow_playbook_creates():
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
    with open(os.path.join(REPO, "playbooks", "awx", "vars", "credential_types.yml"), encoding="utf-8") as fh:
        created = yaml.load(fh, Loader=Loader)["awx_calico_credential_types"]
    documented = credential_types()
    assert len(created) == len(documented)
    for entry, (inputs, injectors) in zip(created, documented):
        assert entry["inputs"] == inputs, entry["name"]
        assert entry["injectors"] == injectors, entry["name"]
        assert "### " + entry["name"] in DOC
