-- "Recent activity" reads a user's newest events by id on every page view. Ordered by
-- (user_id, at) the index made SQLite sort all of the user's events (the trail only grows) to
-- find the last ten; in id order it reads just those ten, newest first.
DROP INDEX audit_events_user;
CREATE INDEX audit_events_user ON audit_events(user_id, id);
