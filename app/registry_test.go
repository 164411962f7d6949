package app

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Every service of the IDL has exactly one registry entry, with its own name
// and port: the registry is the list everything else reads.
func TestRegistryMatchesIDL(t *testing.T) {
	protos, err := filepath.Glob("../idl/*.proto")
	if err != nil {
		t.Fatal(err)
	}
	var idl []string
	for _, p := range protos {
		if n := strings.TrimSuffix(filepath.Base(p), ".proto"); n != "base" {
			idl = append(idl, n)
		}
	}
	names := Names()
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	sort.Strings(idl)
	if strings.Join(sorted, " ") != strings.Join(idl, " ") {
		t.Fatalf("registry %v, IDL services %v", sorted, idl)
	}
	ports := map[int]string{}
	for _, r := range Registry {
		if other, dup := ports[r.Port]; dup {
			t.Errorf("%s and %s both default to port %d", r.Name, other, r.Port)
		}
		ports[r.Port] = r.Name
		if r.Register == nil {
			t.Errorf("%s has no Register", r.Name)
		}
		if _, err := os.Stat(filepath.Join("..", "service", r.Name)); err != nil {
			t.Errorf("%s: no folder service/%s", r.Name, r.Name)
		}
	}
}

// Arrows point down: internal/ holds domain-neutral infrastructure, so it
// imports nothing of the domain: no generated service code (kitex_gen, the
// shared records of base too), no domain/ package, no service, worker, the
// gateway or the composition above them. domain/ is the code several roles
// share, below them all. Services and workers import neither each other, the
// gateway nor app/. Test files are held to the same.
func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-test", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}", "tiktok/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := map[string][]string{
		"tiktok/internal/": {"tiktok/kitex_gen/", "tiktok/domain/", "tiktok/service/", "tiktok/worker/", "tiktok/gateway", "tiktok/app", "tiktok/cmd/"},
		"tiktok/domain/":   {"tiktok/service/", "tiktok/worker/", "tiktok/gateway", "tiktok/app", "tiktok/cmd/"},
		"tiktok/service/":  {"tiktok/worker/", "tiktok/gateway", "tiktok/app", "tiktok/cmd/"},
		"tiktok/worker/":   {"tiktok/service/", "tiktok/gateway", "tiktok/app", "tiktok/cmd/"},
		"tiktok/gateway":   {"tiktok/service/", "tiktok/worker/", "tiktok/app", "tiktok/cmd/"},
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, "|")
		pkg, _, _ = strings.Cut(pkg, " ") // "p [p.test]" for test variants
		for layer, banned := range forbidden {
			if !strings.HasPrefix(pkg, layer) {
				continue
			}
			for _, imp := range strings.Fields(imports) {
				for _, b := range banned {
					if strings.HasPrefix(imp, b) {
						t.Errorf("%s imports %s: an arrow upwards", pkg, imp)
					}
				}
			}
		}
	}
}

// The workers are roles too: each has its own name, not a service's, and
// `tiktok roles` lists them after the services, so the scripts start them.
func TestWorkersAreRoles(t *testing.T) {
	if len(Workers) == 0 {
		t.Fatal("no worker roles")
	}
	for _, w := range Workers {
		if _, clash := Lookup(w.Name); clash || w.Name == "gateway" || w.New == nil {
			t.Errorf("worker %q: clashes with a service or the gateway, or has no New", w.Name)
		}
	}
	out, err := exec.Command("go", "run", "../cmd/tiktok", "roles").Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(string(out))
	want := Names()
	for _, w := range Workers {
		want = append(want, w.Name)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("tiktok roles: %v, want %v", got, want)
	}
}
