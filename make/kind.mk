# The cluster path: kind + kube-prometheus-stack + redline (docs/kubernetes.md).
# Every target can be run again: it converges instead of failing on what already exists.

KIND_CLUSTER ?= redline
KIND_CONTEXT = kind-$(KIND_CLUSTER)
KIND_CONFIG ?= kind-config.yaml
KIND_IMAGE ?= redline:dev
# kube-prometheus-stack at KPS_VERSION (versions.env); KPS_CHART may point at a local .tgz of it.
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
# make smoke GRAFANA=1: also prove Grafana has the dashboard and answers its queries.
GRAFANA ?=
SMOKE_ARGS ?=
KUBECTL_CONTEXT = --context $(KIND_CONTEXT)
# kube-prometheus-stack's objects, by the labels its chart gives them: its names depend on the
# release name and are cut at 26 characters.
KPS_PROMETHEUS_SELECTOR = app=kube-prometheus-stack-prometheus,release=$(KPS_RELEASE)
KPS_GRAFANA_SELECTOR = app.kubernetes.io/name=grafana,app.kubernetes.io/instance=$(KPS_RELEASE)
# redline's names follow the variables: its fullname (Service, Deployment, scrape job) is the
# release name, its ServiceMonitor and PrometheusRule carry the label this Prometheus selects,
# and its NetworkPolicy admits the namespace this Prometheus runs in.
REDLINE_SET = --set-string fullnameOverride=$(REDLINE_RELEASE) --set-string monitoring.selectorLabels.release=$(KPS_RELEASE) \
  --set-string monitoring.stackNamespace=$(KPS_NAMESPACE)
# The port-forward targets need the cluster: say which target makes it rather than kubectl's error.
REQUIRE_CONTEXT = kubectl config get-contexts $(KIND_CONTEXT) >/dev/null 2>&1 || { echo "$@: no kube context $(KIND_CONTEXT): run make kind-up first (KIND_CLUSTER=$(KIND_CLUSTER))" >&2; exit 1; }
# Pod Security "restricted", enforced on redline's namespace (kind enforces nothing by default).
PSS_LABELS = pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/audit=restricted

.PHONY: kind-tools kind-up kind-cluster kps kind-load namespace deploy grafana prometheus smoke drill-kind kind-down kps-values-keys

kind-tools: bootstrap ## Check docker, kind, kubectl and helm are installed and new enough
	@node scripts/check-tools.ts docker kind kubectl helm

kind-up: kind-tools ## Cluster + kube-prometheus-stack + image + redline, then wait (idempotent)
	@$(MAKE) kind-cluster
	@$(MAKE) kps
	@$(MAKE) image CONTAINER_ENGINE=docker IMAGE=$(KIND_IMAGE)
	@$(MAKE) kind-load
	@$(MAKE) deploy
	@echo "kind-up: done. Next: make smoke | make grafana | make prometheus"

# The list is read whole before grep looks at it: `kind get clusters | grep -q` under pipefail
# fails when grep exits first and kind gets SIGPIPE.
# kind makes its context the current one; every target here names the context instead, so the
# user's current context (another cluster they work on) is put back as it was.
kind-cluster: ## Create the kind cluster from kind-config.yaml unless it exists; (re)write its kubeconfig context, keeping your current one
	@$(STRICT) previous=$$(kubectl config current-context 2>/dev/null || true); \
	clusters=$$(kind get clusters 2>/dev/null || true); \
	if grep -qx '$(KIND_CLUSTER)' <<<"$$clusters"; then \
	  echo "kind-cluster: $(KIND_CLUSTER) exists"; \
	  kind export kubeconfig --name $(KIND_CLUSTER); \
	else \
	  kind create cluster --name $(KIND_CLUSTER) --config $(KIND_CONFIG) --wait 180s; \
	fi; \
	if [ -n "$$previous" ] && [ "$$previous" != '$(KIND_CONTEXT)' ]; then \
	  kubectl config use-context "$$previous" >/dev/null; \
	  echo "kind-cluster: your current kube context is still $$previous; this cluster is --context $(KIND_CONTEXT)"; \
	else \
	  echo "kind-cluster: NOTE: your current kube context is now $(KIND_CONTEXT) (there was none before)"; \
	fi
	@kubectl $(KUBECTL_CONTEXT) wait --for=condition=Ready nodes --all --timeout=180s

kps: ## Install or upgrade kube-prometheus-stack (release kps, namespace monitoring); wait for Prometheus and Grafana
	@helm upgrade --install $(KPS_RELEASE) $(KPS_CHART) --version $(KPS_VERSION) \
	  --kube-context $(KIND_CONTEXT) --namespace $(KPS_NAMESPACE) --create-namespace \
	  -f $(KPS_VALUES) --wait --timeout 10m
	@# helm --wait does not cover the StatefulSet the operator creates for Prometheus afterwards.
	@kubectl $(KUBECTL_CONTEXT) -n $(KPS_NAMESPACE) wait --for=condition=Available --timeout=5m \
	  prometheuses.monitoring.coreos.com -l $(KPS_PROMETHEUS_SELECTOR)
	@kubectl $(KUBECTL_CONTEXT) -n $(KPS_NAMESPACE) wait --for=condition=Available --timeout=5m \
	  deployments.apps -l $(KPS_GRAFANA_SELECTOR)

kind-load: ## Load $(KIND_IMAGE) from Docker into the kind nodes
	@kind load docker-image $(KIND_IMAGE) --name $(KIND_CLUSTER)

