-- The autopilot's read model (the `projections` crate, projection
-- `autopilot`): its configuration, its cycles and every opportunity a cycle
-- scored, with the decision and why. Like every projection it can be thrown
-- away and rebuilt from the `autopilot` stream's events, and lives in a
-- schema of its own so that a rebuild can fill a shadow schema and swap it in.
-- Each row keeps the columns the API pages and filters by, and the read
-- model as a JSON document (`json`: kept as written, nothing queries inside it).

INSERT INTO projection_checkpoint (name) VALUES ('autopilot');

CREATE SCHEMA projection_autopilot;

-- The configuration in force: at most one row (id is always 1).
CREATE TABLE projection_autopilot.autopilot_config (
    id         smallint NOT NULL CHECK (id = 1),
    position   bigint NOT NULL,
    document   json NOT NULL,
    CONSTRAINT autopilot_config_pkey PRIMARY KEY (id)
);

-- One row per cycle, updated as it records what it found and published and
-- when it ends. `started_position` orders cycles (newest first in the API).
CREATE TABLE projection_autopilot.autopilot_cycle (
    cycle_id         uuid NOT NULL,
    started_position bigint NOT NULL,
    -- RUNNING until the cycle finishes (FINISHED) or fails (FAILED).
    status           text NOT NULL CHECK (status IN ('RUNNING', 'FINISHED', 'FAILED')),
    document         json NOT NULL,
    CONSTRAINT autopilot_cycle_pkey PRIMARY KEY (cycle_id)
);
CREATE INDEX autopilot_cycle_page_idx ON projection_autopilot.autopilot_cycle (started_position);

-- Every candidate a cycle scored. `seq` = position of the event that
-- recorded it × 1000 + (999 − its rank in the cycle; a cycle scores at most
-- 50), so that one number, read in descending order, lists the newest cycle
-- first and its best scores first, and serves as the cursor.
CREATE TABLE projection_autopilot.autopilot_opportunity (
    seq                 bigint NOT NULL,
    cycle_id            uuid NOT NULL,
    supplier_product_id text NOT NULL,
    decision            text NOT NULL,
    document            json NOT NULL,
    CONSTRAINT autopilot_opportunity_pkey PRIMARY KEY (seq)
);
-- Publishing a cycle's products finds its opportunities by cycle.
CREATE INDEX autopilot_opportunity_cycle_idx ON projection_autopilot.autopilot_opportunity (cycle_id, supplier_product_id);

-- Users who could be the default seller (the first user with a PayPal payout
-- e-mail, in registration order), from the users' events.
CREATE TABLE projection_autopilot.autopilot_seller_candidate (
    user_id             uuid NOT NULL,
    registered_position bigint NOT NULL,
    -- Whether their payouts go to a PayPal e-mail now.
    has_payout_email    boolean NOT NULL,
    CONSTRAINT autopilot_seller_candidate_pkey PRIMARY KEY (user_id)
);
CREATE INDEX autopilot_seller_candidate_order_idx ON projection_autopilot.autopilot_seller_candidate (registered_position);
