package feed

import (
	"testing"
	"time"
)

func TestNormalizeTime(t *testing.T) {
	now := time.UnixMilli(1_800_000_000_123)
	cases := map[int64]int64{
		0:                 now.UnixMilli(),
		-5:                now.UnixMilli(),
		1_700_000_000:     1_700_000_000_000, // seconds, as the camp document says
		1_700_000_000_456: 1_700_000_000_456, // milliseconds, as the app sends
	}
	for in, want := range cases {
		if got := NormalizeTime(in, now); got != want {
			t.Errorf("NormalizeTime(%d) = %d, want %d", in, got, want)
		}
	}
}

// The publish client missing is an error at construction, not a nil
// dereference at the first page.
func TestNewRequiresPublish(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Fatal("built without a publish client")
	}
}
