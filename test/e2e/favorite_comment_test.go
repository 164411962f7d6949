package e2e

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"strings"
	"sync"
	"testing"

	"tiktok/internal/db"
	"tiktok/internal/errno"
	"tiktok/service/favorite"
)

func videoIDs(t *testing.T, e *env, token string) []int64 {
	var ids []int64
	for _, v := range e.must(e.get("/douyin/feed/", kv("token", token))).list("video_list") {
		ids = append(ids, num(v.(map[string]any), "id"))
	}
	return ids
}

func TestFavoriteFlow(t *testing.T) {
	e := start(t)
	authorID, author := e.register("fav_author")
	viewerID, viewer := e.register("fav_viewer")
	e.publish(author, "likeable")
	v := e.must(e.get("/douyin/feed/", kv("token", viewer))).list("video_list")[0].(map[string]any)
	vid := num(v, "id")
	if v["is_favorite"] != false || num(v, "favorite_count") != 0 {
		t.Fatalf("before: %v", v)
	}
	// Like from the feed, twice: idempotent.
	e.must(e.post("/douyin/favorite/action/", kv("token", viewer, "video_id", vid, "action_type", 1)))
	e.must(e.post("/douyin/favorite/action/", kv("token", viewer, "video_id", vid, "action_type", 1)))
	list := e.must(e.get("/douyin/favorite/list/", kv("user_id", viewerID, "token", viewer))).list("video_list")
	if len(list) != 1 {
		t.Fatalf("favorite list: %v", list)
	}
	lv := list[0].(map[string]any)
	checkVideo(t, lv)
	if num(lv, "id") != vid || lv["is_favorite"] != true || num(lv, "favorite_count") != 1 {
		t.Fatalf("favorite list video: %v", lv)
	}
	// is_favorite is the viewer's, not user_id's: an anonymous viewer sees false.
	anon := e.must(e.get("/douyin/favorite/list/", kv("user_id", viewerID))).list("video_list")[0].(map[string]any)
	if anon["is_favorite"] != false || num(anon, "favorite_count") != 1 {
		t.Fatalf("anonymous: %v", anon)
	}
	u := e.must(e.get("/douyin/user/", kv("user_id", viewerID))).obj("user")
	a := e.must(e.get("/douyin/user/", kv("user_id", authorID))).obj("user")
	if num(u, "favorite_count") != 1 || num(a, "total_favorited") != 1 || num(a, "favorite_count") != 0 {
		t.Fatalf("user counters: viewer %v author %v", u, a)
	}
	// Most recently liked first.
	e.publish(author, "second")
	ids := videoIDs(t, e, viewer)
	e.must(e.post("/douyin/favorite/action/", kv("token", viewer, "video_id", ids[0], "action_type", 1)))
	list = e.must(e.get("/douyin/favorite/list/", kv("user_id", viewerID))).list("video_list")
	if len(list) != 2 || num(list[0].(map[string]any), "id") != ids[0] {
		t.Fatalf("order: %v", list)
	}
	// Unlike twice: idempotent.
	e.must(e.post("/douyin/favorite/action/", kv("token", viewer, "video_id", vid, "action_type", 2)))
	e.must(e.post("/douyin/favorite/action/", kv("token", viewer, "video_id", vid, "action_type", 2)))
	if l := e.must(e.get("/douyin/favorite/list/", kv("user_id", viewerID))).list("video_list"); len(l) != 1 {
		t.Fatalf("after unlike: %v", l)
	}
	// Bad inputs.
	e.wantCode(e.post("/douyin/favorite/action/", kv("video_id", vid, "action_type", 1)), int64(errno.CodeUnauthorized))
	e.wantCode(e.post("/douyin/favorite/action/", kv("token", viewer, "video_id", 900000000001, "action_type", 1)), int64(errno.CodeNotFound))
	e.wantCode(e.post("/douyin/favorite/action/", kv("token", viewer, "video_id", vid, "action_type", 3)), int64(errno.CodeBadParam))
	e.wantCode(e.post("/douyin/favorite/action/", kv("token", viewer, "video_id", vid)), int64(errno.CodeBadParam))
	e.wantCode(e.post("/douyin/favorite/action/", kv("token", viewer, "video_id", "abc", "action_type", 1)), int64(errno.CodeBadParam))
	e.wantCode(e.post("/douyin/favorite/action/", kv("token", viewer, "action_type", 1)), int64(errno.CodeBadParam))
	e.wantCode(e.get("/douyin/favorite/list/", kv("user_id", 900000000001)), int64(errno.CodeNotFound))
	e.wantCode(e.get("/douyin/favorite/list/", kv()), int64(errno.CodeBadParam))
}

