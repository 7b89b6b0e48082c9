-- A runtime may name the Git repository it works on (its shared configuration repository);
-- tokens for it must be able to write there.
ALTER TABLE runtimes ADD COLUMN repo TEXT;
-- GitHub's single sign-on link for a token it refuses for that repository until the user
-- authorizes it for the organisation. The stored status stays the identity check's verdict;
-- the page shows "Needs SSO authorization" while this is set.
-- (SQLite: 0015_repository_access.sql.)
ALTER TABLE git_tokens ADD COLUMN sso_url TEXT;
