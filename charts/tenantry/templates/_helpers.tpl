{{/* Names and labels, as every chart spells them. */}}
{{- define "tenantry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tenantry.fullname" -}}
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

{{/* Cluster-scoped objects are named after the release and its namespace,
so two releases in two namespaces never share one. */}}
{{- define "tenantry.clusterName" -}}
{{- printf "%s-%s" .Release.Namespace (include "tenantry.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The ClusterRole the console binds in each tenant namespace it makes. */}}
{{- define "tenantry.tenantRole" -}}
{{- printf "%s-tenant" (include "tenantry.clusterName" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{- define "tenantry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tenantry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: console
{{- end }}

{{- define "tenantry.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "tenantry.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: tenantry
{{- /* Not managed-by=tenantry: that label marks what the console made. */}}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "tenantry.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tenantry.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "tenantry.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "tenantry.initialAdminSecret" -}}
{{- printf "%s-initial-admin" (include "tenantry.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The namespace prefix tenants get, as the console defaults it. */}}
{{- define "tenantry.namespacePrefix" -}}
{{- default "tenant-" .Values.config.namespacePrefix }}
{{- end }}

{{/* Refusals with a message that names the value and the rule (the schema
says the same; this also holds when a schema check is skipped). */}}
{{- define "tenantry.validate" -}}
{{- if and (eq .Values.database.kind "sqlite") (gt (int .Values.replicaCount) 1) }}
{{- fail (printf "replicaCount: %d replicas need database.kind=postgres; SQLite serves one replica only" (int .Values.replicaCount)) }}
{{- end }}
{{- if and (eq .Values.database.kind "postgres") (not .Values.database.existingSecret) }}
{{- fail "database.existingSecret: with database.kind=postgres, name the Secret that holds the database URL (key database.secretKey)" }}
{{- end }}
{{- end }}
