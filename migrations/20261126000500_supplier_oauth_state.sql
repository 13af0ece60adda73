-- The AliExpress OAuth flow in flight: `connectAliExpress` records which user
-- asked to connect which environment under a random `state`, and the
-- callback takes the row (deleting it, so a state works once) before it
-- exchanges the code. Keeping this in the database rather than in memory lets
-- the callback land on any server process, and after a restart.
CREATE TABLE supplier_oauth_state (
    state       uuid PRIMARY KEY,
    user_id     uuid NOT NULL,
    environment text NOT NULL CHECK (environment IN ('sandbox', 'production')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
