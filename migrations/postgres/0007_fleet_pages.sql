-- The tenants page does work proportional to the page, not to the fleet.
-- Only additions and index swaps, so the previous release keeps working.
--
-- Each tenant's health as the leader last recorded it from the cluster
-- index (written only when it changes, with a health_history row), so a
-- health filter is an indexed lookup instead of a scan of every tenant.
ALTER TABLE tenants ADD COLUMN health TEXT NOT NULL DEFAULT 'unknown';

-- One index per sort order of the list (ties broken as the list breaks
-- them), and one per filter, leading with the filtered column and then the
-- default order, so a filtered first page reads a page of index entries.
CREATE INDEX tenants_by_created ON tenants (created_at, id);
CREATE INDEX tenants_by_company ON tenants (LOWER(company_name), id);
CREATE INDEX tenants_by_state ON tenants (state, created_at, id);
CREATE INDEX tenants_by_health ON tenants (health, created_at, id);
CREATE INDEX tenants_by_template ON tenants (template_id, created_at, id);
DROP INDEX tenants_state;
DROP INDEX tenants_template;
DROP INDEX tenants_created_at;
