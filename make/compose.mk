# Docker without Kubernetes: compose.yaml runs redline, its load generator, Prometheus and
# Grafana on 127.0.0.1 (local use only: Grafana's login is admin/admin).

COMPOSE ?= docker compose

.PHONY: compose-tools compose-lint compose-up compose-down

compose-lint: bootstrap ## Lint compose.yaml with dclint (the compose spec schema and its rules, no warnings)
	@# Its report only when it finds something (a clean run prints an empty line).
	@$(STRICT) report=$$(dclint -c compose/dclint.json --max-warnings 0 compose.yaml 2>&1) || { echo "$$report"; exit 1; }

compose-tools: bootstrap ## Check docker and the compose plugin are installed and new enough
	@node scripts/check-tools.ts docker compose

# `rules` (make/chart.mk) writes the chart's rules to .local/redline.rules.yml, which compose.yaml
# mounts, rendered with compose's values (native histograms).
compose-up: RULES_VALUES = compose/redline-values.yaml
compose-up: compose-tools rules ## Build and start the compose stack, then print the URLs
	@$(COMPOSE) up --detach --build --wait
	@echo "redline:    http://127.0.0.1:8080/api/items"
	@echo "Prometheus: http://127.0.0.1:9090/targets"
	@echo "Grafana:    http://127.0.0.1:3000  (admin/admin, local use only; dashboard: redline RED)"

compose-down: ## Stop and remove the compose stack (data volumes are kept)
	@$(STRICT) if command -v docker >/dev/null && $(COMPOSE) version >/dev/null 2>&1; then \
	  $(COMPOSE) down --remove-orphans; \
	else \
	  echo "compose-down: docker compose is not installed, nothing to stop"; \
	fi
