-- Background work once per pass across nodes: a pass holds a lease (a node that dies stops
-- renewing it, and it lapses), and an OAuth refresh claims its row before it spends the
-- refresh token, so no two nodes present the same one.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
ALTER TABLE git_tokens ADD COLUMN refresh_claimed_until TEXT;
