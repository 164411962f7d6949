-- +goose Up
-- Counters kept in the like/unlike transaction (see service/favorite/store.go),
-- backfilled from the rows that exist.
CREATE TABLE video_like_counts (
  video_id BIGINT NOT NULL,
  n BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (video_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE user_like_counts (
  user_id BIGINT NOT NULL,
  given BIGINT NOT NULL DEFAULT 0,
  received BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO video_like_counts (video_id, n) SELECT video_id, COUNT(*) FROM likes GROUP BY video_id;

INSERT INTO user_like_counts (user_id, given, received)
  SELECT u, SUM(g), SUM(r) FROM (SELECT user_id AS u, 1 AS g, 0 AS r FROM likes
  UNION ALL SELECT author_id, 0, 1 FROM likes) t GROUP BY u;
