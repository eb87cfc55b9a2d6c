# onprem.calico: the two commands a newcomer needs are `make demo` and `make test`.
# Every target installs what it needs itself (apt packages as root, .venv from pins).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        ?= .venv
PY          := $(VENV)/bin/python
BIN         := $(VENV)/bin
SHARED      ?= $(abspath ../shared)
export CALICO_UPSTREAM_DIR ?= $(SHARED)/upstream/calico
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

# Debian packages the tests and the lab use (real FRR, BIRD, etcd, podman).
APT_PACKAGES := python3-venv rsync iproute2 iptables nftables ipset graphviz \
	frr frr-pythontools bird2 etcd-server etcd-client \
	podman runc fuse-overlayfs slirp4netns uidmap debootstrap

.PHONY: help setup apt venv link lint yamllint ansible-lint sanity unit integration \
	molecule e2e test demo demo-down bench clean

help:
	@echo "make demo   build the built-in lab and run site.yml on it"
	@echo "make test   run every test (lint, sanity, unit, integration, molecule, e2e)"

setup: apt venv link

# Checked on every run (a dpkg query, under a second) so packages a stage adds to
# APT_PACKAGES are installed without a stale stamp standing in the way.
apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	@touch $@

# The checkout seen as an installed collection, for ansible-playbook and pytest.
link: .collections/ansible_collections/onprem/calico
.collections/ansible_collections/onprem/calico:
	mkdir -p .collections/ansible_collections/onprem
	ln -sfn ../../.. $@

yamllint: venv
	$(BIN)/yamllint -s .

ansible-lint: venv link
	$(BIN)/ansible-lint --offline -q

lint: yamllint ansible-lint

# ansible-test reads the physical path and lists files with git when it finds a repository
# above the tree, so it runs on a copy outside this checkout.
SANITY_DIR ?= /tmp/onprem-calico-sanity
sanity: venv
	bash $(SHARED)/tools/ansible-test/install.sh >/dev/null
	mkdir -p $(SANITY_DIR)/ansible_collections/onprem/calico
	rsync -a --delete --exclude-from=.sanity-exclude ./ $(SANITY_DIR)/ansible_collections/onprem/calico/
	cd $(SANITY_DIR)/ansible_collections/onprem/calico && \
	  $(abspath $(BIN))/ansible-test sanity --venv --python 3.11 --color no

unit: venv link
	$(BIN)/pytest -q tests/unit

integration: setup
	$(BIN)/pytest -q tests/integration

-include mk/*.mk

# Every stage runs even when an earlier one fails (-k), so one CI run shows every failure;
# make still exits non-zero if any stage failed.
TEST_STAGES = lint sanity unit integration $(EXTRA_TEST_TARGETS)
test: setup
	@start=$$(date +%s); \
	if $(MAKE) --no-print-directory -k $(TEST_STAGES); then \
	  echo "make test: all stages passed ($(TEST_STAGES)) in $$(( $$(date +%s) - start )) s"; \
	else \
	  echo "make test: FAILED (stages: $(TEST_STAGES))"; exit 1; \
	fi

bench: venv link
	$(PY) benchmarks/plan_bench.py

clean:
	rm -rf build artifacts tests/output .pytest_cache
