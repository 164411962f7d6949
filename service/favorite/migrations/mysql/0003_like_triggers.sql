-- +goose Up
-- Likes count themselves: triggers move the video's and the author's counters
-- in the statement that inserts or deletes a like row, so a like is one
-- autocommitted statement (see service/favorite/store.go; SQLite has the same
-- triggers in ../sqlite/0003_like_triggers.sql). Likes given are counted from
-- the likes table.
-- Stop every favorite instance of the previous version before applying this:
-- it counted in its own transactions, and would count twice beside these.
ALTER TABLE user_like_counts DROP COLUMN given;
CREATE TRIGGER likes_count_video AFTER INSERT ON likes FOR EACH ROW INSERT INTO video_like_counts (video_id, n) VALUES (NEW.video_id, 1) ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER likes_count_author AFTER INSERT ON likes FOR EACH ROW FOLLOWS likes_count_video INSERT INTO user_like_counts (user_id, received) VALUES (NEW.author_id, 1) ON DUPLICATE KEY UPDATE received = received + 1;
CREATE TRIGGER likes_uncount_video AFTER DELETE ON likes FOR EACH ROW UPDATE video_like_counts SET n = n - 1 WHERE video_id = OLD.video_id;
CREATE TRIGGER likes_uncount_author AFTER DELETE ON likes FOR EACH ROW FOLLOWS likes_uncount_video UPDATE user_like_counts SET received = received - 1 WHERE user_id = OLD.author_id;
