"""The input schema: every variable a user of onprem.calico sets, declared once.

One ``Var`` per variable: where it applies (its scopes), its type, default, allowed values or
range, description, example and the Calico releases it exists for. Everything else is made from
this table and nothing else:

- the conversion and type checks of cluster variables (``load_cluster``, called by the plan core);
- the check of the names an inventory and the extra vars set (``check_set_names``): typos of a
  known name are errors with "did you mean", kubespray's names point to ours;
- docs/inventory.md, the options of every role's meta/argument_specs.yml and the AWX survey
  docs/awx/survey.json, written by tools/gen_docs.py (``--check`` fails on drift).

How to add a variable: add one ``Var`` below in the section it belongs to, run
``python tools/gen_docs.py --write`` and commit the regenerated files. A cluster variable then
appears in ``ctx.v`` of the plan core with its converted value; a role option appears in that
role's argument spec (give the role default the same value in roles/<role>/defaults/main.yml).

Scopes: ``cluster`` (group_vars/all or extra vars, one value for the cluster), ``node`` (host
variable of k8s_cluster hosts), ``router`` (host variable of tor_routers hosts),
``role:<role>`` / ``role:<role>:<entry point>`` (option of that role's argument spec),
``playbook:<file>`` (read by a stage playbook, or by a role's defaults as an inventory-facing
name), ``site:<doc>`` (a name the docs give a site's own wiring, e.g. AWX credential injectors;
known, so never reported as unknown, but the collection does not read it).

Pure Python: no Ansible import (docs/architecture.md).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from ansible_collections.onprem.calico.plugins.plugin_utils import artifacts, catalog

ENCAPSULATIONS = ("ipip", "ipip_cross_subnet", "vxlan", "vxlan_cross_subnet", "none")
BGP_MODES = ("full_mesh", "route_reflectors", "tor", "none")
TOR_DESIGNS = ("as_per_rack", "as_per_node", "downward_default")
TOR_PLATFORMS = ("frr", "eos", "nxos", "junos")
DATASTORES = ("kubernetes", "etcd")
TOR_NEIGHBOR_MODES = ("explicit", "listen_range")

# Defaults that are not single variables but shape BGP sessions on both ends.
DEFAULT_BGP_TIMERS = {"keepalive": 30, "hold": 90, "connect_retry": 10}
DEFAULT_GRACEFUL_RESTART = {"restart_time": 120, "stalepath_time": 360}

# Kubernetes minor versions kubernetes-validate (pinned in requirements.txt) has schemas for;
# used to name the version a YAML float most likely meant.
KUBERNETES_MINORS = tuple("1.%d" % minor for minor in range(25, 38))

# Types: how a raw value is converted, how the argument spec and the survey describe it.
#   str, path: a string (numbers are accepted and turned into text)
#   version:   a string that YAML must not read as a number (1.30 is the float 1.3)
#   int, bool, list, dict: as Ansible reads them ("yes"/"true"/"1" for bool, digits for int)
#   int_or_auto: an integer or the word auto
TYPES = ("str", "path", "version", "int", "bool", "list", "dict", "int_or_auto")

# No example: role options, and cluster variables whose `details` show one.
NO_EXAMPLE = object()


@dataclass(frozen=True)
class Var:
    name: str
    scopes: tuple[str, ...]
    type: str
    description: str  # Ansible markup: C(), O(), I(); converted for Markdown
    default: Any = None  # None: unset (optional), the plan derives or skips it
    default_text: str = ""  # how the docs describe a derived default ("ansible_host when it is an IP")
    example: Any = NO_EXAMPLE  # a value as one would write it; omitted when `details` shows one
    choices: tuple = ()
    minimum: int | None = None
    maximum: int | None = None
    # True while plan.py checks the bounds itself (with its own message): the schema documents
    # them (docs, survey) and the converter leaves them alone so nothing is reported twice.
    bounds_checked_by_plan: bool = False
    elements: str = ""  # element type of a list (argument specs)
    required: bool = False  # a role option the caller must give (calico_plan)
    secret: bool = False  # never printed, never in a survey, never copied into the plan
    # Role-specific sentences appended to the description in that role's argument spec.
    role_notes: tuple[tuple[str, str], ...] = ()
    section: str = ""  # heading in docs/inventory.md
    details: str = ""  # Markdown printed after the section's table (examples, nested keys)
    # Calico releases the variable applies to ("" = no limit), shown in docs/inventory.md; a
    # variable of a newer release is gated where it is used, like pool fields are in the plan.
    calico_min: str = ""
    calico_max: str = ""

    @property
    def optional(self) -> bool:
        return self.default is None

    def in_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def roles(self) -> list[tuple[str, str]]:
        """(role, entry point) pairs whose argument spec lists this variable."""
        out = []
        for scope in self.scopes:
            if scope.startswith("role:"):
                parts = scope.split(":")
                out.append((parts[1], parts[2] if len(parts) > 2 else "main"))
        return out


_POOLS_DETAILS = """`calico_ip_pools` entries: `name` (DNS-1123), `cidr`, and optionally `block_size`,
`encapsulation`, `nat_outgoing`, `racks` (list of rack names; the node selector is derived) or
`node_selector` (a Calico selector), `disabled`, `namespace_selector` (release-gated),
`ipip_mode` / `vxlan_mode` (`Always`, `CrossSubnet`, `Never`; advanced, override `encapsulation`).

```yaml
calico_ip_pools:
  - {name: rack1-ipv4, cidr: 10.244.0.0/18, racks: [rack1]}
  - {name: rack2-ipv4, cidr: 10.244.64.0/18, racks: [rack2], block_size: 27}
  - {name: old-pool, cidr: 10.244.128.0/18, disabled: true}
```"""

_RACKS_DETAILS = """`calico_racks` entries: `asn` (the rack's AS with `as_per_rack`), `subnets` (the rack's node
networks), `tor_routers` (hosts of `tor_routers`) and `index` (the rack's place in the pod CIDR with
`calico_rack_pool_prefix_length`: rack pools are carved at this index, so it must never change).

```yaml
calico_racks:
  rack1: {asn: 65001, subnets: [10.0.1.0/24], tor_routers: [tor1a, tor1b], index: 0}
  rack2: {asn: 65002, subnets: [10.0.2.0/24], tor_routers: [tor2a, tor2b], index: 1}
```"""

_ALLOW_DETAILS = """Preflight checks the names the inventory (hosts.yml, group_vars, host_vars) and the extra vars
set. A `calico_*` name within two edits of a known one is an error ("did you mean ..."), kubespray's
names for the same settings warn and name ours, any other unknown `calico_*` name is listed in one
warning. A site that keeps variables of its own under the `calico_` prefix lists them here (shell
patterns allowed):

