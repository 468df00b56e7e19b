-- The custom domain the tenant's routes serve now, written by the step
-- that applies them: a tenant's URLs name only hosts that are served, so
-- an edited custom domain is listed once an update has served it. Tenants
-- made before this release serve the domain they have.
ALTER TABLE tenants ADD COLUMN served_domain TEXT;
UPDATE tenants SET served_domain = custom_domain WHERE first_live_at IS NOT NULL;
