package user

import (
	"embed"
	"io/fs"
)

//go:embed migrations
var migrations embed.FS

// Schema is the only description of this service's tables: versioned goose
// migrations in mysql/ and sqlite/, one folder per dialect with the same
// versions. db.Open runs the folder of the configured driver.
var Schema = func() fs.FS {
	f, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // a constant, valid path: cannot happen
	}
	return f
}()