```yaml
calico_allowed_extra_vars: [calico_site_owner, "calico_dc_*"]
```"""

C = ("cluster",)
NODE = ("node",)
ROUTER = ("router",)

VARIABLES: tuple[Var, ...] = (
    # --- cluster: release and datastore ---------------------------------------------------------
    Var("calico_cluster_name", C, "str", "DNS-1123 name of the cluster, used in artifacts and reports.",
        default="calico", example="prod-east", section="Release and datastore"),
    Var("calico_api_host", C, "str",
        "Inventory host (of C(k8s_cluster)) through which the stages reach the Kubernetes API and run calicoctl; its kubeconfig is used.",
        default_text="the first host of kube_control_plane", example="cp1", section="Release and datastore"),
    Var("calico_version", C, "version",
        "Calico release. Supported: %s; another release needs O(calico_manifest_sha256). Quote it." % ", ".join(catalog.SUPPORTED_VERSIONS),
        default=catalog.DEFAULT_VERSION, example="3.32.1", section="Release and datastore"),
    Var("calico_kubernetes_version", C, "version",
        "Kubernetes MAJOR.MINOR whose schemas validate the manifest offline. Quote it: C(1.30) unquoted is the number 1.3.",
        default="1.33", example="1.32", section="Release and datastore"),
    Var("calico_datastore", C, "str", "C(kubernetes) (API datastore) or C(etcd).",
        default="kubernetes", choices=DATASTORES, example="etcd", section="Release and datastore"),
    Var("calico_etcd_endpoints", C, "list", "etcd client URLs, scheme and port required.",
        default=[], elements="str", example=["https://10.0.0.5:2379"], section="Release and datastore"),
    Var("calico_etcd_ca_file", C, "path", "CA on the controller; required with https endpoints.",
        example="/etc/pki/etcd/ca.pem", section="Release and datastore"),
    Var("calico_etcd_cert_file", C, "path", "Client certificate on the controller.",
        example="/etc/pki/etcd/calico.pem", section="Release and datastore"),
    Var("calico_etcd_key_file", C, "path", "Client key on the controller (written to the cluster as a Secret, never printed).",
        example="/etc/pki/etcd/calico-key.pem", section="Release and datastore"),
    Var("calico_production", C, "bool",
        "Stricter rules: 2+ route reflectors, 3+ Typha replicas, no full mesh above 100 nodes.",
        default=False, example=True, section="Release and datastore"),
    Var("calico_allowed_extra_vars", C, "list",
        "Names (shell patterns allowed) of the site's own C(calico_*) variables, which preflight then does not report as unknown.",
        default=[], elements="str", section="Release and datastore", details=_ALLOW_DETAILS),
    # --- cluster: addresses and pools ----------------------------------------------------------
    Var("calico_pod_cidr", C, "str", "IPv4 pod range; every pool lies inside it.",
        default="192.168.0.0/16", example="10.244.0.0/16", section="Addresses and pools"),
    Var("calico_pod_cidr_v6", C, "str", "IPv6 pod range: dual stack.",
        example="fd00:10:244::/56", section="Addresses and pools"),
    Var("calico_service_cidr", C, "str", "Kubernetes service range (pools must not overlap it).",
        default="10.96.0.0/12", example="10.96.0.0/12", section="Addresses and pools"),
    Var("calico_node_subnets", C, "list",
        "Node networks when there are no racks; used for autodetection, firewall sources and overlap checks.",
        default=[], elements="str", example=["10.20.0.0/24"], section="Addresses and pools"),
    Var("calico_block_size", C, "int", "IPv4 block per node allocation.",
        default=26, minimum=20, maximum=32, bounds_checked_by_plan=True, example=27, section="Addresses and pools"),
    Var("calico_block_size_v6", C, "int", "IPv6 block size.",
        default=122, minimum=116, maximum=128, bounds_checked_by_plan=True, example=120, section="Addresses and pools"),
    Var("calico_encapsulation", C, "str",
        "Encapsulation of pod traffic between nodes. With C(calico_bgp_mode: tor) IP-in-IP Always is refused (set C(none)), and C(none) "
        "across several node subnets needs C(tor).",
        default="ipip", choices=ENCAPSULATIONS, example="vxlan_cross_subnet", section="Addresses and pools"),
    Var("calico_nat_outgoing", C, "bool", "SNAT pod traffic leaving the pools (IPv4).",
        default=True, example=False, section="Addresses and pools"),
    Var("calico_nat_outgoing_v6", C, "bool", "The same for IPv6.",
        default=False, example=True, section="Addresses and pools"),
    Var("calico_ip_pools", C, "list", "When set, these pools replace the default pool(s).",
        default=[], elements="dict", section="Addresses and pools", details=_POOLS_DETAILS),
    # --- rack pools and the exhaustion forecast (issue 17) ---
    Var("calico_max_pods_per_node", C, "int",
        "Pods a node may run (the kubelet's C(maxPods)); the exhaustion forecast counts this many addresses per node, rounded up to whole "
        "blocks, plus one tunnel address per node and family where the encapsulation uses one.",
        default=110, minimum=1, maximum=65535, example=250, section="Addresses and pools"),
    Var("calico_rack_pool_prefix_length", C, "int",
        "Turns on per-rack IPv4 pools: rack number C(calico_racks.<rack>.index) gets the pool of this prefix length at that index in "
        "O(calico_pod_cidr), selected by the rack label; the default pool for every node is then not created (docs/guides/rack-pools.md).",
        minimum=1, maximum=32, bounds_checked_by_plan=True, example=22, section="Addresses and pools"),
    Var("calico_rack_pool_prefix_length_v6", C, "int", "The same for IPv6, carved from O(calico_pod_cidr_v6).",
        minimum=1, maximum=128, bounds_checked_by_plan=True, example=64, section="Addresses and pools"),
    Var("calico_rack_pools_previous_cidr", C, "str",
        "Migration to rack pools: the CIDR of the existing cluster's default IPv4 pool, which stays enabled for every node until the "
        "racks have moved; outside O(calico_pod_cidr). Remove it once the old pool is disabled.",
        example="192.168.0.0/16", section="Addresses and pools"),
    Var("calico_rack_pools_previous_cidr_v6", C, "str", "The same for the existing default IPv6 pool.",
        example="fd00:10:244::/56", section="Addresses and pools"),
    Var("calico_ip_autodetection_method", C, "str",
        "C(IP_AUTODETECTION_METHOD); default C(cidr=<node subnets>), else C(kubernetes-internal-ip) (C(first-found) with etcd).",
        default_text="derived", example="interface=bond0", section="Addresses and pools"),
    Var("calico_ip6_autodetection_method", C, "str", "The same for IPv6 (dual stack).",
        default_text="derived", example="interface=bond0", section="Addresses and pools"),
    # --- cluster: MTU, kernel and sysctls --------------------------------------------------------
    Var("calico_mtu", C, "int_or_auto", "C(veth_mtu); C(auto) lets Felix detect it per node.",
        default="auto", minimum=576, maximum=9000, bounds_checked_by_plan=True, example=8930, section="MTU, kernel and sysctls"),
    Var("calico_interface_mtu", C + NODE, "int",
        "The nodes' uplink MTU (also a host variable); preflight warns when O(calico_mtu) leaves no room for the encapsulation.",
        default=1500, minimum=576, maximum=65535, bounds_checked_by_plan=True, example=9000, section="MTU, kernel and sysctls"),
    Var("calico_wireguard", C, "bool", "Prepares hosts for WireGuard (module, ports 51820/51821).",
        default=False, example=True, section="MTU, kernel and sysctls"),
    Var("calico_rp_filter", C, "int",
        "C(net.ipv4.conf.all.rp_filter) and C(net.ipv4.conf.default.rp_filter) (the kernel copies C(default) onto each new C(cali*) "
        "interface): 1 (strict) or 0; 2 (loose) is refused. Felix checks workload traffic with its own strict reverse-path rule "
        "(docs/host-preparation.md).",
        default=1, minimum=0, maximum=1, bounds_checked_by_plan=True, example=0, section="MTU, kernel and sysctls"),
    Var("calico_conntrack_max", C, "int", "C(net.netfilter.nf_conntrack_max).",
        minimum=1, example=1048576, section="MTU, kernel and sysctls"),
    Var("calico_sysctl_overrides", C, "dict", "Extra sysctls, merged last.",
        default={}, example={"net.core.somaxconn": 4096}, section="MTU, kernel and sysctls"),
    Var("calico_host_ports_from_pods", C, "list",
        "Host ports pods may reach on their own node, as C(PORT/tcp) or C(PORT/udp); every other port of the node is closed to pod "
        "sources. Typical entries: C(6443/tcp) (API server), C(10250/tcp) (kubelet), C(53/udp) (a node-local DNS).",
        default=[], elements="str", example=["6443/tcp", "53/udp"], section="Host firewall"),
    # --- cluster: BGP ----------------------------------------------------------------------------
    Var("calico_bgp_mode", C, "str", "C(none) needs VXLAN; C(tor) needs O(calico_tor_design) (docs/bgp.md).",
        default="full_mesh", choices=BGP_MODES, example="tor", section="BGP"),
    Var("calico_tor_design", C, "str", "With C(calico_bgp_mode=tor): how nodes and ToRs peer (docs/bgp.md).",
        choices=TOR_DESIGNS, example="as_per_rack", section="BGP"),
    Var("calico_asn", C, "int", "The nodes' AS in full mesh, route reflectors and downward default.",
        default=64512, minimum=1, maximum=4294967295, bounds_checked_by_plan=True, example=64600, section="BGP"),
    Var("calico_racks", C, "dict", "Racks: AS (C(as_per_rack)), node subnets, ToR routers.",
        default={}, section="BGP", details=_RACKS_DETAILS),
    Var("calico_rack_label", C, "str", "Node label that selectors use for racks.",
        default="onprem.calico/rack", example="topology.example.com/rack", section="BGP"),
    Var("calico_bgp_listen_port", C, "int", "BGPConfiguration C(listenPort).",
        default=179, minimum=1, maximum=65535, bounds_checked_by_plan=True, example=1179, section="BGP"),
    Var("calico_bgp_timers", C, "dict",
        "Session timers on the ToR side; keys C(keepalive), C(hold), C(connect_retry) (seconds), unset keys keep their default.",
        default={}, default_text="keepalive: %(keepalive)d, hold: %(hold)d, connect_retry: %(connect_retry)d" % DEFAULT_BGP_TIMERS,
        example={"keepalive": 3, "hold": 9}, section="BGP"),
    Var("calico_bgp_communities", C, "list",
        "BGP communities, each attached to the prefixes (pool names or CIDRs) it is advertised with (BGPConfiguration "
        "C(communities) and C(prefixAdvertisements)); a community attached to nothing is refused.",
        default=[], elements="dict", example=[{"name": "pods", "value": "65000:100", "prefixes": ["default-ipv4-ippool"]}], section="BGP"),
    Var("calico_bgp_peer_extra", C, "dict", "Extra BGPPeer fields, validated against the release's CRD schema.",
        default={}, example={"keepaliveTime": "30s"}, section="BGP"),
    Var("calico_bgp_password", C + ("role:calico_bgp", "role:calico_tor"), "str",
        "BGP MD5 password (keep it in a vault or an AWX credential); a Secret in the cluster, never printed.",
        secret=True, example="{{ vault_calico_bgp_password }}", section="BGP"),
    Var("calico_bgp_password_waived", C, "bool",
        "Accept ToR or route-reflector peering without O(calico_bgp_password) when O(calico_production) is true (a warning instead of "
        "an error). Without a password any host on a node subnet can open a session (docs/security.md).",
        default=False, example=True, section="BGP"),
    # day 2: retiring nodes (docs/guides/day2-lifecycle.md)
    Var("calico_retire", C, "list",
        "Nodes to retire: they stay in the inventory but the plan gives them no session, pool rule or host rule; "
        "C(playbooks/retire_node.yml) then takes them out of the cluster and the routers, and the ordinary stages leave them alone.",
        default=[], elements="str", example=["node07"], section="BGP"),
    Var("calico_advertise_service_cluster_ips", C, "bool", "Advertise O(calico_service_cidr).",
        default=False, example=True, section="BGP"),
    Var("calico_advertise_service_external_ips", C, "list", "External IP ranges to advertise.",
        default=[], elements="str", example=["203.0.113.0/28"], section="BGP"),
    Var("calico_advertise_service_loadbalancer_ips", C, "list", "Load-balancer IP ranges to advertise.",
        default=[], elements="str", example=["198.51.100.0/26"], section="BGP"),
    # --- cluster: ToR routers --------------------------------------------------------------------
    Var("calico_tor_neighbor_mode", C, "str", "One neighbour per node, or a listen range over the rack subnet.",
        default="explicit", choices=TOR_NEIGHBOR_MODES, example="listen_range", section="Top-of-Rack routers (cluster-wide settings)"),
    Var("calico_tor_maximum_prefix", C, "int", "Maximum prefixes accepted from each node.",
        default=12000, minimum=1, bounds_checked_by_plan=True, example=4000, section="Top-of-Rack routers (cluster-wide settings)"),
    Var("calico_tor_maximum_paths", C, "int", "ECMP paths.",
        default=8, minimum=1, bounds_checked_by_plan=True, example=16, section="Top-of-Rack routers (cluster-wide settings)"),
    Var("calico_tor_graceful_restart", C, "dict", "Graceful-restart timers (C(restart_time), C(stalepath_time), seconds).",
        default={}, default_text="restart_time: %(restart_time)d, stalepath_time: %(stalepath_time)d" % DEFAULT_GRACEFUL_RESTART,
        example={"restart_time": 60}, section="Top-of-Rack routers (cluster-wide settings)"),
    Var("calico_tor_object_prefix", C, "str", "Name prefix of every object the collection owns on a router.",
        default="CALICO-", example="K8S-CALICO-", section="Top-of-Rack routers (cluster-wide settings)"),
    Var("calico_tor_send_default", C, "bool",
        "C(as_per_rack) / C(as_per_node): also pass the default route the ToR learned from its uplinks down to the nodes (never "
        "originated). C(downward_default) always sends it, and only it.", default=False, example=True,
        section="Top-of-Rack routers (cluster-wide settings)"),
    Var("calico_bgp_ttl_security", C, "bool",
        "TTL security (GTSM, RFC 5082) on the node-ToR sessions: a session is accepted only from a directly connected peer "
        "(C(ttlSecurity: 1) on the BGPPeers, the platform's equivalent on the ToRs; docs/tor.md lists where a platform offers it).",
        default=False, example=True, section="Top-of-Rack routers (cluster-wide settings)"),
    Var("calico_tor_allow_duplicate_rack_asn", C, "bool",
        "Allow two racks to share an AS with C(as_per_rack). Only for fabrics built for it: the ToRs accept their own AS in paths "
        "(allowas-in) or the spine rewrites it (as-override); otherwise routes of one rack never reach the other.",
        default=False, example=True, section="Top-of-Rack routers (cluster-wide settings)"),
    # --- cluster: Typha --------------------------------------------------------------------------
    Var("calico_typha_node_threshold", C, "int", "Above this many nodes the Typha manifest is used.",
        default=50, minimum=0, bounds_checked_by_plan=True, example=30, section="Typha"),
    Var("calico_typha_replicas", C, "int_or_auto",
        "C(auto) = min(20, nodes - 1, max(ceil(nodes / 200), 3 in production else 1)).",
        default="auto", example=5, section="Typha"),
    Var("calico_typha_tls", C, "bool",
        "Felix and Typha talk over mutual TLS: a CA and both certificates are made once on the controller (O(calico_typha_pki_dir)) and "
        "mounted as Secrets (docs/security.md).", default=False, example=True, section="Typha"),
    Var("calico_typha_pki_dir", C, "path",
        "Controller directory of the Typha CA (its key never leaves it) and the certificates; outside O(calico_artifacts_dir).",
        default="typha-pki", example="~/.onprem-calico/prod/typha-pki", section="Typha"),
    # --- cluster: manifest source and images -----------------------------------------------------
    Var("calico_manifest_mirror", C, "str",
        "Directory or base URL laid out as C(<mirror>/v<version>/<file>) (air-gapped sites); a failed read of upstream names it.",
        example="/srv/mirror/calico", section="Manifest source and images"),
    Var("calico_manifest_sha256", C, "str", "Checksum of the manifest for a release outside the catalog.",
        example="3f5a...", section="Manifest source and images"),
    Var("calico_manifest_variant", C, "str", "Override the variant: one of %s, still validated against the datastore." % ", ".join(catalog.VARIANTS),
        default_text="derived", example="calico-typha.yaml", section="Manifest source and images"),
    Var("calico_image_registry", C, "str", "Rewrite Calico images to a registry mirror.",
        example="registry.example.com/mirror", section="Manifest source and images"),
    Var("calico_image_pull_secrets", C, "list", "Image pull secrets for Calico's pods.",
        default=[], elements="str", example=["mirror-pull"], section="Manifest source and images"),
    Var("calico_felix_env", C, "dict", "Extra C(FELIX_*) environment for calico-node.",
        default={}, example={"FELIX_LOGSEVERITYSCREEN": "warning"}, section="Manifest source and images"),
    Var("calico_artifacts_dir", C, "path", "Where rendered artifacts go (relative to the working directory).",
        default="artifacts", example="/var/lib/onprem-calico/prod-east", section="Manifest source and images"),
    # --- node host variables ---------------------------------------------------------------------
    Var("ansible_host", NODE + ROUTER, "str", "The host's address; a node's BGP address when it is an IP.",
        example="10.0.1.11"),
    Var("calico_node_ip", NODE, "str",
        "The node's BGP / tunnel address; required when C(ansible_host) is a name (render-only runs never resolve names or gather facts).",
        default_text="ansible_host when it is an IP", example="10.0.1.11"),
    Var("calico_node_ip6", NODE, "str", "The node's IPv6 address (dual stack).", example="fd00:1::11"),
    Var("calico_rack", NODE + ROUTER, "str", "The host's rack (a key of O(calico_racks)); an empty string is an error.", example="rack1"),
    Var("calico_node_asn", NODE, "int", "The node's own AS (C(as_per_node)).", example=4200000011),
    Var("calico_route_reflector_cluster_id", NODE, "str", "Required on route reflectors; dotted quad.", example="244.0.0.1"),
    # --- router host variables -------------------------------------------------------------------
    Var("calico_tor_platform", ROUTER, "str", "The router's platform.", choices=TOR_PLATFORMS, example="eos"),
    Var("calico_tor_asn", ROUTER, "int",
        "The AS configured on the router (this collection never changes it); in C(as_per_rack) it must equal the rack's, and the rack's "
        "is used when unset.", default_text="the rack's asn in as_per_rack", example=65001),
    Var("calico_tor_router_id", ROUTER, "str", "BGP router id.", example="10.255.1.1"),
    Var("calico_tor_peer_ip", ROUTER, "str", "The address nodes peer with; inside the rack subnet.", example="10.0.1.2"),
    Var("calico_tor_peer_ip6", ROUTER, "str",
        "The router's IPv6 address on the rack subnet, for the IPv6 sessions of a dual-stack cluster in ToR mode (calico-node's bird6 "
        "peers only with IPv6 neighbours).", example="fd00:0:1::2"),
    Var("calico_tor_cluster_id", ROUTER, "str", "Route-reflector cluster id (C(as_per_rack), Junos C(cluster)).",
        default_text="router id", example="10.255.1.1"),
    Var("ansible_network_os", ROUTER, "str",
        "Ansible's platform name for the router's connection; preflight checks it matches C(calico_tor_platform) (e.g. C(arista.eos.eos) "
        "for eos).", example="arista.eos.eos"),
    Var("ansible_connection", ROUTER, "str",
        "How Ansible reaches the router; preflight checks it is one the platform's push path supports.", example="ansible.netcommon.httpapi"),
    # --- every role ------------------------------------------------------------------------------
    Var("calico_plan", ("role:calico_bgp", "role:calico_host", "role:calico_manifest", "role:calico_tor", "role:calico_verify",
                        "role:calico_verify:tor", "role:calico_verify:node", "role:calico_verify:report"), "dict",
        "The plan built by C(onprem.calico.plan) (docs/plan.md); playbooks/plan.yml sets it on localhost, AWX workflows pass it on as an "
        "extra variable.", required=True,
        role_notes=(("calico_bgp", "The role reads C(bgp), C(nodes), C(racks), C(ip_pools), C(cluster) and C(manifest.etcd)."),
                    ("calico_host", "The role reads C(host_preparation), C(nodes), C(manifest.veth_mtu) and C(manifest.encapsulation_overhead)."),
                    ("calico_manifest", "The role reads C(cluster), C(manifest) and C(ip_pools) (through the renderer)."),
                    ("calico_tor", "The role reads C(tor_routers); pass C(hostvars['localhost'].calico_plan) on the routers."))),
    # --- role calico_manifest --------------------------------------------------------------------
    Var("calico_manifest_skip_api", ("role:calico_manifest",), "bool",
        "Render only and skip every API call (no API server in labs or during air-gapped preparation); a message says so and where the "
        "manifest is.", default=False),
    Var("calico_manifest_api_host", ("role:calico_manifest",), "str",
        "Inventory host that holds the kubeconfig; API tasks are delegated to it. It needs the Python C(kubernetes) package and kubectl. "
        "Empty means the plan's C(cluster.api_host) (C(calico_api_host), else the first host of C(kube_control_plane)).", default=""),
    Var("calico_manifest_kubeconfig", ("role:calico_manifest",), "path", "Kubeconfig on O(calico_manifest_api_host).",
        default="/etc/kubernetes/admin.conf"),
    Var("calico_manifest_kube_context", ("role:calico_manifest",), "str", "Kubeconfig context; empty means the current context.", default=""),
    Var("calico_manifest_kubectl", ("role:calico_manifest",), "str",
        "kubectl executable on O(calico_manifest_api_host), used by the rollout wait.", default="kubectl"),
    Var("calico_manifest_field_manager", ("role:calico_manifest",), "str", "Field manager name for server-side apply.", default="onprem-calico"),
    Var("calico_manifest_force_conflicts", ("role:calico_manifest",), "bool",
        "Take over fields that another field manager owns. With C(false) a conflict stops the apply and names the other manager.",
        default=False),
    Var("calico_manifest_crd_timeout", ("role:calico_manifest",), "int", "Seconds to wait for Calico's CRDs to be Established.", default=120),
    Var("calico_manifest_rollout_timeout", ("role:calico_manifest",), "int",
        "Seconds to wait for calico-node, calico-kube-controllers and calico-typha to roll out.", default=600),
    Var("calico_manifest_wait_interval", ("role:calico_manifest",), "int", "Seconds between two readiness checks.", default=5),
    Var("calico_manifest_max_events", ("role:calico_manifest",), "int", "Recent events shown per workload when the wait times out.", default=10),
    Var("calico_manifest_upstream_dir", ("role:calico_manifest",), "str",
        "Local directory laid out as C(<dir>/v<version>/<file>) to read the upstream manifest from, overriding C(calico_manifest_mirror). "
        "Empty means the plan's mirror or the upstream URL.", default=""),
    # --- role calico_bgp -------------------------------------------------------------------------
    Var("calico_bgp_api_host", ("role:calico_bgp",), "str",
        "Inventory host that runs calicoctl and the kubernetes.core tasks. Empty means the plan's C(cluster.api_host) (C(calico_api_host), "
        "else the first host of C(kube_control_plane)).", default=""),
    Var("calico_bgp_kubeconfig", ("role:calico_bgp",), "path",
        "Kubeconfig on the API host, for calicoctl (Kubernetes datastore) and kubernetes.core.", default="/etc/kubernetes/admin.conf"),
    Var("calico_bgp_kube_context", ("role:calico_bgp",), "str", "Context in the kubeconfig; empty means the current context.", default=""),
    Var("calico_bgp_use_kubernetes_api", ("role:calico_bgp",), "bool",
        "Whether the Kubernetes API is used (Node patches, password Secret and RBAC). Unset means true with the Kubernetes datastore or "
        "when BGP passwords are enabled, false otherwise."),
    Var("calico_api_host_architecture", C, "str",
        "Architecture of O(calico_api_host) (calicoctl's release binary suffix). Preflight checks the catalog has calicoctl's checksum "
        "for it and, when the cluster answers, that the host really is one, before the first change.",
        default="amd64", choices=tuple(sorted(set(catalog.CALICOCTL_ARCHITECTURES.values()))), example="arm64",
        section="calicoctl and the BGP stage"),
    Var("calico_bgp_calicoctl_install", ("role:calico_bgp", "cluster"), "bool",
        "Install calicoctl pinned to the plan's Calico version; false when provided otherwise.", default=True, example=False,
        section="calicoctl and the BGP stage"),
    Var("calico_bgp_calicoctl_path", ("role:calico_bgp",), "path",
        "Path calicoctl is run from (a link to the versioned binary when installed by the role).", default="/usr/local/bin/calicoctl"),
    Var("calico_bgp_calicoctl_dir", ("role:calico_bgp",), "path", "Directory holding the versioned calicoctl binaries.",
        default="/usr/local/lib/onprem-calico"),
    Var("calico_bgp_calicoctl_sha256", ("role:calico_bgp",), "str",
        "sha256 of C(calicoctl-linux-<arch>) for releases the version catalog does not know. Defaults to the inventory variable "
        "C(calico_calicoctl_sha256).", default=""),
    Var("calico_bgp_calicoctl_mirror", ("role:calico_bgp",), "str",
        "Base URL or directory holding C(v<version>/calicoctl-linux-<arch>); empty means the upstream GitHub release download. Defaults "
        "to the inventory variable C(calico_calicoctl_mirror).", default=""),
    Var("calico_bgp_etcd_tls_dir", ("role:calico_bgp",), "path",
        "Where the etcd client TLS files for calicoctl are put on the API host (mode 0600).", default="/etc/calico/calicoctl"),
    Var("calico_bgp_prune", ("role:calico_bgp",), "bool", "Delete objects with the managed-by label that the plan no longer has.", default=True),
    Var("calico_bgp_pool_allow_recreate", ("role:calico_bgp",), "bool",
        "Delete and recreate an IP pool whose CIDR or block size changed, instead of refusing with the migration steps. Only safe when no "
        "workload holds an address from the pool. Defaults to the inventory variable C(calico_ip_pool_allow_recreate).", default=False),
    Var("calico_bgp_verify", ("role:calico_bgp",), "bool", "Require every planned BGP session Established after applying.", default=True),
    Var("calico_bgp_verify_peer_kinds", ("role:calico_bgp",), "list",
        "Which planned sessions the stage waits for. ToR sessions are left to the tor stage and verify.yml, because the routers are "
        "configured after this stage.", default=["route_reflector", "node", "mesh"], elements="str",
        choices=("tor", "route_reflector", "node", "mesh")),
    Var("calico_bgp_skip_api", ("role:calico_bgp", "cluster"), "bool",
        "Render only. Build and schema-validate the objects, then skip calicoctl, the Kubernetes API and the datastore, saying so. For labs "
        "and air-gapped preparation without a cluster.", default=False, example=True, section="calicoctl and the BGP stage"),
    Var("calico_bgp_verify_retries", ("role:calico_bgp",), "int", "How many times session verification polls before failing.", default=30),
    Var("calico_bgp_verify_delay", ("role:calico_bgp",), "int", "Seconds between verification polls.", default=10),
    Var("calico_bgp_upstream_dir", ("role:calico_bgp",), "path",
        "Directory laid out as C(<dir>/v<version>/calico.yaml) to read the CRD schemas from; empty means the plan's mirror or the "
        "upstream URL.", default=""),
    Var("calico_calicoctl_sha256", ("playbook:roles/calico_bgp/defaults", "cluster"), "str",
        "Inventory name of O(calico_bgp_calicoctl_sha256): sha256 of C(calicoctl-linux-<arch>) for a release the catalog has no "
        "checksum for.", example="0123...cdef", section="calicoctl and the BGP stage"),
    Var("calico_calicoctl_mirror", ("playbook:roles/calico_bgp/defaults",), "str",
        "Inventory name of O(calico_bgp_calicoctl_mirror): base URL or directory holding C(v<version>/calicoctl-linux-<arch>).",
        example="https://mirror.example.com/calico"),
    Var("calico_ip_pool_allow_recreate", ("playbook:roles/calico_bgp/defaults",), "bool",
        "Inventory name of O(calico_bgp_pool_allow_recreate).", default=False, example=True),
    # --- role calico_host ------------------------------------------------------------------------
    Var("calico_host_firewall_backend", ("role:calico_host",), "str",
        "Firewall to put the plan's rules in. C(auto) picks the active one (running firewalld, active ufw, enabled nftables.service) in "
        "the OS family's order of preference, or C(none).", default="auto", choices=("auto", "firewalld", "ufw", "nftables", "none")),
    Var("calico_host_firewalld_zone", ("role:calico_host",), "str",
        "firewalld zone that gets the rich rules; empty means firewalld's default zone.", default=""),
    Var("calico_host_firewalld_calico_zone", ("role:calico_host",), "str",
        "firewalld zone of Calico's interfaces, owned whole by the role. Default target (reject); only the plan's C(ports_from_pods) are "
        "open (at most 17 characters).", default="calico"),
    Var("calico_host_firewalld_forward_policy", ("role:calico_host",), "str",
        "Name of the firewalld policy forwarding traffic from and to the pod CIDRs between zones (at most 18 characters).",
        default="calico-forward"),
    Var("calico_host_nftables_table", ("role:calico_host",), "str", "Name of the role's own nftables table (family inet).",
        default="onprem_calico"),
    Var("calico_host_nftables_file", ("role:calico_host",), "path", "File the nftables table is kept in.",
        default="/etc/nftables.d/onprem-calico.nft"),
    Var("calico_host_nftables_unit", ("role:calico_host",), "str",
        "systemd unit that loads the nftables file at boot, after nftables.service.", default="onprem-calico-nftables.service"),
    Var("calico_host_nftables_restrict", ("role:calico_host",), "bool",
        "Drop traffic to the plan's ports from sources the plan does not list (loopback excepted).", default=True),
    Var("calico_host_sysctl_file", ("role:calico_host",), "path",
        "The sysctl drop-in; its number must sort after the distribution's defaults.", default="/etc/sysctl.d/90-calico.conf"),
    Var("calico_host_modules_load_file", ("role:calico_host",), "path",
        "The modules-load.d drop-in listing the kernel modules to load at boot.", default="/etc/modules-load.d/calico.conf"),
    Var("calico_host_networkmanager_file", ("role:calico_host",), "path",
        "The NetworkManager drop-in marking Calico's interfaces unmanaged.", default="/etc/NetworkManager/conf.d/calico.conf"),
    Var("calico_host_kernel_check", ("role:calico_host",), "str", "What a missing required kernel module does.",
        default="fail", choices=("fail", "warn")),
    Var("calico_host_facts_check", ("role:calico_host",), "str",
        "What a C(calico_node_ip) that is not on the host, or an interface MTU without room for the encapsulation overhead, does. Facts "
        "only check the inventory; they never change artifacts.", default="fail", choices=("fail", "warn", "skip")),
    Var("calico_host_install_packages", ("role:calico_host",), "bool",
        "Install ipset, conntrack, iptables (and nftables for that backend) when missing.", default=True),
    # --- role calico_tor -------------------------------------------------------------------------
    Var("calico_tor_verify", ("role:calico_tor",), "bool",
        "Wait for every node session after the push and fail naming the missing or idle ones.", default=True),
    Var("calico_tor_verify_timeout", ("role:calico_tor",), "int", "Seconds to wait for the node sessions.", default=120),
    Var("calico_tor_rollback_on_failure", ("role:calico_tor",), "bool",
        "FRR - restore the previous configuration when verification fails (the host still fails).", default=True),
    Var("calico_tor_frr_backup_dir", ("role:calico_tor",), "path", "FRR - directory for previous configurations (mode 0600 files).",
        default="/var/lib/onprem-calico/frr"),
    Var("calico_tor_frr_config_file", ("role:calico_tor",), "str",
        "FRR - file the applied configuration is saved to; empty leaves it alone.", default="/etc/frr/frr.conf"),
    Var("calico_tor_frr_vty_socket", ("role:calico_tor",), "str",
        "FRR - vty socket directory when not the default (one FRR per namespace); empty for the default.", default=""),
    Var("calico_tor_frr_reload", ("role:calico_tor",), "path", "FRR - path of frr-reload.py.", default="/usr/lib/frr/frr-reload.py"),
    Var("calico_tor_junos_confirm_minutes", ("role:calico_tor",), "int",
        "Junos - minutes until an unconfirmed commit rolls back by itself.", default=5),
    Var("calico_tor_update_password", ("role:calico_tor",), "str",
        "EOS / NX-OS - routers store the BGP password encrypted, so it cannot be compared with the plan's. V(on_create) counts a "
        "password already set as equal (a second run reports changed=0); V(always) sends it on every run (once, after changing "
        "C(calico_bgp_password)).", default="on_create", choices=("on_create", "always")),
    Var("calico_tor_verify_delay", ("role:calico_tor",), "int",
        "Seconds between two looks at the BGP summary while waiting for the node sessions.", default=5),
    Var("calico_tor_eos_commit_timer", ("role:calico_tor",), "str",
        "EOS - commit timer (hh:mm:ss) of the configuration session; EOS restores the previous configuration by itself unless the push "
        "confirms the commit after verification.", default="00:05:00"),
    Var("calico_tor_nxos_leftover_checkpoint", ("role:calico_tor",), "str",
        "NX-OS - what to do with a checkpoint an earlier push left behind (it stopped before verifying its change) - V(fail) to look "
        "first, V(rollback) to restore the configuration from before that push, V(continue) to keep the current one.",
        default="fail", choices=("fail", "rollback", "continue")),
    # --- stage playbooks -------------------------------------------------------------------------
    Var("calico_preflight_cluster_check", ("playbook:preflight.yml",), "bool",
        "Compare the pod CIDR with kubeadm's C(podSubnet) on the live cluster (read-only); false for render-only runs and labs.",
        default=True, example=False),
    Var("calico_host_serial", ("playbook:hosts.yml",), "str",
        "Batch size of the host stage (Ansible C(serial)); a failed host stops the following batches.", default="100%", example="10%"),
    Var("calico_renderers", ("playbook:render.yml",), "list",
        "Renderers the render stage runs; unset runs all of them (C(plan.json) is always written).", elements="str",
        choices=artifacts.RENDERERS, example=["resources"]),
    Var("calico_artifacts_publish", ("playbook:render.yml",), "str",
        "Where the render copies its artifacts so they outlive the job: a directory (one subdirectory per run) or C(git+<url>) (one "
        "commit per run). The location and digest are handed on as O(calico_apply_from) and O(calico_apply_digest) (docs/awx.md).",
        example="git+ssh://git.example.com/netops/calico-artifacts.git"),
    Var("calico_apply_from", ("playbook:plan.yml",), "str",
        "An approved, published render (a directory or C(git+<url>#<commit>)). Every stage renders the current inventory again and "
        "stops before the first change when anything differs from it; otherwise it applies exactly those artifacts.",
        example="/srv/calico-artifacts/20261129T150000Z"),
    Var("calico_apply_digest", ("playbook:plan.yml",), "str",
        "The digest of the approved render's C(artifacts.json), checked before anything is compared (handed on by the render job).",
        example="sha256:0f1e..."),
    Var("calico_apply_sliced", ("playbook:plan.yml",), "bool",
        "For sliced AWX job templates, which see only some hosts: take the approved C(plan.json) from O(calico_apply_from) instead of "
        "planning from the slice (an earlier workflow node compared it with the whole inventory).", default=False, example=True),
    # --- cluster lock (playbooks/lock.yml, unlock.yml; docs/operations.md) ------------------------
    Var("calico_lock_timeout", ("playbook:lock.yml",), "int",
        "Seconds after which another run's cluster lock counts as stale (a run killed with SIGKILL cannot release it); only a stale "
        "lock can be broken, with O(calico_lock_break). Longer than your longest C(site.yml) run.", default=10800, minimum=60,
        example=21600),
    Var("calico_lock_break", ("playbook:lock.yml",), "bool",
        "Take the cluster lock from another run when it is older than O(calico_lock_timeout). Check first that the run named by the "
        "error is really gone.", default=False, example=True),
    Var("calico_lock_holder", ("playbook:unlock.yml",), "str",
        "The holder whose cluster lock C(playbooks/unlock.yml) releases (as named by the error, e.g. C(awx-job-4711)); empty means this "
        "run's own.", example="awx-job-4711"),
    Var("calico_upgrade_force", ("playbook:upgrade_guard.yml",), "bool",
        "Let C(site.yml) move the cluster to O(calico_version) even when that is a downgrade, or skips a minor release, from the release "
        "running in the cluster (docs/upgrade.md). Without it both stop the run before any change, naming the two versions.",
        default=False, example=True),
    # day 2: uninstall and retire (docs/guides/day2-lifecycle.md)
    Var("calico_uninstall_confirm", ("playbook:uninstall.yml",), "str",
        "Must be V(yes) for C(playbooks/uninstall.yml) to change anything; otherwise it stops before the first change.",
        example="yes"),
    Var("calico_retire_force", ("playbook:retire_node.yml",), "bool",
        "Retire the nodes of O(calico_retire) although their Kubernetes nodes still run pods other than DaemonSet pods.",
        default=False, example=True),
    # --- role calico_verify -----------------------------------------------------------------------
    Var("calico_verify_timeout", ("role:calico_verify", "role:calico_verify:tor", "role:calico_verify:node"), "int",
        "Seconds to wait for the planned sessions to be Established before reporting.", default=120, example=300),
    Var("calico_verify_node_source", ("role:calico_verify", "role:calico_verify:node", "role:calico_verify:report"), "str",
        "Where the nodes' view comes from. C(bird) - calico-node's BIRD control sockets on each node. C(api) - CalicoNodeStatus objects "
        "through the API (read in the C(report) entry point). C(none) - the routers' view only.", default="bird",
        choices=("bird", "api", "none")),
    Var("calico_verify_allow_unverified", ("role:calico_verify", "role:calico_verify:report"), "bool",
        "Accept planned sessions that nobody could check (no router answer, no node view). By default they fail the stage; either way "
        "the report lists them.", default=False),
    Var("calico_verify_api_host", ("role:calico_verify", "role:calico_verify:report"), "str",
        "C(api) - the host calicoctl runs on. Empty means the plan's C(cluster.api_host).", default=""),
    Var("calico_verify_calicoctl_path", ("role:calico_verify", "role:calico_verify:report"), "path",
        "C(api) - calicoctl on that host.", default="/usr/local/bin/calicoctl"),
    Var("calico_verify_kubeconfig", ("role:calico_verify", "role:calico_verify:report"), "path",
        "C(api) - kubeconfig on that host (Kubernetes datastore).", default="/etc/kubernetes/admin.conf"),
    Var("calico_verify_etcd_tls_dir", ("role:calico_verify", "role:calico_verify:report"), "path",
        "C(api) - directory of C(ca.pem), C(cert.pem), C(key.pem) (etcd with TLS; the calico_bgp role puts them there).",
        default="/etc/calico/calicoctl"),
    Var("calico_verify_skipped_extra", ("role:calico_verify", "role:calico_verify:report"), "list",
        "More stages the run did not do, each C({stage, reason}), for the report's Skipped section (the API stages skipped with "
        "C(calico_manifest_skip_api) / C(calico_bgp_skip_api) are listed anyway).", default=[], elements="dict"),
    # --- site wiring the docs prescribe -----------------------------------------------------------
    Var("calico_router_user", ("site:docs/awx.md",), "str",
        "Router login injected by the AWX credential type C(onprem.calico ToR router); group_vars/tor_routers.yml maps it to "
        "C(ansible_user).", example="netops"),
    Var("calico_router_password", ("site:docs/awx.md",), "str",
        "Router password from the same credential, mapped to C(ansible_password).", secret=True, example="{{ vault_router_password }}"),
    Var("calico_router_enable_password", ("site:docs/awx.md",), "str",
        "Enable password (EOS / NX-OS) from the same credential, mapped to C(ansible_become_password).", secret=True,
        example="{{ vault_router_enable_password }}"),
)

BY_NAME: dict[str, Var] = {v.name: v for v in VARIABLES}


def names(scope: str) -> tuple[str, ...]:
    """Names of the variables of one scope, in table order."""
    return tuple(v.name for v in VARIABLES if v.in_scope(scope))


# --- conversion ------------------------------------------------------------------------------

_EXPECTED = {
    "str": "a string",
    "path": "a string",
    "version": "a quoted string",
    "int": "an integer",
    "int_or_auto": "an integer or 'auto'",
    "bool": "true or false",
    "list": "a list",
    "dict": "a mapping",
}


def as_bool(value: Any) -> bool | None:
    """A boolean as Ansible accepts one (true/yes/on/1 and false/no/off/0), else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0"):
        return False
    if isinstance(value, int):
        return bool(value)
    return None


