-- Rotating a tenant's generated Secrets. `secrets_rotated_at`: when a
-- rotation was last started; its Deployments' pod templates carry it, so
-- their pods roll onto the new values. `credentials_rotated`: the Secrets
-- rotated since the credentials were last shown (comma-separated), whose
-- new values can be shown once more. Additions only.
ALTER TABLE tenants ADD COLUMN secrets_rotated_at BIGINT;
ALTER TABLE tenants ADD COLUMN credentials_rotated TEXT;
