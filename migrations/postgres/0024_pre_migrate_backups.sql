-- An update onto a release whose migrate job asks for it dumps the
-- database first: a `pre_migrate` dump, which rolling the tenant back may
-- restore.
ALTER TABLE backups DROP CONSTRAINT backups_method_check;
ALTER TABLE backups ADD CONSTRAINT backups_method_check
    CHECK (method IN ('scheduled', 'on_demand', 'pre_deprovision', 'pre_restore', 'pre_migrate'));
-- A rollout finds the dump its tenant's move took by the move's run.
CREATE INDEX backups_by_run ON backups (run_id);
