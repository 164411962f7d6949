// Package chart tests the Helm chart in deploy/helm/tiktok: helm lint (also
// --strict) and helm template with the default values, with every in-chart
// dependency replaced by an external endpoint, and with the overrides of the
// local podman run; every rendered document is decoded strictly into its
// Kubernetes type (an unknown field or kind fails), then the properties the
// deployment relies on are checked.
//
// Helm comes from TIKTOK_HELM or ~/.cache/tiktok/bin/helm (scripts/lib.sh
// ensure_helm builds it); without it the test skips, and fails in CI.
package chart

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"tiktok/internal/config"
	"tiktok/internal/testenv"
)

const release = "demo" // fullname: demo-tiktok

var fullname = release + "-tiktok"

// The dependencies the chart brings (the app's facts are in facts_test.go).
var deps = []string{"mariadb", "redis", "etcd", "minio", "nats", "jaeger"}

func root(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func helmBinary(t *testing.T) string {
	t.Helper()
	path := os.Getenv("TIKTOK_HELM")
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			testenv.Need(t, "helm", err)
		}
		path = filepath.Join(home, ".cache", "tiktok", "bin", "helm")
	}
	_, err := os.Stat(path)
	if err == nil {
		_, err = exec.Command(path, "version", "--short").Output()
	}
	testenv.Need(t, "helm (scripts/lib.sh ensure_helm, or TIKTOK_HELM)", err)
	return path
}

// variant is a set of values the chart is rendered with.
type variant struct {
	name   string
	values string // YAML; empty: the defaults
	// hosts the app config must name (in-chart Services, pod hosts or the
	// external endpoints).
	etcd, redis, nats, minio, tracing string
	// the database host inside the DSN.
	dbHost string
}

var variants = []variant{
	{
		name:    "defaults",
		etcd:    fullname + "-etcd:2379",
		redis:   fullname + "-redis:6379",
		nats:    "nats://" + fullname + "-nats:4222",
		minio:   fullname + "-minio:9000",
		tracing: fullname + "-jaeger:4317",
		dbHost:  fullname + "-mariadb:3306",
	},
	{
		name: "external",
		values: `
publicURL: https://api.example.com
secrets:
  authSecret: auth-secret-0123456789-0123456789-abcdef
  rpcSecret: rpc-secret-0123456789-0123456789-abcdefgh
mariadb: {enabled: false}
redis: {enabled: false}
etcd: {enabled: false}
minio: {enabled: false}
nats: {enabled: false}
jaeger: {enabled: false}
externalDatabase:
  host: db.example.internal
  user: tiktok
  password: db-password-never-in-a-configmap
externalRedis: {addr: "redis.example.internal:6379"}
externalEtcd: {endpoints: ["etcd-1.example.internal:2379", "etcd-2.example.internal:2379"]}
externalObjectStorage:
  endpoint: s3.example.com
  accessKey: AKIAEXAMPLE
  secretKey: storage-secret-never-in-a-configmap
  bucket: tiktok-media
  useSSL: true
  publicURL: https://cdn.example.com/tiktok/
externalNats: {url: "nats://nats.example.internal:4222"}
externalTracing: {endpoint: "otel.example.internal:4317"}
config:
  upload: {daily_quota: 100}
  limits: {trusted_proxies: [10.0.0.0/8]}
`,
		etcd:    "etcd-1.example.internal:2379",
		redis:   "redis.example.internal:6379",
		nats:    "nats://nats.example.internal:4222",
		minio:   "s3.example.com",
		tracing: "otel.example.internal:4317",
		dbHost:  "db.example.internal:3306",
	},
	{
		name:   "podman",
		values: podmanValues(),
		// values-podman.yaml names the pods of release "tiktok" (scripts/kube.sh).
		etcd:    "tiktok-etcd-pod-0:2379",
		redis:   "tiktok-redis-pod-0:6379",
		nats:    "nats://tiktok-nats-pod-0:4222",
		minio:   "tiktok-minio-pod-0:9000",
		tracing: "tiktok-jaeger-pod-0:4317",
		dbHost:  "tiktok-mariadb-pod-0:3306",
	},
}

