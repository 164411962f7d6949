-- +goose Up
-- Names compare byte for byte (utf8mb4_bin), as in SQLite: "Ann" and "ann" are two users.
CREATE TABLE users (
  id BIGINT NOT NULL AUTO_INCREMENT,
  name VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  password_hash VARCHAR(160) NOT NULL,
  signature VARCHAR(255) NOT NULL DEFAULT '',
  created_at DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_users_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