def as_int(value: Any) -> int | None:
    """An integer, or digits in a string (survey answers arrive as text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _convert(var: Var, raw: Any) -> tuple[Any, bool]:
    """(converted value, ok) for one raw value of a variable's type."""
    kind = var.type
    if kind in ("str", "path"):
        if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
            return str(raw), True
    elif kind == "version":
        if isinstance(raw, str):
            return raw, True
    elif kind == "int":
        value = as_int(raw)
        if value is not None:
            return value, True
    elif kind == "int_or_auto":
        if raw == "auto":
            return "auto", True
        value = as_int(raw)
        if value is not None:
            return value, True
    elif kind == "bool":
        value = as_bool(raw)
        if value is not None:
            return value, True
    elif kind == "list":
        if isinstance(raw, (list, tuple)):
            return list(raw), True
    elif kind == "dict":
        if isinstance(raw, dict):
            return dict(raw), True
    return None, False


def version_meant(var: Var, number: float | int) -> str:
    """The quoted version a YAML number most likely stood for: 1.3 -> "1.30", 3.3 -> "3.30.7".

    YAML drops trailing zeros of a float, so every MAJOR.MINOR whose float equals the number is
    a candidate; the one the collection knows (a supported Calico release, a Kubernetes minor
    kubernetes-validate has schemas for) wins.
    """
    if var.name == "calico_version":
        for release in reversed(catalog.SUPPORTED_VERSIONS):
            if float(".".join(release.split(".")[:2])) == float(number):
                return release
    else:
        for minor in KUBERNETES_MINORS:
            if float(minor) == float(number):
                return minor
    return str(number)


