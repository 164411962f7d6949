-- +goose Up
-- The SQLite twin of ../mysql/0001_init.sql, as gorm created it before the
-- migrations (IF NOT EXISTS adopts such a ./data). The index needs no id
-- column: every SQLite index ends with the rowid, which id is.
CREATE TABLE IF NOT EXISTS comments (
  id integer PRIMARY KEY AUTOINCREMENT,
  video_id integer NOT NULL,
  user_id integer NOT NULL,
  content text NOT NULL,
  created_at_ms integer NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_comments_video ON comments (video_id);
