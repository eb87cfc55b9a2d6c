# Molecule scenarios of the calico_host role: real systemd containers (podman, runc) from a local
# Debian image built by tests/images/build-image.sh; no image registry. Needs root.
#   make molecule                          every scenario, in parallel
#   make molecule MOLECULE_SCENARIOS=ufw   one scenario
MOLECULE_SCENARIOS ?= nftables firewalld ufw missing-ipip uninstall
# Scenarios are mostly waiting on podman exec round trips, so they overlap well even on 2 cores.
MOLECULE_JOBS ?= 4
MOLECULE_LOGS := build/molecule
export CONTAINERS_CONF ?= $(CURDIR)/tests/images/containers.conf

# One image for every scenario: each firewall is installed, none runs until a scenario starts it.
HOST_IMAGE := onprem-calico-host
HOST_IMAGE_PACKAGES := nftables iptables ipset conntrack firewalld ufw network-manager
HOST_IMAGE_DISABLED := firewalld.service NetworkManager.service NetworkManager-wait-online.service nftables.service

APT_PACKAGES += debootstrap podman runc
EXTRA_TEST_TARGETS += molecule

.PHONY: host-image molecule

host-image: apt
	@test "$$(id -u)" = 0 || { echo "host-image: debootstrap needs root"; exit 1; }
	tests/images/build-image.sh $(addprefix --disable ,$(HOST_IMAGE_DISABLED)) $(HOST_IMAGE) $(HOST_IMAGE_PACKAGES)

molecule: setup host-image
	@mkdir -p $(MOLECULE_LOGS) && rm -f $(MOLECULE_LOGS)/*.rc
	@start=$$(date +%s); \
	printf '%s\n' $(MOLECULE_SCENARIOS) | xargs -P $(MOLECULE_JOBS) -I{} sh -c \
	  'begin=$$(date +%s); $(BIN)/molecule test -s {} > $(MOLECULE_LOGS)/{}.log 2>&1; \
	   echo "$$? $$(( $$(date +%s) - begin ))" > $(MOLECULE_LOGS)/{}.rc'; \
	fail=0; for s in $(MOLECULE_SCENARIOS); do \
	  read rc secs < $(MOLECULE_LOGS)/$$s.rc; \
	  echo "molecule $$s: $$( [ "$$rc" = 0 ] && echo passed || echo "FAILED (rc=$$rc)") in $$secs s"; \
	  if [ "$$rc" != 0 ]; then grep -v 'Found installed collection' $(MOLECULE_LOGS)/$$s.log | tail -n 120; fail=1; fi; \
	done; \
	echo "molecule: $$(( $$(date +%s) - start )) s for $(words $(MOLECULE_SCENARIOS)) scenarios"; \
	exit $$fail
