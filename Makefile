# Everything a newcomer needs: `make demo` and `make test` do all the set-up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SANDBOX_DIR ?= .sandbox
# `make demo` gives each cluster a real node (root and the packages below); NODES=0: none.
NODES ?= 1
# Debian packages of the sandbox's nodes (containerd, runc, CNI plugins, busybox for the
# application image, iptables for the network guard, gcc for the pause program) and of the
# controller image (buildah). Installed by `make packages` when root, else skipped saying so.
PACKAGES := containerd runc containernetworking-plugins busybox-static iptables gcc libc6-dev \
	buildah

.PHONY: install packages controlplane image crds lint test unit integration demo demo-down \
	bench bench-schedules clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@echo "[install] creating $(VENV) and installing stork with dev extras"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Idempotent and quiet: apt-get only when a package is missing, and only as root.
packages:
	@bash hack/install-packages.sh $(PACKAGES)

# Builds kube-apiserver, kube-controller-manager, etcd, and the nodes' kubelet and
# kube-scheduler from Go modules into a cache keyed by version (reused when present; concurrent
# builds wait for each other). KUBEBUILDER_ASSETS, when set, is used instead (nodes then need a
# directory that also holds kubelet and kube-scheduler, or the cache). Also
# builds helm (for the chart's test) the same way, unless STORK_HELM names a helm binary.
controlplane: $(STAMP)
	@if [ -n "$$KUBEBUILDER_ASSETS" ]; then \
		echo "[controlplane] using KUBEBUILDER_ASSETS=$$KUBEBUILDER_ASSETS"; \
	else \
		eval "$$($(BIN)/python -c 'from stork.sandbox.binaries import main; main()')" && \
		KVER=$$KVER ETCD_VER=$$ETCD_VER OUT=$$OUT bash hack/build-controlplane.sh >/dev/null; \
	fi
	@if [ -n "$$STORK_HELM" ]; then \
		echo "[helm] using STORK_HELM=$$STORK_HELM"; \
	else \
		eval "$$($(BIN)/python -c 'from stork.deploy.helm import main; main()')" && \
		HELM_MODULE=$$HELM_MODULE HELM_VER=$$HELM_VER HELM_OUT=$$HELM_OUT bash hack/build-helm.sh >/dev/null; \
	fi

# The controller's image from Containerfile on a Debian base made from packages (no container
# registry), as an OCI archive in the build cache that `stork sandbox load-image` loads into
# the nodes. Needs root and buildah (`make packages`).
image: $(STAMP) packages
	@$(BIN)/python hack/build_image.py

crds: $(STAMP)
	$(BIN)/python -m stork.api.crd deploy/crds

lint: $(STAMP)
	$(BIN)/ruff check src tests hack
	$(BIN)/ruff format --check src tests hack
	$(BIN)/mypy --strict src
	$(BIN)/python -m stork.api.crd --check deploy/crds

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

integration: controlplane packages
	@$(BIN)/python hack/build_image.py --if-possible
	$(BIN)/pytest tests/integration -q

test: lint controlplane packages
	@$(BIN)/python hack/build_image.py --if-possible
	$(BIN)/pytest tests -q

demo: controlplane packages
	$(BIN)/python hack/demo.py --dir $(SANDBOX_DIR) $(if $(filter 0,$(NODES)),--no-nodes,--nodes)

# Not part of `make test`: minutes (the 100,000-object size: an hour or more) of load on a
# sandbox of its own (.sandbox-bench); the client-go limit is built once into ~/.cache/stork.
bench: controlplane
	@$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# 1,000 MigrationSchedules and one long migration on one controller (not part of `make test`).
bench-schedules: controlplane
	@$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/schedules.py $(SCHEDULES_ARGS)

demo-down: $(STAMP)
	$(BIN)/stork sandbox down --dir $(SANDBOX_DIR)

clean:
	-$(BIN)/stork sandbox down --dir $(SANDBOX_DIR)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
