package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// fuzzKey signs the seeds, those added here and the committed corpus
// (testdata/fuzz/FuzzParseToken), whose valid tokens last a century so the
// accepting path stays covered.
var fuzzKey = []byte("fuzz-key-fuzz-key-fuzz-key-fuzz-")

// FuzzParseToken: whatever the input, Parse does not panic, and it accepts a
// string only if it is exactly header.payload.MAC with the MAC computed here,
// independently of the JWT library (no other spelling of a signature, no
// other algorithm), for a positive user id.
func FuzzParseToken(f *testing.F) {
	tk := New(fuzzKey, 100*365*24*time.Hour)
	for _, id := range []int64{1, 42, 1 << 40} {
		s, err := tk.Sign(id)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s)
	}
	for _, s := range []string{"", ".", "..", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := New(fuzzKey, time.Hour).Parse(s)
		if err != nil {
			return
		}
		if id <= 0 {
			t.Fatalf("accepted %q for user %d", s, id)
		}
		i := strings.LastIndexByte(s, '.')
		m := hmac.New(sha256.New, fuzzKey)
		m.Write([]byte(s[:max(i, 0)]))
		if i < 0 || s[i+1:] != base64.RawURLEncoding.EncodeToString(m.Sum(nil)) {
			t.Fatalf("accepted %q without its exact HS256 signature", s)
		}
	})
}
