package auth

import (
	"cmp"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"

	"tiktok/internal/testenv"
)

func TestSignParse(t *testing.T) {
	tk := New([]byte("k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1"), time.Hour)
	s, err := tk.Sign(42)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := tk.Parse(s); err != nil || id != 42 {
		t.Fatalf("parse: %d %v", id, err)
	}
	other := New([]byte("k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2"), time.Hour)
	if _, err := other.Parse(s); err == nil {
		t.Fatal("forged token accepted")
	}
	old, _ := tk.SignAt(42, time.Now().Add(-2*time.Hour))
	if _, err := tk.Parse(old); err == nil {
		t.Fatal("expired token accepted")
	}
	for _, bad := range []string{"", "abc", s + "x"} {
		if _, err := tk.Parse(bad); err == nil {
			t.Fatalf("bad token %q accepted", bad)
		}
	}
}

func TestKeyFileIsStable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "jwt.key")
	a, err := KeyFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := KeyFile(p)
	if string(a) != string(b) || len(a) < 32 {
		t.Fatal("key not kept")
	}
}

// A token remembered as verified is refused once it expires.
func TestRememberedTokenStillExpires(t *testing.T) {
	tk := New([]byte("k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1"), time.Hour)
	s, _ := tk.SignAt(7, time.Now().Add(-time.Hour+time.Second)) // expires within a second
	if id, err := tk.Parse(s); err != nil || id != 7 {
		t.Fatalf("fresh token: %d %v", id, err)
	}
	if id, err := tk.Parse(s); err != nil || id != 7 {
		t.Fatalf("remembered token: %d %v", id, err)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, err := tk.Parse(s); err == nil {
		t.Fatal("expired token accepted from memory")
	}
}

var testKey = []byte("k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1")

// Logout: a revoked token is refused at once, also when it was remembered as
// verified; the user's other tokens still work.
func TestRevokedTokenRefused(t *testing.T) {
	tk := New(testKey, time.Hour)
	a, _ := tk.Sign(5)
	b, _ := tk.Sign(5)
	if a == b {
		t.Fatal("two tokens alike: no token id")
	}
	for range 2 { // the second use answers from memory
		if id, err := tk.Parse(a); err != nil || id != 5 {
			t.Fatalf("before logout: %d %v", id, err)
		}
	}
	if err := tk.Revoke(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Parse(a); !errors.Is(err, ErrInvalid) {
		t.Fatalf("revoked token: %v", err)
	}
	if id, err := tk.Parse(b); err != nil || id != 5 {
		t.Fatalf("other token of the user: %d %v", id, err)
	}
	if err := tk.Revoke(context.Background(), "not-a-token"); err == nil {
		t.Fatal("revoked a forged token")
	}
}

// A token without an id (so not revocable) or an issue time is refused, as is
// an oversized one.
func TestTokenNeedsIDAndIssueTime(t *testing.T) {
	tk := New(testKey, time.Hour)
	exp := jwt.NewNumericDate(time.Now().Add(time.Hour))
	for name, c := range map[string]jwt.RegisteredClaims{
		"no jti": {Subject: "3", IssuedAt: jwt.NewNumericDate(time.Now()), ExpiresAt: exp},
		"no iat": {Subject: "3", ID: "abc", ExpiresAt: exp},
	} {
		s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(testKey)
		if _, err := tk.Parse(s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := tk.Parse(strings.Repeat("a", 5000)); err == nil {
		t.Fatal("oversized token accepted")
	}
}

// The binding runs on a token's first use only; a refusal is not remembered.
func TestBindingCheckedOnceAndNotRememberedWhenRefused(t *testing.T) {
	tk := New(testKey, time.Hour)
	calls := 0
	known := map[int64]bool{1: true}
	tk.Bind(func(_ context.Context, id int64, _ time.Time) error {
		calls++
		if !known[id] {
			return ErrInvalid
		}
		return nil
	})
	ok, _ := tk.Sign(1)
	missing, _ := tk.Sign(2)
	for range 3 {
		if _, err := tk.Parse(ok); err != nil {
			t.Fatal(err)
		}
		if _, err := tk.Parse(missing); err == nil {
			t.Fatal("token of a missing user accepted")
		}
	}
	if calls != 4 {
		t.Fatalf("binding ran %d times, want 1 for the good token and 3 for the refused one", calls)
	}
}

// SignFor never issues a token older than its user, whatever the clocks
// say, and remembers it (its first use asks nothing of the binding).
func TestSignForNotBeforeUser(t *testing.T) {
	tk := New(testKey, time.Hour)
	tk.Bind(func(context.Context, int64, time.Time) error { return errors.New("binding asked") })
	created := time.Now().Add(3 * time.Second).UnixMilli() // the user service's clock is ahead
	s, _ := tk.SignFor(9, created)
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(s, &c); err != nil || c.IssuedAt.Unix() < created/1000 {
		t.Fatalf("issued %v, user created %v: %v", c.IssuedAt, time.UnixMilli(created), err)
	}
	if id, err := tk.Parse(s); err != nil || id != 9 {
		t.Fatalf("fresh token: %d %v", id, err)
	}
}

func TestCheckKey(t *testing.T) {
	if CheckKey(strings.Repeat("k", 31)) == nil || CheckKey(strings.Repeat("k", 32)) != nil {
		t.Fatal("auth.secret must be at least 32 characters")
	}
}

// Two gateways sharing one Redis: a logout on one is refused on the other at
// once, though it had remembered the token as verified, and a gateway started
// later loads it.
func TestRevocationSharedThroughRedis(t *testing.T) {
	addr := cmp.Or(os.Getenv("TIKTOK_TEST_REDIS"), "127.0.0.1:6379")
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: 11})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	testenv.Need(t, "Redis at "+addr, rdb.Ping(ctx).Err())
	gw := func() *Tokens {
		tk := New(testKey, time.Hour)
		tk.ShareRevocations(addr, 11, time.Second)
		t.Cleanup(tk.Close)
		return tk
	}
	a, b := gw(), gw()
	s, _ := a.Sign(8)
	if _, err := b.Parse(s); err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Parse(s); err == nil {
		t.Fatal("revoked token accepted on the gateway that logged out")
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, err := b.Parse(s); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other gateway still accepts the token after 2s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c := gw()
	deadline = time.Now().Add(2 * time.Second)
	for {
		c.mu.RLock()
		_, loaded := c.revoked[mustJTI(t, s)]
		c.mu.RUnlock()
		if loaded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a gateway started later did not load the revocation")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := c.Parse(s); err == nil {
		t.Fatal("a gateway started later accepts the revoked token")
	}
}

func mustJTI(t *testing.T, s string) string {
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(s, &c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}
