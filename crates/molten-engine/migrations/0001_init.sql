-- Messages in both directions. Inbound rows are the durable inbox
-- (status received -> done | failed); outbound rows are the durable outbox
-- (status pending -> sent | failed).
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    direction       TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    channel         TEXT    NOT NULL,
    conversation    TEXT    NOT NULL,
    sender          TEXT    NOT NULL,
    platform_msg_id TEXT,
    origin          TEXT,
    text            TEXT    NOT NULL,
    at_ms           INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    reply_to        INTEGER REFERENCES messages(id),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    done_at_ms      INTEGER
);
-- Every push platform can redeliver: one row per platform message.
CREATE UNIQUE INDEX messages_inbound_dedupe ON messages(channel, platform_msg_id) WHERE direction = 'in';
-- Outbound idempotency: one row per origin (e.g. reply:12:0, reminder:5).
CREATE UNIQUE INDEX messages_origin ON messages(origin) WHERE origin IS NOT NULL;
CREATE INDEX messages_conversation ON messages(channel, conversation, id);
CREATE INDEX messages_work ON messages(status, direction, channel, id) WHERE status IN ('received', 'pending');

CREATE TABLE reminders (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    origin        TEXT    NOT NULL UNIQUE,
    owner         TEXT    NOT NULL,
    channel       TEXT    NOT NULL,
    conversation  TEXT    NOT NULL,
    text          TEXT    NOT NULL,
    due_at_ms     INTEGER NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'fired', 'cancelled')),
    lang          TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX reminders_due ON reminders(status, due_at_ms);
