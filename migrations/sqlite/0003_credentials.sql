-- Generated credentials are shown once: when, and to whom.
ALTER TABLE tenants ADD COLUMN credentials_shown_at INTEGER;
ALTER TABLE tenants ADD COLUMN credentials_shown_by TEXT;
