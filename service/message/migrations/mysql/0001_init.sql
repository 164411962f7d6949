-- +goose Up
CREATE TABLE conversations (
  conv_key VARCHAR(48) NOT NULL,
  last_time BIGINT NOT NULL,
  PRIMARY KEY (conv_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE messages (
  id BIGINT NOT NULL AUTO_INCREMENT,
  conv_key VARCHAR(48) NOT NULL,
  from_user_id BIGINT NOT NULL,
  to_user_id BIGINT NOT NULL,
  content TEXT NOT NULL,
  create_time BIGINT NOT NULL,
  delivered TINYINT(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY uk_messages_conv_time (conv_key, create_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
