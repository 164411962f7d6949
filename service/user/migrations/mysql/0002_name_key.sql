-- +goose Up
-- The look-alike key: validate.NameFold(name) (NFKC, case folded, spaces
-- collapsed), unique, so `Racer1`, `racer1` and `ｒａｃｅｒ１` are one account.
-- utf8mb4_bin compares the bytes Go computed, as SQLite does; its trailing-space
-- padding cannot merge two keys, as keys never end in a space. Go computes it,
-- SQL cannot: NULL here, filled by the user service at start (store.keyNames),
-- by every insert after. A unique index admits any number of NULLs. 576 runes:
-- validate.NameKeyMax.
ALTER TABLE users
  ADD COLUMN name_key VARCHAR(576) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  ADD UNIQUE KEY uk_users_name_key (name_key);
