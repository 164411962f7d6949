-- +goose Up
CREATE TABLE likes (
  user_id BIGINT NOT NULL,
  video_id BIGINT NOT NULL,
  author_id BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (user_id, video_id),
  KEY idx_likes_user_time (user_id, created_at_ms),
  KEY idx_likes_video (video_id),
  KEY idx_likes_author (author_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
