package user

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"tiktok/internal/errno"
	"tiktok/internal/testdb"
	"tiktok/kitex_gen/base"
)

// Both databases give the same answers about look-alike names: the key is
// computed in Go and compared byte for byte by each.
func eachDialect(t *testing.T, f func(t *testing.T, gdb *gorm.DB)) {
	t.Run("sqlite", func(t *testing.T) { f(t, testdb.Open(t, "user", Schema)) })
	t.Run("mysql", func(t *testing.T) { f(t, testdb.OpenMySQL(t, "user", Schema)) })
}

func serviceOn(t *testing.T, gdb *gorm.DB) *Service {
	t.Helper()
	s, err := New(options(gdb))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLookAlikeNamesAreOneAccount(t *testing.T) {
	eachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		s := serviceOn(t, gdb)
		id, err := register(s, "Racer1", "secret123")
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"Racer1", "racer1", "RACER1", "ｒａｃｅｒ１", " racer1", "racer1 "} {
			if _, err := register(s, name, "secret123"); code(err) != errno.CodeAlreadyExists {
				t.Errorf("register %q: %v, want %d", name, err, errno.CodeAlreadyExists)
			}
		}
		for _, name := range []string{"racer\u200b1", "\u202eracer1", "\u200b", "racer\u200d1", "\u2066racer1\u2069", "racer\u20601", "\ufeffracer1"} {
			if _, err := register(s, name, "secret123"); code(err) != errno.CodeBadParam {
				t.Errorf("register %q: %v, want %d", name, err, errno.CodeBadParam)
			}
		}
		// Sign-in by any look-alike reaches the account; it keeps its name.
		for _, name := range []string{"racer1", "ＲＡＣＥＲ１", "Racer1"} {
			if got, err := login(s, name, "secret123"); err != nil || got != id {
				t.Errorf("login %q: %d, %v; want %d", name, got, err, id)
			}
		}
		r, err := s.MGetUsers(context.Background(), &base.IdsRequest{Ids: []int64{id}})
		if err != nil || r.Users[id].GetName() != "Racer1" {
			t.Fatalf("name shown: %v %v", r, err)
		}
		if _, err := register(s, "racer2", "secret123"); err != nil {
			t.Fatal(err)
		}
	})
}

// Rows stored before the key get it at start, oldest first; a later
// look-alike keeps no key and still signs in by its exact name.
func TestKeyNamesBackfill(t *testing.T) {
	eachDialect(t, func(t *testing.T, gdb *gorm.DB) {
		old := []struct{ name, pw string }{
			{"Bob", "bob-first"}, {"bob", "bob-second"}, {"bob\u200b", "bob-third"}, {"\u200b\u200b", "invisible"}, {"Ann", "ann-pass"},
		}
		ids := map[string]int64{}
		for i, o := range old {
			h, err := hashPassword(o.pw)
			if err != nil {
				t.Fatal(err)
			}
			// As an older version inserted them: no name_key.
			if err := gdb.Exec("INSERT INTO users (name, password_hash, signature, created_at) VALUES (?, ?, '', ?)",
				o.name, h, time.Now().Add(time.Duration(i)*time.Second)).Error; err != nil {
				t.Fatal(err)
			}
			var id int64
			if err := gdb.Raw("SELECT id FROM users WHERE name = ? AND name_key IS NULL ORDER BY id DESC LIMIT 1", o.name).Scan(&id).Error; err != nil {
				t.Fatal(err)
			}
			ids[o.name] = id
		}
		s := serviceOn(t, gdb)
		serviceOn(t, gdb) // a second start finds nothing new to key
		keys := map[int64]*string{}
		var rows []User
		if err := gdb.Select("id", "name_key").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for _, u := range rows {
			keys[u.ID] = u.NameKey
		}
		if k := keys[ids["Bob"]]; k == nil || *k != "bob" {
			t.Fatalf("Bob's key %v", k)
		}
		if k := keys[ids["Ann"]]; k == nil || *k != "ann" {
			t.Fatalf("Ann's key %v", k)
		}
		for _, n := range []string{"bob", "bob\u200b", "\u200b\u200b"} {
			if keys[ids[n]] != nil {
				t.Fatalf("%q got key %q; an older look-alike holds it", n, *keys[ids[n]])
			}
		}
		for _, c := range []struct{ name, pw, owner string }{
			{"BOB", "bob-first", "Bob"}, {"bob", "bob-second", "bob"}, {"bob\u200b", "bob-third", "bob\u200b"},
			{"\u200b\u200b", "invisible", "\u200b\u200b"}, {"ann", "ann-pass", "Ann"},
		} {
			if got, err := login(s, c.name, c.pw); err != nil || got != ids[c.owner] {
				t.Errorf("login %q: %d, %v; want %q's id %d", c.name, got, err, c.owner, ids[c.owner])
			}
		}
		if _, err := register(s, "BOB", "secret123"); code(err) != errno.CodeAlreadyExists {
			t.Fatalf("register BOB: %v", err)
		}
	})
}

// Bulk-loaded users are keyed too (BeforeCreate runs for every row of a batch).
func TestSeedUsersAreKeyed(t *testing.T) {
	gdb := testdb.Open(t, "user", Schema)
	if _, err := SeedUsers(context.Background(), gdb, []string{"Seed_A", "seed_b"}, "secret123"); err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := gdb.Raw("SELECT name_key FROM users WHERE name_key IS NOT NULL ORDER BY id").Scan(&keys).Error; err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0] != "seed_a" || keys[1] != "seed_b" {
		t.Fatalf("keys %v", keys)
	}
}
