"""Lab design rack_pools (inventory/lab-designs/rack_pools.yml): plan, stand-in and uplink scaffolding."""

import ipaddress
import os

import jinja2
import yaml

from inventory_loader import load_inventory
from testpaths import REPO, UPSTREAM_DIR

from ansible_collections.onprem.calico.plugins.plugin_utils import resources
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan

DESIGN = os.path.join(REPO, "inventory", "lab-designs", "rack_pools.yml")


def design_plan():
    with open(DESIGN, encoding="utf-8") as handle:
        extra = yaml.safe_load(handle)
    extra["calico_manifest_mirror"] = UPSTREAM_DIR
    result = build_plan(load_inventory(os.path.join(REPO, "inventory", "lab"), extra_vars=extra))
    assert result.ok and result.warnings == [], [str(i) for i in result.errors + result.warnings]
    return result.plan


def test_one_pool_per_rack_aggregated_by_the_racks_tors():
    plan = design_plan()
    assert {p["name"]: p["cidr"] for p in plan["ip_pools"]} == {"rack-r1-ipv4": "10.244.0.0/22", "rack-r2-ipv4": "10.244.4.0/22"}
    assert {t: r["aggregates"] for t, r in plan["tor_routers"].items()} == {
        "tor1a": [{"prefix": "10.244.0.0/22", "family": 4}], "tor1b": [{"prefix": "10.244.0.0/22", "family": 4}],
        "tor2a": [{"prefix": "10.244.4.0/22", "family": 4}]}


def test_standin_blocks_lie_in_the_nodes_rack_pool(standin):
    plan = design_plan()
    files = {a.path: a.content for a in resources.render(plan, RenderContext())}
    calico = list(yaml.safe_load_all(files["calico-resources.yaml"]))
    k8s = list(yaml.safe_load_all(files["calico-resources-k8s.yaml"]))
    pools = {"r1": "10.244.0.0/22", "r2": "10.244.4.0/22"}
    for node, info in plan["nodes"].items():
        cfg = standin.lab_bird_config(node, plan, calico, k8s)
        assert ipaddress.ip_network(cfg["pod_block"]).subnet_of(ipaddress.ip_network(pools[info["rack"]])), (node, cfg["pod_block"])
    assert standin.selector_matches("onprem.calico/rack in {'r1', 'r3'}", {"onprem.calico/rack": "r1"})
    assert not standin.selector_matches("onprem.calico/rack in {'r1'}", {"onprem.calico/rack": "r2"})


def test_lab_uplinks_call_the_uplink_map_only_with_rack_pools():
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(REPO, "playbooks", "lab", "templates")), trim_blocks=True)
    template = env.get_template("etc/frr/lab-uplink.conf.j2")
    common = dict(inventory_hostname="tor1a", calico_tor_asn=65001, calico_tor_router_id="10.255.1.1",
                  groups={"lab_spines": ["spine"]}, hostvars={"spine": {"lab_fabric_ip": "10.77.0.1"}})
    assert " call CALICO-TO-UPLINKS\n" in template.render(calico_rack_pool_prefix_length=22, **common)
    assert "CALICO-TO-UPLINKS" not in template.render(**common)