// podmanValues are the overrides of the local podman run (scripts/kube.sh):
// deploy/helm/values-podman.yaml, images under localhost/, each dependency's
// host its pod's name, the gateway published on the host's loopback.
func podmanValues() string {
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "helm", "values-podman.yaml"))
	if err != nil {
		panic(err)
	}
	return string(b)
}

func (v variant) args(t *testing.T) []string {
	if v.values == "" {
		return nil
	}
	f := filepath.Join(t.TempDir(), v.name+".yaml")
	if err := os.WriteFile(f, []byte(v.values), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"-f", f}
}

func run(t *testing.T, helm string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(helm, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s\n%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return out
}

// rendered holds every document of one helm template, by kind and name.
type rendered struct {
	deployments  map[string]*appsv1.Deployment
	statefulsets map[string]*appsv1.StatefulSet
	services     map[string]*corev1.Service
	configmaps   map[string]*corev1.ConfigMap
	secrets      map[string]*corev1.Secret
	accounts     map[string]*corev1.ServiceAccount
	pdbs         map[string]*policyv1.PodDisruptionBudget
	hpas         map[string]*autoscalingv2.HorizontalPodAutoscaler
	netpols      map[string]*networkingv1.NetworkPolicy
	ingresses    map[string]*networkingv1.Ingress
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// decodeStrict turns one YAML document into obj, refusing duplicate keys
// and fields obj's type does not have.
func decodeStrict(doc []byte, obj any) error {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	return dec.Decode(obj)
}

func parse(t *testing.T, out []byte) *rendered {
	t.Helper()
	r := &rendered{
		deployments: map[string]*appsv1.Deployment{}, statefulsets: map[string]*appsv1.StatefulSet{},
		services: map[string]*corev1.Service{}, configmaps: map[string]*corev1.ConfigMap{},
		secrets: map[string]*corev1.Secret{}, accounts: map[string]*corev1.ServiceAccount{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		netpols: map[string]*networkingv1.NetworkPolicy{}, ingresses: map[string]*networkingv1.Ingress{},
	}
	for i, doc := range docSep.Split(string(out), -1) {
		var probe map[string]any
		if err := yaml.Unmarshal([]byte(doc), &probe); err != nil {
			t.Fatalf("document %d is not YAML: %v\n%s", i, err, doc)
		}
		if len(probe) == 0 {
			continue // only comments
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		var obj interface{ GetName() string }
		var store func()
		switch tm.APIVersion + " " + tm.Kind {
		case "apps/v1 Deployment":
			o := &appsv1.Deployment{}
			obj, store = o, func() { r.deployments[o.Name] = o }
		case "apps/v1 StatefulSet":
			o := &appsv1.StatefulSet{}
			obj, store = o, func() { r.statefulsets[o.Name] = o }
		case "v1 Service":
			o := &corev1.Service{}
			obj, store = o, func() { r.services[o.Name] = o }
		case "v1 ConfigMap":
			o := &corev1.ConfigMap{}
			obj, store = o, func() { r.configmaps[o.Name] = o }
		case "v1 Secret":
			o := &corev1.Secret{}
			obj, store = o, func() { r.secrets[o.Name] = o }
		case "v1 ServiceAccount":
			o := &corev1.ServiceAccount{}
			obj, store = o, func() { r.accounts[o.Name] = o }
		case "policy/v1 PodDisruptionBudget":
			o := &policyv1.PodDisruptionBudget{}
			obj, store = o, func() { r.pdbs[o.Name] = o }
		case "autoscaling/v2 HorizontalPodAutoscaler":
			o := &autoscalingv2.HorizontalPodAutoscaler{}
			obj, store = o, func() { r.hpas[o.Name] = o }
		case "networking.k8s.io/v1 NetworkPolicy":
			o := &networkingv1.NetworkPolicy{}
			obj, store = o, func() { r.netpols[o.Name] = o }
		case "networking.k8s.io/v1 Ingress":
			o := &networkingv1.Ingress{}
			obj, store = o, func() { r.ingresses[o.Name] = o }
		default:
			t.Fatalf("document %d: unknown kind %q %q:\n%s", i, tm.APIVersion, tm.Kind, doc)
		}
		if err := decodeStrict([]byte(doc), obj); err != nil {
			t.Fatalf("document %d (%s): %v\n%s", i, tm.Kind, err, doc)
		}
		if obj.GetName() == "" {
			t.Fatalf("document %d (%s) has no name", i, tm.Kind)
		}
		store()
	}
	return r
}

func TestDecodeStrictRefusesUnknownFields(t *testing.T) {
	doc := "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {clusterIP: None, portz: []}\n"
	if err := decodeStrict([]byte(doc), &corev1.Service{}); err == nil {
		t.Fatal("an unknown field was accepted")
	}
	dup := "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nmetadata: {name: y}\n"
	if err := decodeStrict([]byte(dup), &corev1.Service{}); err == nil {
		t.Fatal("a duplicate key was accepted")
	}
}

func TestChart(t *testing.T) {
	helm := helmBinary(t)
	chart := filepath.Join(root(t), "deploy", "helm", "tiktok")
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			args := v.args(t)
			run(t, helm, append([]string{"lint", chart}, args...)...)
			run(t, helm, append([]string{"lint", "--strict", chart}, args...)...)
			out := run(t, helm, append([]string{"template", release, chart, "--namespace", "tiktok"}, args...)...)
			r := parse(t, out)
			checkRoles(t, r)
			cfg := checkConfig(t, r, v)
			checkEnv(t, r)
			checkSecrets(t, r, v, cfg)
			checkDisruption(t, r, v)
			checkDeps(t, r, v)
			if v.name == "podman" {
				checkPodman(t, r)
			} else {
				checkNetworkPolicies(t, r)
			}
		})
	}
}

func TestValuesSchemaRefusesBadValues(t *testing.T) {
	helm := helmBinary(t)
	chart := filepath.Join(root(t), "deploy", "helm", "tiktok")
	for name, values := range map[string]string{
		"unknown top-level key": "replicaCount: 3\n",
		"short rpc secret":      "secrets: {rpcSecret: short}\n",
		"replicas as a string":  "roles: {user: {replicas: two}}\n",
		"bad service type":      "gateway: {service: {type: Public}}\n",
	} {
		f := filepath.Join(t.TempDir(), "bad.yaml")
		if err := os.WriteFile(f, []byte(values), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(helm, "lint", chart, "-f", f).CombinedOutput(); err == nil {
			t.Errorf("%s: helm lint accepted %q:\n%s", name, values, out)
		}
	}
}

func container(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("%s: %d containers, want 1", d.Name, n)
	}
	return d.Spec.Template.Spec.Containers[0]
}

func checkRoles(t *testing.T, r *rendered) {
	t.Helper()
	if len(r.deployments) != len(allRoles) {
		t.Errorf("%d Deployments, want one per role (%d)", len(r.deployments), len(allRoles))
	}
	for _, role := range allRoles {
		d := r.deployments[fullname+"-"+role]
		if d == nil {
			t.Errorf("no Deployment for role %s", role)
			continue
		}
		c := container(t, d)
		pod := d.Spec.Template.Spec
		if len(c.Args) == 0 || c.Args[0] != role || !slices.Contains(c.Args, "--config") {
			t.Errorf("%s: args %v, want the role first and --config", role, c.Args)
		}
		admin := int32(0)
		for _, p := range c.Ports {
			if p.Name == "admin" {
				admin = p.ContainerPort
			}
		}
		if admin != adminPorts[role] {
			t.Errorf("%s: admin port %d, want %d", role, admin, adminPorts[role])
		}
		if want, ok := rpcPorts[role]; ok && !hasPort(c, "rpc", want) {
			t.Errorf("%s: no rpc port %d", role, want)
		}
		checkProbe(t, role+" readiness", c.ReadinessProbe, "/readyz")
		checkProbe(t, role+" liveness", c.LivenessProbe, "/healthz")
		if c.StartupProbe == nil {
			t.Errorf("%s: no startupProbe", role)
		}
		if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Exec == nil ||
			len(c.Lifecycle.PreStop.Exec.Command) == 0 || c.Lifecycle.PreStop.Exec.Command[0] != "sleep" {
			t.Errorf("%s: no preStop sleep", role)
		}
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: root filesystem not read-only", role)
		}
		nonRoot := (sc != nil && sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) ||
			(pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot)
		if !nonRoot {
			t.Errorf("%s: runAsNonRoot not set", role)
		}
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") ||
			sc.RunAsUser == nil || *sc.RunAsUser != 10001 {
			t.Errorf("%s: container securityContext %+v", role, sc)
		}
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[res]; !ok {
				t.Errorf("%s: no %s request", role, res)
			}
			if _, ok := c.Resources.Limits[res]; !ok {
				t.Errorf("%s: no %s limit", role, res)
			}
		}
		if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
			t.Errorf("%s: service account token mounted", role)
		}
		if pod.EnableServiceLinks == nil || *pod.EnableServiceLinks {
			t.Errorf("%s: service links on (TIKTOK_<SERVICE>_PORT variables would reach the config)", role)
		}
		if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds <= 15 {
			t.Errorf("%s: terminationGracePeriodSeconds %v, want more than preStop + shutdown delay", role, pod.TerminationGracePeriodSeconds)
		}
		ru := d.Spec.Strategy.RollingUpdate
		if ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 {
			t.Errorf("%s: rolling update may take a pod away before its successor is ready", role)
		}
		if d.Spec.Template.Annotations["checksum/config"] == "" {
			t.Errorf("%s: no checksum/config annotation", role)
		}
		if got := d.Spec.Template.Annotations["prometheus.io/port"]; got != fmt.Sprint(adminPorts[role]) {
			t.Errorf("%s: prometheus.io/port %q", role, got)
		}
		if !mounts(c, "/tmp") || !mounts(c, "/etc/tiktok") {
			t.Errorf("%s: /tmp or /etc/tiktok not mounted", role)
		}
		if role == "gateway" && !mounts(c, "/var/spool/tiktok") {
			t.Errorf("gateway: no upload spool volume")
		}
		for k, val := range d.Spec.Selector.MatchLabels {
			if d.Spec.Template.Labels[k] != val {
				t.Errorf("%s: selector %s=%s does not match the pod", role, k, val)
			}
		}
		if _, ok := rpcPorts[role]; ok {
			s := r.services[fullname+"-"+role]
			if s == nil || s.Spec.ClusterIP != corev1.ClusterIPNone {
				t.Errorf("%s: no headless Service", role)
			}
		}
	}
	if s := r.services[fullname+"-gateway"]; s == nil || len(s.Spec.Ports) != 1 || s.Spec.Ports[0].TargetPort.String() != "http" {
		t.Errorf("gateway Service missing or not on the http port")
	}
}

