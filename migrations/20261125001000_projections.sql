-- Read models built from the event log (the `projections` crate).
--
-- Every table here can be thrown away and rebuilt from the events. Each
-- projection keeps its tables in a schema of its own, so that a rebuild can
-- fill a shadow schema while readers keep reading this one, and swap the
-- two with a rename in one short transaction (see projections/src/rebuild.rs).
-- Money is `numeric` (exact), never float; currencies are ISO codes. Text
-- keys (account codes, currencies, stream ids, actors) use the "C"
-- collation: byte order is all they need, and it sorts several times faster
-- than a locale when a rebuild builds their indexes.

-- One row per projection: how far it has applied the log, and whether it
-- stopped on an event it could not apply. A runner moves `position` in the
-- same transaction as the rows it writes, so a crash never applies an event
-- twice or loses one; it locks this row first in every batch, which is also
-- how a rebuild's swap waits for a batch in flight.
CREATE TABLE projection_checkpoint (
    name            text PRIMARY KEY,
    position        bigint NOT NULL DEFAULT 0 CHECK (position >= 0),
    -- RUNNING, or FAILED with the error and the event it failed on.
    status          text NOT NULL DEFAULT 'RUNNING' CHECK (status IN ('RUNNING', 'FAILED')),
    error           text,
    failed_position bigint,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- A failed projection names the event it stopped at.
    CHECK ((status = 'FAILED') = (failed_position IS NOT NULL))
);

INSERT INTO projection_checkpoint (name) VALUES ('ledger'), ('commerce'), ('audit');

-- The books: balances per account and currency, every posting and hold
-- movement with running balances, and the holds themselves.
CREATE SCHEMA projection_ledger;

-- Current posted and pending debits and credits of one account in one currency.
CREATE TABLE projection_ledger.account_balance (
    account         text COLLATE "C" NOT NULL,
    currency        text COLLATE "C" NOT NULL,
    debits_posted   numeric NOT NULL,
    credits_posted  numeric NOT NULL,
    debits_pending  numeric NOT NULL,
    credits_pending numeric NOT NULL,
    last_position   bigint NOT NULL,
    CONSTRAINT account_balance_pkey PRIMARY KEY (account, currency)
);

-- One line per (event, account, currency) the event moves: the change it
-- makes (posted and pending, debit and credit) and the account's running
-- totals after it, in log order. A balance as of a position is then the
-- last line at or before it: one index probe, not a replay.
CREATE TABLE projection_ledger.ledger_line (
    account          text COLLATE "C" NOT NULL,
    currency         text COLLATE "C" NOT NULL,
    position         bigint NOT NULL,
    event_type       text NOT NULL,
    -- The journal entry posted, if any; the hold placed or released, if any.
    entry_id         uuid,
    hold_id          uuid,
    -- When the money moved (provider time), and when the store recorded it.
    effective_at     timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL,
    debit_posted     numeric NOT NULL,
    credit_posted    numeric NOT NULL,
    debit_pending    numeric NOT NULL,
    credit_pending   numeric NOT NULL,
    running_debits_posted   numeric NOT NULL,
    running_credits_posted  numeric NOT NULL,
    running_debits_pending  numeric NOT NULL,
    running_credits_pending numeric NOT NULL,
    CONSTRAINT ledger_line_pkey PRIMARY KEY (account, currency, position)
);
-- Balances as of an effective time sum the changes up to it.
CREATE INDEX ledger_line_effective_idx ON projection_ledger.ledger_line (account, currency, effective_at);
-- "As of a recorded time" finds the last position recorded by then.
CREATE INDEX ledger_line_recorded_idx ON projection_ledger.ledger_line (recorded_at, position);

