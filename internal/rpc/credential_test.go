package rpc

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/transmeta"
	"github.com/cloudwego/kitex/server"
	"github.com/cloudwego/kitex/transport"

	"tiktok/internal/discovery"
	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/user/userservice"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func TestCredential(t *testing.T) {
	now := time.Now()
	valid := signCred(testKey, "gateway", User, now, credLifetime)
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
		{"issued in the future", testKey, signCred(testKey, "gateway", User, now.Add(2*credSkew), credLifetime), now, errCredExpired},
		{"lifetime too long", testKey, signCred(testKey, "gateway", User, now, time.Hour), now, errCredExpired},
		{"wrong key", []byte("another-key-another-key-another-k"), valid, now, errCredMAC},
		{"wrong callee", testKey, signCred(testKey, "gateway", Message, now, credLifetime), now, errCredCallee},
		{"role not allowed", testKey, signCred(testKey, Feed, User, now, credLifetime), now, errCredRole},
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
		role, _, err := parseCred(c.key, User, c.cred, c.at)
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
	s := &credSigner{key: testKey, caller: "gateway", callee: User}
	now := time.Now()
	a := s.credential(now)
	if b := s.credential(now.Add(credLifetime - credRefresh - time.Second)); b != a {
		t.Fatal("credential re-signed before it needed to")
	}
	b := s.credential(now.Add(credLifetime - credRefresh + time.Second))
	if b == a {
		t.Fatal("credential not refreshed near its expiry")
	}
	if _, _, err := parseCred(testKey, User, b, now.Add(credLifetime)); err != nil {
		t.Fatalf("refreshed credential: %v", err)
	}
	v := newCredVerifier(string(testKey), User)
	if err := v.verify(a, now); err != nil || len(v.memo) != 1 {
		t.Fatalf("verify: %v, memo %d", err, len(v.memo))
	}
	if err := v.verify(a, now.Add(credLifetime)); !errors.Is(err, errCredExpired) {
		t.Fatalf("remembered credential past its expiry: %v", err)
	}
}

// Over a real Kitex connection: the deployment's clients pass; a client
// without a credential, with one signed by another key, or of a role not
// allowed to call the service is refused at the transport, before the
// handler runs.
func TestServerRefusesCallsWithoutCredential(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	book := discovery.Static{User: ln.Addr().String()}
	stub := &stubUser{}
	svr := userservice.NewServer(stub,
		append(ServerOptions(cfg, User, ln.Addr(), ln, book), server.WithExitSignal(func() <-chan error { return make(chan error) }))...)
	go svr.Run()
	defer svr.Stop()
	ctx := context.Background()
	good, err := NewClients(cfg, book, "gateway")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := good.User.MGetUsers(ctx, &base.IdsRequest{}); err != nil {
		t.Fatalf("deployment's client refused: %v", err)
	}
	raw := func(o ...client.Option) userservice.Client {
		c, err := userservice.NewClient(User, append([]client.Option{client.WithHostPorts(ln.Addr().String()),
			client.WithTransportProtocol(transport.TTHeader), client.WithMetaHandler(transmeta.ClientTTHeaderHandler)}, o...)...)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for name, c := range map[string]userservice.Client{
		"no credential":    raw(),
		"wrong key":        raw(SignedBy(NewSecret(), "gateway", User)),
		"other callee":     raw(SignedBy(cfg.RPC.Secret, "gateway", Message)),
		"role not allowed": raw(SignedBy(cfg.RPC.Secret, Feed, User)),
	} {
		_, err := c.MGetUsers(ctx, &base.IdsRequest{})
		if err == nil || !strings.Contains(err.Error(), "rpc credential refused") {
			t.Errorf("%s: got %v, want a refusal", name, err)
		}
		if _, biz := kerrors.FromBizStatusError(err); biz {
			t.Errorf("%s: refused as a business status: %v", name, err)
		}
	}
	// A role the service allows passes with the same key.
	if _, err := raw(SignedBy(cfg.RPC.Secret, Relation, User)).MGetUsers(ctx, &base.IdsRequest{}); err != nil {
		t.Fatalf("relation calling user: %v", err)
	}
	bad := testConfig()
	bad.RPC.Secret = "short"
	if _, err := NewClients(bad, book, "gateway"); err == nil {
		t.Fatal("clients made with a short rpc.secret")
	}
}

// The hot path: a call's credential on both sides once signed and verified.
func BenchmarkCredential(b *testing.B) {
	s := &credSigner{key: testKey, caller: "gateway", callee: User}
	v := newCredVerifier(string(testKey), User)
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