def load_cluster(cluster: Mapping[str, Any], findings, schema: Sequence[Var] = VARIABLES) -> dict[str, Any]:
    """Every cluster variable converted by its declared type, with its default when unset.

    A value of the wrong type is an error and the default is used, so that the rest of the
    checks still run; a value outside the allowed values is an error and kept as given (the
    checks that read it fall back on their own).
    """
    return {var.name: _load_one(var, cluster.get(var.name), findings) for var in schema if var.in_scope("cluster")}


def _load_one(var: Var, raw: Any, findings) -> Any:
    if raw is None or (raw == "" and var.optional):
        return var.default
    if var.type == "version" and isinstance(raw, (int, float)) and not isinstance(raw, bool):
        meant = version_meant(var, raw)
        findings.error(
            var.name,
            "is the number %r: YAML reads an unquoted version as a number and drops trailing zeros." % raw,
            'quote it: %s: "%s".' % (var.name, meant),
        )
        return var.default
    value, ok = _convert(var, raw)
    if not ok:
        findings.error(var.name, "must be %s, got %r." % (_EXPECTED[var.type], raw), "set %s to %s." % (var.name, _EXPECTED[var.type]))
        return var.default
    # As in Ansible's argument specs, the choices of a list apply to each element.
    outside = [x for x in (value if var.type == "list" else [value]) if x not in var.choices] if var.choices else []
    if outside:
        findings.error(var.name, "is %r, not one of: %s." % (outside[0] if var.type == "list" else value, ", ".join(map(str, var.choices))),
                       "pick one of %s." % ", ".join(map(str, var.choices)))
        return value
    if isinstance(value, int) and not var.bounds_checked_by_plan and not _within(var, value):
        findings.error(var.name, "is %d, outside %s." % (value, bounds_text(var)), "use a value in %s." % bounds_text(var))
        return var.default
    return value


