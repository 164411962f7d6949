package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"tiktok/internal/auth"
	"tiktok/internal/errno"
)

// API.md, "User info": a request with a valid token and no user_id answers
// the token's own user (the camp's demo server does, and its test suite
// relies on it). With neither, 10001; a token that came but is bad is an auth
// error, as on every read endpoint but the feed.
func TestUserInfoWithoutUserID(t *testing.T) {
	e := start(t)
	meID, token := e.register("self")
	otherID, _ := e.register("other")
	e.must(e.post("/douyin/relation/action/", kv("token", token, "to_user_id", otherID, "action_type", 1)))

	me := func(r resp) {
		t.Helper()
		u := e.must(r).obj("user")
		checkFields(t, u, userFields)
		if num(u, "id") != meID || u["name"] != "self" || num(u, "follow_count") != 1 || u["is_follow"] != false {
			t.Fatalf("want the token's own user, got %v", u)
		}
	}
	me(e.get("/douyin/user/", kv("token", token)))
	me(e.get("/douyin/user", kv("token", token)))
	me(e.get("/douyin/user/", kv("token", token, "user_id", ""))) // an empty parameter is a missing one
	req, _ := http.NewRequest("GET", e.url+"/douyin/user/", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	me(e.do(req))

	// A user_id, when given, still wins, and is_follow is the viewer's.
	u := e.must(e.get("/douyin/user/", kv("token", token, "user_id", otherID))).obj("user")
	if num(u, "id") != otherID || u["is_follow"] != true {
		t.Fatalf("user_id ignored: %v", u)
	}
	// A user_id that is given but wrong is not replaced by the token's user.
	e.wantCode(e.get("/douyin/user/", kv("token", token, "user_id", 0)), int64(errno.CodeBadParam))
	e.wantCode(e.get("/douyin/user/", kv("token", token, "user_id", "abc")), int64(errno.CodeBadParam))

	// Neither user_id nor a token.
	e.wantCode(e.get("/douyin/user/", kv()), int64(errno.CodeBadParam))
	e.wantCode(e.get("/douyin/user/", kv("token", "")), int64(errno.CodeBadParam))
	// A bad token without user_id: forged, expired, garbage.
	forged, _ := auth.New([]byte(strings.Repeat("x", 32)), time.Hour).Sign(meID)
	expired, _ := e.tokens.SignAt(meID, time.Now().Add(-e.cfg.Auth.TokenTTL-time.Minute))
	for _, bad := range []string{forged, expired, "garbage"} {
		e.wantCode(e.get("/douyin/user/", kv("token", bad)), int64(errno.CodeUnauthorized))
	}
}
