"""Co-deployment with Django (API.md §2.1, §10.1): the original backend's models under Django 3.2
(Debian's python3-django, Argon2 first at Django's own parameters) and authcgi's PostgreSQL
build share one database, in both orders of installation:

  DjangoFirst   Django's `migrate` creates the schema, then `authctl migrate` adds only the
                service's tables and leaves django_migrations alone;
  ServiceFirst  `authctl migrate` on an empty database, then Django's `migrate --fake-initial`.

In each: a user Django creates logs in through login.cgi and current-user answers it; a user
registered and confirmed through the CGIs passes Django's authenticate(); a profile update
through update-user.cgi is what Django's ORM reads; each side verifies the hashes the other
wrote. One throw-away PostgreSQL cluster (Unix socket only) and one redis-server for the module.
"""
import email
import glob
import json
import os
import re
import shutil
import tempfile
import unittest

import harness
import pg

PASSWORD = harness.PASSWORD
F, A = "http://front.test", "http://api.test"
LINK_RE = re.compile(re.escape(A) + r"/users/register/confirm/([A-Za-z0-9_-]+)/([0-9a-z]+-[0-9a-f]+)/")
INVALID_LINK = (F + "/auth/regenerate-token?reason=It%20appears%20that%20your%20confirmation%20"
                    "token%20has%20expired%20or%20previously%20used.%20Kindly%20generate%20a%20new%20token")
SHARED = ("users_user", "user_profile", "users_series", "users_articles")
# The service's own tables (API.md §2.5, §10.1, §11.2); the first two must exist.
SERVICE_TABLES = {"authcgi_migrations", "mail_outbox", "auth_totp", "auth_recovery_code"}
USER_KEYS = ["id", "email", "first_name", "last_name", "is_staff", "is_active", "date_joined",
             "thumbnail", "profile"]
BOUNDARY = "----authcgiDjangoBoundary"

# API.md §10.1: the shared tables exactly as Django 3.2-4.2 creates them on PostgreSQL.
API_DDL = [
    'CREATE TABLE "users_user" ("password" varchar(128) NOT NULL, "last_login" timestamp with time zone NULL, "is_superuser" boolean NOT NULL, "first_name" varchar(150) NOT NULL, "last_name" varchar(150) NOT NULL, "is_staff" boolean NOT NULL, "is_active" boolean NOT NULL, "date_joined" timestamp with time zone NOT NULL, "id" uuid NOT NULL PRIMARY KEY, "email" varchar(254) NOT NULL UNIQUE, "thumbnail" varchar(100) NULL);',  # noqa: E501
    'CREATE TABLE "users_series" ("id" uuid NOT NULL PRIMARY KEY, "name" varchar(20000) NOT NULL, "image" varchar(100) NOT NULL);',  # noqa: E501
    'CREATE TABLE "user_profile" ("id" uuid NOT NULL PRIMARY KEY, "phone_number" varchar(20) NULL, "github_link" varchar(20000) NULL, "birth_date" date NULL, "user_id" uuid NOT NULL UNIQUE);',  # noqa: E501
    'CREATE TABLE "users_articles" ("id" uuid NOT NULL PRIMARY KEY, "title" varchar(20000) NOT NULL, "url" varchar(200) NOT NULL, "series_id" uuid NOT NULL);',  # noqa: E501
    'CREATE INDEX "users_user_email_243f6e77_like" ON "users_user" ("email" varchar_pattern_ops);',
    'ALTER TABLE "user_profile" ADD CONSTRAINT "user_profile_user_id_8fdce8e2_fk_users_user_id" FOREIGN KEY ("user_id") REFERENCES "users_user" ("id") DEFERRABLE INITIALLY DEFERRED;',  # noqa: E501
    'ALTER TABLE "users_articles" ADD CONSTRAINT "users_articles_series_id_aa7535d9_fk_users_series_id" FOREIGN KEY ("series_id") REFERENCES "users_series" ("id") DEFERRABLE INITIALLY DEFERRED;',  # noqa: E501
    'CREATE INDEX "users_articles_series_id_aa7535d9" ON "users_articles" ("series_id");',
]

