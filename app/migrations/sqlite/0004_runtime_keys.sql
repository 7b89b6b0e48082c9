-- API keys with which a GitOps Runtime reads its users' Git credentials. Only a hash is kept.
CREATE TABLE runtime_keys (
    id         INTEGER PRIMARY KEY,
    runtime_id INTEGER NOT NULL REFERENCES runtimes(id) ON DELETE CASCADE,
    prefix     TEXT    NOT NULL UNIQUE,
    key_hash   TEXT    NOT NULL UNIQUE,
    created_at TEXT    NOT NULL,
    revoked_at TEXT
);
CREATE INDEX runtime_keys_runtime ON runtime_keys(runtime_id);
