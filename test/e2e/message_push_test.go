package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"tiktok/domain/chatpush"
	"tiktok/domain/chatpush/chatpushtest"
	"tiktok/internal/config"
	"tiktok/internal/errno"
)

// openStream opens token's chat stream on base (the token in the header).
func openStream(t *testing.T, base, token string) *chatpushtest.Stream {
	t.Helper()
	s, err := chatpushtest.Open(base+"/douyin/message/stream/", token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if !s.Refused() {
		if e, err := s.Next(10*time.Second, false); err != nil || e.Name != "ready" {
			t.Fatalf("stream: %+v %v, want ready", e, err)
		}
	}
	return s
}

// nextMessage is s's next event, which must be a message, within 15 s.
func nextMessage(t *testing.T, s *chatpushtest.Stream) chatpush.Message {
	t.Helper()
	e, err := s.Next(15*time.Second, false)
	if err != nil || e.Name != "message" {
		t.Fatalf("want a message: %+v %v", e, err)
	}
	m, err := e.Message()
	if err != nil || e.ID != fmt.Sprint(m.CreateTime) {
		t.Fatalf("event %+v: %v", e, err)
	}
	return m
}

// pushed reads n messages of s, then listens for quiet more: nothing else
// may come (a duplicate would).
func pushed(t *testing.T, s *chatpushtest.Stream, n int, quiet time.Duration) []chatpush.Message {
	t.Helper()
	var out []chatpush.Message
	for len(out) < n {
		out = append(out, nextMessage(t, s))
	}
	if e, err := s.Next(quiet, false); err != chatpushtest.ErrTimeout {
		t.Fatalf("after %d messages: %+v %v", n, e, err)
	}
	return out
}

// TestChatPush: two people each with a stream open; what each sends over
// HTTP reaches the other's stream exactly once, in order, as the polls
// return it, and never its sender's. A stream reopened after messages went
// by catches up through the polling path, exactly once too.
func TestChatPush(t *testing.T) {
	e := start(t)
	aID, a := e.register("push_a")
	bID, b := e.register("push_b")
	sa, sb := openStream(t, e.url, a), openStream(t, e.url, b)

	const n = 15
	var wg sync.WaitGroup
	for _, c := range []struct {
		token string
		to    int64
		name  string
	}{{a, bID, "a"}, {b, aID, "b"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ { // back to back: several in one millisecond
				e.must(e.post("/douyin/message/action/", kv("token", c.token, "to_user_id", c.to, "action_type", 1,
					"content", fmt.Sprintf("%s says %d <b>", c.name, i))))
			}
		}()
	}
	toA, toB := pushed(t, sa, n, 500*time.Millisecond), pushed(t, sb, n, 500*time.Millisecond)
	wg.Wait()

	truth := e.must(e.get("/douyin/message/chat/", kv("token", a, "to_user_id", bID))).list("message_list")
	byID := map[int64]map[string]any{}
	for _, m := range truth {
		mm := m.(map[string]any)
		byID[num(mm, "id")] = mm
	}
	for _, c := range []struct {
		name     string
		got      []chatpush.Message
		from, to int64
		sender   string
	}{{"a", toA, bID, aID, "b"}, {"b", toB, aID, bID, "a"}} {
		if len(c.got) != n {
			t.Fatalf("%s's stream: %d messages, want %d", c.name, len(c.got), n)
		}
		for i, m := range c.got {
			want := byID[m.ID]
			if want == nil || m.FromUserID != c.from || m.ToUserID != c.to || m.Content != fmt.Sprintf("%s says %d <b>", c.sender, i) ||
				m.CreateTime != num(want, "create_time") || m.Content != want["content"] {
				t.Fatalf("%s's stream, message %d: %+v, the chat holds %v", c.name, i, m, want)
			}
			if i > 0 && m.CreateTime <= c.got[i-1].CreateTime {
				t.Fatalf("%s's stream out of order at %d", c.name, i)
			}
		}
	}

	// b's stream drops; a sends meanwhile; b comes back: the new stream
	// carries what is sent from then on, and b's catch-up poll (from the
	// newest time it holds) what it missed. By id, b ends with every
	// message of a's exactly once.
	sb.Close()
	e.must(e.post("/douyin/message/action/", kv("token", a, "to_user_id", bID, "action_type", 1, "content", "while away")))
	sb = openStream(t, e.url, b)
	held := map[int64]int{}
	for _, m := range toB {
		held[m.ID]++
	}
	catchUp := e.must(e.get("/douyin/message/chat/", kv("token", b, "to_user_id", aID, "pre_msg_time", toB[n-1].CreateTime)))
	for _, m := range catchUp.list("message_list") {
		if id := num(m.(map[string]any), "id"); held[id] == 0 {
			held[id]++
		}
	}
	e.must(e.post("/douyin/message/action/", kv("token", a, "to_user_id", bID, "action_type", 1, "content", "back")))
	// "back" comes pushed. So may "while away", whose announcement may
	// still have been on its way when the stream opened: b keeps it once.
	for back := false; !back; {
		m := nextMessage(t, sb)
		if back = m.Content == "back"; back && held[m.ID] != 0 || !back && m.Content != "while away" {
			t.Fatalf("after reconnecting: %+v", m)
		}
		held[m.ID] = 1
	}
	if ev, err := sb.Next(500*time.Millisecond, false); err != chatpushtest.ErrTimeout {
		t.Fatalf("after the last message: %+v %v", ev, err)
	}
	all := e.must(e.get("/douyin/message/chat/", kv("token", b, "to_user_id", aID))).list("message_list")
	fromA := 0
	for _, m := range all {
		mm := m.(map[string]any)
		if num(mm, "from_user_id") == aID {
			fromA++
			if held[num(mm, "id")] != 1 {
				t.Fatalf("b holds %v %d times", mm["content"], held[num(mm, "id")])
			}
		}
	}
	if fromA != n+2 || len(held) != fromA {
		t.Fatalf("b holds %d messages, a sent %d", len(held), fromA)
	}
}

// TestChatPushRefusals: a stream needs a valid token in the Authorization
// header (never the URL), and a user holds at most push.per_user streams on
// a gateway instance.
func TestChatPushRefusals(t *testing.T) {
	e := start(t, func(c *config.Config) { c.Push.PerUser = 2 })
	_, a := e.register("push_refused")
	for _, c := range []struct {
		name, query, token string
		code               int32
	}{
		{"no token", "", "", errno.CodeUnauthorized},
		{"forged token", "", "forged.token.here", errno.CodeUnauthorized},
		{"token in the URL", "?token=" + a, "", errno.CodeBadParam},
	} {
		s, err := chatpushtest.Open(e.url+"/douyin/message/stream/"+c.query, c.token)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Refused() || s.Status.StatusCode != c.code {
			s.Close()
			t.Fatalf("%s: %+v, want %d", c.name, s.Status, c.code)
		}
	}
	for i := 0; i < e.cfg.Push.PerUser; i++ {
		if s := openStream(t, e.url, a); s.Refused() {
			t.Fatalf("stream %d of %d refused: %+v", i+1, e.cfg.Push.PerUser, s.Status)
		}
	}
	over := openStream(t, e.url, a)
	if !over.Refused() || over.Status.StatusCode != errno.CodeRateLimited || over.Res.Header.Get("Retry-After") == "" {
		t.Fatalf("a stream past push.per_user: %+v", over.Status)
	}
	_, other := e.register("push_other")
	if s := openStream(t, e.url, other); s.Refused() {
		t.Fatalf("another user's stream refused: %+v", s.Status)
	}
	if r := e.post("/douyin/user/logout/", kv("token", a)); r.code() != 0 {
		t.Fatalf("logout: %v", r)
	}
	if s := openStream(t, e.url, a); !s.Refused() || s.Status.StatusCode != errno.CodeUnauthorized {
		t.Fatalf("a stream for a logged-out token: %+v", s.Status)
	}
}
