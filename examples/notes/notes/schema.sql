-- The notes demo's tables. Every statement is idempotent, so the schema can
-- be applied on each start (see notes.db.ensure_schema).

CREATE TABLE IF NOT EXISTS user (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE NOT NULL,
    password_hash TEXT NOT NULL,
    created REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS note (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id INTEGER NOT NULL REFERENCES user (id),
    text TEXT NOT NULL,
    created REAL NOT NULL
);

CREATE INDEX IF NOT EXISTS note_created ON note (created);

-- Written by the note-created / note-deleted signal receivers (notes.events).
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    note_id INTEGER NOT NULL,
    summary TEXT NOT NULL
);
