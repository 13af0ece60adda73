-- Sign-in credentials of the API's users.
--
-- Password hashes live here and never in the event log: the log is
-- permanent and hash-chained, and a hash that must one day be forgotten or
-- re-hashed cannot live there. Everything else about a user (e-mail, role,
-- payout destination) is the User aggregate's, in its `user-<uuid>` stream.
CREATE TABLE account (
    -- The same id as the user's stream.
    user_id uuid PRIMARY KEY,
    -- As `EmailAddress::parse` normalised it.
    email text NOT NULL,
    -- An argon2id PHC string (algorithm, parameters and salt included).
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One account per address, whatever the case the user typed it in: two
-- registrations of the same person must not race into two users.
CREATE UNIQUE INDEX account_email_key ON account (lower(email));
