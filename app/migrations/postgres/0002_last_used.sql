-- When a runtime last read the token through the credential API (NULL: not yet), and since when
-- the row has held this token (a replacement by another token restarts both): together they
-- tell how long a token has gone unused. (SQLite: 0011_last_used.sql.)
ALTER TABLE git_tokens ADD COLUMN last_used_at TIMESTAMPTZ;
ALTER TABLE git_tokens ADD COLUMN token_since TIMESTAMPTZ;
UPDATE git_tokens SET token_since = updated_at;
CREATE INDEX git_tokens_used ON git_tokens(runtime_id, last_used_at);
