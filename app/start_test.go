package app

import (
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"tiktok/internal/auth"
	"tiktok/internal/config"
)

// A start-up that fails midway leaves nothing open: its listeners are closed
// (their ports can be bound again), its databases and NATS store closed (the
// process holds no more files than before it). serve and the per-role
// commands share the undo (proc), so each is checked at a late step.

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// bindable fails t unless addr can be listened on now.
func bindable(t *testing.T, what, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Errorf("%s %s still taken: %v", what, addr, err)
		return
	}
	ln.Close()
}

// openFiles counts the process's file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	return len(files(t))
}

// files are the process's file descriptors and what each is.
func files(t *testing.T) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	var out []string
	for _, fd := range fds {
		to, _ := os.Readlink("/proc/self/fd/" + fd.Name())
		out = append(out, fd.Name()+"->"+to)
	}
	return out
}

// noMoreFiles fails t if the process holds more files than before: what is
// closed in a goroutine gets a moment, and what is closed with its owner
// once unreachable (local storage's folder lock) a collection.
func noMoreFiles(t *testing.T, before int) {
	t.Helper()
	n := openFiles(t)
	for deadline := time.Now().Add(3 * time.Second); n > before && time.Now().Before(deadline); n = openFiles(t) {
		runtime.GC()
		time.Sleep(50 * time.Millisecond)
	}
	if n > before {
		tcp, _ := os.ReadFile("/proc/self/net/tcp")
		t.Errorf("%d files open after the failed start, %d before: %v\n%s", n, before, files(t), tcp)
	}
}

// serve failing at its last step that can fail (a worker that cannot be
// built, after every service runs on its listener, NATS and the databases
// open) closes all of it: a second serve on the same ports and data folder
// starts, and a third failure holds no more files than the first.
func TestEmbeddedFailureLeavesNothingOpen(t *testing.T) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	cfg.Demo = false
	cfg.HTTP.Addr, cfg.Admin.Addr = freeAddr(t), freeAddr(t)
	httpAddr := cfg.HTTP.Addr
	workers := Workers
	defer func() { Workers = workers }()
	broken := errors.New("worker not built")
	Workers = []Worker{{Name: "broken", New: func(Deps) (Runner, error) { return nil, broken }}}
	fail := func() {
		t.Helper()
		if sys, err := Embedded(context.Background(), cfg); !errors.Is(err, broken) {
			if sys != nil {
				sys.Shutdown(context.Background())
			}
			t.Fatalf("serve with a broken worker: %v, want %v", err, broken)
		}
	}
	fail() // the first start leaves the runtime's own files (pollers) open
	before := openFiles(t)
	fail()
	noMoreFiles(t, before)
	bindable(t, "HTTP", httpAddr)
	bindable(t, "admin", cfg.Admin.Addr)

	Workers = workers
	sys, err := Embedded(context.Background(), cfg)
	if err != nil {
		t.Fatalf("serve after a failed one: %v", err)
	}
	if sys.URL != "http://"+httpAddr || sys.AdminURL != "http://"+cfg.Admin.Addr {
		t.Errorf("serve at %s, admin %s; want %s and %s", sys.URL, sys.AdminURL, httpAddr, cfg.Admin.Addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sys.Shutdown(ctx)
	bindable(t, "HTTP after shutdown", httpAddr)
	bindable(t, "admin after shutdown", cfg.Admin.Addr)
}

// roleConfig is a per-role configuration on a fresh data folder with its
// admin listener on a free port.
func roleConfig(t *testing.T) *config.Config {
	cfg := testConfig()
	cfg.DataDir = t.TempDir()
	cfg.Admin.Addr = freeAddr(t)
	cfg.Auth.Secret = strings.Repeat("k", auth.MinKeyLen)
	return cfg
}

// run runs start, which must fail within a while.
func run(t *testing.T, what string, start func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := start(ctx)
	if err == nil {
		t.Fatalf("%s started", what)
	}
	t.Logf("%s: %v", what, err)
}

// A per-role command failing after its admin listener is up (its own port
// taken, or a bad storage configuration) closes it, and its database.
func TestRoleFailureLeavesNothingOpen(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	service := func(mutate func(*config.Config)) func(context.Context) error {
		cfg := roleConfig(t)
		mutate(cfg)
		return func(ctx context.Context) error {
			defer bindable(t, "admin", cfg.Admin.Addr)
			return RunService(ctx, cfg, User)
		}
	}
	// The first run leaves the runtime's own files (pollers) open.
	run(t, "user on a taken port", service(func(c *config.Config) { c.Services = map[string]string{User: taken.Addr().String()} }))
	before := openFiles(t)
	run(t, "user on a taken port", service(func(c *config.Config) { c.Services = map[string]string{User: taken.Addr().String()} }))
	noMoreFiles(t, before)
	run(t, "user with a bad storage driver", service(func(c *config.Config) { c.Storage.Driver = "bogus" }))
	noMoreFiles(t, before)

	gw := roleConfig(t)
	gw.HTTP.Addr = taken.Addr().String()
	run(t, "gateway on a taken port", func(ctx context.Context) error { return RunGateway(ctx, gw) })
	bindable(t, "gateway admin", gw.Admin.Addr)
	noMoreFiles(t, before)
}
