// Package auth signs and checks the API's JWT tokens.
package auth

import (
	"crypto/rand"
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

type Tokens struct {
	key []byte
	ttl time.Duration
	// checked remembers tokens already verified, until they expire: the app
	// sends the same token with every request, and verifying it (base64,
	// HMAC, JSON) each time was a visible share of the gateway's CPU.
	mu      sync.RWMutex
	checked map[string]checkedToken
}

type checkedToken struct {
	id      int64
	expires time.Time
}

// checkedMax bounds the remembered tokens; past it the memory starts over.
const checkedMax = 100_000

func New(key []byte, ttl time.Duration) *Tokens {
	return &Tokens{key: key, ttl: ttl, checked: map[string]checkedToken{}}
}

// Sign returns a token for userID that expires after the configured TTL.
func (t *Tokens) Sign(userID int64) (string, error) {
	return t.SignAt(userID, time.Now())
}

// SignAt signs as if at time now (tests use it for expired tokens).
func (t *Tokens) SignAt(userID int64, now time.Time) (string, error) {
	claims := jwt.RegisteredClaims{
		Subject:   strconv.FormatInt(userID, 10),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.key)
}

// Parse returns the user id of a valid token.
func (t *Tokens) Parse(token string) (int64, error) {
	t.mu.RLock()
	c, ok := t.checked[token]
	t.mu.RUnlock()
	if ok && time.Now().Before(c.expires) {
		return c.id, nil
	}
	id, exp, err := t.verify(token)
	if err != nil {
		return 0, err
	}
	t.mu.Lock()
	if len(t.checked) >= checkedMax {
		clear(t.checked)
	}
	t.checked[token] = checkedToken{id, exp}
	t.mu.Unlock()
	return id, nil
}

// verify checks the token's signature and expiry, and returns its subject
// and expiry.
func (t *Tokens) verify(token string) (int64, time.Time, error) {
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return t.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired())
	if err != nil {
		return 0, time.Time{}, ErrInvalid
	}
	id, err := strconv.ParseInt(claims.Subject, 10, 64)
	if err != nil || id <= 0 {
		return 0, time.Time{}, ErrInvalid
	}
	return id, claims.ExpiresAt.Time, nil
}

// KeyFile returns the key kept in path, generating a random one on first use.
// Only the embedded mode uses it; production passes auth.secret.
func KeyFile(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		k := strings.TrimSpace(string(b))
		if len(k) >= 32 {
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
