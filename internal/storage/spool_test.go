package storage

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func TestSpoolBoundsBytesInFlight(t *testing.T) {
	dir := t.TempDir()
	s := NewSpool(dir, 100, 150)
	a, err := s.Write("ip1", strings.NewReader(strings.Repeat("a", 80)), 1000)
	if err != nil {
		t.Fatal(err)
	}
	// The same key past its 100 bytes: refused, and nothing of it kept.
	if _, err := s.Write("ip1", strings.NewReader(strings.Repeat("b", 30)), 1000); !errors.Is(err, ErrBudget) {
		t.Fatalf("over the key's budget: %v", err)
	}
	// Another key within its own budget but past the total of 150.
	if _, err := s.Write("ip2", strings.NewReader(strings.Repeat("c", 80)), 1000); !errors.Is(err, ErrBudget) {
		t.Fatalf("over the total: %v", err)
	}
	if s.InUse() != 80 {
		t.Fatalf("refused writes left %d bytes charged", s.InUse()-80)
	}
	// Past max: ErrTooLarge, whatever the budget.
	if _, err := s.Write("ip3", strings.NewReader(strings.Repeat("d", 11)), 10); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over max: %v", err)
	}
	r, err := a.Reader()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(r); !bytes.Equal(b, bytes.Repeat([]byte("a"), 80)) || a.Size() != 80 {
		t.Fatalf("spooled %q", b)
	}
	// Unlinked from the start: nothing in the folder even while held, so a
	// crash leaves nothing behind.
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("spool files visible: %v", ents)
	}
	a.Close()
	a.Close()
	if s.InUse() != 0 {
		t.Fatalf("closed, still %d bytes charged", s.InUse())
	}
	if _, err := s.Write("ip2", strings.NewReader(strings.Repeat("c", 100)), 1000); err != nil {
		t.Fatalf("budget not given back: %v", err)
	}
}