def _within(var: Var, value: int) -> bool:
    return (var.minimum is None or value >= var.minimum) and (var.maximum is None or value <= var.maximum)


def bounds_text(var: Var) -> str:
    if var.minimum is not None and var.maximum is not None:
        return "%d..%d" % (var.minimum, var.maximum)
    if var.minimum is not None:
        return ">= %d" % var.minimum
    if var.maximum is not None:
        return "<= %d" % var.maximum
    return ""


# --- names the inventory sets ----------------------------------------------------------------

# Names kubespray gives the same settings (inventory/sample/group_vars/k8s_cluster/k8s-net-calico.yml,
# docs/calico.md): a site moving over keeps them by habit, and they would silently do nothing.
KUBESPRAY_NAMES = {
    "calico_pool_blocksize": "calico_block_size",
    "calico_pool_blocksize_ipv6": "calico_block_size_v6",
    "calico_pool_cidr": "calico_pod_cidr",
    "calico_pool_cidr_ipv6": "calico_pod_cidr_v6",
    "calico_ipip_mode": "calico_encapsulation",
    "calico_vxlan_mode": "calico_encapsulation",
    "calico_network_backend": "calico_encapsulation",
    "calico_rr_id": "calico_route_reflector_cluster_id",
    "calico_veth_mtu": "calico_mtu",
    "calico_advertise_cluster_ips": "calico_advertise_service_cluster_ips",
    "calico_ip_auto_method": "calico_ip_autodetection_method",
    "calico_ip6_auto_method": "calico_ip6_autodetection_method",
    "calico_wireguard_enabled": "calico_wireguard",
}
# A name this close to a known one is taken for a typo of it.
TYPO_DISTANCE = 2
# How many places a name's message lists before "and N more".
WHERE_SHOWN = 3


