-- Fewer index entries per new number: a claim wrote seven, now three.
--
-- Most numbers have no agent and no connection. Only those that do are
-- looked up by these indexes (list filters, and the foreign-key checks
-- when an agent or connection is deleted, which compare with `=`, so an
-- index of the non-NULL values serves them).
--
-- The new indexes are built first, under new names: until the old ones
-- are dropped at the end, the table stays readable (building takes a
-- SHARE lock; writes wait for it, a few seconds per million numbers).
-- On a large table they can be built beforehand with CREATE INDEX
-- CONCURRENTLY and the same definitions: IF NOT EXISTS then keeps them.
CREATE INDEX IF NOT EXISTS phone_numbers_inbound_agent_set_idx
    ON phone_numbers (inbound_agent_id) WHERE inbound_agent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS phone_numbers_outbound_agent_set_idx
    ON phone_numbers (outbound_agent_id) WHERE outbound_agent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS phone_numbers_voip_connection_set_idx
    ON phone_numbers (voip_connection_id) WHERE voip_connection_id IS NOT NULL;

DROP INDEX phone_numbers_inbound_agent_idx;
DROP INDEX phone_numbers_outbound_agent_idx;
DROP INDEX phone_numbers_voip_connection_idx;

-- Nothing reads the pending-activation index since `activation_jobs`
-- became the queue; it also made every status change of a new demo
-- number a non-HOT update.
DROP INDEX phone_numbers_pending_activation_idx;