-- Every hold ever placed, open until posted or voided.
CREATE TABLE projection_ledger.ledger_hold (
    hold_id         uuid NOT NULL,
    purpose         text NOT NULL,
    order_id        uuid,
    payout_id       uuid,
    debit_account   text NOT NULL,
    credit_account  text NOT NULL,
    amount          numeric NOT NULL,
    currency        text NOT NULL,
    placed_at       timestamptz NOT NULL,
    status          text NOT NULL CHECK (status IN ('OPEN', 'POSTED', 'VOIDED')),
    placed_position bigint NOT NULL,
    closed_position bigint,
    CONSTRAINT ledger_hold_pkey PRIMARY KEY (hold_id)
);

-- Orders, sales, payouts and product listings. Each row keeps the columns
-- the API filters and pages by, and the whole read model as a JSON document (`json`: kept as written, nothing queries inside it).
CREATE SCHEMA projection_commerce;

CREATE TABLE projection_commerce.product (
    product_id       uuid NOT NULL,
    owner_id         uuid NOT NULL,
    status           text NOT NULL,
    created_position bigint NOT NULL,
    document         json NOT NULL,
    CONSTRAINT product_pkey PRIMARY KEY (product_id)
);
CREATE INDEX product_page_idx ON projection_commerce.product (created_position);
CREATE INDEX product_owner_idx ON projection_commerce.product (owner_id, created_position);

CREATE TABLE projection_commerce.shop_order (
    order_id         uuid NOT NULL,
    seller_id        uuid NOT NULL,
    buyer_id         uuid,
    status           text NOT NULL,
    created_position bigint NOT NULL,
    document         json NOT NULL,
    CONSTRAINT shop_order_pkey PRIMARY KEY (order_id)
);
CREATE INDEX shop_order_page_idx ON projection_commerce.shop_order (created_position);
CREATE INDEX shop_order_seller_idx ON projection_commerce.shop_order (seller_id, created_position);
CREATE INDEX shop_order_buyer_idx ON projection_commerce.shop_order (buyer_id, created_position);

CREATE TABLE projection_commerce.sale (
    sale_id          uuid NOT NULL,
    order_id         uuid NOT NULL,
    seller_id        uuid NOT NULL,
    created_position bigint NOT NULL,
    document         json NOT NULL,
    CONSTRAINT sale_pkey PRIMARY KEY (sale_id)
);
CREATE INDEX sale_page_idx ON projection_commerce.sale (created_position);
CREATE INDEX sale_seller_idx ON projection_commerce.sale (seller_id, created_position);

CREATE TABLE projection_commerce.payout (
    payout_id        uuid NOT NULL,
    sale_id          uuid NOT NULL,
    -- The paid user, or null for the admin's commission.
    payee_user_id    uuid,
    status           text NOT NULL,
    created_position bigint NOT NULL,
    document         json NOT NULL,
    CONSTRAINT payout_pkey PRIMARY KEY (payout_id)
);
CREATE INDEX payout_page_idx ON projection_commerce.payout (created_position);
CREATE INDEX payout_payee_idx ON projection_commerce.payout (payee_user_id, created_position);

-- Every event with its metadata, searchable by stream, correlation id, actor
-- and time. The payload stays in the event store (read it by position).
CREATE SCHEMA projection_audit;

CREATE TABLE projection_audit.audit_record (
    position       bigint NOT NULL,
    event_id       uuid NOT NULL,
    stream_id      text COLLATE "C" NOT NULL,
    stream_version bigint NOT NULL,
    event_type     text NOT NULL,
    correlation_id uuid NOT NULL,
    causation_id   uuid,
    actor          text COLLATE "C" NOT NULL,
    command_id     uuid,
    recorded_at    timestamptz NOT NULL,
    CONSTRAINT audit_record_pkey PRIMARY KEY (position)
);
CREATE INDEX audit_record_stream_idx ON projection_audit.audit_record (stream_id, position);
CREATE INDEX audit_record_correlation_idx ON projection_audit.audit_record (correlation_id, position);
CREATE INDEX audit_record_actor_idx ON projection_audit.audit_record (actor, position);
-- Rows arrive in recorded order (nearly: recorded_at is the writing
-- transaction's start), so a block-range index finds a time range cheaply.
CREATE INDEX audit_record_recorded_idx ON projection_audit.audit_record USING brin (recorded_at);
