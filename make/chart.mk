# Helm chart, PrometheusRule and Grafana dashboard (charts/redline, dashboards/, scripts/rules.ts).
RULES_FILE ?= .local/redline.rules.yml
# Chart values files for the rule file (compose-up sets compose/redline-values.yaml).
RULES_VALUES ?=

.PHONY: chart-schema chart-lint chart-template chart-test chart-package dashboard dashboard-check rules

chart-lint: bootstrap ## helm lint --strict the chart with its default and kind values; its generated schema is current
	@node hack/chart-schema.ts --check
	@# --quiet: warnings and errors only (an [INFO] line is not a failure, and --strict fails on warnings).
	@helm lint --strict --quiet charts/redline
	@helm lint --strict --quiet charts/redline -f k8s/redline-values.yaml

chart-template: bootstrap ## Render the chart with default values (VALUES=file to add a values file)
	@helm template redline charts/redline $(if $(VALUES),-f $(VALUES))

chart-test: bootstrap bootstrap-prometheus ## Run only the chart, dashboard and rules tests (make test runs them too)
	@mocha --timeout 60000 'charts/redline/test/**/*.test.ts' scripts/test/rules.test.ts test/integration/dashboard-queries.test.ts

chart-package: bootstrap dashboard-check ## Package the chart into .local/charts/
	@helm package charts/redline --destination .local/charts

dashboard: bootstrap ## Regenerate charts/redline/dashboards/redline{,-native}.json from dashboards/redline.ts
	@node dashboards/build.ts

dashboard-check: bootstrap ## Fail when the committed dashboard JSON is stale
	@node dashboards/build.ts --check

rules: bootstrap bootstrap-prometheus ## Write the chart rules as a plain Prometheus rule file (.local/redline.rules.yml; namespace=local, job=redline)
	@node scripts/rules.ts --out $(RULES_FILE) $(foreach file,$(RULES_VALUES),--values $(file))
	@promtool check rules $(RULES_FILE) >/dev/null

chart-schema: bootstrap ## Regenerate simulation.env in charts/redline/values.schema.json from service/src/simulation/env-spec.ts
	@node hack/chart-schema.ts
