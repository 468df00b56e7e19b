-- Tenants without a plan: each application's custom plan (made the first
-- time an admin makes a tenant without a plan) is a template marked
-- custom, never offered as a plan to choose. Additions only.
ALTER TABLE templates ADD COLUMN custom BIGINT NOT NULL DEFAULT 0;
