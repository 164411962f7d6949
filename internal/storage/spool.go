package storage

import (
	"errors"
	"io"
	"os"
	"sync"
)

// ErrBudget is returned by Spool.Write when the bytes in flight would exceed
// the budget of the writer's key or the spool's total.
var ErrBudget = errors.New("spool budget exhausted")

// Spool holds bodies that may not go to storage yet (an upload whose token
// has not been verified) in temporary files, under a byte budget per key (a
// client IP) and in total, charged as the bytes arrive, so no declared
// length is trusted and no client can fill the disk. Never in memory: a
// body can be as large as the largest upload.
type Spool struct {
	dir         string
	perKey, max int64
	mu          sync.Mutex
	total       int64
	used        map[string]int64
}

// NewSpool spools under dir (empty: the system's temp folder). perKey or
// total <= 0: that bound is off.
func NewSpool(dir string, perKey, total int64) *Spool {
	if dir == "" {
		dir = os.TempDir()
	}
	return &Spool{dir: dir, perKey: perKey, max: total, used: map[string]int64{}}
}

// Spooled is one spooled body, until Close.
type Spooled struct {
	s    *Spool
	key  string
	f    *os.File
	name string // still to remove at Close, where unlinking an open file failed
	n    int64
}

// Write copies r into a new spooled body charged to key. It fails with
// ErrTooLarge past max bytes (max <= 0: no limit) and with ErrBudget when
// the budget runs out; on any failure nothing stays spooled or charged.
func (s *Spool) Write(key string, r io.Reader, max int64) (_ *Spooled, err error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.dir, ".spool-*")
	if err != nil {
		return nil, err
	}
	sp := &Spooled{s: s, key: key, f: f}
	// Unlinked at once: the file lives only as long as its descriptor, so a
	// crash leaves nothing behind to sweep. (Where an open file cannot be
	// removed, Close removes it.)
	if os.Remove(f.Name()) != nil {
		sp.name = f.Name()
	}
	defer func() {
		if err != nil {
			sp.Close()
		}
	}()
	buf := make([]byte, 32<<10)
	lr := LimitReader(r, max)
	for {
		n, rerr := lr.Read(buf)
		if n > 0 {
			if !s.charge(key, int64(n)) {
				return nil, ErrBudget
			}
			sp.n += int64(n)
			if _, err := f.Write(buf[:n]); err != nil {
				return nil, err
			}
		}
		if rerr == io.EOF {
			return sp, nil
		}
		if rerr != nil {
			return nil, rerr
		}
	}
}

// charge takes n bytes from key's budget and the total, or nothing.
func (s *Spool) charge(key string, n int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if (s.perKey > 0 && s.used[key]+n > s.perKey) || (s.max > 0 && s.total+n > s.max) {
		return false
	}
	s.used[key] += n
	s.total += n
	return true
}

func (s *Spool) refund(key string, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total -= n
	if s.used[key] -= n; s.used[key] <= 0 {
		delete(s.used, key)
	}
}

// InUse is the bytes spooled now, in total.
func (s *Spool) InUse() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Size is the spooled body's length.
func (p *Spooled) Size() int64 { return p.n }

// Reader reads the spooled body from its start.
func (p *Spooled) Reader() (io.Reader, error) {
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.LimitReader(p.f, p.n), nil
}

// Close drops the body and gives its bytes back to the budget. Safe to call
// more than once.
func (p *Spooled) Close() error {
	if p.f == nil {
		return nil
	}
	err := p.f.Close()
	if p.name != "" {
		os.Remove(p.name)
	}
	p.f = nil
	p.s.refund(p.key, p.n)
	return err
}
