# authcgi build: lib/libauthcgi.a, cgi-bin/*.cgi, bin/*, tests, sanitizer build, fuzzers.
#   make            build everything into the source tree (O=. by default)
#   make test       unit + CGI pipe + HTTP tests, then the same under ASan+UBSan and valgrind
#   make run        start Redis, lighttpd, the mail worker and a SQLite database (bin/devserver);
#                   DB=postgres: a throw-away PostgreSQL cluster instead, DATABASE_URL=postgres://
#                   an existing server
#   make postgres   the PostgreSQL-capable programs in build/postgres/ (POSTGRES=1, dynamic)
#   make fuzz       run every libFuzzer harness for FUZZ_SECONDS each
#   make install    PREFIX=/srv/authcgi [DESTDIR=/stage] [POSTGRES=1] [CGI_USER=www-data]: the
#                   tree of DEPLOY.md (it builds what it installs: no `make` needed before it)
#   make dist       build/dist/authcgi-shared.tar.gz: the relocatable tree for shared hosting
#   make install-shared DIR=/home/you/public_html/app URL=https://host/~you/app: that tree, installed
# O=DIR puts every build product under DIR (the sanitizer build uses O=build/asan SAN=1, the
# all-shared build that valgrind checks O=build/shared SHARED=1, PostgreSQL O=build/postgres).

O            ?= .
PREFIX       ?= /srv/authcgi
AUTHCGI_HOME ?= $(CURDIR)
CC           ?= cc
PKG_CONFIG   ?= pkg-config
FUZZ_SECONDS ?= 600

PKGS      := libargon2 sqlite3 hiredis libcurl libcrypto
# POSTGRES=1 adds the PostgreSQL engine (lib/db/postgres.c, libpq). Debian's libpq exists only as
# a shared library (it needs GSSAPI and LDAP), so such a build links every program dynamically.
ifeq ($(POSTGRES),1)
PKGS      += libpq
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wformat=2 -Wformat-security -Wshadow -Wvla \
            -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wundef \
            -Wimplicit-fallthrough -Wnull-dereference
OPT      ?= -O2 -g
HARDEN   := -fstack-protector-strong -fPIE -D_FORTIFY_SOURCE=2
ifeq ($(SAN),1)
OPT      := -O1 -g -fno-omit-frame-pointer
HARDEN   := -fsanitize=address,undefined -fno-sanitize-recover=all -fPIE
endif
CFLAGS   ?=
CFLAGS   += -std=c11 $(OPT) $(WARN) $(HARDEN)
CPPFLAGS += -D_GNU_SOURCE -Ilib -DAUTHCGI_HOME='"$(AUTHCGI_HOME)"' $(PKG_CFLAGS)
ifeq ($(POSTGRES),1)
CPPFLAGS += -DAUTHCGI_POSTGRES
endif
LDFLAGS  += $(HARDEN) -pie -Wl,-z,relro,-z,now -Wl,--as-needed
# make dist: the dynamically linked programs look for their libraries in ../lib first (DT_RPATH,
# unlike RUNPATH, also applies to the libraries' own dependencies). Not in a static-pie link:
# its start-up code asserts there is no such entry.
ifeq ($(DIST),1)
DYN_LDFLAGS := -Wl,--disable-new-dtags,-rpath,'$$ORIGIN/../lib'
endif
LDLIBS   := $(PKG_LIBS) -lpthread
# Programs are linked fully static (-static-pie): no dynamic loader, no shared object to map,
# relocate and look symbols up in at every start of a CGI (bench/README.md). Those that need
# libcurl, which Debian ships only shared, fail that link and are linked all shared instead (the
# second command of the link rules), so that they and libcurl's libssl share one libcrypto.
# cJSON is compiled in from lib/cjson/ (Debian ships no libcjson.a). SHARED=1 links everything
# shared: valgrind can check the heap only of a dynamically linked program.
ifneq ($(SHARED)$(SAN)$(POSTGRES),)
STATIC_LINK :=
else
# pack-relative-relocs (DT_RELR): the start-up relocations in 1 KB instead of 75 KB of RELA.
STATIC_LINK := -static-pie -Wl,-z,pack-relative-relocs
endif
STATIC_LDLIBS := -largon2 -lsqlite3 -lhiredis -lcrypto -lm -lpthread

