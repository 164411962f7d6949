package validate

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// Names that look the same are the same account: each group shares one key.
func TestNameKeySameAccount(t *testing.T) {
	groups := [][]string{
		{"racer1", "Racer1", "RACER1", "ｒａｃｅｒ１", "Ｒａｃｅｒ１"},                              // case, full-width
		{"strasse", "Straße", "STRASSE"},                                                // full case folding
		{"fish", "ﬁsh", "FISH"},                                                         // ligature
		{"racer 1", "racer\u00a01", "racer\u30001", " racer  1 ", "racer\u2003\u20031"}, // spaces
		{"å", "Å", "\u212b", "a\u030a"},                                                 // angstrom sign, decomposed
		{"σας", "ΣΑΣ", "σασ"},                                                           // final sigma
		{"x²", "x2"},                                                                    // superscript
		{"\u8c48", "\uf900"},                                                            // CJK compatibility ideograph
	}
	for _, g := range groups {
		want, err := NameKey(g[0])
		if err != nil {
			t.Fatalf("%q: %v", g[0], err)
		}
		for _, name := range g[1:] {
			if got, err := NameKey(name); err != nil || got != want {
				t.Errorf("NameKey(%q) = %q, %v; want %q (as %q)", name, got, err, want, g[0])
			}
		}
	}
	if a, _ := NameKey("racer1"); a != "racer1" {
		t.Errorf("a plain name is its own key: %q", a)
	}
	if a, _ := NameKey("racer1"); a == mustKey(t, "racer2") {
		t.Error("racer1 and racer2 share a key")
	}
}

func mustKey(t *testing.T, name string) string {
	t.Helper()
	k, err := NameKey(name)
	if err != nil {
		t.Fatalf("%q: %v", name, err)
	}
	return k
}

func TestNameKeyRefuses(t *testing.T) {
	cases := []struct {
		name string
		want error
	}{
		{"racer\u200b1", ErrNameInvisible},       // zero-width space
		{"racer\u200c1", ErrNameInvisible},       // zero-width non-joiner
		{"racer\u200d1", ErrNameInvisible},       // zero-width joiner
		{"\u2060racer1", ErrNameInvisible},       // word joiner
		{"\ufeffracer1", ErrNameInvisible},       // BOM
		{"\u202eracer1", ErrNameInvisible},       // right-to-left override
		{"\u202aracer1", ErrNameInvisible},       // left-to-right embedding
		{"\u2066racer1\u2069", ErrNameInvisible}, // isolates
		{"racer1\u200e", ErrNameInvisible},       // LRM
		{"racer1\u200f", ErrNameInvisible},       // RLM
		{"racer1\u061c", ErrNameInvisible},       // Arabic letter mark
		{"racer\u00ad1", ErrNameInvisible},       // soft hyphen
		{"racer1\ufe0f", ErrNameInvisible},       // variation selector
		{"\u3164", ErrNameInvisible},             // Hangul filler
		{"\u2800", ErrNameInvisible},             // braille blank
		{"\u200b", ErrNameInvisible},             // only invisible
		{"\u200b\u200b\u2060", ErrNameInvisible},
		{"a\tb", ErrNameInvisible},
		{"a\nb", ErrNameInvisible},
		{"a\x00b", ErrNameInvisible},
		{"a\u0085b", ErrNameInvisible},    // C1 control
		{"a\u2028b", ErrNameInvisible},    // line separator
		{"\ue000", ErrNameInvisible},      // private use
		{"a\U000E0041", ErrNameInvisible}, // tag
		{"a\u0378", ErrNameInvisible},     // unassigned
		{"   ", ErrNameBlank},
		{"\u3000\u00a0", ErrNameBlank}, // ideographic and no-break spaces
		{"", ErrNameLength},
		{strings.Repeat("u", 33), ErrNameLength},
		{"bad\xffname", ErrNameEncoding},
	}
	for _, c := range cases {
		if k, err := NameKey(c.name); !errors.Is(err, c.want) {
			t.Errorf("NameKey(%q) = %q, %v; want %v", c.name, k, err, c.want)
		}
	}
}

