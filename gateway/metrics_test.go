package gateway

import (
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"tiktok/internal/errno"
	"tiktok/internal/metrics"
)

// Requests are counted by route template (either spelling of the trailing
// slash, never the raw path), API status code and its class; a 404 is one
// "unmatched" series whatever the path; non-API routes count their HTTP
// status.
func TestObserve(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(observe)
	ok := handle(func(*gin.Context) (*Status, error) { return &Status{}, nil })
	limited := handle(func(*gin.Context) (*Status, error) { return nil, errno.New(errno.CodeRateLimited, "slow down") })
	r.GET("/douyin/t/", ok)
	r.GET("/douyin/t", ok)
	r.GET("/douyin/limited", limited)
	r.GET("/static/x", func(c *gin.Context) { c.Status(204) })

	count := func(route, code, outcome string) float64 {
		return testutil.ToFloat64(metrics.HTTPRequests.WithLabelValues(route, code, outcome))
	}
	before := map[string]float64{
		"ok": count("/douyin/t/", "0", "success"), "lim": count("/douyin/limited/", "10008", "rate_limited"),
		"404": count("unmatched", "http_404", "client_error"), "static": count("/static/x", "http_204", "success"),
	}
	for _, p := range []string{"/douyin/t/", "/douyin/t", "/douyin/limited", "/douyin/limited?x=1", "/nope/1", "/nope/2", "/static/x"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	for name, got := range map[string]float64{
		"ok": count("/douyin/t/", "0", "success") - before["ok"], "lim": count("/douyin/limited/", "10008", "rate_limited") - before["lim"],
		"404": count("unmatched", "http_404", "client_error") - before["404"], "static": count("/static/x", "http_204", "success") - before["static"],
	} {
		if got != map[string]float64{"ok": 2, "lim": 2, "404": 2, "static": 1}[name] {
			t.Errorf("%s: counted %v", name, got)
		}
	}
	if n := testutil.CollectAndCount(metrics.HTTPDuration); n == 0 {
		t.Error("no latency observed")
	}
	if v := testutil.ToFloat64(metrics.HTTPInFlight); v != 0 {
		t.Errorf("in flight after the requests: %v", v)
	}
}

func TestOutcome(t *testing.T) {
	for code, want := range map[int32]string{0: "success", 10001: "client_error", 10007: "client_error",
		10008: "rate_limited", 10009: "internal_error", 10010: "unavailable", 42: "other"} {
		if got := metrics.Outcome(code); got != want {
			t.Errorf("Outcome(%d) = %s, want %s", code, got, want)
		}
	}
	if metrics.Code(123456) != "other" || metrics.Code(10003) != "10003" {
		t.Error("Code lets an unknown value through")
	}
}
