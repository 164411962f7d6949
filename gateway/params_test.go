package gateway

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"tiktok/internal/errno"
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

// FuzzParams drives the parameter readers with arbitrary query strings,
// urlencoded bodies and Authorization headers. Properties: nothing panics;
// every refusal is a bad parameter (10001); an accepted id is positive, an
// accepted integer is exactly the decimal sent (no overflow, no wrap, no
// partial parse), an accepted action_type is 1 or 2; a Bearer header's
// token is its trimmed rest when the query names none.
func FuzzParams(f *testing.F) {
	f.Fuzz(func(t *testing.T, query, body, authorization string, post bool) {
		c := fuzzCtx(query, body, authorization, post)
		for _, key := range []string{"user_id", "video_id", "to_user_id", "comment_id"} {
			n, err := idParam(c, key)
			if err != nil {
				wantBadParam(t, key, err)
				continue
			}
			if n <= 0 {
				t.Fatalf("idParam(%s) accepted %d", key, n)
			}
			wantExact(t, c, key, n)
		}
		for _, key := range []string{"latest_time", "pre_msg_time"} {
			n, err := intParam(c, key, false)
			if err != nil {
				wantBadParam(t, key, err)
				continue
			}
			if _, ok := given(c, key); ok {
				wantExact(t, c, key, n)
			} else if n != 0 {
				t.Fatalf("intParam(%s) absent gave %d", key, n)
			}
		}
		if a, err := actionParam(c); err != nil {
			wantBadParam(t, "action_type", err)
		} else if a != 1 && a != 2 {
			t.Fatalf("actionParam accepted %d", a)
		}
		tok := outerToken(c)
		_ = tokenOf(c)
		if c.Query("token") == "" && len(authorization) > 7 && strings.EqualFold(authorization[:7], "bearer ") &&
			tok != strings.TrimSpace(authorization[7:]) {
			t.Fatalf("bearer %q gave token %q", authorization, tok)
		}
	})
}

func fuzzCtx(query, body, authorization string, post bool) *gin.Context {
	method := "GET"
	if post {
		method = "POST"
	}
	c := ctxFor(method, "/x", body)
	c.Request.URL.RawQuery = query // as sent: httptest.NewRequest would refuse some
	if authorization != "" {
		c.Request.Header["Authorization"] = []string{authorization}
	}
	return c
}

func wantBadParam(t *testing.T, key string, err error) {
	t.Helper()
	if code, _ := errno.From(err); code != errno.CodeBadParam {
		t.Fatalf("%s: refused with %v, want a bad parameter", key, err)
	}
}

// wantExact: the value sent, trimmed, is n written in decimal, give or take
// a sign of + and leading zeros.
func wantExact(t *testing.T, c *gin.Context, key string, n int64) {
	t.Helper()
	s, _ := given(c, key)
	digits := strings.TrimPrefix(s, "+")
	neg := strings.HasPrefix(s, "-")
	if neg {
		digits = s[1:]
	}
	digits = strings.TrimLeft(digits, "0")
	want := strconv.FormatInt(n, 10)
	if neg {
		want = strconv.FormatInt(n, 10)[1:]
	}
	if n == 0 {
		want = ""
	}
	if digits != want || strings.Trim(digits, "0123456789") != "" {
		t.Fatalf("%s=%q read as %d", key, s, n)
	}
}
