package rpc

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// testPolicy: the gateway, relation and message may call user; feed calls
// publish only.
var testPolicy = Policy{"gateway": {"user", "feed"}, "relation": {"user"}, "message": {"user"}, "feed": {"publish"}}

func TestPolicyCallersOf(t *testing.T) {
	got := testPolicy.callersOf("user")
	if len(got) != 3 || !got["gateway"] || !got["relation"] || !got["message"] || got["feed"] {
		t.Fatalf("callers of user: %v", got)
	}
	if got := (Policy{}).callersOf("user"); len(got) != 0 {
		t.Fatalf("an empty policy lets %v call", got)
	}
}

func TestCredential(t *testing.T) {
	now := time.Now()
	valid := signCred(testKey, "gateway", "user", now, credLifetime)
	for _, c := range []struct {
		name string
		key  []byte
		cred string
		at   time.Time
		want error
	}{
		{"valid", testKey, valid, now, nil},
		{"valid until its expiry", testKey, valid, now.Add(credLifetime - time.Second), nil},
		{"expired", testKey, valid, now.Add(credLifetime), errCredExpired},
		{"issued in the future", testKey, signCred(testKey, "gateway", "user", now.Add(2*credSkew), credLifetime), now, errCredExpired},
		{"lifetime too long", testKey, signCred(testKey, "gateway", "user", now, time.Hour), now, errCredExpired},
		{"wrong key", []byte("another-key-another-key-another-k"), valid, now, errCredMAC},
		{"wrong callee", testKey, signCred(testKey, "gateway", "message", now, credLifetime), now, errCredCallee},
		{"role not allowed", testKey, signCred(testKey, "feed", "user", now, credLifetime), now, errCredRole},
		{"missing", testKey, "", now, errCredMissing},
		{"no key configured", nil, valid, now, errCredNoKey},
		{"caller changed", testKey, strings.Replace(valid, "gateway", "message", 1), now, errCredMAC},
		{"expiry changed", testKey, func() string {
			f := strings.Split(valid, ".")
			f[4] = "99999999999"
			return strings.Join(f, ".")
		}(), now, errCredMAC},
		{"malformed", testKey, "v1.gateway.user.1.2", now, errCredFormat},
		{"other version", testKey, "v0" + valid[2:], now, errCredFormat},
	} {
		role, _, err := parseCred(c.key, "user", testPolicy.callersOf("user"), c.cred, c.at)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
		if c.want == nil && role != "gateway" {
			t.Errorf("%s: role %q", c.name, role)
		}
	}
}

// The client signs once and reuses the credential until it nears expiry;
// the server remembers a verified credential only until it expires.
func TestCredentialCachedBothSides(t *testing.T) {
	s := &credSigner{key: testKey, caller: "gateway", callee: "user"}
	now := time.Now()
	a := s.credential(now)
	if b := s.credential(now.Add(credLifetime - credRefresh - time.Second)); b != a {
		t.Fatal("credential re-signed before it needed to")
	}
	b := s.credential(now.Add(credLifetime - credRefresh + time.Second))
	if b == a {
		t.Fatal("credential not refreshed near its expiry")
	}
	if _, _, err := parseCred(testKey, "user", testPolicy.callersOf("user"), b, now.Add(credLifetime)); err != nil {
		t.Fatalf("refreshed credential: %v", err)
	}
	v := newCredVerifier(string(testKey), "user", testPolicy)
	if err := v.verify(a, now); err != nil || len(v.memo) != 1 {
		t.Fatalf("verify: %v, memo %d", err, len(v.memo))
	}
	if err := v.verify(a, now.Add(credLifetime)); !errors.Is(err, errCredExpired) {
		t.Fatalf("remembered credential past its expiry: %v", err)
	}
}

// The hot path: a call's credential on both sides once signed and verified.
func BenchmarkCredential(b *testing.B) {
	s := &credSigner{key: testKey, caller: "gateway", callee: "user"}
	v := newCredVerifier(string(testKey), "user", testPolicy)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			now := time.Now()
			if err := v.verify(s.credential(now), now); err != nil {
				b.Fatal(err)
			}
		}
	})
}
