# The built-in lab (docs/lab.md): two racks of systemd containers with FRR ToRs, an FRR spine and
# BIRD 1.6 nodes standing in for calico-node, configured by the product's stages from inventory/lab.
# Needs root (debootstrap, privileged containers).
#   make demo [DESIGN=name]  build images if needed, bring the lab up in that BGP design
#                    (inventory/lab-designs/: as_per_rack (default), as_per_node, downward_default,
#                    full_mesh, route_reflectors, dual_stack, rack_pools), run the stages, print the report
#   make demo-down   remove the lab's containers and networks
#   make e2e         the end-to-end and fault tests (tests/e2e): a lab of their own, always removed
#   make lab-bench [DESIGNS="a b"]  per design: first converge, no-op rerun, ToR push -> Established
LAB_REPORT := artifacts/lab/report.md
DESIGN ?= as_per_rack
export LAB_DESIGN := $(DESIGN)
export CONTAINERS_CONF ?= $(CURDIR)/tests/images/containers.conf

APT_PACKAGES += debootstrap podman runc graphviz frr frr-pythontools bird2
EXTRA_TEST_TARGETS += e2e

.PHONY: lab-up demo demo-down e2e lab-bench

lab-up: setup
	@test "$$(id -u)" = 0 || { echo "the lab needs root (debootstrap, privileged containers)"; exit 1; }
	$(PY) lab/lab.py up

demo: lab-up
	lab/site.sh
	@echo
	@sed -n '1,/^## Routes seen/p' $(LAB_REPORT) | sed '$$d'
	@echo "Full report: $(LAB_REPORT) (topology: artifacts/lab/topology.svg). Remove the lab: make demo-down"

demo-down: venv
	$(PY) lab/lab.py down

e2e: setup
	$(BIN)/pytest -q --durations=0 tests/e2e

lab-bench: setup
	bash benchmarks/lab_bench.sh $(DESIGNS)
