-- State the provider integrations keep beside the event log. Neither table is
-- history: a credential is replaced when it is refreshed or rotated, and a
-- webhook delivery row only remembers that an event id was seen.

-- Each user's provider credentials (OAuth tokens, API keys), per provider and
-- environment, sealed with AES-256-GCM (integrations/src/credentials.rs). The
-- sealed bytes carry the id of the key that sealed them, so keys can rotate;
-- the plaintext never reaches the database, the API or a log.
CREATE TABLE credential (
    user_id     uuid NOT NULL,
    provider    text NOT NULL CHECK (provider <> ''),
    environment text NOT NULL CHECK (environment <> ''),
    name        text NOT NULL CHECK (name <> ''),
    sealed      bytea NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, provider, environment, name)
);

-- PayPal delivers webhooks at least once, retried for days: the primary key
-- makes recording an event id atomic, so one of two concurrent deliveries wins.
CREATE TABLE paypal_webhook_delivery (
    event_id    text PRIMARY KEY CHECK (event_id <> ''),
    received_at timestamptz NOT NULL DEFAULT now()
);
