package gateway

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func ctxFor(method, target, body string) *gin.Context {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		c.Request.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return c
}

func TestParams(t *testing.T) {
	c := ctxFor("POST", "/x?video_id=7&action_type=2", "token=abc&comment_text=hi")
	if id, err := idParam(c, "video_id"); err != nil || id != 7 {
		t.Fatal(id, err)
	}
	if a, err := actionParam(c); err != nil || a != 2 {
		t.Fatal(a, err)
	}
	if tokenOf(c) != "abc" {
		t.Fatal("token from the body")
	}
	if _, err := idParam(c, "missing"); err == nil {
		t.Fatal("missing id accepted")
	}
	c = ctxFor("GET", "/x?user_id=abc&action_type=3&token=q", "")
	if _, err := idParam(c, "user_id"); err == nil {
		t.Fatal("non-numeric id accepted")
	}
	if _, err := actionParam(c); err == nil {
		t.Fatal("action_type 3 accepted")
	}
	c = ctxFor("GET", "/x", "")
	c.Request.Header.Set("Authorization", "Bearer tok")
	if tokenOf(c) != "tok" || outerToken(c) != "tok" {
		t.Fatal("bearer token")
	}
	if n, err := intParam(c, "latest_time", false); err != nil || n != 0 {
		t.Fatal("optional int", n, err)
	}
}
