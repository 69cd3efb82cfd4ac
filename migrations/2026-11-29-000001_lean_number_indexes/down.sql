CREATE INDEX phone_numbers_inbound_agent_idx ON phone_numbers (inbound_agent_id);
CREATE INDEX phone_numbers_outbound_agent_idx ON phone_numbers (outbound_agent_id);
CREATE INDEX phone_numbers_voip_connection_idx ON phone_numbers (voip_connection_id);
CREATE INDEX phone_numbers_pending_activation_idx ON phone_numbers (id)
    WHERE deleted_at IS NULL AND source = 'demo' AND status = 'provisioning';
DROP INDEX phone_numbers_voip_connection_set_idx;
DROP INDEX phone_numbers_outbound_agent_set_idx;
DROP INDEX phone_numbers_inbound_agent_set_idx;
