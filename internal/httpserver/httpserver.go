// Package httpserver builds the gateway's HTTP server, with every timeout
// set, and paces the long transfers that those timeouts cannot cover: an
// upload's body coming in, a video going out.
package httpserver

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"tiktok/internal/config"
)

// New returns the server for handler on cfg.HTTP.Addr. Without these bounds
// a client that sends a body slowly, or keeps an idle connection, holds a
// connection and a goroutine for as long as it likes.
func New(cfg *config.Config, handler http.Handler) *http.Server {
	h := cfg.HTTP
	return &http.Server{
		Addr:              h.Addr,
		Handler:           handler,
		ReadHeaderTimeout: h.ReadHeaderTimeout,
		ReadTimeout:       h.ReadTimeout,
		WriteTimeout:      h.WriteTimeout,
		IdleTimeout:       h.IdleTimeout,
	}
}

// Body is a request body read at a pace: before each read its connection's
// read deadline moves to the sooner of now + stall (no read waits longer)
// and start + stall + received/minRate (the body keeps an average of at
// least minRate bytes per second after a head start of stall). A client
// that falls behind is cut off (the read fails with os.ErrDeadlineExceeded);
// one that keeps up never meets a deadline, however large its body. This
// replaces, for one request, the server's ReadTimeout, which must stay short
// for every other route.
type Body struct {
	r       io.ReadCloser
	rc      *http.ResponseController
	start   time.Time
	n       int64
	minRate int64
	stall   time.Duration
	timeout bool
}

// Pace wraps r's body; stall <= 0 leaves the server's deadlines alone.
func Pace(w http.ResponseWriter, r *http.Request, minRate int64, stall time.Duration) *Body {
	return &Body{r: r.Body, rc: http.NewResponseController(w), start: time.Now(), minRate: minRate, stall: stall}
}

func (b *Body) Read(p []byte) (int, error) {
	if b.stall > 0 {
		now := time.Now()
		d := now.Add(b.stall)
		if b.minRate > 0 {
			due := b.start.Add(b.stall + time.Duration(float64(b.n)/float64(b.minRate)*float64(time.Second)))
			if due.Before(d) {
				d = due
			}
		}
		// Unsupported (a test's recorder): the server's own bounds stand.
		_ = b.rc.SetReadDeadline(d)
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		b.timeout = true
	}
	return n, err
}

func (b *Body) Close() error { return b.r.Close() }

// TimedOut reports whether a read missed its deadline.
func (b *Body) TimedOut() bool { return b.timeout }

// Done ends the pacing once the handler has read the body or given it up.
// What is left of it (a chunked body's last bytes, which the server reads
// after the handler) must come within grace; grace <= 0: nothing more is
// read, for a reply that closes the connection. Never no deadline: the
// server's own read of the rest would wait on a stalled client for ever.
// The reply gets reply to be written from now (<= 0: the deadline stays),
// since the body may have taken far longer than the server's WriteTimeout,
// which counts from the request's header.
func (b *Body) Done(grace, reply time.Duration) {
	_ = b.rc.SetReadDeadline(time.Now().Add(max(grace, 0)))
	if reply > 0 {
		_ = b.rc.SetWriteDeadline(time.Now().Add(reply))
	}
}

// A refused body is read this far, for at most refusedDrainFor, before its
// reply: a client that writes its whole body before it reads, as the app
// does, then reads the reply, where a close on unread bytes would have sent it
// a reset that can drop the reply. Bounded, so a refusal costs little.
const (
	RefusedDrainBytes = 8 << 20
	refusedDrainFor   = 2 * time.Second
)

// DrainRefused reads and drops up to RefusedDrainBytes of body, the raw
// body of a request refused as too large, within refusedDrainFor.
func DrainRefused(w http.ResponseWriter, body io.Reader) {
	// Unsupported (a test's recorder): the server's own bounds stand.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(refusedDrainFor))
	_, _ = io.CopyN(io.Discard, body, RefusedDrainBytes)
}

// PaceWrites returns w with each write given stall to complete, counted from
// its start, instead of the server's WriteTimeout for the whole reply: a
// video streamed to a player that reads as it plays takes minutes, while a
// client that stops reading is still cut within stall. stall <= 0 returns w.
func PaceWrites(w http.ResponseWriter, stall time.Duration) http.ResponseWriter {
	if stall <= 0 {
		return w
	}
	return &pacedWriter{ResponseWriter: w, rc: http.NewResponseController(w), stall: stall}
}

type pacedWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	stall time.Duration
}

func (p *pacedWriter) Write(b []byte) (int, error) {
	_ = p.rc.SetWriteDeadline(time.Now().Add(p.stall))
	return p.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection beneath.
func (p *pacedWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }
