-- The audit log: append-only and hash-chained (see src/audit/mod.rs).
-- Each row's hash = sha256(prev_hash || canonical_json(entry)); seq is dense
-- from 1 and never reused, including across retention.
CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY,
    at_ms       INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    operation   TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    args        TEXT    NOT NULL,
    result      TEXT    NOT NULL CHECK (result IN ('allowed', 'denied', 'needs_approval', 'ok', 'error')),
    duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0),
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);
-- Every index ends in the rowid (seq), so an equality filter walks its index
-- in seq order: keyset pages (seq < ?) with no sort and no OFFSET.
CREATE INDEX audit_actor ON audit(actor);
CREATE INDEX audit_channel ON audit(channel);
CREATE INDEX audit_operation ON audit(operation);
CREATE INDEX audit_result ON audit(result);
CREATE INDEX audit_at ON audit(at_ms);

-- Free-text search over operation, target and args: a trigram index finds a
-- substring of three or more characters without scanning the table. It is
-- contentless (the text stays only in `audit`) and deletes by rowid, so
-- retention does not re-tokenize the rows it removes.
CREATE VIRTUAL TABLE audit_text USING fts5(
    operation, target, args,
    content = '', contentless_delete = 1, tokenize = 'trigram'
);
CREATE TRIGGER audit_text_insert AFTER INSERT ON audit
BEGIN
    INSERT INTO audit_text (rowid, operation, target, args)
    VALUES (NEW.seq, NEW.operation, NEW.target, NEW.args);
END;
CREATE TRIGGER audit_text_delete AFTER DELETE ON audit
BEGIN
    DELETE FROM audit_text WHERE rowid = OLD.seq;
END;

-- The chain's end: seq and hash of the newest row, moved in the same
-- transaction as each insert. Deleting the last rows (with the triggers
-- dropped) leaves the head pointing past the end, which verify reports.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Archives written by retention: rows first_seq..=last_seq are in `file`
-- (relative to the data dir's audit-archive/), their chain ends in last_hash.
CREATE TABLE audit_archive (
    first_seq     INTEGER PRIMARY KEY,
    last_seq      INTEGER NOT NULL UNIQUE,
    last_hash     TEXT    NOT NULL,
    file          TEXT    NOT NULL,
    rows          INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
);

-- The retention flag: set, used and cleared inside retention's transaction
-- only. A row may be deleted only while the flag names an archive holding it.
CREATE TABLE audit_retention (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    upto_seq INTEGER NOT NULL
);

-- A new row must continue the chain from the head.
CREATE TRIGGER audit_insert_continues_chain BEFORE INSERT ON audit
WHEN NEW.seq IS NOT (SELECT seq + 1 FROM audit_head WHERE id = 1)
  OR NEW.prev_hash IS NOT (SELECT hash FROM audit_head WHERE id = 1)
BEGIN
    SELECT RAISE(ABORT, 'audit: a new row must continue the chain (seq = head + 1, prev_hash = head hash)');
END;

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit: rows are append-only and cannot be updated');
END;

CREATE TRIGGER audit_delete_only_by_retention BEFORE DELETE ON audit
WHEN NOT EXISTS (
    SELECT 1 FROM audit_retention r
    JOIN audit_archive a ON a.last_seq = r.upto_seq
    WHERE OLD.seq BETWEEN a.first_seq AND a.last_seq
)
BEGIN
    SELECT RAISE(ABORT, 'audit: rows are append-only; they leave only through retention after being archived');
END;

-- The head only moves forward, onto the newest row.
CREATE TRIGGER audit_head_follows_chain BEFORE UPDATE ON audit_head
WHEN NEW.id IS NOT 1
  OR NEW.seq <= OLD.seq
  OR NEW.hash IS NOT (SELECT hash FROM audit WHERE seq = NEW.seq)
  OR EXISTS (SELECT 1 FROM audit WHERE seq > NEW.seq)
BEGIN
    SELECT RAISE(ABORT, 'audit: the head only moves forward onto the newest row');
END;

CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'audit: the head cannot be deleted');
END;

CREATE TRIGGER audit_archive_no_update BEFORE UPDATE ON audit_archive
BEGIN
    SELECT RAISE(ABORT, 'audit: archive records are append-only');
END;

CREATE TRIGGER audit_archive_no_delete BEFORE DELETE ON audit_archive
BEGIN
    SELECT RAISE(ABORT, 'audit: archive records are append-only');
END;
