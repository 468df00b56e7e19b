-- A tenant's custom field values (a JSON object of name to text), as
-- declared by its application's release; a field without a value reads
-- its default. Tenants made before custom fields existed have none.
ALTER TABLE tenants ADD COLUMN custom_fields TEXT NOT NULL DEFAULT '{}';
