-- +goose Up
-- The SQLite twin of ../mysql/0003_video_states.sql.
ALTER TABLE videos ADD COLUMN state integer NOT NULL DEFAULT 0;
ALTER TABLE videos ADD COLUMN original_key text NOT NULL DEFAULT '';
ALTER TABLE videos ADD COLUMN failure text NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS idx_videos_author_state ON videos (author_id, state);
