package gateway

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"tiktok/internal/auth"
	"tiktok/internal/config"
	"tiktok/internal/errno"
)

// limitedGateway is a gateway with only what the limits use: its
// configuration (mutated by set), its tokens and its limits, in memory.
func limitedGateway(t *testing.T, set func(*config.Limits)) (*Gateway, *gin.Engine) {
	t.Helper()
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Redis.Addr = ""
	set(&cfg.Limits)
	g := &Gateway{cfg: cfg, tokens: auth.New([]byte("0123456789abcdef0123456789abcdef"), time.Hour)}
	g.limits = newLimits(cfg)
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	trustProxies(r, cfg.Limits.TrustedProxies)
	return g, r
}

type limitReply struct {
	code       int32
	retryAfter string
}

func call(t *testing.T, r *gin.Engine, path, remote string, q url.Values, header ...string) limitReply {
	t.Helper()
	req := httptest.NewRequest("POST", path+"?"+q.Encode(), nil)
	req.RemoteAddr = remote
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("HTTP %d", w.Code)
	}
	var s Status
	if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	ra := w.Header().Get("Retry-After")
	if s.StatusCode == errno.CodeRateLimited {
		if n, err := strconv.Atoi(ra); err != nil || n < 1 {
			t.Fatalf("10008 without a Retry-After in seconds: %q", ra)
		}
	} else if ra != "" {
		t.Fatalf("Retry-After %q on a reply that is not 10008", ra)
	}
	return limitReply{s.StatusCode, ra}
}

func ok(*gin.Context) (*Status, error) { return &Status{}, nil }

// The per-IP budget is the connection's address: a client cannot pick
// another one with X-Forwarded-For unless the proxy it came through is
// trusted.
func TestPerIPIgnoresForwardedForByDefault(t *testing.T) {
	g, r := limitedGateway(t, func(l *config.Limits) { l.RegisterIP = config.RateLimit{Rate: 1, Per: time.Hour, Burst: 2} })
	r.POST("/reg", handle(perIP(g, limRegisterIP, ok)))
	for i := 0; i < 2; i++ {
		if got := call(t, r, "/reg", "192.0.2.1:1000", nil, "X-Forwarded-For", "198.51.100."+strconv.Itoa(i)); got.code != 0 {
			t.Fatalf("request %d: %+v", i, got)
		}
	}
	got := call(t, r, "/reg", "192.0.2.1:1001", nil, "X-Forwarded-For", "198.51.100.9", "X-Real-IP", "198.51.100.10")
	if got.code != errno.CodeRateLimited {
		t.Fatalf("third from one address with forged headers: %+v", got)
	}
	if n, _ := strconv.Atoi(got.retryAfter); n < 3590 || n > 3600 {
		t.Fatalf("Retry-After %s, want an hour (one per hour once the burst is spent)", got.retryAfter)
	}
	if got := call(t, r, "/reg", "192.0.2.2:1000", nil); got.code != 0 {
		t.Fatalf("another address has its own budget: %+v", got)
	}
}

func TestPerIPBehindTrustedProxy(t *testing.T) {
	g, r := limitedGateway(t, func(l *config.Limits) {
		l.RegisterIP = config.RateLimit{Rate: 1, Per: time.Hour, Burst: 1}
		l.TrustedProxies = []string{"10.0.0.0/8"}
	})
	r.POST("/reg", handle(perIP(g, limRegisterIP, ok)))
	// Through the proxy: each client is its own budget.
	for _, client := range []string{"198.51.100.1", "198.51.100.2"} {
		if got := call(t, r, "/reg", "10.1.2.3:5000", nil, "X-Forwarded-For", client); got.code != 0 {
			t.Fatalf("%s through the proxy: %+v", client, got)
		}
	}
	if got := call(t, r, "/reg", "10.1.2.3:5000", nil, "X-Forwarded-For", "198.51.100.1"); got.code != errno.CodeRateLimited {
		t.Fatalf("a client's second through the proxy: %+v", got)
	}
	// Not from the proxy: the header is not believed.
	call(t, r, "/reg", "203.0.113.5:1", nil, "X-Forwarded-For", "198.51.100.3")
	if got := call(t, r, "/reg", "203.0.113.5:1", nil, "X-Forwarded-For", "198.51.100.4"); got.code != errno.CodeRateLimited {
		t.Fatalf("an untrusted sender's header must not choose the budget: %+v", got)
	}
}

func TestPerUser(t *testing.T) {
	g, r := limitedGateway(t, func(l *config.Limits) { l.Like = config.RateLimit{Rate: 10, Per: time.Second, Burst: 3} })
	r.POST("/like", handle(perUser(g, limLike, ok)))
	a, _ := g.tokens.Sign(1)
	b, _ := g.tokens.Sign(2)
	for i := 0; i < 3; i++ {
		if got := call(t, r, "/like", "192.0.2.1:1", url.Values{"token": {a}}); got.code != 0 {
			t.Fatalf("like %d: %+v", i, got)
		}
	}
	got := call(t, r, "/like", "192.0.2.1:1", url.Values{"token": {a}})
	if got.code != errno.CodeRateLimited || got.retryAfter != "1" {
		t.Fatalf("fourth like at once: %+v", got)
	}
	// Per user, not per address; a request without a valid token is left to
	// the handler (which refuses it) and spends nobody's budget.
	if got := call(t, r, "/like", "192.0.2.1:1", url.Values{"token": {b}}); got.code != 0 {
		t.Fatalf("another user: %+v", got)
	}
	if got := call(t, r, "/like", "192.0.2.1:1", url.Values{"token": {"forged"}}); got.code != 0 {
		t.Fatalf("bad token reaches the handler: %+v", got)
	}
	time.Sleep(110 * time.Millisecond)
	if got := call(t, r, "/like", "192.0.2.1:1", url.Values{"token": {a}}); got.code != 0 {
		t.Fatalf("after one interval: %+v", got)
	}
}

