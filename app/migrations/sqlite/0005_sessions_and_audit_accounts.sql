-- A password change bumps the user's session epoch; sessions signed in under an older epoch end.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
-- The account an audit event concerns (its runtime's account, or the administered account), so
-- account admins can read their accounts' trail.
ALTER TABLE audit_events ADD COLUMN account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL;
UPDATE audit_events SET account_id = (SELECT account_id FROM runtimes WHERE runtimes.id = audit_events.runtime_id)
    WHERE runtime_id IS NOT NULL;
CREATE INDEX audit_events_account ON audit_events(account_id, id);
