-- Rollouts: tenants of an application moved to a release or a plan in
-- waves, driven by the leader. `wave` is the wave under way (from 1);
-- moving it on is guarded on the wave read, so no wave starts twice.
CREATE TABLE rollouts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application TEXT NOT NULL,
    release_number INTEGER,
    template_id INTEGER,
    state TEXT NOT NULL,
    reason TEXT,
    wave INTEGER NOT NULL,
    waves INTEGER NOT NULL,
    parallelism INTEGER NOT NULL,
    soak_secs INTEGER NOT NULL,
    soak_started_at INTEGER,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX rollouts_by_state ON rollouts (state, id);

-- Each tenant of a rollout: its wave, where it stands, its state and what
-- it ran before (a roll-back returns it there) and the run that moves it.
CREATE TABLE rollout_tenants (
    rollout_id INTEGER NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL,
    wave INTEGER NOT NULL,
    position INTEGER NOT NULL,
    state TEXT NOT NULL,
    from_state TEXT NOT NULL,
    from_release INTEGER NOT NULL,
    from_template_id INTEGER NOT NULL,
    from_template_version INTEGER NOT NULL,
    run_id INTEGER,
    detail TEXT,
    change TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (rollout_id, tenant_id)
);
CREATE INDEX rollout_tenants_by_wave ON rollout_tenants (rollout_id, wave, position);

-- The rollout a run was started by (each tenant's run records it).
ALTER TABLE provisioning_runs ADD COLUMN rollout_id INTEGER;
