-- Crypto-shredding of personal data (issue 15, item 3). The event log is
-- permanent and hash-chained, so personal values (e-mail addresses, payee
-- ids, tracking numbers) are written into events sealed under a data key of
-- their subject: the person (or, for an anonymous buyer, the order) they are
-- about. Each subject's 256-bit data key lives here, itself sealed with the
-- credential keyring (ENCRYPTION_KEY; `rotate-credentials` re-seals it).
--
-- Erasure (`deleteMyData`) sets `sealed_key` to NULL and stamps `erased_at`:
-- every sealed value of the subject in the log becomes unreadable, and the
-- row stays as the record that the subject was erased (readers also hide
-- the legacy plaintext of events stored before sealing by it). The row holds
-- no personal data: a random uuid and two times.
CREATE TABLE personal_data_key (
    subject uuid PRIMARY KEY,
    sealed_key bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    erased_at timestamptz,
    -- A key exists exactly while its subject is not erased: an erased row
    -- that still held its key would not be erased at all.
    CONSTRAINT personal_data_key_erased_has_no_key
        CHECK ((erased_at IS NULL) = (sealed_key IS NOT NULL))
);

-- An erased user's account keeps its row (its id is in the books and the
-- user list) but nothing personal and no way in: the e-mail becomes a
-- placeholder derived from the id, and the password hash is removed, so no
-- password signs in to it.
ALTER TABLE account ALTER COLUMN password_hash DROP NOT NULL;
