{{/*
One in-chart dependency: a StatefulSet of one replica (with a
volumeClaimTemplate when .dataPath is set) and its Service <fullname>-<dep>.
Arguments: ctx, dep, ports (list of {name, port}), command, args, env (YAML),
dataPath, probe (YAML of a readinessProbe/livenessProbe handler),
readOnlyRoot, volumes and mounts (YAML), checksum.
*/}}
{{- define "tiktok.dep" -}}
{{- $ctx := .ctx -}}
{{- $v := index $ctx.Values .dep -}}
{{- $name := printf "%s-%s" (include "tiktok.fullname" $ctx) .dep -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- include "tiktok.labels" (dict "ctx" $ctx "component" .dep) | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "tiktok.selectorLabels" (dict "ctx" $ctx "component" .dep) | nindent 4 }}
  ports:
    {{- range .ports }}
    - name: {{ .name }}
      port: {{ .port }}
      targetPort: {{ .name }}
      protocol: TCP
    {{- end }}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ $name }}
  labels:
    {{- include "tiktok.labels" (dict "ctx" $ctx "component" .dep) | nindent 4 }}
spec:
  replicas: 1
  serviceName: {{ $name }}
  selector:
    matchLabels:
      {{- include "tiktok.selectorLabels" (dict "ctx" $ctx "component" .dep) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "tiktok.labels" (dict "ctx" $ctx "component" .dep) | nindent 8 }}
      {{- with .checksum }}
      annotations:
        checksum/config: {{ . }}
      {{- end }}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      {{- with $ctx.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: {{ .dep }}
          image: {{ printf "%s:%s" $v.image.repository $v.image.tag | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          {{- with .command }}
          command: {{ toJson . }}
          {{- end }}
          {{- with .args }}
          args:
            {{- range . }}
            - {{ . | quote }}
            {{- end }}
          {{- end }}
          {{- with .env }}
          env:
            {{- . | nindent 12 }}
          {{- end }}
          ports:
            {{- range .ports }}
            - name: {{ .name }}
              containerPort: {{ .port }}
              protocol: TCP
            {{- end }}
          readinessProbe:
            {{- .probe | nindent 12 }}
            periodSeconds: 5
            failureThreshold: 3
          livenessProbe:
            {{- .probe | nindent 12 }}
            initialDelaySeconds: 30
            periodSeconds: 10
            failureThreshold: 6
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: {{ .readOnlyRoot }}
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if .dataPath }}
            - name: data
              mountPath: {{ .dataPath }}
            {{- end }}
            {{- with .mounts }}
            {{- . | nindent 12 }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir: {}
        {{- with .volumes }}
        {{- . | nindent 8 }}
        {{- end }}
  {{- if .dataPath }}
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]
        {{- with $v.persistence.storageClass }}
        storageClassName: {{ . }}
        {{- end }}
        resources:
          requests:
            storage: {{ $v.persistence.size }}
  {{- end }}
{{- end -}}
