{{/* The name of every object. */}}
{{- define "palisade-webhook.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels selecting the webhook's pods. */}}
{{- define "palisade-webhook.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "palisade-webhook.labels" -}}
{{ include "palisade-webhook.selectorLabels" . }}
app.kubernetes.io/part-of: palisade
app.kubernetes.io/component: admission-webhook
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The TLS Secret. */}}
{{- define "palisade-webhook.tlsSecret" -}}
{{ include "palisade-webhook.fullname" . }}-tls
{{- end -}}

{{/* The container image. */}}
{{- define "palisade-webhook.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- if .Values.image.digest -}}
{{- $ref = printf "%s@%s" $ref .Values.image.digest -}}
{{- end -}}
{{- $ref -}}
{{- end -}}

{{/* The namespaces the webhooks skip: the configured ones and the release's. */}}
{{- define "palisade-webhook.excludedNamespaces" -}}
{{- append .Values.webhook.excludeNamespaces .Release.Namespace | uniq | toJson -}}
{{- end -}}

{{/* What both webhooks have in common. */}}
{{- define "palisade-webhook.common" -}}
admissionReviewVersions: ["v1"]
sideEffects: None
failurePolicy: {{ .Values.webhook.failurePolicy }}
timeoutSeconds: {{ .Values.webhook.timeoutSeconds }}
matchPolicy: Equivalent
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: {{ include "palisade-webhook.excludedNamespaces" . }}
objectSelector: {}
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["pods", "pods/ephemeralcontainers", "replicationcontrollers", "services"]
    scope: "*"
  - apiGroups: ["apps"]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["daemonsets", "deployments", "replicasets", "statefulsets"]
    scope: "*"
  - apiGroups: ["batch"]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["cronjobs", "jobs"]
    scope: "*"
  - apiGroups: ["networking.k8s.io"]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["ingresses", "networkpolicies"]
    scope: "*"
  - apiGroups: ["rbac.authorization.k8s.io"]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["clusterrolebindings", "clusterroles", "rolebindings", "roles"]
    scope: "*"
{{- end -}}
