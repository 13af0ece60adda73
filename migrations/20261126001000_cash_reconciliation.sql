-- Cash reconciliations in the ledger's read model (the `projections` crate,
-- projection `ledger`): one row per `CashReconciled` or `CashDifferenceFound`
-- event of a `reconciliation-<provider>-<CURRENCY>` stream, so that
-- accountants page through them (newest first) without reading the log.
-- Like every projection table it can be thrown away and rebuilt from the
-- events; it lives in the ledger's schema because it is about the books
-- (the cash accounts) and a rebuild of the ledger rebuilds it with them.
CREATE TABLE projection_ledger.cash_reconciliation (
    -- The event's global position: orders the rows and is the cursor.
    position       bigint NOT NULL,
    stream_id      text NOT NULL,
    -- MATCHED (CashReconciled) or DIFFERENCE (CashDifferenceFound).
    outcome        text NOT NULL CHECK (outcome IN ('MATCHED', 'DIFFERENCE')),
    -- The provider's `as_of_time`, the moment both sides were read as of.
    as_of_time     timestamptz NOT NULL,
    -- The job run that recorded it, to find its log lines and audit record.
    correlation_id uuid NOT NULL,
    recorded_at    timestamptz NOT NULL,
    -- The event's payload as the domain wrote it (`json`: kept as written;
    -- read back through the domain's decoding, which checks it again).
    document       json NOT NULL,
    CONSTRAINT cash_reconciliation_pkey PRIMARY KEY (position)
);
