-- A custom domain is served only once DNS shows it pointing at the
-- configured ingress (or staff let it through, audited): the domain that
-- passed, what the last check found and when. Domains set before checks
-- existed stay served.
ALTER TABLE tenants ADD COLUMN domain_verified TEXT;
ALTER TABLE tenants ADD COLUMN domain_check TEXT;
ALTER TABLE tenants ADD COLUMN domain_checked_at BIGINT;
UPDATE tenants SET domain_verified = custom_domain;
