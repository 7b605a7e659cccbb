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
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Restricted Pod Security Standard: pod level. uid 10001 is the image's USER. */}}
{{- define "redline.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Restricted Pod Security Standard: container level. */}}
{{- define "redline.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* In-cluster URL of the Service. */}}
{{- define "redline.serviceUrl" -}}
{{- printf "http://%s.%s.svc:%d" (include "redline.fullname" .) .Release.Namespace (int .Values.service.port) }}
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
