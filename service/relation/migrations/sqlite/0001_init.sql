-- +goose Up
-- The SQLite twin of ../mysql/0001_init.sql, as gorm created it before the
-- migrations (IF NOT EXISTS adopts such a ./data).
CREATE TABLE IF NOT EXISTS follows (
  follower_id integer,
  followee_id integer,
  created_at_ms integer NOT NULL,
  PRIMARY KEY (follower_id, followee_id)
);
CREATE INDEX IF NOT EXISTS idx_follows_follower_time ON follows (follower_id, created_at_ms);
CREATE INDEX IF NOT EXISTS idx_follows_followee_time ON follows (followee_id, created_at_ms);
