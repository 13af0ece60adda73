-- Process managers (fulfilment, sale, payout, settlement): how far each has
-- reacted to the event log, and what each is waiting to retry.
--
-- A manager reacts to an event, appends the result, and only then moves its
-- position here: a crash between the two makes it react again, and every
-- reaction is idempotent (ids derived from the triggering event, provider
-- idempotency keys derived from our ids), so nothing is bought or paid twice.
-- These rows are operational state, not facts: the facts are events.
CREATE TABLE process_checkpoint (
    name        text PRIMARY KEY,
    position    bigint NOT NULL DEFAULT 0 CHECK (position >= 0),
    -- The last step that gave up after its retries (visible to operators),
    -- with the event it was reacting to; cleared by the next success.
    last_error  text,
    error_position bigint,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Work a manager parked to try again later, e.g. a payout skipped for
-- insufficient funds, retried when cash arrives. One row per (manager, key);
-- deleted once the work is done.
CREATE TABLE process_parked (
    name        text NOT NULL,
    key         text NOT NULL,
    reason      text NOT NULL,
    parked_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT process_parked_pkey PRIMARY KEY (name, key)
);