namespace: ## Create or update redline's namespace with Pod Security "restricted" enforced
	@$(STRICT) kubectl create namespace $(REDLINE_NAMESPACE) --dry-run=client -o yaml \
	  | kubectl label --local -f - -o yaml $(PSS_LABELS) \
	  | kubectl $(KUBECTL_CONTEXT) apply -f -

deploy: namespace ## helm upgrade --install redline with k8s/redline-values.yaml, wait for rollout
	@# The admin token make drill-kind uses: created once, random, kept across deploys (the pods read it at start).
	@$(STRICT) kubectl $(KUBECTL_CONTEXT) -n $(REDLINE_NAMESPACE) get secret redline-admin >/dev/null 2>&1 || \
	  kubectl $(KUBECTL_CONTEXT) -n $(REDLINE_NAMESPACE) create secret generic redline-admin \
	    --from-literal=token=$$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
	@$(STRICT) image_id=$$(docker image inspect --format '{{.Id}}' $(KIND_IMAGE) | cut -c8-19); \
	helm upgrade --install $(REDLINE_RELEASE) charts/redline \
	  --kube-context $(KIND_CONTEXT) --namespace $(REDLINE_NAMESPACE) \
	  -f $(REDLINE_VALUES) $(REDLINE_SET) --set-string podAnnotations.redline/image-id=$$image_id \
	  --wait --timeout 5m
	@# A new image under the same tag changes the annotation above, so pods roll; wait for them.
	@kubectl $(KUBECTL_CONTEXT) -n $(REDLINE_NAMESPACE) rollout status deployment/$(REDLINE_RELEASE) --timeout=180s

grafana: ## Port-forward Grafana to localhost:$(GRAFANA_PORT) and print the URL and login
	@$(STRICT) $(REQUIRE_CONTEXT); \
	kubectl="kubectl $(KUBECTL_CONTEXT) -n $(KPS_NAMESPACE)"; \
	secret=$$($$kubectl get secret -l $(KPS_GRAFANA_SELECTOR),app.kubernetes.io/component=admin-secret -o name); \
	service=$$($$kubectl get service -l $(KPS_GRAFANA_SELECTOR) -o name); \
	[ -n "$$secret" ] && [ -n "$$service" ] || { echo "grafana: no Grafana of release $(KPS_RELEASE) in $(KPS_NAMESPACE) (run make kind-up)" >&2; exit 1; }; \
	user=$$($$kubectl get $$secret -o jsonpath='{.data.admin-user}' | base64 --decode); \
	password=$$($$kubectl get $$secret -o jsonpath='{.data.admin-password}' | base64 --decode); \
	echo "Grafana: http://localhost:$(GRAFANA_PORT)  user: $$user  password: $$password  (Ctrl-C stops the port-forward)"; \
	$$kubectl port-forward --address 127.0.0.1 $$service $(GRAFANA_PORT):80

prometheus: ## Port-forward Prometheus to localhost:$(PROMETHEUS_PORT)
	@$(STRICT) $(REQUIRE_CONTEXT); \
	kubectl="kubectl $(KUBECTL_CONTEXT) -n $(KPS_NAMESPACE)"; \
	service=$$($$kubectl get service -l $(KPS_PROMETHEUS_SELECTOR) -o name); \
	[ -n "$$service" ] || { echo "prometheus: no Prometheus of release $(KPS_RELEASE) in $(KPS_NAMESPACE) (run make kind-up)" >&2; exit 1; }; \
	echo "Prometheus: http://localhost:$(PROMETHEUS_PORT)  (Ctrl-C stops the port-forward)"; \
	$$kubectl port-forward --address 127.0.0.1 $$service $(PROMETHEUS_PORT):9090

smoke: bootstrap ## Prove redline is scraped, has RED data and rules, no alert firing (PROMETHEUS_URL=…, GRAFANA=1 optional)
	@node scripts/smoke.ts --context $(KIND_CONTEXT) --namespace $(REDLINE_NAMESPACE) --job $(REDLINE_RELEASE) \
	  --prometheus-namespace $(KPS_NAMESPACE) --prometheus-release $(KPS_RELEASE) \
	  $(if $(GRAFANA),--grafana) $(if $(PROMETHEUS_URL),--prometheus-url $(PROMETHEUS_URL)) $(SMOKE_ARGS)

drill-kind: bootstrap ## Fire drill on the kind cluster through port-forwards, on the chart's own windows (about 15 minutes; DRILL_ARGS=…)
	@node scripts/drill.ts --cluster --context $(KIND_CONTEXT) --namespace $(REDLINE_NAMESPACE) --job $(REDLINE_RELEASE) \
	  --prometheus-namespace $(KPS_NAMESPACE) --prometheus-release $(KPS_RELEASE) $(DRILL_ARGS)

kind-down: ## Delete the kind cluster and its kube context (nothing to do when it does not exist)
	@$(STRICT) clusters=$$(command -v kind >/dev/null && kind get clusters 2>/dev/null || true); \
	if grep -qx '$(KIND_CLUSTER)' <<<"$$clusters"; then \
	  current=$$(kubectl config current-context 2>/dev/null || true); \
	  kind delete cluster --name $(KIND_CLUSTER); \
	  if [ "$$current" = '$(KIND_CONTEXT)' ]; then \
	    echo "kind-down: NOTE: your current kube context was $(KIND_CONTEXT); kubectl has none now (kubectl config use-context NAME)"; \
	  fi; \
	else \
	  echo "kind-down: no cluster $(KIND_CLUSTER)"; \
	fi

kps-values-keys: bootstrap ## Regenerate k8s/kube-prometheus-stack-values-keys.json from the pinned chart
	@node hack/kps-values-keys.ts
