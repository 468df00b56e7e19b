-- Rollouts: tenants of an application moved to a release or a plan in
-- waves, driven by the leader. `wave` is the wave under way (from 1);
-- moving it on is guarded on the wave read, so no wave starts twice.
CREATE TABLE rollouts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application TEXT NOT NULL,
    release_number BIGINT,
    template_id BIGINT,
    state TEXT NOT NULL,
    reason TEXT,
    wave BIGINT NOT NULL,
    waves BIGINT NOT NULL,
    parallelism BIGINT NOT NULL,
    soak_secs BIGINT NOT NULL,
    soak_started_at BIGINT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX rollouts_by_state ON rollouts (state, id);

-- Each tenant of a rollout: its wave, where it stands, its state and what
-- it ran before (a roll-back returns it there) and the run that moves it.
CREATE TABLE rollout_tenants (
    rollout_id BIGINT NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL,
    wave BIGINT NOT NULL,
    position BIGINT NOT NULL,
    state TEXT NOT NULL,
    from_state TEXT NOT NULL,
    from_release BIGINT NOT NULL,
    from_template_id BIGINT NOT NULL,
    from_template_version BIGINT NOT NULL,
    run_id BIGINT,
    detail TEXT,
    change TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (rollout_id, tenant_id)
);
CREATE INDEX rollout_tenants_by_wave ON rollout_tenants (rollout_id, wave, position);

-- The rollout a run was started by (each tenant's run records it).
ALTER TABLE provisioning_runs ADD COLUMN rollout_id BIGINT;
