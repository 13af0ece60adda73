-- Binds an AliExpress OAuth flow to the browser that started it (issue 15,
-- item 14): `connectAliExpress` sets an HttpOnly cookie holding a random
-- nonce and keeps only its SHA-256 here; the callback is accepted only from
-- a browser presenting that nonce. A flow started before this column
-- existed has none and is refused (start again).
ALTER TABLE supplier_oauth_state ADD COLUMN browser_hash bytea;
