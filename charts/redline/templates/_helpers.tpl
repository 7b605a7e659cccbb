{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "redline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: the release name when it already contains the chart name (so
`helm install redline charts/redline` gives `redline`), else release-chart. It is also the
Service name, hence the Prometheus `job` label the rules select on.
*/}}
{{- define "redline.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "redline.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable for the life of a release (selectors are immutable). */}}
{{- define "redline.selectorLabels" -}}
app.kubernetes.io/name: {{ include "redline.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The standard app.kubernetes.io labels plus commonLabels. */}}
{{- define "redline.labels" -}}
helm.sh/chart: {{ include "redline.chart" . }}
{{ include "redline.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: redline
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "redline.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "redline.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* image reference: repository@digest when a digest is given, else repository:tag. */}}
{{- define "redline.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (toString .Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
Values that contradict each other, refused with a message naming both keys. The schema checks
each value alone; these need two. deployment.yaml includes it, so every render runs it.
*/}}
{{- define "redline.validate" -}}
{{- $v := .Values }}
{{- if $v.serviceMonitor.enabled }}
{{- $interval := include "redline.durationMs" $v.serviceMonitor.interval | int64 }}
{{- $timeout := include "redline.durationMs" $v.serviceMonitor.scrapeTimeout | int64 }}
{{- if gt $timeout $interval }}
{{- fail (printf "serviceMonitor.scrapeTimeout (%s) must not exceed serviceMonitor.interval (%s): Prometheus refuses the scrape config" $v.serviceMonitor.scrapeTimeout $v.serviceMonitor.interval) }}
{{- end }}
{{- end }}
{{- if and $v.autoscaling.enabled (gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) }}
{{- fail (printf "autoscaling.minReplicas (%d) must not exceed autoscaling.maxReplicas (%d)" (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) }}
{{- end }}
{{- if $v.podDisruptionBudget.enabled }}
{{- $minAvailable := toString $v.podDisruptionBudget.minAvailable }}
{{- if regexMatch "^[0-9]+$" $minAvailable }}
{{- $replicasKey := ternary "autoscaling.minReplicas" "replicaCount" $v.autoscaling.enabled }}
{{- $replicas := int (ternary $v.autoscaling.minReplicas $v.replicaCount $v.autoscaling.enabled) }}
{{- if gt (int $minAvailable) $replicas }}
{{- fail (printf "podDisruptionBudget.minAvailable (%s) must not exceed %s (%d): no pod could ever be evicted, so node drains would hang" $minAvailable $replicasKey $replicas) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and (gt (int $v.metrics.port) 0) (eq (int $v.metrics.port) (int $v.service.port)) }}
{{- fail (printf "metrics.port (%d) must differ from service.port (%d); set metrics.port to 0 to serve /metrics on service.port" (int $v.metrics.port) (int $v.service.port)) }}
{{- end }}
{{- if gt (float64 $v.loadgen.rate) 1000.0 }}
{{- fail (printf "loadgen.rate (%v) must be at most 1000 requests/s" $v.loadgen.rate) }}
{{- end }}
{{- end }}

{{/* A Prometheus duration (1m30s, 500ms) in milliseconds; the schema has checked its form. */}}
{{- define "redline.durationMs" -}}
{{- $units := dict "ms" 1 "s" 1000 "m" 60000 "h" 3600000 "d" 86400000 "w" 604800000 "y" 31536000000 }}
{{- $total := 0 }}
{{- range regexFindAll "[0-9]+(ms|s|m|h|d|w|y)" (toString .) -1 }}
{{- $total = add $total (mul (regexFind "^[0-9]+" .) (get $units (regexReplaceAll "^[0-9]+" . ""))) }}
{{- end }}
{{- $total }}
{{- end }}

{{/* Name of the port serving /metrics: `metrics` with metrics.port, else `http`. */}}
{{- define "redline.metricsPortName" -}}
{{- ternary "metrics" "http" (gt (int .Values.metrics.port) 0) }}
{{- end }}

{{/*
A simulation value as the service reads it: whole numbers without an exponent (values files
give float64, which prints 1e+06), decimals as plain digits.
*/}}
{{- define "redline.envNumber" -}}
{{- if kindIs "float64" . }}
{{- if eq (floor .) . }}
{{- int64 . }}
{{- else }}
{{- regexReplaceAll "0+$" (printf "%.12f" .) "" }}
{{- end }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/* In-cluster URL of the Service. */}}
{{- define "redline.serviceUrl" -}}
{{- printf "http://%s.%s.svc:%d" (include "redline.fullname" .) .Release.Namespace (int .Values.service.port) }}
{{- end }}

{{/* In-cluster URL of /metrics' port (the Service port unless metrics.port is set). */}}
{{- define "redline.metricsUrl" -}}
{{- $port := ternary (int .Values.metrics.port) (int .Values.service.port) (gt (int .Values.metrics.port) 0) }}
{{- printf "http://%s.%s.svc:%d" (include "redline.fullname" .) .Release.Namespace $port }}
{{- end }}

{{/* The series selector every rule uses: this release's scrape job in its namespace. */}}
{{- define "redline.ruleSelector" -}}
{{- printf "namespace=%q, job=%q" .Release.Namespace (include "redline.fullname" .) }}
{{- end }}

{{/*
Regex for the latency threshold's `le` label that matches both spellings: prom-client writes
le="1", Prometheus 3 normalises it to le="1.0" at scrape time (2.x keeps "1"). Matching an
exact string would silently select nothing on one of them.
*/}}
{{- define "redline.leRegex" -}}
{{- $t := toString .Values.slo.latency.thresholdSeconds }}
{{- if contains "." $t }}
{{- replace "." "\\\\." $t }}
{{- else }}
{{- printf "%s(\\\\.0)?" $t }}
{{- end }}
{{- end }}

{{/*
Names of kube-prometheus-stack's Services, from its release name (monitoring.selectorLabels.release),
the way that chart makes them: its fullname is cut at 26 characters, Grafana's at 63.
*/}}
{{- define "redline.stackPrometheusService" -}}
{{- $release := .Values.monitoring.selectorLabels.release }}
{{- $fullname := ternary $release (printf "%s-kube-prometheus-stack" $release) (contains "kube-prometheus-stack" $release) | trunc 26 | trimSuffix "-" }}
{{- printf "%s-prometheus" $fullname }}
{{- end }}

{{- define "redline.stackGrafanaService" -}}
{{- $release := .Values.monitoring.selectorLabels.release }}
{{- ternary $release (printf "%s-grafana" $release) (contains "grafana" $release) | trunc 63 | trimSuffix "-" }}
{{- end }}
