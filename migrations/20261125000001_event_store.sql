-- The append-only event store.
--
-- Writers append to `event`; a single sequencer at a time copies committed
-- events into `log_entry`, which gives every event its global position in
-- commit order and extends the tamper-evident hash chain. See
-- eventstore/src/sequencer.rs for why the global order is assigned after
-- commit rather than drawn by the writers.

-- The current version of every stream. An append first moves this row
-- (a conditional UPDATE, or an INSERT for a new stream), so the expected
-- version is checked before any event row or identity value is drawn, and
-- two writers to one stream take turns on this row lock. The stream id is
-- the natural distribution key on distributed PostgreSQL engines.
CREATE TABLE stream (
    stream_id text PRIMARY KEY CHECK (stream_id <> ''),
    version   bigint NOT NULL CHECK (version >= 1),
    -- The order key of the stream's last event (see event.order_key).
    order_key xid8 NOT NULL
);

-- One row per event, written once and never changed.
CREATE TABLE event (
    -- Order of insertion. Not the global position: concurrent transactions
    -- draw these in one order and may commit in another.
    append_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Where the event goes in the global order: its transaction's id, or
    -- the order key of the stream's previous event if that is higher. A
    -- transaction can get its id before another that then writes the same
    -- stream first (it waits for that one's row lock); inheriting the key
    -- keeps every stream's events in version order. The sequencer orders by
    -- (order_key, append_id) and only events whose key is older than every
    -- transaction still running (pg_snapshot_xmin), so a late commit can
    -- never land before a position already handed out.
    order_key      xid8 NOT NULL,
    event_id       uuid NOT NULL,
    stream_id      text NOT NULL CHECK (stream_id <> ''),
    stream_version bigint NOT NULL CHECK (stream_version >= 1),
    event_type     text NOT NULL CHECK (event_type <> ''),
    schema_version integer NOT NULL CHECK (schema_version >= 1),
    -- The event's data as the writer serialised it. `json`, not `jsonb`:
    -- the exact bytes are kept (so the hash chain covers what was written)
    -- and reading them back needs no rendering, which more than halves the
    -- server's cost per event when projections replay the log. Nothing
    -- queries inside payloads; read models keep their own tables.
    payload        json NOT NULL,
    -- Correlation id, causation id, actor and command id of the writer.
    metadata       json NOT NULL,
    -- When we recorded it: the transaction's start, shared by a whole append.
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    -- Appending an event id twice must be idempotent, never a second copy;
    -- the store maps this constraint by name to its duplicate check.
    CONSTRAINT event_event_id_key UNIQUE (event_id),
    -- The last line of defence for optimistic concurrency; the store maps a
    -- violation by name to a version conflict.
    CONSTRAINT event_stream_version_key UNIQUE (stream_id, stream_version)
);

-- The sequencer walks events in (order key, insertion) order.
CREATE INDEX event_order_idx ON event (order_key, append_id);

-- The global log: every committed event once, in commit order, gapless.
CREATE TABLE log_entry (
    position   bigint PRIMARY KEY CHECK (position >= 1),
    append_id  bigint NOT NULL CONSTRAINT log_entry_append_id_key UNIQUE
               REFERENCES event (append_id),
    -- SHA-256 over the previous entry's chain_hash and this event's stored
    -- bytes (see eventstore/src/chain.rs for the exact encoding).
    chain_hash bytea NOT NULL CHECK (length(chain_hash) = 32)
);

-- History is append-only, and the database itself says so: application
-- code, a migration or a hand-typed psql session cannot UPDATE, DELETE or
-- TRUNCATE an event or a log entry. Only a superuser who disables these
-- triggers can, and `dropledger verify` finds what such an edit changed.
CREATE FUNCTION refuse_history_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is refused: the event history is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation',
              HINT = 'Record a correcting event instead of changing history.';
END;
$$;

CREATE TRIGGER event_is_append_only
    BEFORE UPDATE OR DELETE ON event
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER event_is_never_truncated
    BEFORE TRUNCATE ON event
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER log_entry_is_append_only
    BEFORE UPDATE OR DELETE ON log_entry
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER log_entry_is_never_truncated
    BEFORE TRUNCATE ON log_entry
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
