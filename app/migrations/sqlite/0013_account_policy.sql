-- An account's token policy, set by its admins: the longest lifetime a pasted token may have
-- (NULL: no limit; a token without an expiry is then refused), and OAuth only (no pasted tokens
-- for runtimes whose provider has the account's OAuth app).
ALTER TABLE accounts ADD COLUMN max_token_days INTEGER;
ALTER TABLE accounts ADD COLUMN oauth_only BOOLEAN NOT NULL DEFAULT FALSE;
