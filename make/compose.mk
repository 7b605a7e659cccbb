# Docker without Kubernetes: compose.yaml runs redline, its load generator, Prometheus and
# Grafana on 127.0.0.1 (local use only: Grafana's login is admin/admin).

COMPOSE ?= docker compose
COMPOSE_RULES ?= .local/redline.rules.yml

.PHONY: compose-tools compose-rules compose-up compose-down

compose-tools: bootstrap ## Check docker and the compose plugin are installed and new enough
	@node scripts/check-tools.ts docker compose

compose-rules: bootstrap ## Write the chart's rules as a plain Prometheus rule file for compose
	@node scripts/rules.ts --out $(COMPOSE_RULES)

compose-up: compose-tools compose-rules ## Build and start the compose stack, then print the URLs
	@$(COMPOSE) up --detach --build --wait
	@echo "redline:    http://127.0.0.1:8080/api/items"
	@echo "Prometheus: http://127.0.0.1:9090/targets"
	@echo "Grafana:    http://127.0.0.1:3000  (admin/admin, local use only; dashboard: redline RED)"

compose-down: ## Stop and remove the compose stack (data volumes are kept)
	@if command -v docker >/dev/null && $(COMPOSE) version >/dev/null 2>&1; then \
	  $(COMPOSE) down --remove-orphans; \
	else \
	  echo "compose-down: docker compose is not installed, nothing to stop"; \
	fi