func hasPort(c corev1.Container, name string, port int32) bool {
	for _, p := range c.Ports {
		if p.Name == name && p.ContainerPort == port {
			return true
		}
	}
	return false
}

func mounts(c corev1.Container, path string) bool {
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			return true
		}
	}
	return false
}

func checkProbe(t *testing.T, what string, p *corev1.Probe, path string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: no httpGet probe", what)
		return
	}
	if p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "admin" {
		t.Errorf("%s: probe %s on port %s, want %s on admin", what, p.HTTPGet.Path, p.HTTPGet.Port.String(), path)
	}
}

// checkConfig parses the rendered config.yaml: every key is one of
// default.yaml's, the app loads it, and it names the expected endpoints.
func checkConfig(t *testing.T, r *rendered, v variant) map[string]any {
	t.Helper()
	cm := r.configmaps[fullname+"-config"]
	if cm == nil {
		t.Fatalf("no ConfigMap %s-config", fullname)
	}
	text := cm.Data["config.yaml"]
	var cfg map[string]any
	if err := yaml.UnmarshalStrict([]byte(text), &cfg); err != nil {
		t.Fatalf("config.yaml: %v\n%s", err, text)
	}
	def, err := os.ReadFile(filepath.Join(root(t), "internal", "config", "default.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var defaults map[string]any
	if err := yaml.Unmarshal(def, &defaults); err != nil {
		t.Fatal(err)
	}
	knownKeys(t, "", cfg, defaults)

	f := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(f)
	if err != nil {
		t.Fatalf("the app does not load the rendered config: %v", err)
	}
	if c.Database.Driver != "mysql" || c.Storage.Driver != "minio" || c.Registry.Driver != "etcd" {
		t.Errorf("drivers: database %q storage %q registry %q", c.Database.Driver, c.Storage.Driver, c.Registry.Driver)
	}
	if c.Log.Format != "json" {
		t.Errorf("log.format %q, want json", c.Log.Format)
	}
	if !slices.Contains(c.Registry.EtcdEndpoints, v.etcd) {
		t.Errorf("registry.etcd_endpoints %v, want %s", c.Registry.EtcdEndpoints, v.etcd)
	}
	if c.Redis.Addr != v.redis {
		t.Errorf("redis.addr %q, want %q", c.Redis.Addr, v.redis)
	}
	if c.Queue.URL != v.nats {
		t.Errorf("queue.url %q, want %q", c.Queue.URL, v.nats)
	}
	if c.Storage.MinIO.Endpoint != v.minio {
		t.Errorf("storage.minio.endpoint %q, want %q", c.Storage.MinIO.Endpoint, v.minio)
	}
	if c.Tracing.Endpoint != v.tracing {
		t.Errorf("tracing.endpoint %q, want %q", c.Tracing.Endpoint, v.tracing)
	}
	if c.Database.DSN != "" || c.Auth.Secret != "" || c.RPC.Secret != "" {
		t.Errorf("a secret is set in the ConfigMap")
	}
	if c.Upload.SpoolDir != "/var/spool/tiktok" {
		t.Errorf("upload.spool_dir %q", c.Upload.SpoolDir)
	}
	if c.Admin.ShutdownDelay <= 0 {
		t.Errorf("admin.shutdown_delay %v: a pod would drain before callers stop sending", c.Admin.ShutdownDelay)
	}
	for _, u := range []string{c.HTTP.PublicURL, c.Storage.MinIO.PublicURL} {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") || strings.Contains(u, "0.0.0.0") {
			t.Errorf("public URL %q is not an address clients can use", u)
		}
	}
	switch v.name {
	case "defaults":
		if c.Storage.MinIO.PublicURL != "http://127.0.0.1:8080/media/" {
			t.Errorf("storage.minio.public_url %q, want <publicURL>/media/", c.Storage.MinIO.PublicURL)
		}
	case "external":
		if c.Storage.MinIO.PublicURL != "https://cdn.example.com/tiktok/" || !c.Storage.MinIO.UseSSL || c.Storage.MinIO.Bucket != "tiktok-media" {
			t.Errorf("external object storage: %+v", c.Storage.MinIO)
		}
		if c.Upload.DailyQuota != 100 || !slices.Contains(c.Limits.TrustedProxies, "10.0.0.0/8") {
			t.Errorf("the config value was not merged: daily_quota %d, trusted_proxies %v", c.Upload.DailyQuota, c.Limits.TrustedProxies)
		}
		if c.HTTP.PublicURL != "https://api.example.com" {
			t.Errorf("http.public_url %q", c.HTTP.PublicURL)
		}
	}
	return cfg
}

// knownKeys fails on a key of got that default.yaml does not have.
func knownKeys(t *testing.T, prefix string, got, defaults map[string]any) {
	t.Helper()
	for k, val := range got {
		d, ok := defaults[k]
		if !ok {
			t.Errorf("config key %s%s is not in default.yaml", prefix, k)
			continue
		}
		if sub, ok := val.(map[string]any); ok {
			if dsub, ok := d.(map[string]any); ok && len(dsub) > 0 {
				knownKeys(t, prefix+k+".", sub, dsub)
			}
		}
	}
}

// checkEnv: bind addresses may be 0.0.0.0, but nothing a role advertises
// (its registration in etcd, a public URL) may be a wildcard or loopback.
func checkEnv(t *testing.T, r *rendered) {
	t.Helper()
	var pods []struct {
		name string
		spec corev1.PodSpec
	}
	for n, d := range r.deployments {
		pods = append(pods, struct {
			name string
			spec corev1.PodSpec
		}{n, d.Spec.Template.Spec})
	}
	for n, s := range r.statefulsets {
		pods = append(pods, struct {
			name string
			spec corev1.PodSpec
		}{n, s.Spec.Template.Spec})
	}
	for _, p := range pods {
		for _, c := range p.spec.Containers {
			for _, e := range c.Env {
				bind := strings.HasSuffix(e.Name, "_ADDR") || strings.HasPrefix(e.Name, "TIKTOK_SERVICES_")
				if !bind && (strings.Contains(e.Value, "127.0.0.1") || strings.Contains(e.Value, "0.0.0.0")) {
					t.Errorf("%s: env %s=%q advertises a loopback or wildcard address", p.name, e.Name, e.Value)
				}
				if strings.Contains(strings.ToUpper(e.Name), "SECRET") || strings.HasSuffix(e.Name, "PASSWORD") || e.Name == "TIKTOK_DATABASE_DSN" {
					if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
						t.Errorf("%s: %s is not taken from a Secret", p.name, e.Name)
					}
				}
			}
		}
	}
	for _, role := range allRoles {
		d := r.deployments[fullname+"-"+role]
		if d == nil {
			continue
		}
		env := map[string]corev1.EnvVar{}
		for _, e := range container(t, d).Env {
			env[e.Name] = e
		}
		adv, ok := env["TIKTOK_RPC_ADVERTISE"]
		if !ok || adv.ValueFrom == nil || adv.ValueFrom.FieldRef == nil || adv.ValueFrom.FieldRef.FieldPath != "status.podIP" {
			t.Errorf("%s: TIKTOK_RPC_ADVERTISE not from status.podIP", role)
		}
		want := []string{"TIKTOK_RPC_SECRET", "TIKTOK_ADMIN_ADDR", "TIKTOK_DATABASE_DSN", "TIKTOK_STORAGE_MINIO_SECRET_KEY", "TMPDIR"}
		if port, ok := rpcPorts[role]; ok {
			name := "TIKTOK_SERVICES_" + strings.ToUpper(role)
			want = append(want, name)
			if env[name].Value != fmt.Sprintf("0.0.0.0:%d", port) {
				t.Errorf("%s: %s=%q", role, name, env[name].Value)
			}
		}
		if role == "gateway" {
			want = append(want, "TIKTOK_AUTH_SECRET", "TIKTOK_HTTP_ADDR")
		} else if _, ok := env["TIKTOK_AUTH_SECRET"]; ok {
			t.Errorf("%s: has the JWT key, which only the gateway needs", role)
		}
		for _, w := range want {
			if _, ok := env[w]; !ok {
				t.Errorf("%s: no %s", role, w)
			}
		}
		if env["TIKTOK_ADMIN_ADDR"].Value != fmt.Sprintf("0.0.0.0:%d", adminPorts[role]) {
			t.Errorf("%s: TIKTOK_ADMIN_ADDR=%q", role, env["TIKTOK_ADMIN_ADDR"].Value)
		}
	}
}

