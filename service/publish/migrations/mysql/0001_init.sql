-- +goose Up
CREATE TABLE videos (
  id BIGINT NOT NULL AUTO_INCREMENT,
  author_id BIGINT NOT NULL,
  title VARCHAR(400) NOT NULL,
  video_key VARCHAR(255) NOT NULL,
  cover_key VARCHAR(255) NOT NULL,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_videos_created (created_at_ms),
  KEY idx_videos_author_created (author_id, created_at_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