// fakeLogin answers like the user service: right password "right123",
// anything else wrong.
func fakeLogin(c *gin.Context) (*authResp, error) {
	name, pw, err := credentials(c)
	if err != nil {
		return nil, err
	}
	if pw != "right123" {
		return nil, errno.Unauthorized("wrong username or password")
	}
	_ = name
	return &authResp{UserID: 1, Token: "t"}, nil
}

func TestLoginCountsFailuresPerAccount(t *testing.T) {
	g, r := limitedGateway(t, func(l *config.Limits) {
		l.LoginAccount = config.RateLimit{Rate: 1, Per: 200 * time.Millisecond, Burst: 3}
		l.LoginAccountHour = config.RateLimit{Rate: 100, Per: time.Hour, Burst: 100}
	})
	r.POST("/login", handle(g.guardLogin(fakeLogin)))
	login := func(name, pw, ip string) limitReply {
		return call(t, r, "/login", ip+":1", url.Values{"username": {name}, "password": {pw}})
	}
	// Successes never count.
	for i := 0; i < 10; i++ {
		if got := login("ann", "right123", "192.0.2.1"); got.code != 0 {
			t.Fatalf("success %d: %+v", i, got)
		}
	}
	for i := 0; i < 3; i++ {
		if got := login("ann", "wrong", "192.0.2.1"); got.code != errno.CodeUnauthorized {
			t.Fatalf("failure %d: %+v", i, got)
		}
	}
	// Throttled, from any address and in any case of the name, right
	// password or not.
	for _, try := range [][2]string{{"ann", "wrong"}, {"ann", "right123"}, {"ANN", "wrong"}} {
		if got := login(try[0], try[1], "192.0.2.99"); got.code != errno.CodeRateLimited {
			t.Fatalf("%v while throttled: %+v", try, got)
		}
	}
	// Another account is not affected.
	if got := login("bob", "right123", "192.0.2.1"); got.code != 0 {
		t.Fatalf("bob: %+v", got)
	}
	// It lifts by itself.
	time.Sleep(220 * time.Millisecond)
	if got := login("ann", "right123", "192.0.2.1"); got.code != 0 {
		t.Fatalf("after the window: %+v", got)
	}
}

func TestLoginPerIP(t *testing.T) {
	g, r := limitedGateway(t, func(l *config.Limits) { l.LoginIP = config.RateLimit{Rate: 1, Per: time.Hour, Burst: 2} })
	r.POST("/login", handle(g.guardLogin(fakeLogin)))
	for i, name := range []string{"a", "b"} {
		if got := call(t, r, "/login", "192.0.2.1:1", url.Values{"username": {name}, "password": {"right123"}}); got.code != 0 {
			t.Fatalf("login %d: %+v", i, got)
		}
	}
	if got := call(t, r, "/login", "192.0.2.1:1", url.Values{"username": {"c"}, "password": {"right123"}}); got.code != errno.CodeRateLimited {
		t.Fatalf("third login from one address: %+v", got)
	}
}

// A 10008 from a service (the user service's hash queue) gets a Retry-After
// too; a gateway refusal keeps its own.
func TestServiceRateLimitedGetsRetryAfter(t *testing.T) {
	_, r := limitedGateway(t, func(*config.Limits) {})
	r.POST("/busy", handle(func(*gin.Context) (*authResp, error) {
		return nil, errno.New(errno.CodeRateLimited, "too many sign-ins at once")
	}))
	if got := call(t, r, "/busy", "192.0.2.1:1", nil); got.code != errno.CodeRateLimited || got.retryAfter != "1" {
		t.Fatalf("service refusal: %+v", got)
	}
}

// An IPv6 client's budget is its /64: one subscriber's addresses share it.
func TestPerIPv6SharesTheSlash64(t *testing.T) {
	g, r := limitedGateway(t, func(l *config.Limits) { l.RegisterIP = config.RateLimit{Rate: 1, Per: time.Hour, Burst: 1} })
	r.POST("/reg", handle(perIP(g, limRegisterIP, ok)))
	if got := call(t, r, "/reg", "[2001:db8:1:2::1]:1000", nil); got.code != 0 {
		t.Fatalf("first: %+v", got)
	}
	if got := call(t, r, "/reg", "[2001:db8:1:2:ffff::9]:1000", nil); got.code != errno.CodeRateLimited {
		t.Fatalf("same /64: %+v", got)
	}
	if got := call(t, r, "/reg", "[2001:db8:1:3::1]:1000", nil); got.code != 0 {
		t.Fatalf("another /64: %+v", got)
	}
	if got := call(t, r, "/reg", "[::ffff:192.0.2.7]:1000", nil); got.code != 0 {
		t.Fatalf("an IPv4-mapped address is its IPv4 address: %+v", got)
	}
	if got := call(t, r, "/reg", "192.0.2.7:1000", nil); got.code != errno.CodeRateLimited {
		t.Fatalf("IPv4 after its mapped form: %+v", got)
	}
}
