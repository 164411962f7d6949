-- +goose Up
-- Likes count themselves, as in ../mysql/0003_like_triggers.sql: the triggers
-- move the video's and the author's counters in the statement that inserts or
-- deletes a like row (see service/favorite/store.go).

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS likes_counted AFTER INSERT ON likes BEGIN
  INSERT INTO video_like_counts (video_id, n) VALUES (NEW.video_id, 1)
    ON CONFLICT (video_id) DO UPDATE SET n = n + 1;
  INSERT INTO user_like_counts (user_id, received) VALUES (NEW.author_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET received = received + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS likes_uncounted AFTER DELETE ON likes BEGIN
  UPDATE video_like_counts SET n = n - 1 WHERE video_id = OLD.video_id;
  UPDATE user_like_counts SET received = received - 1 WHERE user_id = OLD.author_id;
END;
-- +goose StatementEnd
