// Package auth signs and checks the API's JWT tokens, and ends them at logout.
package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var ErrInvalid = errors.New("invalid or expired token")

// MinKeyLen is the shortest auth.secret accepted: 256 bits of HMAC-SHA256 key.
const MinKeyLen = 32

// CheckKey refuses a key shorter than MinKeyLen.
func CheckKey(key string) error {
	if len(key) < MinKeyLen {
		return fmt.Errorf("auth.secret (TIKTOK_AUTH_SECRET) must be set to at least %d characters", MinKeyLen)
	}
	return nil
}

// Binding checks that a token's user is the one it was issued to (the
// gateway: the user exists and is not newer than the token). Its error is
// returned from Verify; ErrInvalid says the token is refused.
type Binding func(ctx context.Context, userID int64, issued time.Time) error

type Tokens struct {
	key  []byte
	ttl  time.Duration
	bind Binding
	// shared spreads revocations to the other processes; nil: this one only.
	shared *redisRevocations

	// checked remembers tokens already verified (and bound), until they
	// expire: the app sends the same token with every request, and verifying
	// it (base64, HMAC, JSON) each time was a visible share of the gateway's
	// CPU. A remembered token is still looked up in revoked on every use.
	mu      sync.RWMutex
	checked map[string]checkedToken
	// revoked holds the ids (jti) of tokens ended by logout, with their
	// expiry (unix s): past it the token is refused anyway and the entry goes.
	revoked map[string]int64
	sweepAt int64
}

type checkedToken struct {
	id      int64
	expires time.Time
	jti     string
}

type claims struct {
	id      int64
	issued  time.Time
	expires time.Time
	jti     string
}

// checkedMax bounds the remembered tokens; past it the memory starts over.
const checkedMax = 100_000

// maxTokenLen: a token we sign is about 200 bytes; anything far longer is
// refused before it is decoded.
const maxTokenLen = 1024

func New(key []byte, ttl time.Duration) *Tokens {
	return &Tokens{key: key, ttl: ttl, checked: map[string]checkedToken{}, revoked: map[string]int64{}}
}

// Bind sets the check of a token's user, run on a token's first use. Call it
// before the first Verify.
func (t *Tokens) Bind(b Binding) { t.bind = b }

// Sign returns a token for userID that expires after the configured TTL.
func (t *Tokens) Sign(userID int64) (string, error) {
	return t.SignAt(userID, time.Now())
}

// SignFor signs a token for a user the user service has just vouched for
// (register, login), registered at createdMs (ms; 0: unknown): issued now,
// or just after the registration when the user service's clock is ahead of
// ours, so that a user's own token is never older than the user (see
// Binding). The token is remembered as verified: its binding holds by
// construction, and its first use then costs no look-up of its user.
func (t *Tokens) SignFor(userID, createdMs int64) (string, error) {
	now := time.Now()
	// +1 ms: the database may round the stored time up to the next millisecond.
	if nb := time.UnixMilli(createdMs + 1); createdMs > 0 && nb.After(now) {
		now = nb
	}
	s, err := t.SignAt(userID, now)
	if err != nil {
		return "", err
	}
	if cl, err := t.verify(s); err == nil {
		t.remember(s, cl)
	}
	return s, nil
}

// SignAt signs as if at time now (tests use it for expired tokens and for
// tokens older than their user).
func (t *Tokens) SignAt(userID int64, now time.Time) (string, error) {
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	c := jwt.RegisteredClaims{
		ID:        base64.RawURLEncoding.EncodeToString(jti),
		Subject:   strconv.FormatInt(userID, 10),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.key)
}

// Parse is Verify without a request's context.
func (t *Tokens) Parse(token string) (int64, error) {
	return t.Verify(context.Background(), token)
}

