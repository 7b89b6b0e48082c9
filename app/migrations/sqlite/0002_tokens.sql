-- Git user tokens (one per user and runtime, encrypted), notification preferences, audit trail.
CREATE TABLE git_tokens (
    user_id            INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    runtime_id         INTEGER NOT NULL REFERENCES runtimes(id) ON DELETE CASCADE,
    method             TEXT    NOT NULL CHECK (method IN ('pat', 'oauth')),
    key_id             TEXT    NOT NULL,
    ciphertext         BLOB    NOT NULL,
    last4              TEXT    NOT NULL,
    fingerprint        TEXT    NOT NULL,
    username           TEXT,
    scopes             TEXT,
    provider_login     TEXT,
    expires_at         TEXT,
    refresh_key_id     TEXT,
    refresh_ciphertext BLOB,
    status             TEXT    NOT NULL CHECK (status IN ('valid', 'expiring', 'expired', 'invalid', 'unreachable')),
    last_validated_at  TEXT    NOT NULL,
    last_error         TEXT,
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    PRIMARY KEY (user_id, runtime_id)
);
CREATE INDEX git_tokens_runtime ON git_tokens(runtime_id);
CREATE INDEX git_tokens_validated ON git_tokens(last_validated_at);

CREATE TABLE notification_prefs (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    runtime_id INTEGER NOT NULL REFERENCES runtimes(id) ON DELETE CASCADE,
    hidden     BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, runtime_id)
);

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    at          TEXT    NOT NULL,
    user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    runtime_id  INTEGER REFERENCES runtimes(id) ON DELETE SET NULL,
    action      TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '',
    client_addr TEXT
);
CREATE INDEX audit_events_user ON audit_events(user_id, at);
