-- Only credentials still in the clear can go back to the old column.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM voip_connections WHERE credentials_key_id <> 'plaintext') THEN
        RAISE EXCEPTION 'sealed credentials cannot be reverted to plaintext; delete or re-create those connections first';
    END IF;
END $$;

DROP INDEX voip_connections_credentials_key_id;

ALTER TABLE voip_connections ADD COLUMN credentials TEXT;

UPDATE voip_connections SET credentials = convert_from(credentials_sealed, 'UTF8');

ALTER TABLE voip_connections
    ALTER COLUMN credentials SET NOT NULL,
    DROP CONSTRAINT voip_connections_key_id_shape,
    DROP COLUMN credentials_key_id,
    DROP COLUMN credentials_sealed;
