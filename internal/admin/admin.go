// Package admin is each role's admin listener (docs/OPERATIONS.md, Admin
// listener), on its own port, never the public API's: /healthz (the process
// is alive), /readyz (ready to serve: started, not shutting down, and every
// dependency it cannot work without answering), /metrics (Prometheus, the
// process's default registry) and, when configured, Go's pprof handlers.
package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	// Every metric the roles export, the build info among them, is defined
	// there: whatever serves /metrics has them all.
	_ "tiktok/internal/metrics"
)

// Check reports whether a dependency answers; it must respect ctx's deadline.
type Check func(ctx context.Context) error

// Server is a role's admin listener and its readiness state. A role is not
// ready until Started, and stops being ready at Stopping (the start of its
// graceful shutdown), before it deregisters and drains.
type Server struct {
	timeout time.Duration
	srv     *http.Server
	ln      net.Listener

	mu     sync.Mutex
	checks map[string]Check

	started  atomic.Bool
	stopping atomic.Bool
}

// Options configure the listener.
type Options struct {
	// Pprof mounts /debug/pprof/.
	Pprof bool
	// CheckTimeout bounds each readiness check (default 1 s).
	CheckTimeout time.Duration
}

// current is the process's admin server, whose readiness tiktok_ready
// reports at each scrape (the Go runtime and process collectors are on the
// default registry already).
var current atomic.Pointer[Server]

func init() {
	promauto.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tiktok_ready",
		Help: "1 while this process is ready to serve (its /readyz would answer 200), else 0.",
	}, func() float64 {
		s := current.Load()
		if s == nil || len(s.Ready(context.Background())) > 0 {
			return 0
		}
		return 1
	})
}

// New returns an admin server (not yet listening).
func New(o Options) *Server {
	if o.CheckTimeout <= 0 {
		o.CheckTimeout = time.Second
	}
	s := &Server{timeout: o.CheckTimeout, checks: map[string]Check{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { text(w, http.StatusOK, "ok\n") })
	mux.HandleFunc("GET /readyz", s.readyz)
	// OpenMetrics carries the exemplars (trace ids) of the latency histograms.
	mux.Handle("GET /metrics", promhttp.HandlerFor(prometheus.DefaultGatherer, promhttp.HandlerOpts{
		EnableOpenMetrics: true, Timeout: 10 * time.Second, MaxRequestsInFlight: 4,
	}))
	if o.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	current.Store(s)
	return s
}

// AddCheck adds a readiness check under name (replacing one of that name).
func (s *Server) AddCheck(name string, c Check) {
	s.mu.Lock()
	s.checks[name] = c
	s.mu.Unlock()
}

// Listen binds addr ("host:port"; port 0 picks one) and serves in the
// background. Addr says where.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("admin listener %s: %w", addr, err)
	}
	s.ln = ln
	go func() { _ = s.srv.Serve(ln) }()
	return nil
}

// Addr is where the listener is bound ("" before Listen).
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Started marks the role as started: from now on it is ready whenever its
// checks pass.
func (s *Server) Started() {
	s.started.Store(true)
}

// Stopping marks the start of the graceful shutdown: /readyz answers 503
// from now on, so load balancers stop sending while the role drains.
func (s *Server) Stopping() {
	s.stopping.Store(true)
}

// Close stops the listener (the last thing a role does).
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	// Shutdown closes only the listeners Serve has taken up: one closed
	// right after Listen, before Serve ran, is closed here, so its port is
	// free once Close returns.
	if s.ln != nil {
		_ = s.ln.Close()
	}
}

// Ready runs the checks at once and returns the failures, by name; the role
// is ready when there are none.
func (s *Server) Ready(ctx context.Context) map[string]error {
	fail := map[string]error{}
	switch {
	case s.stopping.Load():
		fail["shutdown"] = errors.New("shutting down")
		return fail
	case !s.started.Load():
		fail["start"] = errors.New("starting")
		return fail
	}
	s.mu.Lock()
	checks := make(map[string]Check, len(s.checks))
	for n, c := range s.checks {
		checks[n] = c
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	// Each check reports on its own buffered channel slot: one that ignores
	// its deadline is reported as timed out, never waited for.
	results := make(chan result, len(checks))
	for n, c := range checks {
		go func() { results <- result{n, c(ctx)} }()
	}
	pending := make(map[string]bool, len(checks))
	for n := range checks {
		pending[n] = true
	}
	for len(pending) > 0 {
		select {
		case r := <-results:
			delete(pending, r.name)
			if r.err != nil {
				fail[r.name] = r.err
			}
		case <-ctx.Done():
			for n := range pending {
				fail[n] = fmt.Errorf("no answer within %v", s.timeout)
			}
			return fail
		}
	}
	return fail
}

// readyz answers 200 "ok", or 503 with one line per failing check.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	fail := s.Ready(r.Context())
	if len(fail) == 0 {
		text(w, http.StatusOK, "ok\n")
		return
	}
	lines := make([]string, 0, len(fail))
	for n, err := range fail {
		lines = append(lines, n+": "+err.Error())
	}
	sort.Strings(lines)
	text(w, http.StatusServiceUnavailable, strings.Join(lines, "\n")+"\n")
}

func text(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}
