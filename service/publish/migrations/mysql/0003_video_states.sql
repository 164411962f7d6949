-- +goose Up
-- A publish is a job (docs/ARCHITECTURE.md, The video pipeline): the row is
-- inserted processing, with the uploaded original's key, and the media role
-- marks it ready (video_key and cover_key then name the transcoded MP4 and
-- its cover) or failed (failure says why, for its uploader). 0 is ready, so
-- every row from before, and bulk loads, are ready as they were. Only ready
-- rows are ever shown; idx_videos_author_state finds an author's ready
-- videos (work_count, an index-only COUNT) and their uploads in progress.
ALTER TABLE videos
  ADD COLUMN state TINYINT NOT NULL DEFAULT 0,
  ADD COLUMN original_key VARCHAR(255) NOT NULL DEFAULT '',
  ADD COLUMN failure VARCHAR(400) NOT NULL DEFAULT '',
  ADD KEY idx_videos_author_state (author_id, state);
