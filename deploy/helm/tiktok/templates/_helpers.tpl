{{/* Names and labels. */}}
{{- define "tiktok.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's base name; the roles and dependencies append -<role>. */}}
{{- define "tiktok.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tiktok.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels of one component: (dict "ctx" $ "component" "user"). */}}
{{- define "tiktok.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tiktok.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tiktok.labels" -}}
helm.sh/chart: {{ include "tiktok.chart" .ctx }}
{{ include "tiktok.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: tiktok
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end -}}

{{- define "tiktok.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tiktok.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "tiktok.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
Facts of the app (not values): each role's ports and, for an RPC service,
the roles that call it.
*/}}
{{- define "tiktok.roleFacts" -}}
user: {rpcPort: 9101, adminPort: 9201, callers: [gateway, relation, message]}
feed: {rpcPort: 9102, adminPort: 9202, callers: [gateway]}
publish: {rpcPort: 9103, adminPort: 9203, callers: [gateway, feed, favorite, comment, media]}
favorite: {rpcPort: 9104, adminPort: 9204, callers: [gateway]}
comment: {rpcPort: 9105, adminPort: 9205, callers: [gateway]}
relation: {rpcPort: 9106, adminPort: 9206, callers: [gateway]}
message: {rpcPort: 9107, adminPort: 9207, callers: [gateway]}
media: {adminPort: 9208}
gateway: {adminPort: 9200, httpPort: 8080}
{{- end -}}

{{- define "tiktok.allRoles" -}}[user, feed, publish, favorite, comment, relation, message, media, gateway]{{- end -}}
{{- define "tiktok.serviceRoles" -}}[user, feed, publish, favorite, comment, relation, message]{{- end -}}

{{/* A NetworkPolicy peer: pods of this release whose component is in .roles. */}}
{{- define "tiktok.peerRoles" -}}
- podSelector:
    matchLabels:
      app.kubernetes.io/name: {{ include "tiktok.name" .ctx }}
      app.kubernetes.io/instance: {{ .ctx.Release.Name }}
    matchExpressions:
      - key: app.kubernetes.io/component
        operator: In
        values: {{ toJson .roles }}
{{- end -}}

{{/* Host of an in-chart dependency: (dict "ctx" $ "dep" "redis"). */}}
{{- define "tiktok.depHost" -}}
{{- $v := index .ctx.Values .dep -}}
{{- default (printf "%s-%s" (include "tiktok.fullname" .ctx) .dep) $v.host -}}
{{- end -}}

{{/* Effective replicas of a role: HPA minimum when autoscaled. */}}
{{- define "tiktok.replicas" -}}
{{- $hpa := index .ctx.Values.autoscaling .role | default dict -}}
{{- if $hpa.enabled -}}{{ $hpa.minReplicas }}{{- else -}}{{ (index .ctx.Values.roles .role).replicas }}{{- end -}}
{{- end -}}

{{/* Secret names. */}}
{{- define "tiktok.appSecretName" -}}
{{- default (include "tiktok.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}
{{- define "tiktok.backingSecretName" -}}
{{- printf "%s-backing" (include "tiktok.fullname" .) -}}
{{- end -}}

{{/* A value kept from the live Secret (lookup), else given, else random. */}}
{{- define "tiktok.keep" -}}
{{- $live := .live | default dict -}}
{{- $data := $live.data | default dict -}}
{{- if .given -}}{{ .given }}{{- else if hasKey $data .key -}}{{ index $data .key | b64dec }}{{- else -}}{{ randAlphaNum (int .len) }}{{- end -}}
{{- end -}}

{{/* The app's public base URL (http.public_url). */}}
{{- define "tiktok.publicURL" -}}
{{- if .Values.publicURL -}}
{{- .Values.publicURL | trimSuffix "/" -}}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts -}}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .Values.ingress.tls) 0)) (index .Values.ingress.hosts 0).host -}}
{{- else -}}
http://127.0.0.1:{{ .Values.gateway.service.port }}
{{- end -}}
{{- end -}}

{{- define "tiktok.storagePublicURL" -}}
{{- if .Values.storage.publicURL -}}
{{- .Values.storage.publicURL -}}
{{- else if and (not .Values.minio.enabled) .Values.externalObjectStorage.publicURL -}}
{{- .Values.externalObjectStorage.publicURL -}}
{{- else -}}
{{- printf "%s/media/" (include "tiktok.publicURL" .) -}}
{{- end -}}
{{- end -}}