// checkSecrets: the secrets exist and long enough, and none of their values
// is in a ConfigMap.
func checkSecrets(t *testing.T, r *rendered, v variant, cfg map[string]any) {
	t.Helper()
	app := r.secrets[fullname]
	if app == nil {
		t.Fatalf("no Secret %s", fullname)
	}
	for _, k := range []string{"auth-secret", "rpc-secret"} {
		if n := len(app.Data[k]); n < 32 {
			t.Errorf("Secret %s: %s has %d bytes, want at least 32", fullname, k, n)
		}
	}
	if v.name == "external" && string(app.Data["rpc-secret"]) != "rpc-secret-0123456789-0123456789-abcdefgh" {
		t.Errorf("secrets.rpcSecret not used")
	}
	backing := r.secrets[fullname+"-backing"]
	if backing == nil {
		t.Fatalf("no Secret %s-backing", fullname)
	}
	dsn := string(backing.Data["database-dsn"])
	if !strings.Contains(dsn, "@tcp("+v.dbHost+")/") || !strings.Contains(dsn, "{service}") {
		t.Errorf("database DSN %q does not name %s and {service}", dsn, v.dbHost)
	}
	var values []string
	for _, s := range r.secrets {
		for k, b := range s.Data {
			if k == "minio-root-user" || len(b) < 8 {
				continue // a user name is not a secret
			}
			values = append(values, string(b))
		}
		for _, val := range s.StringData {
			values = append(values, val)
		}
	}
	if v.name == "external" {
		values = append(values, "db-password-never-in-a-configmap", "storage-secret-never-in-a-configmap")
		if string(backing.Data["storage-secret-key"]) != "storage-secret-never-in-a-configmap" {
			t.Errorf("storage-secret-key not from externalObjectStorage.secretKey")
		}
	}
	for _, cm := range r.configmaps {
		for k, data := range cm.Data {
			for _, s := range values {
				if strings.Contains(data, s) || strings.Contains(data, base64.StdEncoding.EncodeToString([]byte(s))) {
					t.Errorf("ConfigMap %s (%s) holds a secret value", cm.Name, k)
				}
			}
		}
	}
	for _, key := range [][]string{{"auth", "secret"}, {"rpc", "secret"}, {"database", "dsn"}, {"storage", "minio", "secret_key"}} {
		if lookup(cfg, key...) != nil {
			t.Errorf("config.yaml sets %s", strings.Join(key, "."))
		}
	}
}

