package validate

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	cases := []struct {
		s    string
		ok   bool
		note string
	}{
		{"a", true, "one char"},
		{strings.Repeat("字", 100), true, "100 runes, 300 bytes"},
		{strings.Repeat("字", 101), false, "101 runes"},
		{"", false, "empty"},
		{"hi 😀", true, "emoji"},
		{"bad\xff", false, "invalid utf-8"},
		{"a\x00b", false, "NUL"},
		{"line\nline", true, "newline"},
	}
	for _, c := range cases {
		if got := Text(c.s, 1, 100); got != c.ok {
			t.Errorf("%s: Text=%v", c.note, got)
		}
	}
	if NonBlank("   ", 1, 10) {
		t.Error("blank accepted")
	}
}
