package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"tiktok/app"
	"tiktok/internal/buildinfo"
)

// run executes the command line args and answers its standard output.
func run(t *testing.T, args ...string) string {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		t.Fatalf("tiktok %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// Every subcommand the usage lists is there, with its own help, and runs
// something: serve, the gateway, each role of the registry, and the tools.
func TestEverySubcommandDispatches(t *testing.T) {
	want := []string{"serve", "gateway", "roles", "seed", "check-likes", "version"}
	want = append(want, app.Names()...)
	for _, w := range app.Workers {
		want = append(want, w.Name)
	}
	usage := run(t, "--help")
	root := newRoot()
	var listed []string
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		listed = append(listed, c.Name())
		if !strings.Contains(usage, "\n  "+c.Name()+" ") {
			t.Errorf("the usage does not list %s", c.Name())
		}
	}
	slices.Sort(want)
	slices.Sort(listed)
	if !slices.Equal(listed, want) {
		t.Fatalf("subcommands %v, want %v", listed, want)
	}
	for _, name := range listed {
		c, _, err := root.Find([]string{name})
		if err != nil || c.Name() != name || (c.RunE == nil && c.Run == nil) {
			t.Errorf("%s: dispatches to %v (%v), which runs nothing", name, c, err)
			continue
		}
		if help := run(t, name, "--help"); !strings.Contains(help, "tiktok "+name) {
			t.Errorf("%s --help: %q", name, help)
		}
	}
}

// The scripts read `tiktok roles`: the RPC services in start order, then the
// workers; --all adds the gateway, last; --rpc leaves the workers out.
func TestRolesLists(t *testing.T) {
	var workers []string
	for _, w := range app.Workers {
		workers = append(workers, w.Name)
	}
	lines := func(s string) []string { return strings.Fields(s) }
	services := app.Names()
	if got, want := lines(run(t, "roles")), append(slices.Clone(services), workers...); !slices.Equal(got, want) {
		t.Errorf("roles: %v, want %v", got, want)
	}
	if got, want := lines(run(t, "roles", "--all")), append(append(slices.Clone(services), workers...), "gateway"); !slices.Equal(got, want) {
		t.Errorf("roles --all: %v, want %v", got, want)
	}
	if got := lines(run(t, "roles", "--rpc")); !slices.Equal(got, services) {
		t.Errorf("roles --rpc: %v, want %v", got, services)
	}
	admin := strings.Split(strings.TrimSpace(run(t, "roles", "--admin")), "\n")
	if last := admin[len(admin)-1]; !strings.HasPrefix(last, "gateway ") {
		t.Errorf("roles --admin ends with %q", last)
	}
}

// `tiktok version` names the commit stamped with -ldflags, as build_tiktok
// (scripts/lib.sh) does when the toolchain records none (-buildvcs=false).
func TestVersionNamesTheStampedCommit(t *testing.T) {
	defer func(v, c string) { buildinfo.Version, buildinfo.Commit = v, c }(buildinfo.Version, buildinfo.Commit)
	buildinfo.Version, buildinfo.Commit = "v1.2.3-4-gabcdef0", "abcdef0123456789"
	if got, want := run(t, "version"), "tiktok v1.2.3-4-gabcdef0 commit abcdef0123456789\n"; got != want {
		t.Fatalf("version: %q, want %q", got, want)
	}
}

// A subcommand's flags are its own: --data of seed and check-likes, --admin
// of serve and roles.
func TestFlags(t *testing.T) {
	root := newRoot()
	for _, c := range []struct{ cmd, flag string }{
		{"serve", "http"}, {"serve", "admin"}, {"serve", "data"}, {"serve", "demo"},
		{"seed", "data"}, {"seed", "small"}, {"seed", "scale"}, {"seed", "tokens"}, {"seed", "token-count"},
		{"check-likes", "url"}, {"check-likes", "data"},
		{"roles", "all"}, {"roles", "addr"}, {"roles", "admin"}, {"roles", "rpc"},
	} {
		cmd, _, err := root.Find([]string{c.cmd})
		if err != nil || cmd.Flags().Lookup(c.flag) == nil {
			t.Errorf("%s has no --%s", c.cmd, c.flag)
		}
	}
	if serve, _, _ := root.Find([]string{"serve"}); serve.Flags().Lookup("admin").DefValue != "127.0.0.1:9200" {
		t.Errorf("serve --admin defaults to %q", serve.Flags().Lookup("admin").DefValue)
	}
}
