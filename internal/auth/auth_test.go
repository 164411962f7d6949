package auth

import (
	"path/filepath"
	"testing"
	"time"
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
