// Package validate holds the API's text rules, shared by the services that
// accept user text.
package validate

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text reports whether s is valid UTF-8 of min to max characters (runes) with
// no control characters other than newline and tab.
func Text(s string, min, max int) bool {
	if !utf8.ValidString(s) {
		return false
	}
	n := utf8.RuneCountInString(s)
	if n < min || n > max {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\t'
	}) < 0
}

// NonBlank is Text that also rejects strings of only white space.
func NonBlank(s string, min, max int) bool {
	return Text(s, min, max) && strings.TrimSpace(s) != ""
}

// Title is the API's video title rule; the gateway checks it before it stores
// an upload, the publish service again before it inserts the row.
func Title(t string) bool { return NonBlank(t, 1, 100) }
