package user

import (
	"context"
	"strings"
	"testing"

	"github.com/cloudwego/kitex/pkg/kerrors"
	"gorm.io/gorm"

	"tiktok/internal/errno"
	"tiktok/internal/testdb"
	"tiktok/kitex_gen/base"
	upb "tiktok/kitex_gen/user"
)

func newService(t *testing.T) *Service {
	t.Helper()
	return serviceOn(t, testdb.Open(t, "user", Schema))
}

// options are a test service's: its database, the queue of
// limits.password_hash_queue's default.
func options(gdb *gorm.DB) Options {
	return Options{DB: gdb, StaticBase: "http://h/static/", PasswordHashQueue: 16}
}

// A required dependency missing is an error at construction, not a nil
// dereference at the first call.
func TestNewRequiresItsDependencies(t *testing.T) {
	gdb := testdb.Open(t, "user", Schema)
	for name, o := range map[string]Options{
		"no database":    {StaticBase: "http://h/static/"},
		"no static base": {DB: gdb},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: built", name)
		}
	}
}

func register(s *Service, name, pw string) (int64, error) {
	r, err := s.Register(context.Background(), &upb.RegisterRequest{Username: name, Password: pw})
	if err != nil {
		return 0, err
	}
	return r.UserId, nil
}

func login(s *Service, name, pw string) (int64, error) {
	r, err := s.Login(context.Background(), &upb.LoginRequest{Username: name, Password: pw})
	if err != nil {
		return 0, err
	}
	return r.UserId, nil
}

func code(err error) int32 {
	if b, ok := kerrors.FromBizStatusError(err); ok {
		return b.BizStatusCode()
	}
	return -1
}

func TestPasswordHash(t *testing.T) {
	h, err := hashPassword("secret123")
	if err != nil || !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash %q %v", h, err)
	}
	h2, _ := hashPassword("secret123")
	if h == h2 {
		t.Fatal("hashes must be salted")
	}
	if !checkPassword(h, "secret123") || checkPassword(h, "secret124") || checkPassword("garbage", "x") {
		t.Fatal("check")
	}
}

func TestRegisterLoginMGet(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	id, err := register(s, "ann", "secret123")
	if err != nil || id <= 0 {
		t.Fatal(id, err)
	}
	if _, err := register(s, "ann", "secret123"); code(err) != errno.CodeAlreadyExists {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := register(s, "bad\xffname", "secret123"); code(err) != errno.CodeBadParam {
		t.Fatalf("invalid utf-8: %v", err)
	}
	if got, err := login(s, "ann", "secret123"); err != nil || got != id {
		t.Fatal(got, err)
	}
	if _, err := login(s, "ann", "nope1234"); code(err) != errno.CodeUnauthorized {
		t.Fatal(err)
	}
	r, err := s.MGetUsers(ctx, &base.IdsRequest{Ids: []int64{id, id + 100}})
	if err != nil {
		t.Fatal(err)
	}
	m := r.Users
	if err != nil || len(m) != 1 || m[id].Name != "ann" || m[id].Avatar == "" {
		t.Fatalf("mget %v %v", m, err)
	}
}
