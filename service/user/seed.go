package user

import (
	"context"

	"gorm.io/gorm"
)

// SeedUsers inserts users named names, all with password, in batches. The
// load generator's dataset has a thousand users with one password: the slow
// hash is computed once and shared, which is fine for synthetic accounts and
// keeps seeding under a minute.
func SeedUsers(ctx context.Context, db *gorm.DB, names []string, password string) ([]int64, error) {
	h, err := hashPassword(password)
	if err != nil {
		return nil, err
	}
	us := make([]User, len(names))
	for i, n := range names {
		us[i] = User{Name: n, PasswordHash: h}
	}
	if err := db.WithContext(ctx).CreateInBatches(us, 500).Error; err != nil {
		return nil, err
	}
	ids := make([]int64, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	return ids, nil
}

// Exists reports whether a user named name exists.
func Exists(ctx context.Context, db *gorm.DB, name string) (bool, error) {
	u, err := (&store{db: db}).byName(ctx, name)
	return u != nil, err
}

// IDsByName maps each of names that exists to its user's id, in one query
// per thousand names.
func IDsByName(ctx context.Context, db *gorm.DB, names []string) (map[string]int64, error) {
	out := make(map[string]int64, len(names))
	for i := 0; i < len(names); i += 1000 {
		var us []User
		if err := db.WithContext(ctx).Select("id", "name").Where("name IN ?", names[i:min(i+1000, len(names))]).Find(&us).Error; err != nil {
			return nil, err
		}
		for _, u := range us {
			out[u.Name] = u.ID
		}
	}
	return out, nil
}
