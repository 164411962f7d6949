package e2e

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"tiktok/internal/db"
	"tiktok/internal/errno"
	"tiktok/service/message"
	"tiktok/service/relation"
	"tiktok/service/user"
)

func TestRelationFlow(t *testing.T) {
	e := start(t)
	aID, a := e.register("rel_a")
	bID, b := e.register("rel_b")
	e.publish(b, "b's video")
	e.must(e.post("/douyin/relation/action/", kv("token", a, "to_user_id", bID, "action_type", 1)))
	e.must(e.post("/douyin/relation/action/", kv("token", a, "to_user_id", bID, "action_type", 1))) // idempotent
	// The follow list, the follower list and is_follow in the feed agree.
	fl := e.must(e.get("/douyin/relation/follow/list/", kv("user_id", aID, "token", a))).list("user_list")
	if len(fl) != 1 || num(fl[0].(map[string]any), "id") != bID || fl[0].(map[string]any)["is_follow"] != true {
		t.Fatalf("follow list: %v", fl)
	}
	checkFields(t, fl[0].(map[string]any), userFields)
	fr := e.must(e.get("/douyin/relation/follower/list/", kv("user_id", bID, "token", a))).list("user_list")
	if len(fr) != 1 || num(fr[0].(map[string]any), "id") != aID {
		t.Fatalf("follower list: %v", fr)
	}
	v := e.must(e.get("/douyin/feed/", kv("token", a))).list("video_list")[0].(map[string]any)
	author := v["author"].(map[string]any)
	if author["is_follow"] != true || num(author, "follower_count") != 1 {
		t.Fatalf("feed author for the follower: %v", author)
	}
	v = e.must(e.get("/douyin/feed/", kv("token", b))).list("video_list")[0].(map[string]any)
	if v["author"].(map[string]any)["is_follow"] != false {
		t.Fatal("is_follow must be the viewer's")
	}
	ua := e.must(e.get("/douyin/user/", kv("user_id", aID))).obj("user")
	if num(ua, "follow_count") != 1 || num(ua, "follower_count") != 0 {
		t.Fatalf("a's counts: %v", ua)
	}
	// Not friends until b follows back; then both lists show the latest message.
	if l := e.must(e.get("/douyin/relation/friend/list/", kv("user_id", aID, "token", a))).list("user_list"); len(l) != 0 {
		t.Fatalf("friends before follow-back: %v", l)
	}
	e.must(e.post("/douyin/relation/action/", kv("token", b, "to_user_id", aID, "action_type", 1)))
	e.must(e.post("/douyin/message/action/", kv("token", a, "to_user_id", bID, "action_type", 1, "content", "hi b")))
	e.must(e.post("/douyin/message/action/", kv("token", b, "to_user_id", aID, "action_type", 1, "content", "hello a <3")))
	fa := e.must(e.get("/douyin/relation/friend/list/", kv("user_id", aID, "token", a))).list("user_list")
	fb := e.must(e.get("/douyin/relation/friend/list/", kv("user_id", bID, "token", b))).list("user_list")
	if len(fa) != 1 || len(fb) != 1 {
		t.Fatalf("friend lists: %v / %v", fa, fb)
	}
	x, y := fa[0].(map[string]any), fb[0].(map[string]any)
	checkFields(t, x, append(userFields, "message", "msgType"))
	if num(x, "id") != bID || x["message"] != "hello a <3" || num(x, "msgType") != 0 {
		t.Fatalf("a's friend entry: %v", x)
	}
	if num(y, "id") != aID || y["message"] != "hello a <3" || num(y, "msgType") != 1 {
		t.Fatalf("b's friend entry: %v", y)
	}
	// Unfollow (twice): gone from both lists.
	e.must(e.post("/douyin/relation/action/", kv("token", a, "to_user_id", bID, "action_type", 2)))
	e.must(e.post("/douyin/relation/action/", kv("token", a, "to_user_id", bID, "action_type", 2)))
	if l := e.must(e.get("/douyin/relation/follow/list/", kv("user_id", aID))).list("user_list"); len(l) != 0 {
		t.Fatalf("after unfollow: %v", l)
	}
	if l := e.must(e.get("/douyin/relation/friend/list/", kv("user_id", bID, "token", b))).list("user_list"); len(l) != 0 {
		t.Fatalf("friends after unfollow: %v", l)
	}
	// Bad inputs.
	e.wantCode(e.post("/douyin/relation/action/", kv("token", a, "to_user_id", aID, "action_type", 1)), int64(errno.CodeBadParam))
	e.wantCode(e.post("/douyin/relation/action/", kv("token", a, "to_user_id", 900000000001, "action_type", 1)), int64(errno.CodeNotFound))
	e.wantCode(e.post("/douyin/relation/action/", kv("token", a, "to_user_id", bID, "action_type", 3)), int64(errno.CodeBadParam))
	e.wantCode(e.post("/douyin/relation/action/", kv("token", a, "to_user_id", "x", "action_type", 1)), int64(errno.CodeBadParam))
	e.wantCode(e.post("/douyin/relation/action/", kv("to_user_id", bID, "action_type", 1)), int64(errno.CodeUnauthorized))
	for _, p := range []string{"follow", "follower", "friend"} {
		e.wantCode(e.get("/douyin/relation/"+p+"/list/", kv("user_id", 900000000001)), int64(errno.CodeNotFound))
		e.wantCode(e.get("/douyin/relation/"+p+"/list/", kv()), int64(errno.CodeBadParam))
		e.wantCode(e.get("/douyin/relation/"+p+"/list/", kv("user_id", aID, "token", "bad")), int64(errno.CodeUnauthorized))
	}
}

