package main

import "testing"

// The soft memory limit is 768 MiB, or 90% of a container limit below it.
func TestMemoryLimit(t *testing.T) {
	for _, c := range []struct{ cgroup, want int64 }{
		{0, 768 << 20},
		{4 << 30, 768 << 20},
		{512 << 20, (512 << 20) / 10 * 9},
		{1 << 30, 768 << 20},
	} {
		if got := memoryLimit(c.cgroup); got != c.want {
			t.Errorf("memoryLimit(%d) = %d, want %d", c.cgroup, got, c.want)
		}
	}
}