// TestFavoriteCountersUnderConcurrency: a storm of likes and unlikes, with
// duplicates and races, then every counter the API shows must equal a COUNT
// of the likes table's rows.
func TestFavoriteCountersUnderConcurrency(t *testing.T) {
	e := start(t)
	const nUsers, nVideos, workers, perWorker = 6, 4, 240, 6
	ids := make([]int64, nUsers)
	tokens := make([]string, nUsers)
	for i := range ids {
		ids[i], tokens[i] = e.register(fmt.Sprintf("storm%d", i))
	}
	for i := 0; i < nVideos; i++ {
		e.publish(tokens[i%2], fmt.Sprintf("storm video %d", i))
	}
	vids := videoIDs(t, e, "")
	var wg sync.WaitGroup
	var failures sync.Map
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			for i := 0; i < perWorker; i++ {
				u, v, a := rng.Intn(nUsers), vids[rng.Intn(len(vids))], 1+rng.Intn(2)
				r := e.postRetrying("/douyin/favorite/action/", kv("token", tokens[u], "video_id", v, "action_type", a))
				if r.code() != 0 {
					failures.Store(w, r)
				}
			}
		}(w)
	}
	wg.Wait()
	failures.Range(func(k, v any) bool { t.Fatalf("worker %v: %v", k, v); return false })

	gdb, err := db.Open(e.cfg, "favorite", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(gdb)
	count := func(where string, arg int64) int64 {
		var n int64
		if err := gdb.Model(&favorite.Like{}).Where(where, arg).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	var total int64
	for _, v := range e.must(e.get("/douyin/feed/", kv())).list("video_list") {
		vm := v.(map[string]any)
		want := count("video_id = ?", num(vm, "id"))
		total += want
		if got := num(vm, "favorite_count"); got != want {
			t.Errorf("video %d: favorite_count %d, rows %d", num(vm, "id"), got, want)
		}
	}
	for i, id := range ids {
		u := e.must(e.get("/douyin/user/", kv("user_id", id))).obj("user")
		if got, want := num(u, "favorite_count"), count("user_id = ?", id); got != want {
			t.Errorf("user %d: favorite_count %d, rows %d", id, got, want)
		}
		if got, want := num(u, "total_favorited"), count("author_id = ?", id); got != want {
			t.Errorf("user %d: total_favorited %d, rows %d", id, got, want)
		}
		list := e.must(e.get("/douyin/favorite/list/", kv("user_id", id, "token", tokens[i]))).list("video_list")
		if int64(len(list)) != count("user_id = ?", id) {
			t.Errorf("user %d: favorite list has %d videos", id, len(list))
		}
		for _, v := range list {
			if v.(map[string]any)["is_favorite"] != true {
				t.Errorf("own favorite list shows is_favorite false")
			}
		}
	}
	t.Logf("%d goroutines x %d requests over %d users and %d videos; %d likes remain, every counter equals its COUNT(*)",
		workers, perWorker, nUsers, nVideos, total)
}

func TestCommentFlow(t *testing.T) {
	e := start(t)
	authorID, author := e.register("cm_author")
	_, alice := e.register("cm_alice")
	_, bob := e.register("cm_bob")
	e.publish(author, "commentable")
	vid := videoIDs(t, e, "")[0]
	text := "Great video 😀 <script>alert(1)</script> & \"quotes\""
	r := e.must(e.post("/douyin/comment/action/", kv("token", alice, "video_id", vid, "action_type", 1, "comment_text", text)))
	c := r.obj("comment")
	if c["content"] != text || len(c["create_date"].(string)) != 5 || c["create_date"].(string)[2] != '-' {
		t.Fatalf("comment: %v", c)
	}
	checkFields(t, c["user"].(map[string]any), userFields)
	if c["user"].(map[string]any)["name"] != "cm_alice" {
		t.Fatalf("comment author: %v", c["user"])
	}
	aliceComment := num(c, "id")
	second := num(e.must(e.post("/douyin/comment/action/", kv("token", bob, "video_id", vid, "action_type", 1, "comment_text", "second"))).obj("comment"), "id")
	// Newest first; the count went up.
	cl := e.must(e.get("/douyin/comment/list/", kv("video_id", vid))).list("comment_list")
	if len(cl) != 2 || num(cl[0].(map[string]any), "id") != second || cl[1].(map[string]any)["content"] != text {
		t.Fatalf("comment list: %v", cl)
	}
	v := e.must(e.get("/douyin/feed/", kv())).list("video_list")[0].(map[string]any)
	if num(v, "comment_count") != 2 {
		t.Fatalf("comment_count: %v", v)
	}
	// Someone else cannot delete it; its author can; the video's author can delete any.
	e.wantCode(e.post("/douyin/comment/action/", kv("token", bob, "video_id", vid, "action_type", 2, "comment_id", aliceComment)), int64(errno.CodeForbidden))
	e.must(e.post("/douyin/comment/action/", kv("token", alice, "video_id", vid, "action_type", 2, "comment_id", aliceComment)))
	e.must(e.post("/douyin/comment/action/", kv("token", author, "video_id", vid, "action_type", 2, "comment_id", second)))
	if cl := e.must(e.get("/douyin/comment/list/", kv("video_id", vid))).list("comment_list"); len(cl) != 0 {
		t.Fatalf("after deletes: %v", cl)
	}
	// Deleting again: not found. A comment of another video: not found.
	e.wantCode(e.post("/douyin/comment/action/", kv("token", alice, "video_id", vid, "action_type", 2, "comment_id", aliceComment)), int64(errno.CodeNotFound))
	e.publish(author, "other video")
	other := videoIDs(t, e, "")[0]
	oc := num(e.must(e.post("/douyin/comment/action/", kv("token", alice, "video_id", other, "action_type", 1, "comment_text", "x"))).obj("comment"), "id")
	e.wantCode(e.post("/douyin/comment/action/", kv("token", alice, "video_id", vid, "action_type", 2, "comment_id", oc)), int64(errno.CodeNotFound))
	// Bad inputs.
	bad := []struct {
		q    []any
		code int32
	}{
		{[]any{"video_id", vid, "action_type", 1, "comment_text", "no token"}, errno.CodeUnauthorized},
		{[]any{"token", alice, "video_id", 900000000001, "action_type", 1, "comment_text", "x"}, errno.CodeNotFound},
		{[]any{"token", alice, "video_id", vid, "action_type", 3, "comment_text", "x"}, errno.CodeBadParam},
		{[]any{"token", alice, "video_id", vid, "action_type", 1}, errno.CodeBadParam},
		{[]any{"token", alice, "video_id", vid, "action_type", 1, "comment_text", ""}, errno.CodeBadParam},
		{[]any{"token", alice, "video_id", vid, "action_type", 1, "comment_text", strings.Repeat("长", 501)}, errno.CodeBadParam},
		{[]any{"token", alice, "video_id", vid, "action_type", 1, "comment_text", "bad \xff utf8"}, errno.CodeBadParam},
		{[]any{"token", alice, "video_id", "abc", "action_type", 1, "comment_text", "x"}, errno.CodeBadParam},
		{[]any{"token", alice, "video_id", vid, "action_type", 2}, errno.CodeBadParam},
		{[]any{"token", alice, "video_id", vid, "action_type", 2, "comment_id", 900000000001}, errno.CodeNotFound},
	}
	for i, b := range bad {
		r := e.post("/douyin/comment/action/", kv(b.q...))
		if r.code() != int64(b.code) {
			t.Errorf("case %d: want %d, got %v", i, b.code, r)
		}
	}
	e.must(e.post("/douyin/comment/action/", kv("token", alice, "video_id", vid, "action_type", 1, "comment_text", strings.Repeat("长", 500))))
	e.wantCode(e.get("/douyin/comment/list/", kv("video_id", 900000000001)), int64(errno.CodeNotFound))
	e.wantCode(e.get("/douyin/comment/list/", kv()), int64(errno.CodeBadParam))
	// The text comes back byte for byte: not HTML-escaped, not even as JSON \u003c escapes.
	e.must(e.post("/douyin/comment/action/", kv("token", alice, "video_id", vid, "action_type", 1, "comment_text", text)))
	res, err := http.Get(e.url + "/douyin/comment/list/?video_id=" + fmt.Sprint(vid))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Contains(raw, []byte(`<script>alert(1)</script> & \"quotes\"`)) || !bytes.Contains(raw, []byte("😀")) {
		t.Fatalf("comment text altered: %s", raw)
	}
	_ = authorID
}
