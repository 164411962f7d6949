-- +goose Up
-- The SQLite twin of ../mysql/0001_init.sql, as gorm created it before the
-- migrations (IF NOT EXISTS adopts such a ./data). SQLite compares text byte
-- for byte, as utf8mb4_bin does in MySQL.
CREATE TABLE IF NOT EXISTS users (
  id integer PRIMARY KEY AUTOINCREMENT,
  name text NOT NULL,
  password_hash text NOT NULL,
  signature text NOT NULL DEFAULT '',
  created_at datetime
);
CREATE UNIQUE INDEX IF NOT EXISTS uk_users_name ON users (name);
