-- An operator can disable a user: their sessions end, sign-in is refused, runtimes get no
-- credential of theirs; enabling them again undoes it.
ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
