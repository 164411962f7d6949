-- +goose Up
CREATE TABLE follows (
  follower_id BIGINT NOT NULL,
  followee_id BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (follower_id, followee_id),
  KEY idx_follows_follower_time (follower_id, created_at_ms),
  KEY idx_follows_followee_time (followee_id, created_at_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
