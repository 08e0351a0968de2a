-- Pairing requests from unknown senders, answered by the owner.
CREATE TABLE pairings (
    code          TEXT    PRIMARY KEY,
    identity      TEXT    NOT NULL,
    channel       TEXT    NOT NULL,
    conversation  TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at_ms INTEGER NOT NULL,
    decided_by    TEXT,
    decided_at_ms INTEGER
);
CREATE UNIQUE INDEX pairings_pending ON pairings(identity) WHERE status = 'pending';

-- Actions waiting for the owner's approval. No answer by expires_at = denied.
CREATE TABLE approvals (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    code          TEXT    NOT NULL UNIQUE,
    origin        TEXT    NOT NULL UNIQUE,
    requester     TEXT    NOT NULL,
    channel       TEXT    NOT NULL,
    conversation  TEXT    NOT NULL,
    permission    TEXT    NOT NULL,
    command       TEXT    NOT NULL,
    lang          TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    decided_by    TEXT,
    decided_at_ms INTEGER
);
CREATE INDEX approvals_pending ON approvals(status, expires_at_ms);
