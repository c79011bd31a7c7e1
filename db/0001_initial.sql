-- The shared tables exactly as Django creates them (API.md §2.5), and the service's additions.
CREATE TABLE IF NOT EXISTS "users_user" ("password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "first_name" varchar(150) NOT NULL, "last_name" varchar(150) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "id" char(32) NOT NULL PRIMARY KEY, "email" varchar(254) NOT NULL UNIQUE, "thumbnail" varchar(100) NULL);
CREATE TABLE IF NOT EXISTS "user_profile" ("id" char(32) NOT NULL PRIMARY KEY, "phone_number" varchar(20) NULL, "github_link" varchar(20000) NULL, "birth_date" date NULL, "user_id" char(32) NOT NULL UNIQUE REFERENCES "users_user" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE IF NOT EXISTS "users_series" ("id" char(32) NOT NULL PRIMARY KEY, "name" varchar(20000) NOT NULL, "image" varchar(100) NOT NULL);
CREATE TABLE IF NOT EXISTS "users_articles" ("id" char(32) NOT NULL PRIMARY KEY, "title" varchar(20000) NOT NULL, "url" varchar(200) NOT NULL, "series_id" char(32) NOT NULL REFERENCES "users_series" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX IF NOT EXISTS "users_articles_series_id_aa7535d9" ON "users_articles" ("series_id");

-- e-mail uniqueness over the whole address, case-insensitively (§2.6)
CREATE UNIQUE INDEX IF NOT EXISTS "users_user_email_ci" ON "users_user" ("email" COLLATE NOCASE);

-- e-mails waiting for the mail worker (§6.1)
CREATE TABLE IF NOT EXISTS "mail_outbox" (
  "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
  "created_at" datetime NOT NULL,
  "not_after" datetime NULL,
  "recipient" varchar(254) NOT NULL,
  "subject" varchar(255) NOT NULL,
  "body_text" text NOT NULL,
  "body_html" text NOT NULL,
  "attempts" integer NOT NULL DEFAULT 0,
  "next_attempt_at" datetime NOT NULL,
  "last_error" text NULL
);
CREATE INDEX IF NOT EXISTS "mail_outbox_next_attempt_at" ON "mail_outbox" ("next_attempt_at");
