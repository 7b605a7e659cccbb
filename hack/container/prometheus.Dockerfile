# A Prometheus STAND-IN for tests where no image registry is reachable: Debian's `prometheus`
# package on the same Debian base the service image uses. A real deployment uses the upstream
# prom/prometheus image (compose) or the Prometheus Operator (Kubernetes).
# Build: hack/container/podman.sh build -f hack/container/prometheus.Dockerfile -t localhost/redline-prometheus:standin hack/container
FROM node:24.21.0-bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* \
    && mkdir -p /prometheus && chown nobody:nogroup /prometheus
USER 65534:65534
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.listen-address=:9090"]