def edit_distance(a: str, b: str, limit: int = TYPO_DISTANCE) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), or limit + 1 when above limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _where(places: Sequence[str]) -> str:
    shown = ", ".join(places[:WHERE_SHOWN])
    more = len(places) - WHERE_SHOWN
    return shown + (" and %d more" % more if more > 0 else "")


def check_set_names(set_names: Mapping[str, Sequence[str]], allowed: Iterable[str], findings,
                    schema: Sequence[Var] = VARIABLES) -> None:
    """Report the ``calico_*`` names an inventory sets that the collection does not read.

    ``set_names`` maps each name the inventory and the extra vars set to where it was set (a file,
    a group, "extra vars"), as far as the caller can tell; ``allowed`` are the site's own names
    or shell patterns (calico_allowed_extra_vars).
    """
    known = {v.name for v in schema}
    patterns = [str(p) for p in allowed]
    unknown = []
    for name in sorted(set_names):
        if not name.startswith("calico_") or name in known or any(fnmatch.fnmatchcase(name, p) for p in patterns):
            continue
        where = _where(list(set_names[name]) or ["the inventory"])
        ours = KUBESPRAY_NAMES.get(name)
        if ours:
            findings.warn(
                name,
                "is kubespray's name; onprem.calico does not read it (set in %s)." % where,
                "set %s instead (docs/inventory.md)." % ours,
            )
            continue
        close = _closest(name, known)
        if close:
            findings.error(
                name,
                "is not a variable of onprem.calico (set in %s). Did you mean %s?" % (where, " or ".join(close)),
                "rename it to %s, or list it in calico_allowed_extra_vars if it is the site's own." % close[0],
            )
            continue
        unknown.append("%s (%s)" % (name, where))
    if unknown:
        findings.warn(
            "calico_allowed_extra_vars",
            "%d variable(s) set in the inventory or extra vars are not read by onprem.calico: %s." % (len(unknown), "; ".join(unknown)),
            "remove them, fix their names (docs/inventory.md), or list the site's own in calico_allowed_extra_vars.",
        )