{{/* The MySQL DSN every service gets (a secret: it holds the password). */}}
{{- define "tiktok.databaseDSN" -}}
{{- $v := .ctx.Values -}}
{{- if $v.mariadb.enabled -}}
{{- printf "root:%s@tcp(%s:3306)/tiktok_{service}?charset=utf8mb4&parseTime=true&loc=UTC&interpolateParams=true" .rootPassword (include "tiktok.depHost" (dict "ctx" .ctx "dep" "mariadb")) -}}
{{- else if $v.externalDatabase.dsn -}}
{{- $v.externalDatabase.dsn -}}
{{- else -}}
{{- $d := $v.externalDatabase -}}
{{- if not $d.host -}}{{- fail "mariadb.enabled=false needs externalDatabase.dsn, externalDatabase.host or externalDatabase.existingSecret" -}}{{- end -}}
{{- printf "%s:%s@tcp(%s:%v)/%s?%s" $d.user $d.password $d.host $d.port $d.database $d.params -}}
{{- end -}}
{{- end -}}

{{/* The configuration file (config.yaml) of every role, without secrets. */}}
{{- define "tiktok.config" -}}
{{- $ctx := . -}}
{{- $minio := dict -}}
{{- if .Values.minio.enabled -}}
{{- $minio = dict "endpoint" (printf "%s:9000" (include "tiktok.depHost" (dict "ctx" $ctx "dep" "minio"))) "access_key" .Values.minio.rootUser "bucket" .Values.storage.bucket "use_ssl" false -}}
{{- else -}}
{{- $o := .Values.externalObjectStorage -}}
{{- if not $o.endpoint -}}{{- fail "minio.enabled=false needs externalObjectStorage.endpoint" -}}{{- end -}}
{{- $minio = dict "endpoint" $o.endpoint "access_key" $o.accessKey "bucket" $o.bucket "use_ssl" $o.useSSL -}}
{{- end -}}
{{- $_ := set $minio "public_url" (include "tiktok.storagePublicURL" .) -}}
{{- $redis := .Values.externalRedis.addr -}}
{{- if .Values.redis.enabled -}}{{- $redis = printf "%s:6379" (include "tiktok.depHost" (dict "ctx" $ctx "dep" "redis")) -}}{{- end -}}
{{- if not $redis -}}{{- fail "redis.enabled=false needs externalRedis.addr" -}}{{- end -}}
{{- $etcd := .Values.externalEtcd.endpoints -}}
{{- if .Values.etcd.enabled -}}{{- $etcd = list (printf "%s:2379" (include "tiktok.depHost" (dict "ctx" $ctx "dep" "etcd"))) -}}{{- end -}}
{{- if not $etcd -}}{{- fail "etcd.enabled=false needs externalEtcd.endpoints" -}}{{- end -}}
{{- $nats := .Values.externalNats.url -}}
{{- if .Values.nats.enabled -}}{{- $nats = printf "nats://%s:4222" (include "tiktok.depHost" (dict "ctx" $ctx "dep" "nats")) -}}{{- end -}}
{{- if not $nats -}}{{- fail "nats.enabled=false needs externalNats.url" -}}{{- end -}}
{{- $tracing := .Values.externalTracing.endpoint -}}
{{- if .Values.jaeger.enabled -}}{{- $tracing = printf "%s:4317" (include "tiktok.depHost" (dict "ctx" $ctx "dep" "jaeger")) -}}{{- end -}}
{{- $cfg := dict
  "http" (dict "addr" "0.0.0.0:8080" "public_url" (include "tiktok.publicURL" .))
  "demo" false
  "log" (dict "format" "json" "level" .Values.log.level)
  "database" (dict "driver" "mysql")
  "storage" (dict "driver" "minio" "minio" $minio)
  "redis" (dict "addr" $redis)
  "queue" (dict "url" $nats)
  "registry" (dict "driver" "etcd" "etcd_endpoints" $etcd "lease_ttl" (int .Values.registry.leaseTTL))
  "tracing" (dict "endpoint" $tracing "sample_ratio" .Values.tracing.sampleRatio)
  "rpc" (dict "mux_connections" (int .Values.rpc.muxConnections))
  "admin" (dict "shutdown_delay" .Values.shutdownDelay "pprof" false)
  "upload" (dict "spool_dir" "/var/spool/tiktok")
-}}
{{- $merged := mustMergeOverwrite $cfg (deepCopy .Values.config) -}}
{{- toYaml $merged -}}
{{- end -}}
