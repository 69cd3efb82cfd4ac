-- VoIP credentials are sealed by the application (AES-256-GCM) before
-- they reach the database: the store keeps only the key id and the
-- ciphertext. Rows written before this migration held JSON in the clear;
-- they are kept under the key id `plaintext` until
-- `thunderphone rotate-secrets` seals them.
ALTER TABLE voip_connections
    ADD COLUMN credentials_key_id TEXT,
    ADD COLUMN credentials_sealed BYTEA;

UPDATE voip_connections
SET credentials_key_id = 'plaintext',
    credentials_sealed = convert_to(credentials, 'UTF8');

ALTER TABLE voip_connections
    ALTER COLUMN credentials_key_id SET NOT NULL,
    ALTER COLUMN credentials_sealed SET NOT NULL,
    ADD CONSTRAINT voip_connections_key_id_shape CHECK (length(credentials_key_id) BETWEEN 1 AND 64),
    DROP COLUMN credentials;

-- The work list of a key rotation.
CREATE INDEX voip_connections_credentials_key_id ON voip_connections (credentials_key_id);
