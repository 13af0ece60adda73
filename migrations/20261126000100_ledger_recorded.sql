-- "Balance as of a recorded time" without an index over every ledger line.
--
-- A balance as of a recorded time is the balance as of the last ledger line
-- recorded by then (by recorded time, then position). Every event of one
-- store transaction shares its recorded time, so one row per recorded time
-- with the greatest position of a line recorded then answers that question
-- with one probe of a small table. Its index replaces
-- ledger_line_recorded_idx, which a rebuild had to build over every line.
CREATE TABLE projection_ledger.ledger_recorded (
    recorded_at timestamptz NOT NULL,
    -- The greatest position of a ledger line recorded at `recorded_at`.
    position    bigint NOT NULL,
    CONSTRAINT ledger_recorded_pkey PRIMARY KEY (recorded_at)
);

INSERT INTO projection_ledger.ledger_recorded (recorded_at, position)
SELECT recorded_at, max(position) FROM projection_ledger.ledger_line GROUP BY recorded_at;

DROP INDEX projection_ledger.ledger_line_recorded_idx;
