"""Top-of-Rack router configuration from the plan.

``render(plan, ctx)`` returns the artifacts ``tor/<router>.conf`` of every router, all four
platforms in one pass, in pure Python: FRR and EOS / NX-OS configuration text, Junos XML.
"""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import Artifact
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.eos import render_eos
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.frr import render_frr
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.junos import render_junos
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import TorModel, build_model, build_models
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.nxos import render_nxos

RENDERERS = {"frr": render_frr, "eos": render_eos, "nxos": render_nxos, "junos": render_junos}


def artifact_path(router_name: str) -> str:
    return f"tor/{router_name}.conf"


def render_model(model: TorModel) -> str:
    return RENDERERS[model.platform](model)


def render(plan, ctx):
    """One configuration artifact per router; secret and 0600 when it holds the password."""
    artifacts = []
    for model in build_models(plan, ctx.secrets if ctx else None):
        secret = model.password is not None
        artifacts.append(
            Artifact(
                path=artifact_path(model.name),
                content=render_model(model),
                mode="0600" if secret else "0644",
                secret=secret,
            )
        )
    return artifacts


def router_config(plan, router_name, password=None) -> str:
    """The owned configuration of one router (what the push sends), any platform."""
    return render_model(build_model(plan["tor_routers"][router_name], {"bgp_password": password}))
