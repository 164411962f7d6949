package rpc

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/remote"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"go.uber.org/zap"

	"tiktok/internal/config"
	"tiktok/internal/logx"
)

// Every RPC carries a service credential in its TTHeader metadata, and every
// server refuses a call without a valid one: the Kitex ports then serve only
// the processes that hold rpc.secret, not anyone who can open a connection.
//
// A credential is "v1.<caller>.<callee>.<issued>.<expires>.<mac>": the
// caller's role, the service it is for, unix seconds, and the base64url
// HMAC-SHA256 of everything before the MAC under rpc.secret. It is bound to
// its callee (one for the user service is refused by the message service)
// and lives credLifetime. A client signs one per callee and reuses it until
// credRefresh before it expires, so a call costs an atomic load and a clock
// read; a server remembers the credentials it has verified until they expire,
// so a call costs a map look-up.

// MinSecretLen is the shortest rpc.secret accepted: 256 bits of HMAC key.
const MinSecretLen = 32

const (
	credVersion = "v1"
	// credMeta is the metadata key; Kitex's metainfo handler hands
	// "RPC_TRANSIT_"-prefixed keys to the callee and never forwards them on.
	credMeta = "TIKTOK_SVC_CRED"
	// credLifetime bounds the replay of a captured credential.
	credLifetime = 5 * time.Minute
	// credRefresh: a client signs a new credential this long before its
	// current one expires, so what it sends is valid for at least this long
	// on a server whose clock is up to that much ahead.
	credRefresh = time.Minute
	// credSkew: how far in the future a credential's issue time may be (the
	// caller's clock ahead of the server's).
	credSkew = time.Minute
	// credMemoMax bounds the verified credentials a server remembers; there
	// is about one per caller process and callee every few minutes.
	credMemoMax = 4096
)

// Policy says which services each caller role may call: role → the
// services (their discovery names). The composition layer derives it from
// its role registry and hands it to every server (ServerOptions); a role it
// does not list may call nothing.
type Policy map[string][]string

// callersOf are the roles that may call service.
func (p Policy) callersOf(service string) map[string]bool {
	m := map[string]bool{}
	for role, callees := range p {
		for _, c := range callees {
			if c == service {
				m[role] = true
			}
		}
	}
	return m
}

// CheckSecret refuses a configuration whose rpc.secret is missing or short.
func CheckSecret(cfg *config.Config) error {
	if len(cfg.RPC.Secret) < MinSecretLen {
		return fmt.Errorf("rpc.secret (TIKTOK_RPC_SECRET) must be set to at least %d characters, the same in every role", MinSecretLen)
	}
	return nil
}

// NewSecret returns a random secret (64 hex characters): `tiktok serve`
// makes one per process, as its services and clients are all in it.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}

var (
	errCredMissing = errors.New("no credential")
	errCredFormat  = errors.New("malformed credential")
	errCredMAC     = errors.New("credential not signed with this deployment's rpc.secret")
	errCredCallee  = errors.New("credential for another service")
	errCredExpired = errors.New("credential expired or not yet valid")
	errCredRole    = errors.New("caller role may not call this service")
	errCredNoKey   = errors.New("rpc.secret not configured")
)

