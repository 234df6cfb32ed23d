{{/* Labels of every object. */}}
{{- define "stork.labels" -}}
app.kubernetes.io/name: stork
app.kubernetes.io/part-of: stork
{{- end -}}

{{/* Labels that select the controller's pods. */}}
{{- define "stork.selector" -}}
app.kubernetes.io/name: stork
app.kubernetes.io/component: controller
{{- end -}}

{{- define "stork.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
