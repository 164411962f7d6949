package httpserver

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"tiktok/internal/config"
)

func TestNewSetsEveryTimeout(t *testing.T) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	s := New(cfg, http.NotFoundHandler())
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 {
		t.Fatalf("a timeout is off: %+v", s)
	}
}

// serve runs a server with the given read and write timeouts whose handler
// reads the body paced (minRate, stall), reporting how it ended.
func serve(t *testing.T, read, write time.Duration, minRate int64, stall time.Duration) (addr string, ended chan string) {
	t.Helper()
	ended = make(chan string, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := Pace(w, r, minRate, stall)
		n, err := io.Copy(io.Discard, b)
		b.Done(time.Second, write)
		switch {
		case b.TimedOut():
			ended <- "cut"
		case err != nil:
			ended <- "error: " + err.Error()
		default:
			ended <- fmt.Sprint(n)
		}
		fmt.Fprint(w, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &http.Server{Handler: h, ReadTimeout: read, WriteTimeout: write}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String(), ended
}

// send writes a request for size bytes of body, then the body in pieces of
// chunk bytes every gap, for as long as the server reads.
func send(t *testing.T, addr string, size, chunk int, gap time.Duration) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size)
	go func() {
		for sent := 0; sent < size; sent += chunk {
			if _, err := c.Write([]byte(strings.Repeat("x", min(chunk, size-sent)))); err != nil {
				return
			}
			time.Sleep(gap)
		}
	}()
	return c
}

func waitEnd(t *testing.T, ended chan string, within time.Duration) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	select {
	case s := <-ended:
		return s, time.Since(start)
	case <-time.After(within):
		t.Fatalf("the handler still reads after %v", within)
		return "", 0
	}
}

func TestPaceCutsABodyThatStallsOrTrickles(t *testing.T) {
	addr, ended := serve(t, time.Hour, time.Hour, 10_000, 300*time.Millisecond)
	// A few bytes, then nothing: cut one stall later.
	send(t, addr, 1000, 10, time.Hour)
	if s, took := waitEnd(t, ended, 3*time.Second); s != "cut" || took > 2*time.Second {
		t.Fatalf("stalled body: %s after %v", s, took)
	}
	// Bytes keep coming, but at 100 B/s against a minimum of 10 kB/s: cut
	// as soon as the average falls behind, although no read waits long.
	send(t, addr, 100_000, 10, 100*time.Millisecond)
	if s, took := waitEnd(t, ended, 3*time.Second); s != "cut" || took > 2*time.Second {
		t.Fatalf("trickling body: %s after %v", s, took)
	}
}

// A body that keeps the pace is read whole, however far beyond the server's
// ReadTimeout, and its reply is written past the WriteTimeout that counts
// from the request's header.
func TestPaceLetsASteadyBodyOutlastTheServerTimeouts(t *testing.T) {
	addr, ended := serve(t, 200*time.Millisecond, 200*time.Millisecond, 10_000, 300*time.Millisecond)
	c := send(t, addr, 30_000, 3_000, 100*time.Millisecond) // 30 kB/s for a second
	if s, _ := waitEnd(t, ended, 5*time.Second); s != "30000" {
		t.Fatalf("steady body: %s", s)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no reply: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	if string(b) != "done" {
		t.Fatalf("reply %q", b)
	}
}

// PaceWrites: a long stream to a reading client outlasts WriteTimeout; a
// client that stops reading is cut one stall later.
func TestPaceWrites(t *testing.T) {
	const chunk = 64 << 10
	done := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pw := PaceWrites(w, 300*time.Millisecond)
		var err error
		slow := r.URL.Path == "/slow"
		for i := 0; i < 2000 && err == nil && !(slow && i == 500); i++ {
			_, err = pw.Write(make([]byte, chunk))
			if slow {
				time.Sleep(2 * time.Millisecond)
			}
		}
		done <- err
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &http.Server{Handler: h, WriteTimeout: 200 * time.Millisecond}
	go s.Serve(ln)
	defer s.Close()
	res, err := http.Get("http://" + ln.Addr().String() + "/slow") // a second of writes
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err := <-done; err != nil || n != 500*chunk {
		t.Fatalf("steady reader: %d bytes, %v", n, err)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n") // and never read
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a client that does not read got 128 MB")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("writes to a client that does not read were not cut")
	}
}

// A handler that works longer than the grace after Done (a publish waiting
// for its video to be ready) still gets its reply to the client: the grace
// counts after the reply's own time.
func TestReplyAfterLongWorkArrives(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := Pace(w, r, 1, time.Second)
		io.Copy(io.Discard, b)
		b.Done(200*time.Millisecond, 5*time.Second)
		time.Sleep(time.Second) // well past the grace
		fmt.Fprint(w, "ready")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &http.Server{Handler: h, ReadTimeout: time.Second, WriteTimeout: time.Second}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	res, err := http.Post("http://"+ln.Addr().String()+"/", "text/plain", strings.NewReader("body"))
	if err != nil {
		t.Fatalf("no reply: %v", err)
	}
	defer res.Body.Close()
	if b, _ := io.ReadAll(res.Body); string(b) != "ready" {
		t.Fatalf("reply %q", b)
	}
}

// countingReader counts what the handler read of a body.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// A client that writes its whole body before it reads, as the app does,
// reads the refusal of a body over the bound when the rest is within
// RefusedDrainBytes; past that, the server reads no more than the bound.
func TestDrainRefused(t *testing.T) {
	read := make(chan int64, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int64
		raw := countingReader{r.Body, &n}
		if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, io.NopCloser(raw), 1<<10)); err != nil {
			DrainRefused(w, raw)
		}
		read <- n
		w.Header().Set("Connection", "close")
		fmt.Fprint(w, "too large")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &http.Server{Handler: h}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	send := func(size int) (string, error) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size)
		if _, err := c.Write(make([]byte, size)); err != nil {
			return "", err
		}
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return string(b), err
	}
	for i := 0; i < 5; i++ {
		if got, err := send(3 << 20); err != nil || got != "too large" {
			t.Fatalf("a 3 MiB body: reply %q, %v", got, err)
		}
		if n := <-read; n != 3<<20 {
			t.Fatalf("the server read %d bytes of a 3 MiB body, want all", n)
		}
	}
	send(RefusedDrainBytes + 8<<20) // may well meet a reset: not all is read
	if n := <-read; n > RefusedDrainBytes+1<<10+1 {
		t.Fatalf("the server read %d bytes of a refused body, bound %d", n, RefusedDrainBytes)
	}
}