# Django's view of one user, built the way the original serialised it (str() of an aware UTC
# datetime is 'YYYY-MM-DD HH:MM:SS[.ffffff]+00:00', API.md §3).
DJANGO_USER_JSON = """
from users.models import User, UserProfile
u = User.objects.get(email__iexact=address)
p, _ = UserProfile.objects.get_or_create(user=u)
result = {"id": str(u.id), "email": u.email, "first_name": u.first_name,
          "last_name": u.last_name, "is_staff": u.is_staff, "is_active": u.is_active,
          "date_joined": str(u.date_joined), "thumbnail": None,
          "profile": {"id": str(p.id), "user_id": str(u.id), "phone_number": p.phone_number,
                      "github_link": p.github_link,
                      "birth_date": None if p.birth_date is None else str(p.birth_date)},
          "password": u.password, "last_login": str(u.last_login) if u.last_login else None,
          "thumbnail_name": u.thumbnail.name if u.thumbnail else None}
"""

tmp = cluster = redis = None


def setUpModule():
    global tmp, cluster, redis
    for prog in ("cgi-bin/login.cgi", "bin/authctl", "bin/mailer"):
        if not os.access(os.path.join(harness.BUILD, prog), os.X_OK):
            raise RuntimeError("%s/%s is missing: `make postgres` builds the PostgreSQL programs"
                               % (harness.BUILD, prog))
    tmp = tempfile.mkdtemp(prefix="authcgi-django-")
    os.chmod(tmp, 0o711)        # the postgres user reaches its cluster directory below it
    try:
        cluster = pg.Cluster(os.path.join(tmp, "pg")).start()
        os.makedirs(os.path.join(tmp, "redis"))
        redis = harness.Redis(os.path.join(tmp, "redis")).start()
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    if redis:
        redis.stop()
    if cluster:
        cluster.stop()
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


def query(db, sql, params=()):
    con = cluster.connect(db)
    try:
        with con, con.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        con.close()


