-- Two-factor authentication (API.md §11.2): the TOTP secret of a user, sealed, and recovery codes, hashed.
CREATE TABLE IF NOT EXISTS "auth_totp" ("user_id" char(32) NOT NULL PRIMARY KEY REFERENCES "users_user" ("id") ON DELETE CASCADE, "secret" text NOT NULL, "confirmed_at" datetime NULL, "last_step" bigint NOT NULL DEFAULT 0, "created_at" datetime NOT NULL);
CREATE TABLE IF NOT EXISTS "auth_recovery_code" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "user_id" char(32) NOT NULL REFERENCES "users_user" ("id") ON DELETE CASCADE, "code_hash" char(64) NOT NULL, "used_at" datetime NULL);
CREATE INDEX IF NOT EXISTS "auth_recovery_code_user_id" ON "auth_recovery_code" ("user_id");
