-- +goose Up
-- The SQLite twin of ../mysql/0001_init.sql, as gorm created it before the
-- migrations (IF NOT EXISTS adopts such a ./data).
CREATE TABLE IF NOT EXISTS likes (
  user_id integer,
  video_id integer,
  author_id integer NOT NULL,
  created_at_ms integer NOT NULL,
  PRIMARY KEY (user_id, video_id)
);
CREATE INDEX IF NOT EXISTS idx_likes_user_time ON likes (user_id, created_at_ms);
CREATE INDEX IF NOT EXISTS idx_likes_video ON likes (video_id);
CREATE INDEX IF NOT EXISTS idx_likes_author ON likes (author_id);
