-- A rotation under way holds its token's row until then, so that it is never started twice
-- (GitLab takes a token presented again after its rotation as leaked, and revokes the new one).
ALTER TABLE git_tokens ADD COLUMN rotating_until TEXT;
