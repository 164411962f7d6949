-- +goose Up
-- The SQLite twin of ../mysql/0002_upload_dedup.sql. (SQLite serialises
-- writers anyway; the lock rows keep the code the same on both.)
ALTER TABLE videos ADD COLUMN content_sha256 text NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS idx_videos_author_sha ON videos (author_id, content_sha256, created_at_ms);

CREATE TABLE IF NOT EXISTS video_author_locks (
  author_id integer,
  locked_at_ms integer NOT NULL,
  PRIMARY KEY (author_id)
);
