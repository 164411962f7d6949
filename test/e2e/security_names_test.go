package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"tiktok/internal/errno"
)

// Look-alike names are one account, and invisible characters are refused:
// the same answers on SQLite (embedded) and MySQL (the remote suite).
func TestLookAlikeNames(t *testing.T) {
	e := start(t)
	id, _ := e.register("Racer1")
	for _, name := range []string{"racer1", "ｒａｃｅｒ１", "RACER1", "racer1 "} {
		e.wantCode(e.post("/douyin/user/register/", kv("username", name, "password", "secret123")), int64(errno.CodeAlreadyExists))
	}
	for _, name := range []string{"racer\u200b1", "\u202eracer1", "\u200b", "\u200b\u200b\u200b", "racer\u20661\u2069"} {
		e.wantCode(e.post("/douyin/user/register/", kv("username", name, "password", "secret123")), int64(errno.CodeBadParam))
	}
	// Any look-alike signs in to the account, which keeps its name.
	for _, name := range []string{"racer1", "ＲＡＣＥＲ１"} {
		r := e.must(e.post("/douyin/user/login/", kv("username", name, "password", "secret123")))
		if num(r, "user_id") != id {
			t.Fatalf("login %q: %v, want user %d", name, r, id)
		}
	}
	u := e.must(e.get("/douyin/user/", kv("user_id", id))).obj("user")
	if u["name"] != "Racer1" {
		t.Fatalf("name shown %v", u["name"])
	}
	e.register("racer2")
}

// Every reply of the gateway, page, files and API alike, carries the
// browser defences; the client's folders are not listed.
func TestSecurityHeaders(t *testing.T) {
	e := start(t)
	uid, token := e.register("headers")
	check := func(method, path string, auth bool, wantStatus int) {
		t.Helper()
		req, _ := http.NewRequest(method, e.url+path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != wantStatus {
			t.Errorf("%s %s: HTTP %d, want %d", method, path, res.StatusCode, wantStatus)
		}
		if wantStatus == 404 && strings.Contains(string(body), ".js") {
			t.Errorf("%s %s lists files: %q", method, path, body)
		}
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		for _, part := range []string{"default-src 'self'", "script-src 'self';", "style-src 'self';", "object-src 'none'",
			"base-uri 'none'", "frame-ancestors 'none'", "connect-src 'self'", "img-src 'self' ", "media-src 'self'"} {
			if !strings.Contains(csp, part) {
				t.Errorf("%s %s: Content-Security-Policy %q lacks %q", method, path, csp, part)
			}
		}
		if strings.Contains(csp, "unsafe") || strings.Contains(csp, "*") {
			t.Errorf("%s %s: Content-Security-Policy %q is not strict", method, path, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if got := h.Get(k); got != v {
				t.Errorf("%s %s: %s %q, want %q", method, path, k, got, v)
			}
		}
	}
	q := fmt.Sprintf("?user_id=%d&video_id=1&to_user_id=%d", uid, uid)
	for _, p := range []string{"/douyin/feed/", "/douyin/user/", "/douyin/publish/list/", "/douyin/favorite/list/",
		"/douyin/comment/list/", "/douyin/relation/follow/list/", "/douyin/relation/follower/list/",
		"/douyin/relation/friend/list/", "/douyin/message/chat/"} {
		check("GET", p+q, true, 200)
	}
	for _, p := range []string{"/douyin/user/login/", "/douyin/favorite/action/", "/douyin/comment/action/",
		"/douyin/relation/action/", "/douyin/message/action/", "/douyin/publish/action/"} {
		check("POST", p+q, true, 200) // refused for missing parameters: a reply all the same
	}
	check("GET", "/douyin/feed/?token=garbage", false, 200)
	check("GET", "/", false, 200)
	check("GET", "/app/app.js", false, 200)
	check("GET", "/app/views/feed.js", false, 200)
	check("GET", fmt.Sprintf("/static/avatar/%d.png", uid), false, 200)
	check("GET", "/douyin/nope/", false, 404)
	for _, dir := range []string{"/app/", "/app", "/app/views/", "/app/views"} {
		check("GET", dir, false, 404)
	}
}