def tables(db):
    return {r[0] for r in query(db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def shared_schema(db):
    """The shared tables' columns, indexes and constraints as the catalogue shows them."""
    columns = query(db, "SELECT table_name, ordinal_position, column_name, data_type, "
                        "character_maximum_length, is_nullable, column_default "
                        "FROM information_schema.columns WHERE table_schema = 'public' "
                        "AND table_name = ANY(%s) ORDER BY 1, 2", (list(SHARED),))
    indexes = query(db, "SELECT tablename, indexname, indexdef FROM pg_indexes "
                        "WHERE schemaname = 'public' AND tablename = ANY(%s) ORDER BY 1, 2",
                    (list(SHARED),))
    constraints = query(db, "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), "
                            "condeferrable, condeferred FROM pg_constraint "
                            "WHERE conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
                        (list(SHARED),))
    return {"columns": columns, "indexes": indexes, "constraints": constraints}


def without_service_index(schema):
    s = dict(schema)
    s["indexes"] = [i for i in schema["indexes"] if i[1] != "users_user_email_ci"]
    return s


def form(fields):
    out = b""
    for name, value in fields:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                % (BOUNDARY, name)).encode() + value.encode() + b"\r\n"
    return out + ("--%s--\r\n" % BOUNDARY).encode(), "multipart/form-data; boundary=" + BOUNDARY


class BothWays:
    """The exchanges that must hold whichever side created the schema (subclasses set db)."""
    db = None
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cluster.createdb(cls.db)
        cls.django = pg.Django(tmp, cluster, cls.db)
        cls.service = pg.Service(tmp, cls.db, cluster.url(cls.db), redis.url)
        cls.install()

    # -- helpers --

    def django_user(self, address):
        return self.django.run(DJANGO_USER_JSON, address=address)

    def expected_json(self, d):
        return {k: d[k] for k in USER_KEYS}

    def assert_user_json(self, r, address):
        """r is a 200 with exactly the user JSON Django's ORM gives for address, keys in order."""
        self.assertEqual(r.status, 200, r.raw[:500] + r.stderr.encode())
        d = self.django_user(address)
        self.assertEqual(list(r.json), USER_KEYS)
        self.assertEqual(list(r.json["profile"]), ["id", "user_id", "phone_number", "github_link",
                                                   "birth_date"])
        self.assertEqual(r.json, self.expected_json(d))
        return d

    def create_in_django(self, address, first="Ada", last="Lovelace"):
        return self.django.run(
            "from users.models import User\n"
            "u = User.objects.create_user(address, password, first_name=first, last_name=last)\n"
            "result = [str(u.id), u.email, u.password]",
            address=address, password=PASSWORD, first=first, last=last)

    def django_authenticate(self, address, password=PASSWORD):
        return self.django.run(
            "from django.contrib.auth import authenticate\n"
            "from users.models import User\n"
            "u = authenticate(email=address, password=password)\n"
            "result = None if u is None else {'id': str(u.id), 'email': u.email, "
            "'is_active': u.is_active, 'first_name': u.first_name, 'last_name': u.last_name, "
            "'password': User.objects.get(pk=u.pk).password}",
            address=address, password=password)

    def outbox(self):
        return query(self.db, "SELECT recipient, body_text FROM mail_outbox ORDER BY id")

    def register_and_confirm(self, address, first, last):
        before = {r[0] for r in self.outbox()}
        r = self.service.cgi("register", "POST", json.dumps(
            {"email": address, "first_name": first, "last_name": last, "password": PASSWORD}))
        self.assertEqual(r.status, 201, r.raw[:500] + r.stderr.encode())
        self.assertNotIn(address, before)
        link = self.last_link(address)
        # inactive until confirmed, as Django's ORM sees it
        self.assertFalse(self.django_user(address)["is_active"])
        self.assert_confirm(link, F + "/auth/confirmed")
        return link

    def last_link(self, address):
        texts = [t for rcpt, t in self.outbox() if rcpt == address]
        self.assertTrue(texts)
        m = LINK_RE.search(texts[-1])
        self.assertIsNotNone(m, texts[-1])
        return m.group(0)

    def assert_confirm(self, link, location):
        uid64, token = LINK_RE.match(link).groups()
        r = self.service.cgi("confirm-email", "GET", env={"PATH_INFO": "/%s/%s/" % (uid64, token)})
        self.assertEqual((r.status, r.header("Location")), (302, location), r.stderr)

    # -- the exchanges --

    def test_django_user_logs_in_through_the_service(self):
        uid, stored, django_hash = self.create_in_django("Ada@EXAMPLE.com")
        self.assertEqual(stored, "Ada@example.com")       # Django's normalize_email
        self.assertTrue(django_hash.startswith("argon2$argon2id$v=19$m=102400,t=2,p=8$"), django_hash)
        # a wrong password, then the right one with the address in another case (§2.6)
        r, cookie = self.service.login("ada@example.com", "wrong password 123")
        self.assertEqual((r.status, cookie), (400, None), r.body)
        r, cookie = self.service.login("ADA@example.COM", PASSWORD)
        d = self.assert_user_json(r, "ada@example.com")
        self.assertEqual(d["id"], uid)
        self.assertTrue(cookie)
        self.assertIsNotNone(d["last_login"])             # written by login.cgi, read by Django
        # login upgraded Django's hash to the service's parameters (§2.7): Django verifies it
        self.assertTrue(d["password"].startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$"), d["password"])
        r = self.service.cgi("current-user", "GET", env={"HTTP_COOKIE": "sessionid=" + cookie})
        self.assert_user_json(r, "ada@example.com")
        self.assertEqual(r.header("Vary"), "Cookie")
        # Django's ModelBackend looks the address up exactly as stored
        a = self.django_authenticate("Ada@example.com")
        self.assertEqual((a["id"], a["is_active"]), (uid, True))
        self.assertIsNone(self.django_authenticate("Ada@example.com", "wrong password 123"))

    def test_registered_user_passes_django_authenticate(self):
        link = self.register_and_confirm("grace@example.com", "Grace", "Hopper")
        self.assertIsNone(self.django_authenticate("grace@example.com", "wrong password 123"))
        a = self.django_authenticate("grace@example.com")
        self.assertIsNotNone(a, "Django's authenticate() refused the service's user")
        self.assertEqual((a["email"], a["is_active"], a["first_name"], a["last_name"]),
                         ("grace@example.com", True, "Grace", "Hopper"))
        # Django re-hashed at its own parameters on authenticate(): the service verifies that
        self.assertTrue(a["password"].startswith("argon2$argon2id$v=19$m=102400,t=2,p=8$"), a["password"])
        r, cookie = self.service.login("grace@example.com", PASSWORD)
        d = self.assert_user_json(r, "grace@example.com")
        self.assertEqual(d["id"], a["id"])
        # the queued activation mail goes out through the file backend with the same link
        self.service.mailer_once()
        self.assertEqual([x for x in self.outbox() if x[0] == "grace@example.com"], [])
        bodies = []
        for path in glob.glob(os.path.join(self.service.mail_dir, "*.eml")):
            with open(path, "rb") as f:
                msg = email.message_from_bytes(f.read())
            if "grace@example.com" in msg["To"]:
                bodies += [p.get_payload(decode=True).decode() for p in msg.walk()
                           if p.get_content_type() == "text/plain"]
        self.assertEqual(len(bodies), 1)
        self.assertIn(link, bodies[0])

    def test_django_login_attempt_before_confirming_voids_the_link(self):
        """Django's authenticate() checks the password before is_active and re-hashes it at its
        own parameters even for an inactive user. The activation token covers the stored hash
        (API.md §5.3), so the link sent at registration no longer confirms; regenerate-token
        sends one that does."""
        r = self.service.cgi("register", "POST", json.dumps(
            {"email": "early@example.com", "first_name": "E", "last_name": "Arly",
             "password": PASSWORD}))
        self.assertEqual(r.status, 201, r.body)
        first = self.last_link("early@example.com")
        before = self.django_user("early@example.com")["password"]
        self.assertIsNone(self.django_authenticate("early@example.com"))   # inactive: refused
        after = self.django_user("early@example.com")["password"]
        self.assertTrue(before.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$"), before)
        self.assertTrue(after.startswith("argon2$argon2id$v=19$m=102400,t=2,p=8$"), after)
        self.assert_confirm(first, INVALID_LINK)
        r = self.service.cgi("regenerate-token", "POST", json.dumps({"email": "early@example.com"}))
        self.assertEqual(r.status, 200, r.body)
        second = self.last_link("early@example.com")
        self.assertNotEqual(first, second)
        self.assert_confirm(second, F + "/auth/confirmed")
        self.assertEqual(self.django_authenticate("early@example.com")["is_active"], True)

    def test_profile_update_is_what_django_reads(self):
        self.create_in_django("linus@example.com", "", "")
        r, cookie = self.service.login("linus@example.com", PASSWORD)
        self.assertEqual(r.status, 200, r.body)
        body, ctype = form([("first_name", "Lin\u00fas"), ("phone_number", "+358 9 123 4567"),
                            ("github_link", "https://github.com/torvalds"),
                            ("birth_date", "1969-12-28")])
        r = self.service.cgi("update-user", "PATCH", body,
                             env={"HTTP_COOKIE": "sessionid=" + cookie, "CONTENT_TYPE": ctype})
        d = self.assert_user_json(r, "linus@example.com")
        self.assertEqual((d["first_name"], d["last_name"], d["profile"]["phone_number"],
                          d["profile"]["github_link"], d["profile"]["birth_date"]),
                         ("Lin\u00fas", "", "+358 9 123 4567", "https://github.com/torvalds",
                          "1969-12-28"))
        orm = self.django.run(
            "from users.models import User\n"
            "u = User.objects.select_related('userprofile').get(email=address)\n"
            "p = u.userprofile\n"
            "result = [u.first_name, p.phone_number, p.github_link, p.birth_date.isoformat(),"
            " type(p.birth_date).__name__]", address="linus@example.com")
        self.assertEqual(orm, ["Lin\u00fas", "+358 9 123 4567", "https://github.com/torvalds",
                               "1969-12-28", "date"])
        # and the other way: what Django's ORM writes is what current-user answers
        self.django.run(
            "import datetime\nfrom users.models import User\n"
            "u = User.objects.get(email=address)\n"
            "u.last_name = 'Torvalds'; u.thumbnail = 'users/tux_Ab3dE9x.png'; u.save()\n"
            "p = u.userprofile; p.birth_date = datetime.date(1970, 1, 1); p.save()",
            address="linus@example.com")
        r = self.service.cgi("current-user", "GET", env={"HTTP_COOKIE": "sessionid=" + cookie})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual((r.json["last_name"], r.json["profile"]["birth_date"]),
                         ("Torvalds", "1970-01-01"))
        self.assertTrue(r.json["thumbnail"].endswith("users/tux_Ab3dE9x.png"), r.json["thumbnail"])

    def test_case_insensitive_uniqueness_binds_django(self):
        """The service's unique index on lower(email) stops Django from adding an address that
        differs only in case (Django's own check is case-sensitive), and register sees it."""
        self.create_in_django("Case@example.com")
        err = self.django.run(
            "from django.db import IntegrityError\nfrom users.models import User\n"
            "try:\n    User.objects.create_user(address, password)\n"
            "except IntegrityError as e:\n    result = type(e).__name__\n",
            address="CASE@example.com", password=PASSWORD)
        self.assertEqual(err, "IntegrityError")
        r = self.service.cgi("register", "POST", json.dumps(
            {"email": "case@EXAMPLE.COM", "first_name": "", "last_name": "", "password": PASSWORD}))
        self.assertEqual((r.status, r.json), (400, {"error": "A user with that email address already exists"}))

    def test_profile_created_by_either_side_is_one_row(self):
        """A user Django created without a profile (the signal bypassed) gets one from the
        service (§2.3), and Django's reverse accessor finds that row."""
        self.django.run(
            "from django.db.models.signals import post_save\n"
            "from users.models import User, update_user_profile_signal\n"
            "post_save.disconnect(update_user_profile_signal, sender=User)\n"
            "User.objects.create_user(address, password)", address="noprofile@example.com",
            password=PASSWORD)
        self.assertEqual(query(self.db, "SELECT count(*) FROM user_profile p JOIN users_user u "
                                        "ON u.id = p.user_id WHERE u.email = %s",
                               ("noprofile@example.com",)), [(0,)])
        r, _ = self.service.login("noprofile@example.com", PASSWORD)
        self.assertEqual(r.status, 200, r.body)
        pid = self.django.run("from users.models import User\n"
                              "result = str(User.objects.get(email=address).userprofile.id)",
                              address="noprofile@example.com")
        self.assertEqual(r.json["profile"]["id"], pid)


    def test_argon2_slots_are_host_local_files(self):
        """With PostgreSQL there is no database file to put the Argon2 gate's key file beside:
        it is AUTHCGI_HOME/run/authcgi-argon2-sem (the repository's run/ for this build, which
        make postgres creates), never in the CGI's working directory."""
        self.create_in_django("slots@example.com")
        r, _ = self.service.login("slots@example.com", PASSWORD)
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(os.path.exists(os.path.join(harness.ROOT, "run", "authcgi-argon2-sem")))
        self.assertEqual([n for n in os.listdir(self.service.dir) if "argon2" in n], [])


class DjangoFirst(BothWays, unittest.TestCase):
    """Django's migrate, then authctl migrate."""
    db = "django_first"

    @classmethod
    def install(cls):
        cls.django.manage("migrate", "-v", "0")
        cls.tables_before = tables(cls.db)
        cls.schema_before = shared_schema(cls.db)
        cls.django_migrations = query(cls.db, "SELECT * FROM django_migrations ORDER BY id")
        cls.service.authctl("migrate")

    def test_django_creates_api_md_ddl(self):
        """Django's own SQL for the users app holds API.md §10.1's statements, each verbatim."""
        sql = self.django.manage("sqlmigrate", "users", "0001_initial")
        for statement in API_DDL:
            self.assertIn(statement, sql)

    def test_authctl_migrate_adds_only_the_service_tables(self):
        added = tables(self.db) - self.tables_before
        self.assertTrue({"authcgi_migrations", "mail_outbox"} <= added, added)
        self.assertTrue(added <= SERVICE_TABLES, added - SERVICE_TABLES)
        after = shared_schema(self.db)
        self.assertEqual(without_service_index(after), self.schema_before)
        ci = [i for i in after["indexes"] if i[1] == "users_user_email_ci"]
        self.assertEqual(len(ci), 1, after["indexes"])
        self.assertIn("UNIQUE INDEX users_user_email_ci ON public.users_user USING btree (lower((email)::text))",
                      ci[0][2])
        self.assertEqual(query(self.db, "SELECT * FROM django_migrations ORDER BY id"),
                         self.django_migrations)
        self.assertTrue(query(self.db, "SELECT count(*) FROM authcgi_migrations")[0][0] >= 1)
        # a second run changes nothing
        self.service.authctl("migrate")
        self.assertEqual(shared_schema(self.db), after)
        self.assertEqual(tables(self.db) - self.tables_before, added)
        self.assertEqual(query(self.db, "SELECT * FROM django_migrations ORDER BY id"),
                         self.django_migrations)
        # Django sees nothing to do
        plan = self.django.manage("showmigrations", "--plan")
        self.assertNotIn("[ ]", plan)


class ServiceFirst(BothWays, unittest.TestCase):
    """authctl migrate on an empty database, then Django's migrate --fake-initial."""
    db = "service_first"

    @classmethod
    def install(cls):
        cls.service.authctl("migrate")
        cls.service_tables = tables(cls.db)
        cls.schema_service = shared_schema(cls.db)
        cls.django.manage("migrate", "--fake-initial", "-v", "0")

    def test_service_schema_is_djangos(self):
        """The shared tables authctl created are, in the catalogue, the ones Django creates."""
        ref = cluster.createdb("django_reference")
        try:
            pg.Django(tmp, cluster, ref).manage("migrate", "-v", "0")
            self.assertEqual(without_service_index(self.schema_service), shared_schema(ref))
        finally:
            cluster.psql("postgres", 'DROP DATABASE "%s"' % ref)
        self.assertTrue({"authcgi_migrations", "mail_outbox"} <= self.service_tables)
        self.assertTrue(self.service_tables - set(SHARED) <= SERVICE_TABLES)
        self.assertNotIn("django_migrations", self.service_tables)

    def test_fake_initial_records_djangos_migrations(self):
        applied = {(a, n) for a, n in query(self.db, "SELECT app, name FROM django_migrations")}
        self.assertIn(("users", "0001_initial"), applied)
        self.assertIn(("auth", "0012_alter_user_first_name_max_length"), applied)
        self.assertNotIn("[ ]", self.django.manage("showmigrations", "--plan"))
        self.assertEqual(without_service_index(shared_schema(self.db)),
                         without_service_index(self.schema_service))
        # authctl migrate after Django's: nothing more to do, nothing of Django's touched
        rows = query(self.db, "SELECT * FROM django_migrations ORDER BY id")
        self.service.authctl("migrate")
        self.assertEqual(query(self.db, "SELECT * FROM django_migrations ORDER BY id"), rows)

    def test_fake_initial_leaves_the_m2m_tables_to_create(self):
        """--fake-initial checks only the models' own tables, so the user model's many-to-many
        tables (users_user_groups, users_user_user_permissions: Django's, not the service's)
        are recorded as created but are not there. DEPLOY.md's remedy creates them."""
        self.assertFalse({"users_user_groups", "users_user_user_permissions"} & tables(self.db))
        self.django.run(
            "from django.db import connection\nfrom users.models import User\n"
            "with connection.schema_editor() as editor:\n"
            "    editor.create_model(User.groups.through)\n"
            "    editor.create_model(User.user_permissions.through)\n")
        self.assertTrue({"users_user_groups", "users_user_user_permissions"} <= tables(self.db))
        # now Django can delete a user (the cascade reaches both tables)
        self.create_in_django("gone@example.com")
        self.django.run("from users.models import User\n"
                        "User.objects.get(email=address).delete()", address="gone@example.com")
        self.assertEqual(query(self.db, "SELECT count(*) FROM users_user WHERE email = %s",
                               ("gone@example.com",)), [(0,)])


def deploy_sql_blocks(section):
    """The ```sql blocks of one ### section of DEPLOY.md, in order."""
    with open(os.path.join(harness.ROOT, "DEPLOY.md")) as f:
        doc = f.read()
    start = doc.index("\n### %s\n" % section)
    end = doc.find("\n### ", start + 1)
    return re.findall(r"```sql\n(.*?)```", doc[start:end if end > 0 else None], re.S)


class RuntimeRole(unittest.TestCase):
    """DEPLOY.md's roles and grants, run as written: the owner runs authctl migrate, and the
    runtime role, with only its row privileges, serves every request and the mail worker."""

    def test_runtime_role_serves_requests_and_nothing_more(self):
        superuser_sql, owner_sql = deploy_sql_blocks("Roles and grants")
        cluster.psql("postgres", superuser_sql)
        owner = pg.Service(tmp, "roles", cluster.url("authcgi", "authcgi_app"), redis.url)
        owner.authctl("migrate", env={"DATABASE_URL": cluster.url("authcgi", "authcgi_owner")})
        cluster.psql("authcgi", owner_sql, user="authcgi_owner")
        svc = owner              # its configuration file names the runtime role
        r = svc.cgi("register", "POST", json.dumps(
            {"email": "role@example.com", "first_name": "R", "last_name": "Ole", "password": PASSWORD}))
        self.assertEqual(r.status, 201, r.raw[:300] + r.stderr.encode())
        (text,), = query("authcgi", "SELECT body_text FROM mail_outbox")
        uid64, token = LINK_RE.search(text).groups()
        r = svc.cgi("confirm-email", "GET", env={"PATH_INFO": "/%s/%s/" % (uid64, token)})
        self.assertEqual((r.status, r.header("Location")), (302, F + "/auth/confirmed"), r.stderr)
        r, cookie = svc.login("role@example.com", PASSWORD)
        self.assertEqual(r.status, 200, r.raw[:300] + r.stderr.encode())
        body, ctype = form([("phone_number", "+1 555 0100"), ("birth_date", "2000-02-29")])
        r = svc.cgi("update-user", "PATCH", body,
                    env={"HTTP_COOKIE": "sessionid=" + cookie, "CONTENT_TYPE": ctype})
        self.assertEqual((r.status, r.json["profile"]["birth_date"]), (200, "2000-02-29"), r.stderr)
        r = svc.cgi("series", "GET")
        self.assertEqual(r.status, 200, r.stderr)
        svc.mailer_once()
        self.assertEqual(query("authcgi", "SELECT count(*) FROM mail_outbox"), [(0,)])
        self.assertEqual(len(glob.glob(os.path.join(svc.mail_dir, "*.eml"))), 1)
        # and nothing more: no DDL, no table of its own
        for sql in ("CREATE TABLE x (i int)", "DROP TABLE mail_outbox",
                    "ALTER TABLE users_user ADD COLUMN x int", "TRUNCATE users_user"):
            out = cluster.psql("authcgi", sql, user="authcgi_app", check=False)
            self.assertNotEqual(out.returncode, 0, sql)


if __name__ == "__main__":
    unittest.main()
