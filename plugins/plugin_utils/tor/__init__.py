"""Top-of-Rack router configuration from the plan.

``render(plan, ctx)`` returns the artifacts ``tor/<router>.conf`` of the FRR routers (pure
Python). EOS, NX-OS and Junos artifacts are written by ``roles/calico_tor/tasks/render.yml``
through the vendors' resource modules (``state: rendered``), fed by ``vendor_config()``.
"""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import Artifact
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.frr import render_frr
from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import build_model, build_models


def artifact_path(router_name: str) -> str:
    return f"tor/{router_name}.conf"


def render(plan, ctx):
    """One FRR configuration artifact per FRR router; secret and 0600 when it holds the password."""
    artifacts = []
    for model in build_models(plan, ctx.secrets if ctx else None, platforms=("frr",)):
        secret = model.password is not None
        artifacts.append(
            Artifact(
                path=artifact_path(model.name),
                content=render_frr(model),
                mode="0600" if secret else "0644",
                secret=secret,
            )
        )
    return artifacts


def vendor_config(plan, router_name, password=None):
    """Resource-module ``config:`` and template text of one EOS / NX-OS / Junos router."""
    from ansible_collections.onprem.calico.plugins.plugin_utils.tor import eos, junos, nxos

    model = build_model(plan["tor_routers"][router_name], {"bgp_password": password})
    renderer = {"eos": eos, "nxos": nxos, "junos": junos}.get(model.platform)
    if renderer is None:
        raise ValueError(f"{router_name}: platform {model.platform} has no vendor renderer")
    return renderer.vendor_config(model)
