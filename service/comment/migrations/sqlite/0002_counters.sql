-- +goose Up
-- Counters kept in the comment/delete transaction. The backfill only adds the
-- videos that have no counter yet (a ./data from before the counters), so an
-- adopted database keeps its counts.
CREATE TABLE IF NOT EXISTS comment_counts (
  video_id integer,
  n integer NOT NULL DEFAULT 0,
  PRIMARY KEY (video_id)
);

INSERT OR IGNORE INTO comment_counts (video_id, n) SELECT video_id, COUNT(*) FROM comments GROUP BY video_id;
