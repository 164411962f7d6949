-- +goose Up
-- Counters kept in the follow/unfollow transaction. The backfill only adds
-- the users that have no counter yet (a ./data from before the counters), so
-- an adopted database keeps its counts.
CREATE TABLE IF NOT EXISTS follow_counts (
  user_id integer,
  follows integer NOT NULL DEFAULT 0,
  followers integer NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id)
);

INSERT OR IGNORE INTO follow_counts (user_id, follows, followers)
  SELECT u, SUM(a), SUM(b) FROM (SELECT follower_id AS u, 1 AS a, 0 AS b FROM follows
  UNION ALL SELECT followee_id, 0, 1 FROM follows) t GROUP BY u;
