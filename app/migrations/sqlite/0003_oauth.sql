-- OAuth apps that account admins configure, per account and provider kind.
CREATE TABLE oauth_apps (
    id                INTEGER PRIMARY KEY,
    account_id        INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    provider          TEXT    NOT NULL,
    client_id         TEXT    NOT NULL,
    secret_key_id     TEXT    NOT NULL,
    secret_ciphertext BLOB    NOT NULL,
    authorize_url     TEXT    NOT NULL,
    token_url         TEXT    NOT NULL,
    scopes            TEXT    NOT NULL,
    expiry_days       INTEGER,
    updated_at        TEXT    NOT NULL,
    UNIQUE (account_id, provider)
);
