package e2e

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"tiktok/internal/auth"
	"tiktok/internal/errno"
)

func TestTransportRules(t *testing.T) {
	e := start(t)
	uid, token := e.register("transport")
	// With and without the trailing slash, no redirect.
	for _, p := range []string{"/douyin/feed/", "/douyin/feed"} {
		res, err := http.Get(e.url + p)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, res.StatusCode, err)
		}
		res.Body.Close()
	}
	e.must(e.post("/douyin/user/login", kv("username", "transport", "password", "secret123")))
	// Unknown path: a transport-level 404.
	res, _ := http.Get(e.url + "/douyin/nope/")
	if res.StatusCode != 404 {
		t.Fatalf("unknown path: %d", res.StatusCode)
	}
	res.Body.Close()
	// Parameters in an urlencoded body, in a multipart body, and mixed with the query.
	e.must(e.postForm("/douyin/user/login/", kv("username", "transport", "password", "secret123")))
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("password", "secret123")
	w.Close()
	req, _ := http.NewRequest("POST", e.url+"/douyin/user/login/?username=transport", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	e.must(e.do(req))
	// The token as an Authorization header.
	req, _ = http.NewRequest("GET", fmt.Sprintf("%s/douyin/user/?user_id=%d", e.url, uid), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	e.must(e.do(req))
	req, _ = http.NewRequest("GET", fmt.Sprintf("%s/douyin/user/?user_id=%d", e.url, uid), nil)
	req.Header.Set("Authorization", "Bearer not-a-token")
	e.wantCode(e.do(req), int64(errno.CodeUnauthorized))
	// Lists are [] on an empty result, never null, and status is always present.
	r := e.must(e.get("/douyin/publish/list/", kv("user_id", uid)))
	if l := r.list("video_list"); len(l) != 0 {
		t.Fatalf("want empty list, got %v", l)
	}
}

func TestRegisterAndLogin(t *testing.T) {
	e := start(t)
	r := e.must(e.post("/douyin/user/register/", kv("username", "alice", "password", "secret123")))
	id := num(r, "user_id")
	if id <= 0 || id >= 1<<53 || r["token"].(string) == "" {
		t.Fatalf("register: %v", r)
	}
	// Duplicate username.
	e.wantCode(e.post("/douyin/user/register/", kv("username", "alice", "password", "other123")), int64(errno.CodeAlreadyExists))
	// Length rules: username 1..32, password 6..32 characters (runes, not bytes).
	bad := []struct{ u, p string }{
		{"", "secret123"}, {strings.Repeat("u", 33), "secret123"}, {"bob", "12345"},
		{"bob", strings.Repeat("p", 33)}, {"   ", "secret123"},
	}
	for _, b := range bad {
		e.wantCode(e.post("/douyin/user/register/", kv("username", b.u, "password", b.p)), int64(errno.CodeBadParam))
	}
	e.must(e.post("/douyin/user/register/", kv("username", strings.Repeat("名", 32), "password", strings.Repeat("密", 32))))
	e.wantCode(e.post("/douyin/user/register/", kv("username", "nopass")), int64(errno.CodeBadParam))
	e.wantCode(e.post("/douyin/user/login/", kv()), int64(errno.CodeBadParam))
	// Login: right, wrong password, unknown user (same error for both).
	r = e.must(e.post("/douyin/user/login/", kv("username", "alice", "password", "secret123")))
	if num(r, "user_id") != id {
		t.Fatalf("login id %v", r)
	}
	wrong := e.post("/douyin/user/login/", kv("username", "alice", "password", "wrong123"))
	unknown := e.post("/douyin/user/login/", kv("username", "nobody", "password", "wrong123"))
	e.wantCode(wrong, int64(errno.CodeUnauthorized))
	if wrong["status_msg"] != unknown["status_msg"] || wrong.code() != unknown.code() {
		t.Fatalf("wrong password and unknown user differ: %v / %v", wrong, unknown)
	}
	// The token works.
	u := e.must(e.get("/douyin/user/", kv("user_id", id, "token", r["token"]))).obj("user")
	checkFields(t, u, userFields)
	if u["name"] != "alice" || num(u, "id") != id {
		t.Fatalf("user: %v", u)
	}
}

func TestUserInfo(t *testing.T) {
	e := start(t)
	id, token := e.register("carol")
	r := e.must(e.get("/douyin/user/", kv("user_id", id, "token", token)))
	u := r.obj("user")
	checkFields(t, u, userFields)
	if u["avatar"].(string) == "" || !strings.HasPrefix(u["avatar"].(string), "http://") {
		t.Fatalf("avatar %v", u["avatar"])
	}
	res, err := http.Get(u["avatar"].(string))
	if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("avatar fetch: %v %v", res, err)
	}
	res.Body.Close()
	// Anonymous viewer.
	e.must(e.get("/douyin/user/", kv("user_id", id)))
	// Bad inputs.
	e.wantCode(e.get("/douyin/user/", kv()), int64(errno.CodeBadParam)) // without user_id, see user_self_test.go
	e.wantCode(e.get("/douyin/user/", kv("user_id", "abc", "token", token)), int64(errno.CodeBadParam))
	e.wantCode(e.get("/douyin/user/", kv("user_id", -1)), int64(errno.CodeBadParam))
	e.wantCode(e.get("/douyin/user/", kv("user_id", 900000000001)), int64(errno.CodeNotFound))
	// A forged token (another key) and an expired one (the right key).
	forged, _ := auth.New([]byte(strings.Repeat("x", 32)), time.Hour).Sign(id)
	e.wantCode(e.get("/douyin/user/", kv("user_id", id, "token", forged)), int64(errno.CodeUnauthorized))
	expired, _ := e.tokens.SignAt(id, time.Now().Add(-e.cfg.Auth.TokenTTL-time.Minute))
	e.wantCode(e.get("/douyin/user/", kv("user_id", id, "token", expired)), int64(errno.CodeUnauthorized))
	e.wantCode(e.get("/douyin/user/", kv("user_id", id, "token", "garbage")), int64(errno.CodeUnauthorized))
}

// The web client is served at / from the binary, with its assets.
func TestWebClientServed(t *testing.T) {
	e := start(t)
	for path, want := range map[string]string{"/": "text/html", "/app/app.js": "javascript", "/app/app.css": "text/css"} {
		res, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), want) {
			t.Fatalf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}
