DROP TABLE audit_log;
DROP TABLE login_throttles;
DROP TABLE api_keys;
DROP TABLE mfa_challenges;
DROP TABLE recovery_codes;
DROP TABLE totp_credentials;
