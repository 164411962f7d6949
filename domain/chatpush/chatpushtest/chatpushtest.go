// Package chatpushtest reads the gateway's chat stream (GET
// /douyin/message/stream/) the way the web client does, and connects tests
// to the machine's NATS.
package chatpushtest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"tiktok/domain/chatpush"
	"tiktok/internal/testenv"
)

// Connect connects t to the machine's NATS (TIKTOK_TEST_NATS, default
// nats://127.0.0.1:4222), closed when t ends, and returns a subject prefix
// of t's own: tests running at once on the shared server never see each
// other's events.
func Connect(t testing.TB) (*nats.Conn, string) {
	t.Helper()
	url := os.Getenv("TIKTOK_TEST_NATS")
	if url == "" {
		url = nats.DefaultURL
	}
	nc, err := nats.Connect(url, nats.Timeout(2*time.Second))
	testenv.Need(t, "NATS", err)
	t.Cleanup(nc.Close)
	return nc, fmt.Sprintf("test.%d", time.Now().UnixNano())
}

// Event is one event of the stream; a heartbeat is Ping.
type Event struct {
	Name, ID, Data string
	Ping           bool
}

// Message decodes a message event's data.
func (e Event) Message() (chatpush.Message, error) {
	var m chatpush.Message
	err := json.Unmarshal([]byte(e.Data), &m)
	return m, err
}

// Stream is an open stream, or a refusal (Refused).
type Stream struct {
	Res    *http.Response
	Status struct {
		StatusCode int32  `json:"status_code"`
		StatusMsg  string `json:"status_msg"`
	}
	events chan Event
	err    error // why events closed; read after it did
}

// Open asks url for a stream with token in the Authorization header ("":
// none). A refusal's JSON fills Status; a stream's events are read in the
// background until Close.
func Open(url, token string) (*Stream, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	s := &Stream{Res: res}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, errors.New("stream: HTTP " + res.Status)
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		defer res.Body.Close()
		return s, json.NewDecoder(res.Body).Decode(&s.Status)
	}
	s.events = make(chan Event, 1024)
	go s.read()
	return s, nil
}

// Refused reports whether the server answered with a status instead of a
// stream.
func (s *Stream) Refused() bool { return s.events == nil }

func (s *Stream) read() {
	defer close(s.events)
	r := bufio.NewReader(s.Res.Body)
	var e Event
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			s.err = err
			return
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			s.events <- e
			e = Event{}
		case strings.HasPrefix(line, ":"):
			e.Ping = true
		default:
			k, v, _ := strings.Cut(line, ":")
			v = strings.TrimPrefix(v, " ")
			switch k {
			case "event":
				e.Name = v
			case "id":
				e.ID = v
			case "data":
				e.Data = v
			}
		}
	}
}

// ErrTimeout: no event came within the wait.
var ErrTimeout = errors.New("no event in time")

// Next returns the next event other than a heartbeat (any event when pings
// is true) within wait; the stream's end is an error (io.EOF when the
// server ended it).
func (s *Stream) Next(wait time.Duration, pings bool) (Event, error) {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case e, ok := <-s.events:
			if !ok {
				return Event{}, s.err
			}
			if e.Ping && !pings {
				continue
			}
			return e, nil
		case <-t.C:
			return Event{}, ErrTimeout
		}
	}
}

// Close hangs up.
func (s *Stream) Close() {
	if s.events != nil {
		s.Res.Body.Close()
	}
}
