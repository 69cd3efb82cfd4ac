DROP TABLE phone_number_versions;
DROP TABLE phone_numbers;
DROP TABLE voip_connections;
DROP TABLE agents;
