-- Sessions are stored under the SHA-256 of their ID from now on; the rows
-- written by raw ID cannot be found that way, so they go: everyone signs in
-- once more after the upgrade.
DELETE FROM sessions;
