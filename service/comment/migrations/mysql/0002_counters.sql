-- +goose Up
-- Counters kept in the comment/delete transaction, backfilled from the rows.
CREATE TABLE comment_counts (
  video_id BIGINT NOT NULL,
  n BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (video_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO comment_counts (video_id, n) SELECT video_id, COUNT(*) FROM comments GROUP BY video_id;
