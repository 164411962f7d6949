package logx

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"
)

// Levels are coloured on a terminal only: a file, a pipe or a collector
// gets plain text.
func TestColourOnlyOnATerminal(t *testing.T) {
	for _, colour := range []bool{false, true} {
		var buf bytes.Buffer
		l := build(zapcore.AddSync(&buf), colour, "info", "console")
		l.Warn("hello")
		line := buf.String()
		if !strings.Contains(line, "WARN") || !strings.Contains(line, "hello") {
			t.Fatalf("line %q", line)
		}
		if got := strings.Contains(line, "\x1b["); got != colour {
			t.Errorf("colour %v: line %q has escape codes: %v", colour, line, got)
		}
	}
	var buf bytes.Buffer
	build(zapcore.AddSync(&buf), false, "info", "json").Info("hello")
	if strings.Contains(buf.String(), "\x1b[") {
		t.Errorf("json line %q has escape codes", buf.String())
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(f) || IsTerminal(w) {
		t.Error("a file or a pipe taken for a terminal")
	}
}

// What libraries write in colour reaches a non-terminal without the codes.
func TestPlainStripsEscapes(t *testing.T) {
	var buf bytes.Buffer
	in := "\n\n\x1b[31m[Recovery] panic recovered:\nboom\x1b[0m"
	n, err := plain{&buf}.Write([]byte(in))
	if err != nil || n != len(in) {
		t.Fatalf("wrote %d, %v", n, err)
	}
	if got, want := buf.String(), "\n\n[Recovery] panic recovered:\nboom"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
