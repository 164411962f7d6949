package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tiktok/app"
	"tiktok/internal/config"
	"tiktok/internal/errno"
	"tiktok/internal/logx"
)

const unauthorized = int64(errno.CodeUnauthorized)

// A correctly signed token for a user id that does not exist acts as nobody:
// like, comment, follow and message are refused (10002), and nothing they
// would have written is there afterwards.
func TestTokenOfMissingUserRefused(t *testing.T) {
	e := start(t)
	aID, a := e.register("sess_author")
	e.publish(a, "target")
	vid := videoIDs(t, e, a)[0]
	ghost, err := e.tokens.Sign(aID + 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	for path, q := range map[string][]any{
		"/douyin/favorite/action/": {"video_id", vid, "action_type", 1},
		"/douyin/comment/action/":  {"video_id", vid, "action_type", 1, "comment_text", "boo"},
		"/douyin/relation/action/": {"to_user_id", aID, "action_type", 1},
		"/douyin/message/action/":  {"to_user_id", aID, "action_type", 1, "content", "hi"},
	} {
		e.wantCode(e.post(path, kv(append([]any{"token", ghost}, q...)...)), unauthorized)
	}
	e.wantCode(e.get("/douyin/message/chat/", kv("token", ghost, "to_user_id", aID)), unauthorized)
	v := e.must(e.get("/douyin/feed/", nil)).list("video_list")[0].(map[string]any)
	if num(v, "favorite_count") != 0 || num(v, "comment_count") != 0 {
		t.Fatalf("the ghost's like or comment was written: %v", v)
	}
	if l := e.must(e.get("/douyin/comment/list/", kv("video_id", vid))).list("comment_list"); len(l) != 0 {
		t.Fatalf("comments: %v", l)
	}
	u := e.must(e.get("/douyin/user/", kv("user_id", aID))).obj("user")
	if num(u, "follower_count") != 0 || num(u, "total_favorited") != 0 {
		t.Fatalf("the ghost's follow or like was counted: %v", u)
	}
	if l := e.must(e.get("/douyin/relation/follower/list/", kv("user_id", aID, "token", a))).list("user_list"); len(l) != 0 {
		t.Fatalf("followers: %v", l)
	}
	// The real user's token is unaffected.
	e.must(e.post("/douyin/favorite/action/", kv("token", a, "video_id", vid, "action_type", 1)))
}

// A token issued before its user existed (the id's earlier holder, in a
// database since wiped) is refused; one issued in the very second the user
// registered is accepted (tokens count whole seconds).
func TestTokenOlderThanItsUserRefused(t *testing.T) {
	e := start(t)
	var id int64
	var before, after time.Time
	for i := 0; ; i++ {
		before = time.Now()
		id, _ = e.register("sess_young" + string(rune('a'+i)))
		after = time.Now()
		if before.Unix() == after.Unix() || i == 4 {
			break
		}
	}
	old, _ := e.tokens.SignAt(id, before.Add(-2*time.Second))
	e.wantCode(e.get("/douyin/user/", kv("token", old)), unauthorized)
	e.wantCode(e.post("/douyin/relation/action/", kv("token", old, "to_user_id", id, "action_type", 1)), unauthorized)
	if before.Unix() != after.Unix() {
		t.Log("registration never fell within one second; the same-second case is not checked")
		return
	}
	// Issued a moment before the registration, in the same second.
	same, _ := e.tokens.SignAt(id, before)
	e.must(e.get("/douyin/user/", kv("token", same)))
}

// The embedded mode keeps its key file when its databases are wiped: the new
// holder of a user id must not accept the tokens of the old one.
func TestWipedDatabaseDoesNotReviveTokens(t *testing.T) {
	if remote() {
		t.Skip("wipes the embedded mode's databases; runs in the embedded suite")
	}
	dir := t.TempDir()
	run := func() (*app.System, *env) {
		cfg, err := config.Load("")
		if err != nil {
			t.Fatal(err)
		}
		cfg.HTTP.Addr, cfg.DataDir, cfg.Demo, cfg.Log.Level = "127.0.0.1:0", dir, false, "error"
		logx.Init(cfg.Log.Level, cfg.Log.Format)
		sys, err := app.Embedded(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return sys, &env{t: t, url: sys.URL, dataDir: dir, cfg: cfg, tokens: sys.Tokens}
	}
	stop := func(sys *app.System) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sys.Shutdown(ctx)
	}
	sys, e := run()
	oldID, oldToken := e.register("sess_old_owner")
	stop(sys)
	dbs, _ := filepath.Glob(filepath.Join(dir, "*.db*"))
	for _, f := range dbs {
		os.Remove(f)
	}
	time.Sleep(time.Second) // a restart takes longer; the old token's second is over
	sys, e = run()
	defer stop(sys)
	newID, newToken := e.register("sess_new_owner")
	if newID != oldID {
		t.Fatalf("the wiped database gave id %d, not %d again: the test needs the id reused", newID, oldID)
	}
	e.wantCode(e.get("/douyin/user/", kv("token", oldToken)), unauthorized)
	e.wantCode(e.post("/douyin/relation/action/", kv("token", oldToken, "to_user_id", newID, "action_type", 1)), unauthorized)
	if u := e.must(e.get("/douyin/user/", kv("token", newToken))).obj("user"); u["name"] != "sess_new_owner" {
		t.Fatalf("new owner: %v", u)
	}
}

// Logout: the token works before and is refused (10002) after, on every
// endpoint; logging out needs a valid token; the user's other sessions and
// a new login are unaffected.
func TestLogout(t *testing.T) {
	e := start(t)
	id, token := e.register("sess_leaver")
	r := e.must(e.post("/douyin/user/login/", kv("username", "sess_leaver", "password", "secret123")))
	other := r["token"].(string)
	e.must(e.get("/douyin/user/", kv("token", token)))
	e.must(e.get("/douyin/user/", kv("token", token))) // remembered as verified now
	e.must(e.post("/douyin/user/logout/", kv("token", token)))
	e.wantCode(e.get("/douyin/user/", kv("token", token)), unauthorized)
	e.wantCode(e.post("/douyin/relation/action/", kv("token", token, "to_user_id", id, "action_type", 1)), unauthorized)
	e.wantCode(e.get("/douyin/message/chat/", kv("token", token, "to_user_id", id)), unauthorized)
	e.wantCode(e.post("/douyin/user/logout", kv("token", token)), unauthorized) // already ended
	e.wantCode(e.post("/douyin/user/logout/", nil), unauthorized)
	expired, _ := e.tokens.SignAt(id, time.Now().Add(-e.cfg.Auth.TokenTTL-time.Minute))
	e.wantCode(e.post("/douyin/user/logout/", kv("token", expired)), unauthorized)
	if u := e.must(e.get("/douyin/user/", kv("token", other))).obj("user"); num(u, "id") != id {
		t.Fatalf("other session: %v", u)
	}
	e.must(e.post("/douyin/user/logout/", kv("token", other)))
	e.wantCode(e.get("/douyin/user/", kv("token", other)), unauthorized)
	r = e.must(e.post("/douyin/user/login/", kv("username", "sess_leaver", "password", "secret123")))
	e.must(e.get("/douyin/user/", kv("token", r["token"].(string))))
}

// Tokens live 7 days by default (auth.token_ttl), and the tokens the
// gateway issues carry that lifetime.
func TestTokenLifetimeDefault(t *testing.T) {
	def, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if def.Auth.TokenTTL != 7*24*time.Hour {
		t.Fatalf("default auth.token_ttl %v, want 168h", def.Auth.TokenTTL)
	}
	e := start(t)
	_, token := e.register("sess_ttl")
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil {
		t.Fatal(err)
	}
	if got := c.ExpiresAt.Sub(c.IssuedAt.Time); got != e.cfg.Auth.TokenTTL || c.ID == "" {
		t.Fatalf("token lifetime %v (configured %v), jti %q", got, e.cfg.Auth.TokenTTL, c.ID)
	}
}
