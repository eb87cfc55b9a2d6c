# Mutation testing of the plan core, the renderers and the target-side merge logic (mutmut,
# configured in setup.cfg). Slow, so not part of `make test`:
#   make mutation                                   every configured module
#   make mutation MODULES="plan.pools frr_tor_config"   some modules (a word with * is a mutmut glob,
#                                                   a full mutant name as `mutmut results` prints it is
#                                                   one mutant: re-test survivors after adding tests)
#   make mutation-retest                            every mutant that survived or had no test in
#                                                   the last runs, again (after adding tests)
#   make mutation-report                            the tables of the last runs, without running
# A run keeps each verdict in build/mutation; a later plain `make mutation` tests only mutants
# without one, so an interrupted run goes on where it stopped.
# mutmut imports the code under the name the tests use (ansible_collections.onprem.calico.*), so
# it runs in a copy of the checkout laid out as an installed collection (see setup.cfg).
MUTATION_DIR ?= build/mutation
MUTATION_COLLECTION := $(MUTATION_DIR)/ansible_collections/onprem/calico
MUTATION_JOBS ?= 2
MODULES ?=
SURVIVOR_LIST := docs/mutation-survivors
MUTATION_NAME_PREFIX := ansible_collections.onprem.calico.plugins.
# mutmut names mutants <module>.x_<function>__mutmut_<n> (xǁ<class>ǁ<method> for methods).
MUTATION_GLOBS := $(foreach m,$(MODULES),$(if $(or $(findstring *,$(m)),$(findstring __mutmut_,$(m))),$(m),$(MUTATION_NAME_PREFIX)*$(m).x*))

.PHONY: mutation mutation-retest mutation-report

mutation: venv link
	mkdir -p $(MUTATION_COLLECTION) $(MUTATION_DIR)/mutants/$(MUTATION_COLLECTION:$(MUTATION_DIR)/%=%)
	rsync -a --delete --exclude=__pycache__ plugins/ $(MUTATION_COLLECTION)/plugins/
	@# Everything but the plugins goes straight into mutmut's tree: copying it through mutmut
	@# would overwrite the mutated files and make it generate every mutant again on each run.
	rsync -a --delete --exclude=/plugins --exclude=/.venv --exclude=/.git --exclude=/.collections \
	  --exclude=/build --exclude=__pycache__ --exclude=.pytest_cache \
	  ./ $(MUTATION_DIR)/mutants/$(MUTATION_COLLECTION:$(MUTATION_DIR)/%=%)/
	cp setup.cfg $(MUTATION_DIR)/setup.cfg
	@# A mutant of publish_git that loses its cwd runs `git add --all; git commit` wherever the
	@# test runs: the ceiling keeps git from finding the checkout's own repository above us.
	cd $(MUTATION_DIR) && GIT_CEILING_DIRECTORIES=$(abspath $(MUTATION_DIR)) \
	  $(abspath $(BIN))/mutmut run --max-children $(MUTATION_JOBS) $(MUTATION_GLOBS)
	$(MAKE) --no-print-directory mutation-report

# Adding a test can only kill more mutants, so the killed ones keep their verdict and only the
# others are run again, by name.
mutation-retest:
	cd $(MUTATION_DIR) && $(abspath $(BIN))/mutmut results \
	  | awk -F': ' '$$2 == "survived" || $$2 == "no tests" { sub(/^ +/, "", $$1); print $$1 }' > mutants/retest.txt
	@# In batches: one command-line argument holds at most 128 KiB, about 1,100 names of up to 115 bytes.
	if [ -s $(MUTATION_DIR)/mutants/retest.txt ]; then \
	  xargs -n 1100 sh -c '$(MAKE) --no-print-directory mutation MODULES="$$*"' retest < $(MUTATION_DIR)/mutants/retest.txt; \
	else echo "no survivor in $(MUTATION_DIR)"; fi

# mutants/mutmut-cicd-stats.json (mutmut's totals) and a per-module table (mutants/mutation-table.md).
mutation-report:
	cd $(MUTATION_DIR) && $(abspath $(BIN))/mutmut export-cicd-stats && cat mutants/mutmut-cicd-stats.json
	@cd $(MUTATION_DIR) && { \
	  echo "| module | killed | survived | no tests | timed out | other | killed % |"; \
	  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"; \
	  $(abspath $(BIN))/mutmut results --all true | awk -f $(CURDIR)/mk/mutation-table.awk; \
	} | tee mutants/mutation-table.md
	@# The issue's rule: a survivor is either killed by a test or listed, with its reason, in
	@# a file under docs/mutation-survivors/. Names there drop the common prefix.
	@cd $(MUTATION_DIR) && $(abspath $(BIN))/mutmut results \
	  | awk -F': ' -v prefix=$(MUTATION_NAME_PREFIX) '$$2 == "survived" || $$2 == "no tests" { sub(/^ +/, "", $$1); if (index($$1, prefix) == 1) $$1 = substr($$1, length(prefix) + 1); print $$1 }' \
	  | LC_ALL=C sort -u > mutants/survivors.txt
	@grep -ohr --include='*.md' '`[^` ]*__mutmut_[0-9]*`' $(SURVIVOR_LIST) 2>/dev/null | tr -d '`' | LC_ALL=C sort -u > $(MUTATION_DIR)/mutants/listed.txt || true
	@LC_ALL=C comm -23 $(MUTATION_DIR)/mutants/survivors.txt $(MUTATION_DIR)/mutants/listed.txt > $(MUTATION_DIR)/mutants/unlisted.txt
	@echo "survivors: $$(wc -l < $(MUTATION_DIR)/mutants/survivors.txt), not listed in $(SURVIVOR_LIST): $$(wc -l < $(MUTATION_DIR)/mutants/unlisted.txt) ($(MUTATION_DIR)/mutants/unlisted.txt)"
	@echo "listed but no longer surviving: $$(LC_ALL=C comm -13 $(MUTATION_DIR)/mutants/survivors.txt $(MUTATION_DIR)/mutants/listed.txt | wc -l)"