def _closest(name: str, known: Iterable[str]) -> list[str]:
    scored = [(edit_distance(name, k), k) for k in known if k.startswith("calico_")]
    best = min((distance for distance, _name in scored), default=TYPO_DISTANCE + 1)
    if best > TYPO_DISTANCE:
        return []
    return sorted(candidate for distance, candidate in scored if distance == best)


# --- survey ----------------------------------------------------------------------------------

_SURVEY_TYPES = {"str": "text", "path": "text", "version": "text", "int_or_auto": "text", "int": "integer", "bool": "multiplechoice"}


def survey_vars(schema: Sequence[Var] = VARIABLES) -> list[Var]:
    """Cluster variables a survey can ask for: scalars, not secrets."""
    return [v for v in schema if v.in_scope("cluster") and v.type in _SURVEY_TYPES and not v.secret]


def survey_spec(schema: Sequence[Var] = VARIABLES) -> dict:
    """An AWX survey spec for the render and preflight job templates.

    Every question is optional and has no default: an answer becomes an extra variable, which
    wins over group_vars, so a pre-filled default would override the inventory's reviewed value.
    The schema default is named in the description instead.
    """
    spec = []
    for var in survey_vars(schema):
        question = {
            "question_name": var.name,
            "question_description": _plain(var.description) + _survey_default(var),
            "variable": var.name,
            "type": _SURVEY_TYPES[var.type],
            "required": False,
        }
        if var.type == "bool":
            question["choices"] = ["true", "false"]
        elif var.choices:
            question["type"] = "multiplechoice"
            question["choices"] = [str(c) for c in var.choices]
        if var.type == "int" and not survey_int_bounds_fit(var):
            question["type"] = "text"
        elif var.type == "int":
            question["min"] = var.minimum if var.minimum is not None else -(2 ** 31)
            question["max"] = var.maximum if var.maximum is not None else 2 ** 31 - 1
        spec.append(question)
    return {
        "name": "onprem.calico cluster variables",
        "description": "Generated from plugins/plugin_utils/input_schema.py by tools/gen_docs.py; leave a question empty to keep "
                       "the inventory's value.",
        "spec": spec,
    }


def _survey_default(var: Var) -> str:
    if var.default_text:
        return " Empty: the inventory's value, else %s." % var.default_text
    if var.default is None or var.default == "":
        return " Empty: the inventory's value, else unset."
    shown = str(var.default).lower() if isinstance(var.default, bool) else str(var.default)
    return " Empty: the inventory's value, else %s." % shown


def _plain(text: str) -> str:
    """Ansible markup without the markers (survey descriptions are plain text)."""
    return re.sub(r"\b[COIBVMEP]\(([^)]*)\)", r"\1", text)


def survey_int_bounds_fit(var: Var) -> bool:
    """AWX integer questions hold 32-bit values; larger bounds (4-byte AS numbers) are text."""
    return all(b is None or abs(b) < 2 ** 31 for b in (var.minimum, var.maximum))