func TestMessageRules(t *testing.T) {
	e := start(t)
	aID, a := e.register("msg_a")
	bID, b := e.register("msg_b")
	bad := []struct {
		q    []any
		code int32
	}{
		{[]any{"to_user_id", bID, "action_type", 1, "content", "x"}, errno.CodeUnauthorized},
		{[]any{"token", a, "to_user_id", aID, "action_type", 1, "content", "x"}, errno.CodeBadParam},
		{[]any{"token", a, "to_user_id", 900000000001, "action_type", 1, "content", "x"}, errno.CodeNotFound},
		{[]any{"token", a, "to_user_id", bID, "action_type", 2, "content", "x"}, errno.CodeBadParam},
		{[]any{"token", a, "to_user_id", bID, "action_type", 1}, errno.CodeBadParam},
		{[]any{"token", a, "to_user_id", bID, "action_type", 1, "content", ""}, errno.CodeBadParam},
		{[]any{"token", a, "to_user_id", bID, "action_type", 1, "content", strings.Repeat("m", 501)}, errno.CodeBadParam},
		{[]any{"token", a, "to_user_id", bID, "action_type", 1, "content", "\xff\xfe"}, errno.CodeBadParam},
		{[]any{"token", a, "action_type", 1, "content", "x"}, errno.CodeBadParam},
	}
	for i, c := range bad {
		if r := e.post("/douyin/message/action/", kv(c.q...)); r.code() != int64(c.code) {
			t.Errorf("case %d: want %d, got %v", i, c.code, r)
		}
	}
	e.must(e.post("/douyin/message/action/", kv("token", a, "to_user_id", bID, "action_type", 1, "content", strings.Repeat("字", 500))))
	e.must(e.post("/douyin/message/action/", kv("token", b, "to_user_id", aID, "action_type", 1, "content", "reply")))
	// pre_msg_time absent: the whole conversation, both directions, oldest first.
	all := e.must(e.get("/douyin/message/chat/", kv("token", a, "to_user_id", bID))).list("message_list")
	if len(all) != 2 || all[1].(map[string]any)["content"] != "reply" {
		t.Fatalf("chat: %v", all)
	}
	m := all[0].(map[string]any)
	checkFields(t, m, []string{"id", "to_user_id", "from_user_id", "content", "create_time"})
	if num(m, "from_user_id") != aID || num(m, "to_user_id") != bID || num(m, "create_time") < time.Now().Add(-time.Minute).UnixMilli() {
		t.Fatalf("message: %v", m)
	}
	// pre_msg_time set: only newer messages the viewer received, never its own.
	newer := e.must(e.get("/douyin/message/chat/", kv("token", a, "to_user_id", bID, "pre_msg_time", num(m, "create_time")))).list("message_list")
	if len(newer) != 1 || newer[0].(map[string]any)["content"] != "reply" {
		t.Fatalf("after pre_msg_time: %v", newer)
	}
	// b loads the whole chat, then polls from the newest time: its own reply
	// does not come back, nor does a's message it already has.
	e.must(e.get("/douyin/message/chat/", kv("token", b, "to_user_id", aID)))
	newest := num(all[1].(map[string]any), "create_time")
	own := e.must(e.get("/douyin/message/chat/", kv("token", b, "to_user_id", aID, "pre_msg_time", newest))).list("message_list")
	if len(own) != 0 {
		t.Fatalf("b's own message came back: %v", own)
	}
	e.wantCode(e.get("/douyin/message/chat/", kv("to_user_id", bID)), int64(errno.CodeUnauthorized))
	e.wantCode(e.get("/douyin/message/chat/", kv("token", a)), int64(errno.CodeBadParam))
	e.wantCode(e.get("/douyin/message/chat/", kv("token", a, "to_user_id", bID, "pre_msg_time", "x")), int64(errno.CodeBadParam))
}

