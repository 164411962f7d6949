-- +goose Up
-- content_sha256: the hex SHA-256 of the video's bytes, taken by the gateway
-- ('' for videos from before, or loaded in bulk). A retried publish (same
-- author, file and title within upload.dedup_window) is found through
-- idx_videos_author_sha and answers the first video.
ALTER TABLE videos
  ADD COLUMN content_sha256 CHAR(64) NOT NULL DEFAULT '',
  ADD KEY idx_videos_author_sha (author_id, content_sha256, created_at_ms);

-- One row per author who published: a publish locks its author's row
-- (upsert) for the transaction that checks for a retry and the daily quota
-- and inserts the video, so an author's publishes take turns there and two
-- racing retries make one video, on every instance of the service.
CREATE TABLE video_author_locks (
  author_id BIGINT NOT NULL,
  locked_at_ms BIGINT NOT NULL,
  PRIMARY KEY (author_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
