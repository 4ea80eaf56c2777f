# `make run` starts the server on built-in defaults; `make test` runs every test.
# Both install missing system packages first (scripts/install-deps.sh).
export CARGO_TARGET_DIR ?= $(HOME)/.cache/kalamdb-target

.PHONY: run test build fmt docker-steps

run:
	scripts/install-deps.sh
	cargo run --release -p kalamdb-server --bin kalamdb-server

test:
	scripts/test.sh

build:
	scripts/install-deps.sh
	cargo build --workspace

fmt:
	cargo fmt --all

# The Dockerfile's steps without Docker (release build, then the image layout run locally).
docker-steps:
	scripts/docker-build-steps.sh