func lookup(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

// checkDisruption: a PDB for each role running more than one pod, HPAs for
// the gateway and media when autoscaling is on.
func checkDisruption(t *testing.T, r *rendered, v variant) {
	t.Helper()
	if v.name != "podman" {
		for _, role := range []string{"gateway", "media"} {
			h := r.hpas[fullname+"-"+role]
			if h == nil {
				t.Errorf("no HorizontalPodAutoscaler for %s", role)
				continue
			}
			if h.Spec.ScaleTargetRef.Kind != "Deployment" || h.Spec.ScaleTargetRef.Name != fullname+"-"+role {
				t.Errorf("HPA %s targets %+v", h.Name, h.Spec.ScaleTargetRef)
			}
			if d := r.deployments[fullname+"-"+role]; d != nil && d.Spec.Replicas != nil {
				t.Errorf("%s: Deployment sets replicas beside its HPA (each upgrade would reset the scale)", role)
			}
		}
	}
	for _, role := range allRoles {
		d := r.deployments[fullname+"-"+role]
		if d == nil {
			continue
		}
		n := int32(1)
		if d.Spec.Replicas != nil {
			n = *d.Spec.Replicas
		}
		for _, h := range r.hpas {
			if h.Spec.ScaleTargetRef.Name == d.Name && h.Spec.MinReplicas != nil {
				n = *h.Spec.MinReplicas
			}
		}
		p := r.pdbs[d.Name]
		if n > 1 {
			if p == nil {
				t.Errorf("%s: %d replicas and no PodDisruptionBudget", role, n)
				continue
			}
			if p.Spec.MinAvailable == nil || p.Spec.MinAvailable.IntValue() != 1 {
				t.Errorf("PDB %s: minAvailable %v", p.Name, p.Spec.MinAvailable)
			}
			sel, _ := metav1.LabelSelectorAsMap(p.Spec.Selector)
			for k, val := range sel {
				if d.Spec.Template.Labels[k] != val {
					t.Errorf("PDB %s selects %s=%s, not the role's pods", p.Name, k, val)
				}
			}
		} else if p != nil {
			t.Errorf("%s: one replica and a PDB (it would block every drain)", role)
		}
	}
	if v.name == "defaults" {
		for _, role := range serviceRoles {
			if r.pdbs[fullname+"-"+role] == nil {
				t.Errorf("default install: no PDB for %s", role)
			}
		}
	}
}

// checkDeps: the in-chart dependencies are StatefulSets with their Service
// (or absent when external); their secrets come from a Secret.
func checkDeps(t *testing.T, r *rendered, v variant) {
	t.Helper()
	for _, dep := range deps {
		name := fullname + "-" + dep
		s, svc := r.statefulsets[name], r.services[name]
		if v.name == "external" {
			if s != nil || svc != nil {
				t.Errorf("%s disabled but rendered", dep)
			}
			continue
		}
		if s == nil || svc == nil {
			t.Errorf("no StatefulSet and Service for %s", dep)
			continue
		}
		if dep != "jaeger" && len(s.Spec.VolumeClaimTemplates) != 1 {
			t.Errorf("%s: no volumeClaimTemplate", dep)
		}
		c := s.Spec.Template.Spec.Containers[0]
		if c.ReadinessProbe == nil {
			t.Errorf("%s: no readinessProbe", dep)
		}
		if v.name == "podman" && !strings.HasPrefix(c.Image, "localhost/tiktok-deps/"+dep+":") {
			t.Errorf("%s: image %s not the local one", dep, c.Image)
		}
	}
	if v.name == "external" {
		return
	}
	etcd := r.statefulsets[fullname+"-etcd"].Spec.Template.Spec.Containers[0]
	host := strings.TrimSuffix(v.etcd, ":2379")
	if !slices.Contains(etcd.Args, "--advertise-client-urls=http://"+host+":2379") || !slices.Contains(etcd.Args, "--listen-client-urls=http://0.0.0.0:2379") {
		t.Errorf("etcd args %v", etcd.Args)
	}
}

// checkNetworkPolicies: each service admits RPCs from exactly its callers.
func checkNetworkPolicies(t *testing.T, r *rendered) {
	t.Helper()
	for role, want := range callers {
		np := r.netpols[fullname+"-"+role]
		if np == nil {
			t.Errorf("no NetworkPolicy for %s", role)
			continue
		}
		var got []string
		found := false
		for _, rule := range np.Spec.Ingress {
			if !rulePort(rule, rpcPorts[role]) {
				continue
			}
			found = true
			if len(rule.From) == 0 {
				t.Errorf("%s: RPC port open to everyone", role)
			}
			for _, peer := range rule.From {
				if peer.PodSelector == nil || peer.NamespaceSelector != nil || peer.IPBlock != nil {
					t.Errorf("%s: RPC peer %+v is not a pod selector of the namespace", role, peer)
					continue
				}
				got = append(got, componentsOf(t, peer.PodSelector)...)
			}
		}
		sort.Strings(got)
		if !found || !slices.Equal(got, want) {
			t.Errorf("NetworkPolicy %s admits %v on its RPC port, want %v", role, got, want)
		}
		for _, rule := range np.Spec.Ingress {
			if rulePort(rule, adminPorts[role]) && len(rule.From) == 0 {
				t.Errorf("%s: admin port open to everyone by default", role)
			}
		}
	}
	gw := r.netpols[fullname+"-gateway"]
	if gw == nil {
		t.Fatal("no NetworkPolicy for the gateway")
	}
	for _, rule := range gw.Spec.Ingress {
		if rulePort(rule, 8080) && len(rule.From) != 0 {
			t.Errorf("gateway: the public port is not open by default")
		}
	}
}

func rulePort(rule networkingv1.NetworkPolicyIngressRule, port int32) bool {
	for _, p := range rule.Ports {
		if p.Port != nil && p.Port.IntValue() == int(port) {
			return true
		}
	}
	return false
}

func componentsOf(t *testing.T, sel *metav1.LabelSelector) []string {
	t.Helper()
	if c, ok := sel.MatchLabels["app.kubernetes.io/component"]; ok {
		return []string{c}
	}
	for _, e := range sel.MatchExpressions {
		if e.Key == "app.kubernetes.io/component" && e.Operator == metav1.LabelSelectorOpIn {
			return e.Values
		}
	}
	t.Errorf("selector %+v names no component", sel)
	return nil
}

func checkPodman(t *testing.T, r *rendered) {
	t.Helper()
	gw := r.deployments[fullname+"-gateway"]
	if gw == nil {
		return
	}
	c := container(t, gw)
	ok := false
	for _, p := range c.Ports {
		if p.Name == "http" && p.HostPort == 18080 && p.HostIP == "127.0.0.1" {
			ok = true
		}
	}
	if !ok {
		t.Errorf("gateway: hostPort 127.0.0.1:18080 not set: %+v", c.Ports)
	}
	for _, d := range r.deployments {
		if img := container(t, d).Image; img != "localhost/tiktok:dev" {
			t.Errorf("%s: image %s", d.Name, img)
		}
	}
}
