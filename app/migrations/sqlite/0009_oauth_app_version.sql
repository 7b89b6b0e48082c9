-- A flow is pinned to the OAuth app it started with: its id and this version, bumped by every
-- change, so an app changed or removed mid-flow ends the flow instead of exchanging the code
-- with other settings.
ALTER TABLE oauth_apps ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
