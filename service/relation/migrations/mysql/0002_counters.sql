-- +goose Up
-- Counters kept in the follow/unfollow transaction, backfilled from the rows.
CREATE TABLE follow_counts (
  user_id BIGINT NOT NULL,
  follows BIGINT NOT NULL DEFAULT 0,
  followers BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO follow_counts (user_id, follows, followers)
  SELECT u, SUM(a), SUM(b) FROM (SELECT follower_id AS u, 1 AS a, 0 AS b FROM follows
  UNION ALL SELECT followee_id, 0, 1 FROM follows) t GROUP BY u;
