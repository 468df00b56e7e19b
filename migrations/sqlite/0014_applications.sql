-- Applications and their immutable, numbered releases (issue 21). A plan
-- (template) points at the application it sizes; a tenant runs one
-- release of its plan's application. Additions only: the previous release
-- ignores the new columns. A template without an application (made by a
-- replica of the previous release) is the seeded workshop SaaS's, and a
-- tenant without a release number runs release 1; reads say so with
-- COALESCE, and the seeding at start-up fills both in.
CREATE TABLE applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE releases (
    application_id INTEGER NOT NULL REFERENCES applications (id),
    number INTEGER NOT NULL,
    -- The checked release as JSON (what is rendered), and the text staff
    -- wrote (what the editor shows).
    spec TEXT NOT NULL,
    source TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (application_id, number)
);

ALTER TABLE templates ADD COLUMN application_id INTEGER REFERENCES applications (id);
ALTER TABLE tenants ADD COLUMN release_number INTEGER;