// chatClient behaves like the app: it loads the conversation once, then polls
// with pre_msg_time = the newest create_time it holds, and adds the messages it
// sends to its own list locally, stamped with its own clock. Like the app's UI
// thread, it does one thing at a time.
type chatClient struct {
	e        *env
	token    string
	peer     int64
	held     []string // contents, in the order the client shows them
	received []int64  // create_time of received messages, in arrival order
	cursor   int64
	mu       sync.Mutex // one operation at a time, request included
}

func (c *chatClient) poll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.e.must(c.e.get("/douyin/message/chat/", kv("token", c.token, "to_user_id", c.peer, "pre_msg_time", c.cursor)))
	for _, m := range r.list("message_list") {
		mm := m.(map[string]any)
		c.held = append(c.held, mm["content"].(string))
		c.received = append(c.received, num(mm, "create_time"))
		c.cursor = max(c.cursor, num(mm, "create_time"))
	}
}

func (c *chatClient) send(content string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.e.must(c.e.post("/douyin/message/action/", kv("token", c.token, "to_user_id", c.peer, "action_type", 1, "content", content)))
	c.held = append(c.held, content)
	c.cursor = max(c.cursor, time.Now().UnixMilli())
}

func TestChatPollingLikeTheApp(t *testing.T) {
	e := start(t)
	aID, a := e.register("chat_a")
	bID, b := e.register("chat_b")
	ca := &chatClient{e: e, token: a, peer: bID}
	cb := &chatClient{e: e, token: b, peer: aID}
	ca.poll()
	cb.poll()
	const bursts, perBurst = 8, 12
	stop := make(chan struct{})
	var pollers sync.WaitGroup
	for _, c := range []*chatClient{ca, cb} {
		pollers.Add(1)
		go func(c *chatClient) {
			defer pollers.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(150 * time.Millisecond):
					c.poll()
				}
			}
		}(c)
	}
	var senders sync.WaitGroup
	for i, c := range []*chatClient{ca, cb} {
		senders.Add(1)
		go func(name string, c *chatClient) {
			defer senders.Done()
			rng := rand.New(rand.NewSource(int64(len(name))))
			for burst := 0; burst < bursts; burst++ {
				for k := 0; k < perBurst; k++ { // back to back: many land in the same millisecond
					c.send(fmt.Sprintf("%s-%d-%d", name, burst, k))
				}
				time.Sleep(time.Duration(50+rng.Intn(250)) * time.Millisecond)
			}
		}([]string{"a", "b"}[i], c)
	}
	senders.Wait()
	time.Sleep(400 * time.Millisecond)
	close(stop)
	pollers.Wait()
	ca.poll()
	cb.poll()

	truth := e.must(e.get("/douyin/message/chat/", kv("token", a, "to_user_id", bID))).list("message_list")
	if len(truth) != 2*bursts*perBurst {
		t.Fatalf("server holds %d messages", len(truth))
	}
	var last int64
	for _, m := range truth {
		ct := num(m.(map[string]any), "create_time")
		if ct <= last {
			t.Fatalf("conversation times not strictly increasing: %d after %d", ct, last)
		}
		last = ct
	}
	for name, c := range map[string]*chatClient{"a": ca, "b": cb} {
		seen := map[string]int{}
		for _, m := range c.held {
			seen[m]++
		}
		for _, m := range truth {
			content := m.(map[string]any)["content"].(string)
			if seen[content] != 1 {
				t.Fatalf("client %s holds %q %d times", name, content, seen[content])
			}
		}
		if len(c.held) != len(truth) {
			t.Fatalf("client %s holds %d messages, server %d", name, len(c.held), len(truth))
		}
		for i := 1; i < len(c.received); i++ {
			if c.received[i] <= c.received[i-1] {
				t.Fatalf("client %s received out of order", name)
			}
		}
		// Each sender's messages appear in the order they were sent.
		next := map[string]int{}
		for _, m := range c.held {
			var who string
			var burst, k int
			fmt.Sscanf(strings.ReplaceAll(m, "-", " "), "%s %d %d", &who, &burst, &k)
			if idx := burst*perBurst + k; idx != next[who] {
				t.Fatalf("client %s: %q out of order", name, m)
			}
			next[who]++
		}
	}
	_ = aID
}