// validRole: roles go into a dot-separated credential.
func validRole(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func credMAC(key []byte, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// signCred makes a credential for caller to call callee, valid from issued
// for lifetime.
func signCred(key []byte, caller, callee string, issued time.Time, lifetime time.Duration) string {
	body := credVersion + "." + caller + "." + callee + "." + strconv.FormatInt(issued.Unix(), 10) + "." +
		strconv.FormatInt(issued.Add(lifetime).Unix(), 10)
	return body + "." + credMAC(key, body)
}

// parseCred checks a credential against key, callee, the roles allowed to
// call it and now, and returns its caller role and expiry (unix seconds).
func parseCred(key []byte, callee string, callers map[string]bool, cred string, now time.Time) (string, int64, error) {
	if len(key) == 0 {
		return "", 0, errCredNoKey
	}
	if cred == "" {
		return "", 0, errCredMissing
	}
	if len(cred) > 256 {
		return "", 0, errCredFormat
	}
	i := strings.LastIndexByte(cred, '.')
	if i < 0 {
		return "", 0, errCredFormat
	}
	body, mac := cred[:i], cred[i+1:]
	f := strings.Split(body, ".")
	if len(f) != 5 || f[0] != credVersion || !validRole(f[1]) || !validRole(f[2]) {
		return "", 0, errCredFormat
	}
	iat, err1 := strconv.ParseInt(f[3], 10, 64)
	exp, err2 := strconv.ParseInt(f[4], 10, 64)
	if err1 != nil || err2 != nil {
		return "", 0, errCredFormat
	}
	// The MAC first: nothing a forger wrote is believed before it holds.
	if !hmac.Equal([]byte(mac), []byte(credMAC(key, body))) {
		return "", 0, errCredMAC
	}
	if f[2] != callee {
		return "", 0, errCredCallee
	}
	t := now.Unix()
	if exp <= t || iat > t+int64(credSkew/time.Second) || exp-iat > int64(2*credLifetime/time.Second) {
		return "", 0, errCredExpired
	}
	if !callers[f[1]] {
		return f[1], 0, errCredRole
	}
	return f[1], exp, nil
}

// credSigner keeps the current credential of one caller for one callee.
type credSigner struct {
	key            []byte
	caller, callee string
	cur            atomic.Pointer[signedCred]
}

type signedCred struct {
	cred      string
	refreshAt int64 // unix ns
}

// credential returns a credential valid for at least credRefresh, signing a
// new one only when the current one gets that close to its expiry.
// Concurrent refreshes may both sign; either result is valid.
func (s *credSigner) credential(now time.Time) string {
	if c := s.cur.Load(); c != nil && now.UnixNano() < c.refreshAt {
		return c.cred
	}
	c := &signedCred{cred: signCred(s.key, s.caller, s.callee, now, credLifetime),
		refreshAt: now.Add(credLifetime - credRefresh).UnixNano()}
	s.cur.Store(c)
	return c.cred
}

// credWriter is the client side: a meta handler that puts the credential into
// the request's TTHeader string info. A meta handler rather than a
// middleware, so a call builds no context for it.
type credWriter struct{ s *credSigner }

func (w credWriter) WriteMeta(ctx context.Context, msg remote.Message) (context.Context, error) {
	k, v := metainfo.PrefixTransient+credMeta, w.s.credential(time.Now())
	if m := msg.TransInfo().TransStrInfo(); m != nil {
		m[k] = v
	} else {
		msg.TransInfo().PutTransStrInfo(map[string]string{k: v})
	}
	return ctx, nil
}

func (credWriter) ReadMeta(ctx context.Context, _ remote.Message) (context.Context, error) {
	return ctx, nil
}

// SignedBy is the client option that makes a Kitex client's calls carry
// credentials of role caller for callee under secret, as NewClients' do: for
// tools and tests that build their own client.
func SignedBy(secret, caller, callee string) client.Option {
	return client.WithMetaHandler(credWriter{&credSigner{key: []byte(secret), caller: caller, callee: callee}})
}

// credVerifier is the server side of one service.
type credVerifier struct {
	key     []byte
	service string
	callers map[string]bool // the roles allowed to call it

	mu   sync.RWMutex
	memo map[string]int64 // verified credential → expiry (unix s)
	// lastLog limits refusal logs to one a second: a scan of the port must
	// not flood the log.
	lastLog atomic.Int64
}

func newCredVerifier(secret, service string, p Policy) *credVerifier {
	return &credVerifier{key: []byte(secret), service: service, callers: p.callersOf(service), memo: map[string]int64{}}
}

func (v *credVerifier) verify(cred string, now time.Time) error {
	v.mu.RLock()
	exp, ok := v.memo[cred]
	v.mu.RUnlock()
	if ok && exp > now.Unix() {
		return nil
	}
	_, exp, err := parseCred(v.key, v.service, v.callers, cred, now)
	if err != nil {
		return err
	}
	v.mu.Lock()
	if len(v.memo) >= credMemoMax {
		clear(v.memo)
	}
	v.memo[cred] = exp
	v.mu.Unlock()
	return nil
}

// middleware refuses a call without a valid credential before anything else
// runs (outermost, ahead of tracing and the handler). The refusal is a
// transport-level error (Kitex's "request forbidden"), not a business status:
// the caller is not a client of ours, and a misconfigured role then shows as
// a failed call in its log rather than as a user's "please log in".
func (v *credVerifier) middleware(next endpoint.Endpoint) endpoint.Endpoint {
	return func(ctx context.Context, req, resp any) error {
		cred, _ := metainfo.GetValue(ctx, credMeta)
		if err := v.verify(cred, time.Now()); err != nil {
			v.logRefusal(ctx, err)
			return kerrors.ErrACL.WithCause(fmt.Errorf("rpc credential refused: %w", err))
		}
		return next(ctx, req, resp)
	}
}

func (v *credVerifier) logRefusal(ctx context.Context, err error) {
	now := time.Now().Unix()
	last := v.lastLog.Load()
	if now == last || !v.lastLog.CompareAndSwap(last, now) {
		return
	}
	from := ""
	if ri := rpcinfo.GetRPCInfo(ctx); ri != nil && ri.From() != nil && ri.From().Address() != nil {
		from = ri.From().Address().String()
	}
	logx.Ctx(ctx).Warn("rpc call refused", zap.String("service", v.service), zap.String("from", from), zap.Error(err))
}
