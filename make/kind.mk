# The cluster path: kind + kube-prometheus-stack + redline (docs/kubernetes.md).
# Every target can be run again: it converges instead of failing on what already exists.

KIND_CLUSTER ?= redline
KIND_CONFIG ?= kind-config.yaml
KIND_IMAGE ?= redline:dev
# kube-prometheus-stack, pinned; KPS_CHART may point at a local .tgz of the same version.
KPS_VERSION ?= 88.5.3
KPS_CHART ?= oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack
KPS_RELEASE ?= kps
KPS_NAMESPACE ?= monitoring
KPS_VALUES ?= k8s/kube-prometheus-stack-values.yaml
REDLINE_NAMESPACE ?= redline
REDLINE_RELEASE ?= redline
REDLINE_VALUES ?= k8s/redline-values.yaml
GRAFANA_PORT ?= 3000
# make smoke PROMETHEUS_URL=http://…: ask that Prometheus instead of port-forwarding.
PROMETHEUS_URL ?=
SMOKE_ARGS ?=
KUBECTL_CONTEXT = --context kind-$(KIND_CLUSTER)

.PHONY: kind-tools kind-up kind-cluster kps kind-load deploy grafana prometheus smoke kind-down kps-values-keys

kind-tools: bootstrap ## Check docker, kind, kubectl and helm are installed and new enough
	@node scripts/check-tools.ts docker kind kubectl helm

kind-up: kind-tools ## Cluster + kube-prometheus-stack + image + redline, then wait (idempotent)
	@$(MAKE) kind-cluster
	@$(MAKE) kps
	@$(MAKE) image CONTAINER_ENGINE=docker IMAGE=$(KIND_IMAGE)
	@$(MAKE) kind-load
	@$(MAKE) deploy
	@echo "kind-up: done. Next: make smoke | make grafana | make prometheus"

kind-cluster: ## Create the kind cluster from kind-config.yaml unless it exists
	@if kind get clusters 2>/dev/null | grep -qx '$(KIND_CLUSTER)'; then \
	  echo "kind-cluster: $(KIND_CLUSTER) exists"; \
	else \
	  kind create cluster --name $(KIND_CLUSTER) --config $(KIND_CONFIG) --wait 180s; \
	fi
	@kubectl $(KUBECTL_CONTEXT) wait --for=condition=Ready nodes --all --timeout=180s

kps: ## Install or upgrade kube-prometheus-stack (release kps, namespace monitoring) and wait
	@helm upgrade --install $(KPS_RELEASE) $(KPS_CHART) --version $(KPS_VERSION) \
	  --kube-context kind-$(KIND_CLUSTER) --namespace $(KPS_NAMESPACE) --create-namespace \
	  -f $(KPS_VALUES) --wait --timeout 10m

kind-load: ## Load $(KIND_IMAGE) from Docker into the kind nodes
	@kind load docker-image $(KIND_IMAGE) --name $(KIND_CLUSTER)

deploy: ## helm upgrade --install redline with k8s/redline-values.yaml, wait for rollout
	@image_id=$$(docker image inspect --format '{{.Id}}' $(KIND_IMAGE) | cut -c8-19); \
	helm upgrade --install $(REDLINE_RELEASE) charts/redline \
	  --kube-context kind-$(KIND_CLUSTER) --namespace $(REDLINE_NAMESPACE) --create-namespace \
	  -f $(REDLINE_VALUES) --set-string podAnnotations.redline/image-id=$$image_id \
	  --wait --timeout 5m
	@# A new image under the same tag changes the annotation above, so pods roll; wait for them.
	@kubectl $(KUBECTL_CONTEXT) -n $(REDLINE_NAMESPACE) rollout status deployment/$(REDLINE_RELEASE) --timeout=180s

grafana: ## Port-forward Grafana to localhost:$(GRAFANA_PORT) and print the URL and login
	@secret=$(KPS_RELEASE)-grafana; \
	user=$$(kubectl $(KUBECTL_CONTEXT) -n $(KPS_NAMESPACE) get secret $$secret -o jsonpath='{.data.admin-user}' | base64 -d); \
	password=$$(kubectl $(KUBECTL_CONTEXT) -n $(KPS_NAMESPACE) get secret $$secret -o jsonpath='{.data.admin-password}' | base64 -d); \
	echo "Grafana: http://localhost:$(GRAFANA_PORT)  user: $$user  password: $$password  (Ctrl-C stops the port-forward)"; \
	kubectl $(KUBECTL_CONTEXT) -n $(KPS_NAMESPACE) port-forward --address 127.0.0.1 svc/$(KPS_RELEASE)-grafana $(GRAFANA_PORT):80

prometheus: ## Port-forward Prometheus to localhost:$(PROMETHEUS_PORT)
	@echo "Prometheus: http://localhost:$(PROMETHEUS_PORT)  (Ctrl-C stops the port-forward)"
	@kubectl $(KUBECTL_CONTEXT) -n $(KPS_NAMESPACE) port-forward --address 127.0.0.1 \
	  svc/$(KPS_RELEASE)-kube-prometheus-stack-prometheus $(PROMETHEUS_PORT):9090

smoke: bootstrap ## Prove redline is scraped, has RED data and rules, no alert firing (PROMETHEUS_URL=… optional)
	@node scripts/smoke.ts --namespace $(REDLINE_NAMESPACE) --job $(REDLINE_RELEASE) \
	  --prometheus-namespace $(KPS_NAMESPACE) --prometheus-release $(KPS_RELEASE) \
	  $(if $(PROMETHEUS_URL),--prometheus-url $(PROMETHEUS_URL)) $(SMOKE_ARGS)

kind-down: ## Delete the kind cluster (nothing to do when it does not exist)
	@if command -v kind >/dev/null && kind get clusters 2>/dev/null | grep -qx '$(KIND_CLUSTER)'; then \
	  kind delete cluster --name $(KIND_CLUSTER); \
	else \
	  echo "kind-down: no cluster $(KIND_CLUSTER)"; \
	fi

kps-values-keys: bootstrap ## Regenerate k8s/kube-prometheus-stack-values-keys.json from the pinned chart
	@node scripts/kps-values-keys.ts
