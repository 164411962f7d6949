package user

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"

	"tiktok/internal/errno"
	"tiktok/internal/metrics"
)

// argon2id with the OWASP minimum (19 MiB, 2 passes): slow enough to resist
// guessing, small enough that concurrent registrations do not exhaust memory.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

func hashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

func checkPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// hashGate bounds the password hashes in flight. Each holds argonMemory
// (19 MiB) while it runs, so without a bound a storm of logins grew the
// process by that much per request (48 at once: 80 to 790 MB) and a few
// hundred took it down. More hashes than cores at once do not finish sooner
// anyway; a short queue absorbs bursts, and past it a request is refused at
// once (10008) instead of waiting for a slot that will not come in time.
type hashGate struct {
	slots   chan struct{} // one per hash running
	tickets chan struct{} // one per hash running or waiting
	// Hashes since the last collection this gate ran, and whether one is
	// running (see collectEvery).
	sinceGC    atomic.Int32
	collecting atomic.Bool
}

// collectEvery: every this many hashes, the one that completes it runs a
// garbage collection before giving up its slot. Each hash leaves 19 MiB of
// garbage, and the process collects only at 5x its live heap (GOGC=400,
// cmd/tiktok), which hashes in flight inflate further: with two hashes at a
// time and no collection, a storm that got 18 logins hashed took the
// process from 80 to 310 MB resident. Collecting while the slot is held bounds the garbage to about
// collectEvery + slots blocks whatever the machine's load; the blocks hold
// no pointers, so a collection costs little next to the hashes.
const collectEvery = 2

// maxHashWait bounds a wait in the queue: well inside the caller's RPC
// timeout (rpc.timeout, 3 s), so an overloaded machine answers 10008, retry
// later, rather than hashing for a caller that has already given up.
const maxHashWait = time.Second

// newHashGate allows n hashes at once (0: one per core) and queue waiting.
func newHashGate(n, queue int) *hashGate {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return &hashGate{slots: make(chan struct{}, n), tickets: make(chan struct{}, n+max(queue, 0))}
}

var errHashBusy = errno.New(errno.CodeRateLimited, "too many sign-ins at once, please retry in a moment")

// do runs f, which hashes, when a slot is free; errHashBusy when the queue
// is full, or no slot came free in maxHashWait or before the caller gave up.
func (g *hashGate) do(ctx context.Context, f func()) error {
	select {
	case g.tickets <- struct{}{}:
	default:
		metrics.PasswordHashRefusals.Inc()
		return errHashBusy
	}
	defer func() { <-g.tickets }()
	// The gauges are the process's: its gates (one per service instance)
	// add up, which is what the process's memory feels.
	metrics.PasswordHashWaiting.Inc()
	wait := time.NewTimer(maxHashWait)
	defer wait.Stop()
	select {
	case g.slots <- struct{}{}:
		metrics.PasswordHashWaiting.Dec()
	case <-ctx.Done():
		metrics.PasswordHashWaiting.Dec()
		metrics.PasswordHashRefusals.Inc()
		return errHashBusy
	case <-wait.C:
		metrics.PasswordHashWaiting.Dec()
		metrics.PasswordHashRefusals.Inc()
		return errHashBusy
	}
	// In flight while the slot is held: the hash and, every collectEvery,
	// the collection after it.
	metrics.PasswordHashInFlight.Inc()
	defer func() {
		metrics.PasswordHashInFlight.Dec()
		<-g.slots
	}()
	f()
	g.hashed()
	return nil
}

// hashed counts a hash, and collects every collectEvery hashes unless a
// collection this gate asked for is still running.
func (g *hashGate) hashed() {
	if g.sinceGC.Add(1) < collectEvery || !g.collecting.CompareAndSwap(false, true) {
		return
	}
	g.sinceGC.Store(0)
	runtime.GC()
	g.collecting.Store(false)
}