// TestRelationCountersUnderConcurrency: a storm of follows and unfollows, then
// every count equals a COUNT of the follows table's rows.
func TestRelationCountersUnderConcurrency(t *testing.T) {
	e := start(t)
	const nUsers, workers, perWorker = 6, 200, 6
	ids := make([]int64, nUsers)
	tokens := make([]string, nUsers)
	for i := range ids {
		ids[i], tokens[i] = e.register(fmt.Sprintf("rstorm%d", i))
	}
	var wg sync.WaitGroup
	var failures sync.Map
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			for i := 0; i < perWorker; i++ {
				from := rng.Intn(nUsers)
				to := (from + 1 + rng.Intn(nUsers-1)) % nUsers
				r := e.postRetrying("/douyin/relation/action/", kv("token", tokens[from], "to_user_id", ids[to], "action_type", 1+rng.Intn(2)))
				if r.code() != 0 {
					failures.Store(w, r)
				}
			}
		}(w)
	}
	wg.Wait()
	failures.Range(func(k, v any) bool { t.Fatalf("worker %v: %v", k, v); return false })
	gdb, err := db.Open(e.cfg, "relation", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(gdb)
	count := func(where string, id int64) int64 {
		var n int64
		if err := gdb.Model(&relation.Follow{}).Where(where, id).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i, id := range ids {
		u := e.must(e.get("/douyin/user/", kv("user_id", id, "token", tokens[i]))).obj("user")
		follows, followers := count("follower_id = ?", id), count("followee_id = ?", id)
		if num(u, "follow_count") != follows || num(u, "follower_count") != followers {
			t.Errorf("user %d: counts %v/%v, rows %d/%d", id, u["follow_count"], u["follower_count"], follows, followers)
		}
		fl := e.must(e.get("/douyin/relation/follow/list/", kv("user_id", id, "token", tokens[i]))).list("user_list")
		if int64(len(fl)) != follows {
			t.Errorf("user %d: follow list %d, rows %d", id, len(fl), follows)
		}
		for _, f := range fl {
			if f.(map[string]any)["is_follow"] != true {
				t.Errorf("own follow list shows is_follow false")
			}
		}
		if l := e.must(e.get("/douyin/relation/follower/list/", kv("user_id", id))).list("user_list"); int64(len(l)) != followers {
			t.Errorf("user %d: follower list %d, rows %d", id, len(l), followers)
		}
	}
	t.Logf("%d goroutines x %d follow/unfollow requests over %d users: every count equals its COUNT(*)", workers, perWorker, nUsers)
}

// TestFriendListCostIsFixed: a user with 1,000 friends, a message with each:
// one request, and as many SQL queries as for a user with 3 friends.
func TestFriendListCostIsFixed(t *testing.T) {
	embeddedOnly(t)
	e := start(t)
	bigID, big := e.register("many_friends")
	smallID, small := e.register("few_friends")
	// Setup writes the rows directly: registering 1,000 users over HTTP would
	// spend the test's time on password hashing, not on what it checks.
	udb, err := db.Open(e.cfg, "user", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(udb)
	friends := make([]user.User, 1003)
	for i := range friends {
		friends[i] = user.User{Name: fmt.Sprintf("friend%04d", i), PasswordHash: "x"}
	}
	if err := udb.CreateInBatches(friends, 200).Error; err != nil {
		t.Fatal(err)
	}
	rdb, err := db.Open(e.cfg, "relation", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(rdb)
	mdb, err := db.Open(e.cfg, "message", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(mdb)
	var follows []relation.Follow
	var convs []message.Conversation
	var msgs []message.Message
	now := time.Now().UnixMilli()
	link := func(owner int64, f user.User, i int) {
		follows = append(follows, relation.Follow{FollowerID: owner, FolloweeID: f.ID, CreatedAtMs: now + int64(i)},
			relation.Follow{FollowerID: f.ID, FolloweeID: owner, CreatedAtMs: now + int64(i)})
		key := fmt.Sprintf("%d:%d", min(owner, f.ID), max(owner, f.ID))
		convs = append(convs, message.Conversation{ConvKey: key, LastTime: now})
		msgs = append(msgs, message.Message{ConvKey: key, FromUserID: f.ID, ToUserID: owner, Content: "hi from " + f.Name, CreateTime: now})
	}
	for i, f := range friends[:1000] {
		link(bigID, f, i)
	}
	for i, f := range friends[1000:] {
		link(smallID, f, i)
	}
	for _, err := range []error{relation.SeedFollows(context.Background(), rdb, follows), mdb.CreateInBatches(convs, 200).Error, mdb.CreateInBatches(msgs, 200).Error} {
		if err != nil {
			t.Fatal(err)
		}
	}
	cost := func(id int64, token string, want int) int64 {
		q0 := db.Queries.Load()
		start := time.Now()
		l := e.must(e.get("/douyin/relation/friend/list/", kv("user_id", id, "token", token))).list("user_list")
		took := time.Since(start)
		n := db.Queries.Load() - q0
		if len(l) != want {
			t.Fatalf("friend list has %d, want %d", len(l), want)
		}
		for _, f := range l {
			fm := f.(map[string]any)
			if fm["message"] != "hi from "+fm["name"].(string) || num(fm, "msgType") != 0 || fm["is_follow"] != true {
				t.Fatalf("friend entry: %v", fm)
			}
		}
		t.Logf("friend list of %d: %d SQL queries, %v", want, n, took)
		return n
	}
	if few, many := cost(smallID, small, 3), cost(bigID, big, 1000); few != many {
		t.Fatalf("friend list of 3 cost %d queries, of 1000 cost %d", few, many)
	}
}
