-- +goose Up
-- The SQLite twin of ../mysql/0001_init.sql, as gorm created it before the
-- migrations (IF NOT EXISTS adopts such a ./data).
CREATE TABLE IF NOT EXISTS conversations (
  conv_key text,
  last_time integer NOT NULL,
  PRIMARY KEY (conv_key)
);

CREATE TABLE IF NOT EXISTS messages (
  id integer PRIMARY KEY AUTOINCREMENT,
  conv_key text NOT NULL,
  from_user_id integer NOT NULL,
  to_user_id integer NOT NULL,
  content text NOT NULL,
  create_time integer NOT NULL,
  delivered numeric NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX IF NOT EXISTS uk_messages_conv_time ON messages (conv_key, create_time);
