# redline service image: Node 24 runs the TypeScript sources directly (type stripping, no build
# step). Stage 1 installs production dependencies exactly as locked; stage 2 holds only the
# runtime: service/src, prod node_modules, package.json ("type": "module"), and the metrics
# package the service imports by name (a workspace: its package.json and the dist/ that
# `make bootstrap` builds; node_modules/@redline/red-metrics links to it).
# Build:  make image, or after `make bootstrap` (it builds packages/red-metrics/dist):
#         podman build -t redline:dev .   (or: docker build -t redline:dev .)
# Behind a TLS-intercepting proxy, pass its CA and/or an .npmrc as build secrets; they are
# mounted only for the `npm ci` step and never stored in a layer:
#   --secret id=ca,src=/path/to/ca-bundle.pem   --secret id=npmrc,src=$HOME/.npmrc
# Needs BuildKit (Docker >= 23 default) or podman/buildah for RUN --mount. There is no
# `# syntax=` line on purpose: it would make BuildKit pull a frontend image, which fails offline.

FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/red-metrics/package.json ./packages/red-metrics/
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc \
    --mount=type=secret,id=ca,target=/run/secrets/ca \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund --no-update-notifier --loglevel=error \
    && rm -rf /root/.npm

FROM node:24.21.0-bookworm-slim
LABEL org.opencontainers.image.title="redline" \
      org.opencontainers.image.description="The RED method (Rate, Errors, Duration) end to end: a Koa service with Prometheus metrics" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0
# Owned by root and not writable by the service user: the process cannot change its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY packages/red-metrics/package.json ./packages/red-metrics/
COPY packages/red-metrics/dist ./packages/red-metrics/dist
COPY service/src ./service/src
# Numeric user and group (not root's group 0), so Kubernetes' runAsNonRoot can verify them without
# /etc/passwd.
USER 10001:10001
EXPOSE 8080
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz. node is PID 1 (the base entrypoint
# execs it) and handles SIGTERM itself: readiness 503, drain in-flight requests, exit 0.
# Runs with a read-only root filesystem; the only writable path it documents is /tmp (tmpfs).
# --disable-sigusr1: SIGUSR1 would otherwise open Node's inspector (remote code execution for
# anyone who can reach it) in a production process.
CMD ["node", "--disable-sigusr1", "service/src/main.ts"]
