-- Expiry reminders by e-mail: a per-user switch, which (token, reason) pairs were already
-- listed in a message (each at most once; a token is its row's `token_since`, which a
-- replacement by another token restarts), and the outbox a background job delivers from.
ALTER TABLE users ADD COLUMN reminder_mail BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE reminders_sent (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    runtime_id  INTEGER NOT NULL REFERENCES runtimes(id) ON DELETE CASCADE,
    token_since TEXT    NOT NULL,
    reason      TEXT    NOT NULL CHECK (reason IN ('expires_14d', 'expires_7d', 'expires_1d', 'expired', 'invalid')),
    sent_at     TEXT    NOT NULL,
    PRIMARY KEY (user_id, runtime_id, token_since, reason)
);

CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER REFERENCES users(id) ON DELETE CASCADE,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    sent_at         TEXT,
    failed_at       TEXT,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_user ON mail_outbox(user_id, created_at);