# Generated from their inputs at build time, never committed.
GEN_SRCS  := lib/db/migrations_sqlite.c lib/db/migrations_postgres.c lib/common_passwords.c \
             lib/mail_templates.c
DB_SRCS   := lib/db/db.c lib/db/sqlite.c $(if $(filter 1,$(POSTGRES)),lib/db/postgres.c)
LIB_SRCS  := $(filter-out $(GEN_SRCS),$(wildcard lib/*.c)) $(DB_SRCS) $(GEN_SRCS) lib/cjson/cJSON.c \
             $(wildcard lib/twofactor/*.c)
LIB_HDRS  := $(wildcard lib/*.h lib/db/*.h lib/twofactor/*.h) lib/cjson/cJSON.h
LIB_OBJS  := $(patsubst lib/%.c,$(O)/obj/lib/%.o,$(LIB_SRCS))
LIB       := $(O)/lib/libauthcgi.a
CGI_SRCS  := $(wildcard cgi-bin/*.c)
CGIS      := $(patsubst cgi-bin/%.c,$(O)/cgi-bin/%.cgi,$(CGI_SRCS))
BIN_SRCS  := $(wildcard bin/*.c)
BINS      := $(patsubst bin/%.c,$(O)/bin/%,$(BIN_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNITS     := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(UNIT_SRCS))
MIGRATIONS := $(sort $(wildcard db/[0-9]*.sql))
PG_MIGRATIONS := $(sort $(wildcard db/postgres/[0-9]*.sql))

# Short build lines; V=1 shows the full commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

.PHONY: all test unit run fuzz fuzz-smoke bench clean install asan shared postgres dist install-shared
all: $(LIB) $(CGIS) $(BINS)

lib/db/migrations_sqlite.c: $(MIGRATIONS) bin/embed-migrations
	sh bin/embed-migrations sqlite $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

lib/db/migrations_postgres.c: $(PG_MIGRATIONS) bin/embed-migrations
	sh bin/embed-migrations postgres $(PG_MIGRATIONS) > $@.tmp && mv $@.tmp $@

lib/common_passwords.c: db/common-passwords.txt bin/gen-common-passwords
	sh bin/gen-common-passwords db/common-passwords.txt > $@.tmp && mv $@.tmp $@

MAIL_TEMPLATES := $(sort $(wildcard lib/mail/*.txt lib/mail/*.html))
lib/mail_templates.c: $(MAIL_TEMPLATES) bin/embed-templates
	sh bin/embed-templates $(MAIL_TEMPLATES) > $@.tmp && mv $@.tmp $@

# AUTHCGI_HOME is compiled in: its value is kept in a stamp, rewritten only when it changes (the
# tree was moved or copied, or another value given), and every object depends on the stamp.
HOME_STAMP := $(O)/obj/AUTHCGI_HOME
$(HOME_STAMP): FORCE
	@mkdir -p $(dir $@)
	@test "$$(cat $@ 2>/dev/null)" = '$(AUTHCGI_HOME)' || printf '%s\n' '$(AUTHCGI_HOME)' > $@
.PHONY: FORCE
FORCE:

$(O)/obj/lib/%.o: lib/%.c $(LIB_HDRS) $(HOME_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# The static link's warnings (glibc's getaddrinfo and dlopen in a static program) are expected:
# host names resolve through /etc/hosts and DNS, which glibc has built in; nothing is dlopen'ed.
define link_program
@mkdir -p $(dir $@)
$(call say,LINK,$@)
$(Q){ test -n "$(STATIC_LINK)" && $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(STATIC_LINK) -o $@ $< \
  $(LIB) $(STATIC_LDLIBS) 2>/dev/null; } || \
  $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(DYN_LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)
endef

$(O)/cgi-bin/%.cgi: cgi-bin/%.c $(LIB) $(LIB_HDRS)
	$(link_program)

$(O)/bin/%: bin/%.c $(LIB) $(LIB_HDRS)
	$(link_program)

$(O)/tests/unit/%: tests/unit/%.c $(LIB) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

unit: $(UNITS)

# Everything a change can break, with the counts on the last line. `test` and `run` install
# the missing packages first and only then build, in a make started after the install (this
# one computed PKG_CFLAGS before the packages were there); as a non-root user bin/install-deps
# prints the apt-get command and fails, before anything is compiled. bin/devserver does both
# for `run`, because only it knows the engine (DB=postgres) and so what to install and build.
test:
	bin/install-deps --test
	$(MAKE) --no-print-directory all unit fuzz-build shared postgres
	$(MAKE) --no-print-directory O=build/asan SAN=1 all unit
	/usr/bin/python3 tests/run

run:
	bin/devserver

asan:
	$(MAKE) --no-print-directory O=build/asan SAN=1 all unit

shared:
	$(MAKE) --no-print-directory O=build/shared SHARED=1 all

# The PostgreSQL-capable programs (dynamically linked), beside the static SQLite-only ones.
postgres:
	$(MAKE) --no-print-directory O=build/postgres POSTGRES=1 all unit
	@mkdir -p run   # where these programs keep their Argon2 slot files (lib/cfg.c)

# The installed programs look for PREFIX/authcgi.conf and PREFIX/db/ (AUTHCGI_HOME), so they are
# built apart from the development build (AUTHCGI_HOME=$(CURDIR)), in a directory per PREFIX and
# engine: `make install POSTGRES=1` installs the PostgreSQL-capable (dynamically linked) programs.
INSTALL_O    ?= build/install$(PREFIX)$(if $(filter 1,$(POSTGRES)),-postgres)
INSTALL_ROOT  = $(if $(DESTDIR),$(abspath $(DESTDIR)))$(PREFIX)
MAN_PAGES    := man/authctl.8 man/mailer.8
SAMPLES      := httpd.conf.sample lighttpd.conf.sample authcgi.conf.sample authcgi-mailer.service.sample
install:
	@case "$(PREFIX)" in /*) ;; *) echo "make install: PREFIX must be an absolute path" >&2; exit 2;; esac
	$(MAKE) --no-print-directory O=$(INSTALL_O) AUTHCGI_HOME=$(PREFIX) all
	install -d -m 755 $(INSTALL_ROOT) $(addprefix $(INSTALL_ROOT)/,cgi-bin bin www errors media media/users run)
	install -d -m 700 $(INSTALL_ROOT)/db
	install -m 755 $(INSTALL_O)/cgi-bin/*.cgi $(INSTALL_ROOT)/cgi-bin/
	install -m 755 $(INSTALL_O)/bin/authctl $(INSTALL_O)/bin/mailer $(INSTALL_ROOT)/bin/
	cd www && find . -type d -exec install -d -m 755 '$(INSTALL_ROOT)/www/{}' ';' && \
	  find . -type f -exec install -m 644 '{}' '$(INSTALL_ROOT)/www/{}' ';'
	install -m 644 $(MIGRATIONS) $(INSTALL_ROOT)/db/
	install -m 644 errors/json-*.html $(INSTALL_ROOT)/errors/
	for f in $(SAMPLES); do \
	  sed -e 's|/srv/authcgi|$(PREFIX)|g' -e 's|/usr/local/authcgi|$(PREFIX)|g' $$f > $(INSTALL_ROOT)/$$f.tmp && \
	  chmod 644 $(INSTALL_ROOT)/$$f.tmp && mv $(INSTALL_ROOT)/$$f.tmp $(INSTALL_ROOT)/$$f || exit 1; \
	done
	install -d -m 755 $(INSTALL_ROOT)/share/man/man8 $(INSTALL_ROOT)/share/doc/authcgi
	install -m 644 $(MAN_PAGES) $(INSTALL_ROOT)/share/man/man8/
	install -m 644 README.md DEPLOY.md $(INSTALL_ROOT)/share/doc/authcgi/
	install -d -m 755 $(INSTALL_ROOT)/share/doc/authcgi/docs
	install -m 644 docs/*.md $(INSTALL_ROOT)/share/doc/authcgi/docs/
# CGI_USER=www-data: the directories the programs write (DEPLOY.md), given to their user
	$(if $(CGI_USER),chown $(CGI_USER): $(addprefix $(INSTALL_ROOT)/,db media/users run))
	@echo "installed in $(INSTALL_ROOT); next steps: DEPLOY.md"

# Shared hosting (DEPLOY.md "Shared hosting"): `make dist` builds a relocatable tree and tarball,
# build/dist/authcgi-shared(.tar.gz): programs that find their configuration in ../private from
# their own directory (a relative AUTHCGI_HOME), the shared libraries of the libcurl users in lib/,
# the frontend, the .htaccess files and the installer. `make install-shared DIR=... URL=...` runs
# that installer here, as the customer who owns DIR.
DIST_O := build/dist
dist:
	$(MAKE) --no-print-directory O=$(DIST_O) AUTHCGI_HOME=../private DIST=1 all
	sh bin/make-dist $(DIST_O) $(DIST_O)/authcgi-shared

install-shared: dist
	sh $(DIST_O)/authcgi-shared/install-shared DIR='$(DIR)' URL='$(URL)' $(if $(REDIS_URL),REDIS_URL='$(REDIS_URL)') $(if $(WEBGROUP),WEBGROUP='$(WEBGROUP)')

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS   := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
FUZZ_CFLAGS := -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
FUZZ_OBJS := $(patsubst lib/%.c,build/fuzz/obj/%.o,$(LIB_SRCS))
FUZZ_LIB  := build/fuzz/libauthcgi-fuzz.a

build/fuzz/obj/%.o: lib/%.c $(LIB_HDRS) $(HOME_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CLANG,$@)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -D_GNU_SOURCE -Ilib \
	  -DAUTHCGI_HOME='"$(AUTHCGI_HOME)"' $(PKG_CFLAGS) -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	$(call say,FUZZER,$@)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -D_GNU_SOURCE -Ilib $(PKG_CFLAGS) \
	  -o $@ $< $(FUZZ_LIB) $(LDLIBS)

.PHONY: fuzz-build fuzz-smoke
fuzz-build: $(FUZZERS)
# Each harness for FUZZ_SECONDS (default 600), one after the other; findings stop the run.
fuzz: $(FUZZERS)
	tests/fuzz/run $(FUZZ_SECONDS) $(FUZZERS)
fuzz-smoke: $(FUZZERS)
	tests/fuzz/run 10 $(FUZZERS)

# The benchmark's yardsticks: a CGI that prints a fixed JSON (the floor of the CGI model), with
# the CGIs' flags but linked dynamically as C programs are by default, the same -static-pie as
# the CGIs are (for reference), and one bare Argon2id hash.
build/bench/floor.cgi: bench/floor.c
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

build/bench/floor-static.cgi: bench/floor.c
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -static-pie -o $@ $<

build/bench/hash: bench/hash.c lib/a2mem.c lib/a2mem.h
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< lib/a2mem.c -Wl,-Bstatic -largon2 -Wl,-Bdynamic -lpthread

bench: all shared postgres build/bench/floor.cgi build/bench/floor-static.cgi build/bench/hash
	bench/run

clean:
	rm -rf obj lib/*.a cgi-bin/*.cgi $(BINS) build $(GEN_SRCS)
	rm -f $(patsubst bin/%.c,bin/%,$(BIN_SRCS)) $(patsubst tests/unit/%.c,tests/unit/%,$(UNIT_SRCS))
