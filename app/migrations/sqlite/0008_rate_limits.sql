-- Rate limits counted in the database, so they hold across every node that shares it. One row
-- per key: the "theoretical arrival time" of the generic cell rate algorithm, in milliseconds.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    tat INTEGER NOT NULL
);
CREATE INDEX rate_limits_tat ON rate_limits(tat);
