-- +goose Up
-- The SQLite twin of ../mysql/0001_init.sql, as gorm created it before the
-- migrations (IF NOT EXISTS adopts such a ./data).
CREATE TABLE IF NOT EXISTS videos (
  id integer PRIMARY KEY AUTOINCREMENT,
  author_id integer NOT NULL,
  title text NOT NULL,
  video_key text NOT NULL,
  cover_key text NOT NULL,
  created_at_ms integer NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS uk_videos_created ON videos (created_at_ms);
CREATE INDEX IF NOT EXISTS idx_videos_author_created ON videos (author_id, created_at_ms);
