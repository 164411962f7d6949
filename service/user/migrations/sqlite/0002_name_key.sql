-- +goose Up
-- The SQLite twin of ../mysql/0002_name_key.sql: the look-alike key, NULL
-- until the user service fills it at start, unique. SQLite compares text byte
-- for byte.
ALTER TABLE users ADD COLUMN name_key text;
CREATE UNIQUE INDEX IF NOT EXISTS uk_users_name_key ON users (name_key);
