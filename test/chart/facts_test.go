package chart

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"testing"

	"sigs.k8s.io/yaml"

	"tiktok/app"
	"tiktok/internal/config"
)

// The app's facts the chart must follow, all from the role registry: the
// roles (services, workers, the gateway last), their default ports and who
// calls each service.
var (
	serviceRoles = app.Names()
	allRoles     = roleNames()
	adminPorts   = func() map[string]int32 {
		m := map[string]int32{}
		for _, role := range allRoles {
			_, port, _ := net.SplitHostPort(app.AdminAddr(&config.Config{}, role))
			p, _ := strconv.Atoi(port)
			m[role] = int32(p)
		}
		return m
	}()
	rpcPorts = func() map[string]int32 {
		m := map[string]int32{}
		for _, r := range app.Registry {
			m[r.Name] = int32(r.Port)
		}
		return m
	}()
	// callers: service → the roles that call it, sorted; the embedded mode's
	// role is no pod of the chart.
	callers = func() map[string][]string {
		m := map[string][]string{}
		for caller, callees := range app.Policy() {
			if caller == app.EmbeddedRole {
				continue
			}
			for _, svc := range callees {
				m[svc] = append(m[svc], caller)
			}
		}
		for _, c := range m {
			sort.Strings(c)
		}
		return m
	}()
)

func roleNames() []string {
	r := app.Names()
	for _, w := range app.Workers {
		r = append(r, w.Name)
	}
	return append(r, app.Gateway)
}

// The chart's own lists of the roles, their ports and callers (values.yaml,
// values.schema.json, templates/_helpers.tpl) are the registry's. No helm
// needed: the files are read as they are.
func TestChartListsTheRegistrysRoles(t *testing.T) {
	dir := filepath.Join(root(t), "deploy", "helm", "tiktok")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sorted := slices.Sorted(slices.Values(allRoles))

	var values struct {
		Roles map[string]any `json:"roles"`
	}
	if err := yaml.Unmarshal(read("values.yaml"), &values); err != nil {
		t.Fatalf("values.yaml: %v", err)
	}
	if got := sortedKeys(values.Roles); !slices.Equal(got, sorted) {
		t.Errorf("values.yaml roles: %v, want %v", got, sorted)
	}

	var schema struct {
		Properties struct {
			Roles struct {
				Required   []string       `json:"required"`
				Properties map[string]any `json:"properties"`
			} `json:"roles"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(read("values.schema.json"), &schema); err != nil {
		t.Fatalf("values.schema.json: %v", err)
	}
	if got := slices.Sorted(slices.Values(schema.Properties.Roles.Required)); !slices.Equal(got, sorted) {
		t.Errorf("values.schema.json roles.required: %v, want %v", got, sorted)
	}
	if got := sortedKeys(schema.Properties.Roles.Properties); !slices.Equal(got, sorted) {
		t.Errorf("values.schema.json roles.properties: %v, want %v", got, sorted)
	}

	helpers := read("templates/_helpers.tpl")
	define := func(name string) []byte {
		m := regexp.MustCompile(`(?s)\{\{- define "` + regexp.QuoteMeta(name) + `" -\}\}(.*?)\{\{- end -\}\}`).FindSubmatch(helpers)
		if m == nil {
			t.Fatalf("_helpers.tpl defines no %s", name)
		}
		return m[1]
	}
	for name, want := range map[string][]string{"tiktok.allRoles": allRoles, "tiktok.serviceRoles": serviceRoles} {
		var got []string
		if err := yaml.Unmarshal(define(name), &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// In any order: the chart lists them by port, the registry in start order.
		if got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)); !slices.Equal(got, want) {
			t.Errorf("_helpers.tpl %s: %v, want %v", name, got, want)
		}
	}
	var facts map[string]struct {
		RPCPort   int32    `json:"rpcPort"`
		AdminPort int32    `json:"adminPort"`
		Callers   []string `json:"callers"`
	}
	if err := yaml.Unmarshal(define("tiktok.roleFacts"), &facts); err != nil {
		t.Fatalf("tiktok.roleFacts: %v", err)
	}
	if got := sortedKeys(facts); !slices.Equal(got, sorted) {
		t.Errorf("_helpers.tpl tiktok.roleFacts lists %v, want %v", got, sorted)
	}
	for role, f := range facts {
		if f.RPCPort != rpcPorts[role] || f.AdminPort != adminPorts[role] {
			t.Errorf("_helpers.tpl %s: rpc port %d, admin port %d; the registry's are %d, %d",
				role, f.RPCPort, f.AdminPort, rpcPorts[role], adminPorts[role])
		}
		if got := slices.Sorted(slices.Values(f.Callers)); !slices.Equal(got, callers[role]) {
			t.Errorf("_helpers.tpl %s: callers %v, the registry's %v", role, got, callers[role])
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}
