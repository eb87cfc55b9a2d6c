# Packaging, execution environment and generated documentation (issue 8).
# package:    build the collection tarball, install it offline into a temporary collections
#             path, render kdd-small from the installed copy, validate the EE definition.
# docs-check: regenerate the generated docs into a temporary directory and fail on drift;
#             lint the changelog fragments.
# docs:       rewrite the generated docs in place (commit the result).
.PHONY: package docs docs-check changelog

package: venv
	$(PY) tools/package_check.py

docs: venv link
	$(PY) tools/gen_docs.py --write

docs-check: venv link
	$(PY) tools/gen_docs.py --check
	$(BIN)/antsibull-changelog lint

# Release notes from changelogs/fragments (antsibull-changelog, version from galaxy.yml).
# Re-running for an unchanged version folds new fragments into that release. The plugin
# cache is rebuilt from the plugins each time, so it is not kept (and not linted).
changelog: venv
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog release --refresh --reload-plugins
	rm -f changelogs/.plugin-cache.yaml

EXTRA_TEST_TARGETS += package docs-check
