# Container image: built and tested with rootful podman (no Docker engine needed).
# See README "Container". Targets are idempotent; the base image is cached in podman's storage.
IMAGE ?= localhost/redline:dev
PODMAN := hack/container/podman.sh
# Build secrets, never stored in the image: a CA bundle for a TLS-intercepting proxy (defaults to
# NODE_EXTRA_CA_CERTS when that file exists) and an optional .npmrc (NPMRC=path).
BUILD_CA ?= $(if $(wildcard $(NODE_EXTRA_CA_CERTS)),$(NODE_EXTRA_CA_CERTS),)
NPMRC ?=
BUILD_SECRETS = $(if $(BUILD_CA),--secret id=ca$(,)src=$(BUILD_CA)) $(if $(NPMRC),--secret id=npmrc$(,)src=$(NPMRC))
, := ,
IMAGE_PORT ?= 8080

.PHONY: base-image image image-run test-container lint-dockerfile

base-image: ## Build the stand-in node base image with debootstrap when missing (installs podman/runc/debootstrap as root)
	@hack/container/base-image.sh

# docker when a Docker engine answers (users, the kind e2e job), else rootful podman.
CONTAINER_ENGINE ?= $(shell docker info >/dev/null 2>&1 && echo docker || echo podman)

image: bootstrap ## Build the service image (IMAGE=localhost/redline:dev; CONTAINER_ENGINE=docker|podman) from the Dockerfile (bootstrap builds the metrics package it copies)
ifeq ($(CONTAINER_ENGINE),docker)
	@docker build $(BUILD_SECRETS) -t $(IMAGE) .
else
	@# The registry base when it can be pulled, else the stand-in built from Debian (see README).
	@hack/container/base-image.sh
	@$(STRICT) start=$$(date +%s); \
	$(PODMAN) build --pull=never $(BUILD_SECRETS) -t $(IMAGE) . ; \
	echo "image: $(IMAGE) built in $$(( $$(date +%s) - start ))s, $$($(PODMAN) image inspect --format '{{.Size}}' $(IMAGE)) bytes"
endif

image-run: image ## Run the image hardened as in production on 127.0.0.1:IMAGE_PORT (8080) (Ctrl-C stops it)
	@$(PODMAN) run --rm --name redline-dev -p 127.0.0.1:$(IMAGE_PORT):8080 \
	  --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,nosuid,nodev,noexec,size=16m,mode=1777 \
	  --cap-drop ALL --security-opt no-new-privileges $(IMAGE)

test-container: bootstrap ## Build the image and test it in podman (read-only, cap-drop ALL, SIGTERM under load)
	@mocha $(CONTAINER_SPECS)

lint-dockerfile: bootstrap ## Lint the Dockerfiles with dockerfilelint
	@# Its report only when it finds something: a clean run says nothing.
	@$(STRICT) report=$$(dockerfilelint Dockerfile hack/container/prometheus.Dockerfile) || { echo "$$report"; exit 1; }
