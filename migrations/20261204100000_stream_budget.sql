-- A stream may keep a budget: a running total that its events move and that
-- may never go below zero (working capital's free cash: available cash less
-- open holds). Every append to such a stream says how much it moves the
-- budget, and the CHECK below refuses the one that would overdraw it inside
-- the append's own statement, under the stream row's lock. So a limit is
-- enforced at the write, as a ledger database enforces a balance limit, and
-- writers that only add to the budget never make another writer decide
-- again. NULL: the stream keeps no budget.
--
-- Streams that existed before this column get their budget from their
-- events when the application starts (EventStore::backfill_budgets); until
-- then an append that moves a budget to them is refused.
ALTER TABLE stream
    ADD COLUMN budget numeric CONSTRAINT stream_budget_not_negative CHECK (budget >= 0);
