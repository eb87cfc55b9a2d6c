"""A BGP password never reaches an error message, however FRR's tool quotes the line holding it.

vtysh -C (FRR 8.4) reports a rejected line as ``line 3: % Unknown command[25]:  <the line>``,
so the password sits in the middle of the message line, not at its start.
"""

from __future__ import annotations

import pytest
from frr_router_sim import VTYSH, have_frr_tools, run_tool

from ansible_collections.onprem.calico.plugins.module_utils.frr_tor_config import FrrConfigError, FrrRouter, redact


def test_a_password_quoted_after_a_vtysh_prefix_is_redacted():
    said = "line 3: % Unknown command[25]:  neighbor CALICO-NODES password s3cret extra"
    assert redact(said) == "line 3: % Unknown command[25]:  neighbor CALICO-NODES password ******** extra"


@pytest.mark.parametrize("line", [" neighbor CALICO-NODES password s3cret", " no neighbor 10.1.1.11 password s3cret"])
def test_configuration_lines_keep_their_shape(line):
    assert redact(line + "\n") == line.replace("s3cret", "********") + "\n"


@pytest.mark.skipif(not have_frr_tools(), reason="needs FRR's vtysh (make apt)")
def test_the_real_vtysh_rejection_of_a_password_line_hides_the_password(tmp_path):
    path = tmp_path / "candidate.conf"
    path.write_text("router bgp 65001\n neighbor CALICO-NODES peer-group\n neighbor CALICO-NODES password s3cret extra\nexit\n")
    with pytest.raises(FrrConfigError) as caught:
        FrrRouter(run_tool, vtysh=VTYSH).check_file(str(path))
    assert "Unknown command" in str(caught.value) and "neighbor CALICO-NODES password ********" in str(caught.value)
    assert "s3cret" not in str(caught.value)
