{{- define "app.name" -}}
{{ .Release.Name }}-{{ .Chart.Name }}
{{- end }}
