package prod

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"tiktok/domain/chatpush/chatpushtest"
)

// secondGateway is the address of the second gateway instance the tests
// start (as scripts/cluster.sh gateway2 does).
const secondGateway = "127.0.0.1:8082"

// startGateway2 starts a second gateway instance (gateway-2) on the same
// deployment and returns its base URL once it answers; the test's end stops
// it if the test has not.
func startGateway2(t *testing.T) string {
	t.Helper()
	startRole(t, "gateway-2", "gateway", "TIKTOK_HTTP_ADDR="+secondGateway)
	eventually(t, 30*time.Second, "second gateway up", func() bool {
		c, err := net.DialTimeout("tcp", secondGateway, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(runDir, "pids", "gateway-2.pid")); err == nil {
			stopRole(t, "gateway-2")
		}
	})
	return "http://" + secondGateway
}

// TestChatPushAcrossGateways: two people whose chat streams are open on two
// gateway instances; what each sends through its own instance reaches the
// other's stream, through NATS, exactly once.
func TestChatPushAcrossGateways(t *testing.T) {
	processesOnly(t)
	_, base := setup(t)
	other := startGateway2(t)
	aID, a := register(t, base, "pusher")
	bID, b := register(t, other, "pushed")
	open := func(gw, token string) *chatpushtest.Stream {
		s, err := chatpushtest.Open(gw+"/douyin/message/stream/", token)
		if err != nil || s.Refused() {
			t.Fatalf("stream on %s: %v %+v", gw, err, s)
		}
		t.Cleanup(s.Close)
		if e, err := s.Next(10*time.Second, false); err != nil || e.Name != "ready" {
			t.Fatalf("stream on %s: %+v %v", gw, e, err)
		}
		return s
	}
	sa, sb := open(base, a), open(other, b)
	for _, c := range []struct {
		via, token string
		from, to   int64
		stream     *chatpushtest.Stream
	}{{base, a, aID, bID, sb}, {other, b, bID, aID, sa}} {
		content := fmt.Sprintf("from %d via %s", c.from, c.via)
		start := time.Now()
		r, _ := call(t, "POST", c.via+"/douyin/message/action/", url.Values{"token": {c.token},
			"to_user_id": {fmt.Sprint(c.to)}, "action_type": {"1"}, "content": {content}})
		if r.code() != 0 {
			t.Fatalf("send: %v", r)
		}
		e, err := c.stream.Next(5*time.Second, false)
		if err != nil || e.Name != "message" {
			t.Fatalf("%q not pushed: %+v %v", content, e, err)
		}
		m, err := e.Message()
		if err != nil || m.Content != content || m.FromUserID != c.from || m.ToUserID != c.to || m.ID <= 0 {
			t.Fatalf("pushed %+v (%v), want %q", m, err, content)
		}
		t.Logf("%q pushed across gateways in %v", content, time.Since(start).Round(time.Millisecond))
		if e, err := c.stream.Next(time.Second, false); err != chatpushtest.ErrTimeout {
			t.Fatalf("after %q: %+v %v", content, e, err)
		}
	}
}
