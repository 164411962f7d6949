package validate

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// NameMax is the API's longest username, in characters (runes).
const NameMax = 32

// NameKeyMax bounds a key's length in runes: the users.name_key column holds
// this many. No character of a name expands to more than 18 runes under NFKC
// and case folding (U+FDFA), so 32 such characters fit; name_test.go checks
// the bound against every accepted code point.
const NameKeyMax = 18 * NameMax

// Why a name is refused. Each is a bad parameter (10001) to the caller.
var (
	ErrNameLength    = errors.New("username must be 1 to 32 characters")
	ErrNameEncoding  = errors.New("username must be valid UTF-8")
	ErrNameInvisible = errors.New("username must not contain invisible, control, direction or unassigned characters")
	ErrNameBlank     = errors.New("username must contain a visible character")
)

// NameKey checks a username for registration and returns its key, the form
// in which two names are the same account: NFKC, case folded, white space
// collapsed (see NameFold). Refused: invalid UTF-8; fewer than 1 or more than
// NameMax runes; any invisible character (see Invisible); a name of only
// white space. For an accepted name the key is NameFold(name), NameFold(key)
// is key, and NameKey(key) is key too when key is within NameMax runes.
func NameKey(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", ErrNameEncoding
	}
	if n := utf8.RuneCountInString(name); n < 1 || n > NameMax {
		return "", ErrNameLength
	}
	if strings.IndexFunc(name, Invisible) >= 0 {
		return "", ErrNameInvisible
	}
	key := NameFold(name)
	if key == "" {
		return "", ErrNameBlank
	}
	if utf8.RuneCountInString(key) > NameKeyMax {
		return "", ErrNameLength // cannot happen for NameMax runes; kept for the column's sake
	}
	return key, nil
}

// NameFold is the key of any string, accepted as a name or not: invisible
// characters and invalid bytes dropped, then NFKC (full-width, ligatures and
// other compatibility forms become their plain letters), Unicode case
// folding, NFKC again (folding can undo normalisation), white space runs as
// one space, trimmed; repeated until nothing changes, so the result is its
// own key. Login and the key backfill of old rows use it directly: a name
// registered before these rules still has a key.
func NameFold(s string) string {
	for i := 0; i < 4; i++ {
		next := foldOnce(s)
		if next == s {
			break
		}
		s = next
	}
	return s
}

func foldOnce(s string) string {
	s = dropInvisible(strings.ToValidUTF8(s, ""))
	// Dropped again after: NFKC inserts U+034F (invisible) into a run of
	// more than 30 combining marks, to keep its buffers bounded.
	// A Caser is stateful: one per call, never shared between goroutines.
	s = dropInvisible(norm.NFKC.String(cases.Fold().String(norm.NFKC.String(s))))
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

func dropInvisible(s string) string {
	return strings.Map(func(r rune) rune {
		if Invisible(r) {
			return -1
		}
		return r
	}, s)
}

// Invisible reports whether r is refused in a name because it renders as
// nothing, changes how its neighbours render, or may render differently
// tomorrow: control characters (Cc, tab and newline included), format
// characters (Cf: zero-width space, joiners, U+2060, the BOM, bidirectional
// marks, embeddings, overrides and isolates U+200E/F, U+202A..E, U+2066..9,
// U+061C, soft hyphen, tags), the other default-ignorable code points
// (Hangul fillers, combining grapheme joiner), variation selectors, line and
// paragraph separators, private use, surrogates, unassigned code points, and
// U+2800 (braille blank, a popular "empty" name).
func Invisible(r rune) bool {
	switch {
	case r == '\u2800':
		return true
	case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp,
		unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector):
		return true
	}
	// Unassigned: no general category. Their normalisation may change when
	// Unicode assigns them, and a key must never change.
	return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs)
}
