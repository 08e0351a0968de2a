-- The secret vault: one sealed envelope per name. The envelope is
-- version (1 byte) || 96-bit nonce || AES-256-GCM ciphertext + tag, with the
-- name as associated data; plaintext values are never stored. Names are not
-- secret.
CREATE TABLE secrets (
    name          TEXT    PRIMARY KEY,
    envelope      BLOB    NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
