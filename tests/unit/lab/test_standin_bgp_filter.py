"""The stand-in's BGPFilter part: calico-node's confd rules (3.31.7, the lab's default) for the plan's ToR import filter."""

import jinja2
import yaml

from testpaths import REPO

from ansible_collections.onprem.calico.plugins.plugin_utils import resources
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext

FUNCTION = "'bgp_onprem-calico-tor-import_importFilterV4'"


def rendered(plan):
    files = {a.path: a.content for a in resources.render(plan, RenderContext())}
    return (list(yaml.safe_load_all(files["calico-resources.yaml"])),
            list(yaml.safe_load_all(files["calico-resources-k8s.yaml"])))


def test_the_tor_peers_call_the_filter_then_accept(lab_plan, standin):
    calico, k8s = rendered(lab_plan)
    cfg = standin.lab_bird_config("r1-w1", lab_plan, calico, k8s)
    assert cfg["bgp_filter_functions"] == [
        "# v4 BGPFilter onprem-calico-tor-import",
        "function %s() {" % FUNCTION,
        "  if ((net ~ 10.244.0.0/16)) then { accept; }",
        "  reject;",
        "}",
    ]
    assert cfg["bgp_filter_functions6"] == []
    assert {p["description"]: p["import_calls"] for p in cfg["peers"]} == {"tor1a": [FUNCTION], "tor1b": [FUNCTION]}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(REPO + "/playbooks/lab/templates"), trim_blocks=True)
    text = env.get_template("etc/calico/bird.cfg.j2").render(lab_bird=cfg, lab_family=4, inventory_hostname="r1-w1")
    assert "function %s() {\n  if ((net ~ 10.244.0.0/16)) then { accept; }\n  reject;\n}" % FUNCTION in text
    assert text.count("  import filter {\n    %s();\n    accept;\n  };" % FUNCTION) == 2
    assert text.count("import all;") == 1  # the kernel protocol only: no peer imports everything


def test_a_peer_without_filters_imports_everything(lab_plan, standin):
    calico, k8s = rendered(lab_plan)
    calico = [o for o in calico if o["kind"] != "BGPFilter"]  # named, but not (yet) in the datastore
    cfg = standin.lab_bird_config("r1-w1", lab_plan, calico, k8s)
    assert cfg["bgp_filter_functions"] == [] and all(p["import_calls"] == [] for p in cfg["peers"])


def test_filter_statements_follow_template_funcs(standin):
    rules = [{"action": "Accept", "matchOperator": "Equal", "cidr": "0.0.0.0/0"},
             {"action": "Accept", "matchOperator": "In", "cidr": "10.244.0.0/16", "prefixLength": {"min": 26}},
             {"action": "Reject", "matchOperator": "NotIn", "cidr": "10.0.0.0/8"},
             {"action": "Reject"}]
    lines = standin.bgp_filter_functions([{"metadata": {"name": "f"}, "spec": {"importV4": rules}}], 4)
    assert lines[2:] == ["  if ((net = 0.0.0.0/0)) then { accept; }", "  if ((net ~ [ 10.244.0.0/16{26,32} ])) then { accept; }",
                         "  if ((net !~ 10.0.0.0/8)) then { reject; }", "  reject;", "}"]
