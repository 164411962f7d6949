-- +goose Up
-- Counters of likes per video and likes received per author. Unlike MySQL's
-- 0002 there is no given column to drop later: the likes given are counted
-- from the likes table. The backfill only adds the counters that are missing
-- (a ./data from before the counters), so an adopted database keeps its counts.
CREATE TABLE IF NOT EXISTS video_like_counts (
  video_id integer,
  n integer NOT NULL DEFAULT 0,
  PRIMARY KEY (video_id)
);

CREATE TABLE IF NOT EXISTS user_like_counts (
  user_id integer,
  received integer NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id)
);

INSERT OR IGNORE INTO video_like_counts (video_id, n) SELECT video_id, COUNT(*) FROM likes GROUP BY video_id;

INSERT OR IGNORE INTO user_like_counts (user_id, received) SELECT author_id, COUNT(*) FROM likes GROUP BY author_id;