// Verify returns the user id of a valid token: signed with our key, not
// expired, not revoked, and accepted by the binding. A token is verified
// once; later uses cost a look-up here until it expires.
func (t *Tokens) Verify(ctx context.Context, token string) (int64, error) {
	now := time.Now()
	t.mu.RLock()
	c, ok := t.checked[token]
	if ok {
		_, gone := t.revoked[c.jti]
		ok = !gone
	}
	t.mu.RUnlock()
	if ok && now.Before(c.expires) {
		return c.id, nil
	}
	cl, err := t.verify(token)
	if err != nil {
		return 0, err
	}
	if t.isRevoked(cl.jti) {
		return 0, ErrInvalid
	}
	if t.bind != nil {
		if err := t.bind(ctx, cl.id, cl.issued); err != nil {
			return 0, err
		}
	}
	// A revocation may have arrived while the binding ran.
	if !t.remember(token, cl) {
		return 0, ErrInvalid
	}
	return cl.id, nil
}

// remember records a verified token, unless it has been revoked meanwhile.
func (t *Tokens) remember(token string, cl claims) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, gone := t.revoked[cl.jti]; gone {
		return false
	}
	if len(t.checked) >= checkedMax {
		clear(t.checked)
	}
	t.checked[token] = checkedToken{cl.id, cl.expires, cl.jti}
	return true
}

// verify checks the token's signature and claims.
// compact reports whether token is three base64url segments and nothing
// else. Go's base64 decoder skips CR and LF, so without this check a token
// with line breaks inserted would verify as the original: one session under
// many spellings (found by FuzzParseToken).
func compact(token string) bool {
	dots := 0
	for i := 0; i < len(token); i++ {
		switch c := token[i]; {
		case c == '.':
			dots++
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return dots == 2
}

func (t *Tokens) verify(token string) (claims, error) {
	if len(token) > maxTokenLen || !compact(token) {
		return claims{}, ErrInvalid
	}
	var rc jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &rc, func(*jwt.Token) (any, error) { return t.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired(),
		jwt.WithStrictDecoding())
	if err != nil {
		return claims{}, ErrInvalid
	}
	id, err := strconv.ParseInt(rc.Subject, 10, 64)
	// Every token we sign has an id (jti, to revoke it) and an issue time
	// (to bind it to its user); one without is not ours or predates them.
	if err != nil || id <= 0 || rc.IssuedAt == nil || rc.ID == "" || len(rc.ID) > 64 {
		return claims{}, ErrInvalid
	}
	return claims{id: id, issued: rc.IssuedAt.Time, expires: rc.ExpiresAt.Time, jti: rc.ID}, nil
}

func (t *Tokens) isRevoked(jti string) bool {
	t.mu.RLock()
	_, gone := t.revoked[jti]
	t.mu.RUnlock()
	return gone
}

// Revoke ends token (a logout): it is refused from now on, here at once and
// in every process sharing revocations as soon as they hear of it, until it
// would have expired. Only a valid token can be revoked.
func (t *Tokens) Revoke(ctx context.Context, token string) error {
	cl, err := t.verify(token)
	if err != nil {
		return ErrInvalid
	}
	t.revokeLocal(cl.jti, cl.expires.Unix())
	if t.shared != nil {
		t.shared.publish(ctx, cl.jti, cl.expires.Unix())
	}
	return nil
}

// revokeLocal records a revocation in this process, dropping expired ones
// once a minute.
func (t *Tokens) revokeLocal(jti string, expires int64) {
	now := time.Now().Unix()
	if expires <= now {
		return // refused anyway
	}
	t.mu.Lock()
	t.revoked[jti] = expires
	if now >= t.sweepAt {
		for k, exp := range t.revoked {
			if exp <= now {
				delete(t.revoked, k)
			}
		}
		t.sweepAt = now + 60
	}
	t.mu.Unlock()
}

// KeyFile returns the key kept in path, generating a random one on first use.
// Only the embedded mode uses it; production passes auth.secret. A database
// wiped while the key stays does not revive old tokens: each is bound to its
// user's creation time (see the gateway's binding).
func KeyFile(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		k := strings.TrimSpace(string(b))
		if len(k) >= MinKeyLen {
			return []byte(k), nil
		}
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return nil, err
	}
	k := hex.EncodeToString(buf)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(k+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write key: %w", err)
	}
	return []byte(k), nil
}
