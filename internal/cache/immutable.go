package cache

import (
	"context"
	"sync"
)

// Immutable remembers in this process records that never change once they
// exist (user profiles, videos: the API has no way to edit either), so a
// hot record costs neither a Redis round trip nor a decode. Absence is never
// remembered: a record created a moment later is found.
type Immutable[T any] struct {
	mu  sync.RWMutex
	m   map[int64]T
	max int
}

// NewImmutable holds up to max records; past it, it starts afresh.
func NewImmutable[T any](max int) *Immutable[T] {
	return &Immutable[T]{m: make(map[int64]T), max: max}
}

// Get returns the remembered record of id.
func (im *Immutable[T]) Get(id int64) (T, bool) {
	im.mu.RLock()
	v, ok := im.m[id]
	im.mu.RUnlock()
	return v, ok
}

// Remember keeps records found (never absences).
func (im *Immutable[T]) Remember(got map[int64]T) {
	im.mu.Lock()
	if len(im.m)+len(got) > im.max {
		im.m = make(map[int64]T)
	}
	for id, v := range got {
		im.m[id] = v
	}
	im.mu.Unlock()
}

// Batch is the package's Batch with this process's records consulted first.
func (im *Immutable[T]) Batch(ctx context.Context, c *Cache, prefix string, ids []int64,
	load func(context.Context, []int64) (map[int64]T, error)) (map[int64]T, error) {
	out := make(map[int64]T, len(ids))
	var missing []int64
	im.mu.RLock()
	for _, id := range ids {
		if v, ok := im.m[id]; ok {
			out[id] = v
		} else {
			missing = append(missing, id)
		}
	}
	im.mu.RUnlock()
	if len(missing) == 0 {
		return out, nil
	}
	got, err := Batch(ctx, c, prefix, missing, load)
	if err != nil {
		return nil, err
	}
	im.Remember(got)
	for id, v := range got {
		out[id] = v
	}
	return out, nil
}