func TestNameKeyAccepts(t *testing.T) {
	for _, name := range []string{
		"a", "demo_alice", strings.Repeat("名", 32), "hi 😀", "Ünïcödé", "مرحبا", "שלום", "x\u0301",
		strings.Repeat("\ufdfa", 32),       // the longest expansion: 18 runes each
		"a" + strings.Repeat("\u0301", 31), // NFKC would insert an invisible U+034F
	} {
		k, err := NameKey(name)
		if err != nil {
			t.Errorf("NameKey(%q): %v", name, err)
			continue
		}
		if NameFold(k) != k || strings.IndexFunc(k, Invisible) >= 0 {
			t.Errorf("%q: key %q is not its own key or holds a refused character", name, k)
		}
	}
}

// Names stored before the rules still get a key, without their invisible
// characters, so they hold the look-alike spot and can log in.
func TestNameFoldOfOldNames(t *testing.T) {
	for in, want := range map[string]string{
		"racer\u200b1":   "racer1",
		"\u202eRacer1":   "racer1",
		"\u200b":         "",
		"a\tb":           "ab",
		"bad\xffname":    "badname",
		" Ｒacer\u3000１ ": "racer 1",
	} {
		if got := NameFold(in); got != want {
			t.Errorf("NameFold(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every code point accepted alone has a key within the per-character bound
// NameKeyMax relies on, free of refused characters, and its own key.
func TestNameKeyEveryCodePoint(t *testing.T) {
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		k, err := NameKey(string(r))
		if err != nil {
			continue
		}
		if n := utf8.RuneCountInString(k); n > NameKeyMax/NameMax {
			t.Fatalf("%U: key of %d runes", r, n)
		}
		if strings.IndexFunc(k, Invisible) >= 0 {
			t.Fatalf("%U: key %q holds a refused character", r, k)
		}
		if k2, err := NameKey(k); err != nil || k2 != k {
			t.Fatalf("%U: key %q, its key %q, %v", r, k, k2, err)
		}
	}
}

// FuzzNameKey checks the key's properties on arbitrary strings: no panic; the
// key of anything is its own key, valid UTF-8, free of refused characters
// and of leading, trailing or doubled spaces; an accepted name was within
// the rules and its key is NameFold's; ASCII case never changes a key.
func FuzzNameKey(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		fold := NameFold(s)
		if NameFold(fold) != fold {
			t.Fatalf("NameFold(%q) = %q, not its own fold (%q)", s, fold, NameFold(fold))
		}
		if !utf8.ValidString(fold) || strings.IndexFunc(fold, Invisible) >= 0 {
			t.Fatalf("NameFold(%q) = %q: invalid or refused characters", s, fold)
		}
		if strings.TrimSpace(fold) != fold || strings.Contains(fold, "  ") {
			t.Fatalf("NameFold(%q) = %q: spaces not collapsed", s, fold)
		}
		if swapped := swapASCIICase(s); NameFold(swapped) != fold {
			t.Fatalf("ASCII case changes the key: %q -> %q, %q -> %q", s, fold, swapped, NameFold(swapped))
		}
		key, err := NameKey(s)
		if err != nil {
			for _, known := range []error{ErrNameLength, ErrNameEncoding, ErrNameInvisible, ErrNameBlank} {
				if err == known {
					return
				}
			}
			t.Fatalf("NameKey(%q): unexpected error %v", s, err)
		}
		if n := utf8.RuneCountInString(s); n < 1 || n > NameMax || strings.IndexFunc(s, Invisible) >= 0 {
			t.Fatalf("NameKey accepted %q", s)
		}
		if key == "" || key != fold || utf8.RuneCountInString(key) > NameKeyMax {
			t.Fatalf("NameKey(%q) = %q, NameFold %q", s, key, fold)
		}
		if utf8.RuneCountInString(key) <= NameMax {
			if k2, err := NameKey(key); err != nil || k2 != key {
				t.Fatalf("NameKey(NameKey(%q)) = %q, %v; want %q", s, k2, err, key)
			}
		}
	})
}

func swapASCIICase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

// Login and the rate limiter fold names on many goroutines at once (run
// with -race).
func TestNameFoldConcurrent(t *testing.T) {
	done := make(chan bool)
	for i := 0; i < 8; i++ {
		go func() {
			for j := 0; j < 200; j++ {
				if NameFold("Ｒａｃｅｒ１ Straße") != "racer1 strasse" {
					t.Error("wrong fold")
				}
			}
			done <- true
		}()
	}
	for i := 0; i < 8; i++ {
		<-done
	}
}
