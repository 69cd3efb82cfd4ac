-- Fewer index entries per new number: a claim wrote seven, now three.
--
-- Nothing reads the pending-activation index since `activation_jobs`
-- became the queue; it also made every status change of a new demo
-- number a non-HOT update.
DROP INDEX phone_numbers_pending_activation_idx;

-- Most numbers have no agent and no connection. Only those that do are
-- looked up by these (list filters, and the foreign-key checks when an
-- agent or connection is deleted, which compare with `=`, so a partial
-- index on the non-NULL values serves them).
DROP INDEX phone_numbers_inbound_agent_idx;
CREATE INDEX phone_numbers_inbound_agent_idx ON phone_numbers (inbound_agent_id)
    WHERE inbound_agent_id IS NOT NULL;
DROP INDEX phone_numbers_outbound_agent_idx;
CREATE INDEX phone_numbers_outbound_agent_idx ON phone_numbers (outbound_agent_id)
    WHERE outbound_agent_id IS NOT NULL;
DROP INDEX phone_numbers_voip_connection_idx;
CREATE INDEX phone_numbers_voip_connection_idx ON phone_numbers (voip_connection_id)
    WHERE voip_connection_id IS NOT NULL;
