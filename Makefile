# authcgi build: lib/libauthcgi.a, cgi-bin/*.cgi, bin/*, tests, sanitizer build, fuzzers.
#   make            build everything into the source tree (O=. by default)
#   make test       unit + CGI pipe + HTTP tests, then the same under ASan+UBSan and valgrind
#   make run        start Redis, lighttpd, the mail worker and a SQLite database (bin/devserver)
#   make fuzz       run every libFuzzer harness for FUZZ_SECONDS each
# O=DIR puts every build product under DIR (the sanitizer build uses O=build/asan SAN=1).

O            ?= .
PREFIX       ?= /usr/local/authcgi
AUTHCGI_HOME ?= $(CURDIR)
CC           ?= cc
PKG_CONFIG   ?= pkg-config
FUZZ_SECONDS ?= 600

PKGS      := libargon2 sqlite3 hiredis libcjson libcurl libcrypto
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
LDFLAGS  += $(HARDEN) -pie -Wl,-z,relro,-z,now -Wl,--as-needed
LDLIBS   := $(PKG_LIBS) -lpthread

LIB_SRCS  := $(filter-out lib/migrations.c,$(wildcard lib/*.c)) lib/migrations.c
LIB_OBJS  := $(patsubst lib/%.c,$(O)/obj/lib/%.o,$(LIB_SRCS))
LIB       := $(O)/lib/libauthcgi.a
CGI_SRCS  := $(wildcard cgi-bin/*.c)
CGIS      := $(patsubst cgi-bin/%.c,$(O)/cgi-bin/%.cgi,$(CGI_SRCS))
BIN_SRCS  := $(wildcard bin/*.c)
BINS      := $(patsubst bin/%.c,$(O)/bin/%,$(BIN_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNITS     := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(UNIT_SRCS))
MIGRATIONS := $(sort $(wildcard db/[0-9]*.sql))

# Short build lines; V=1 shows the full commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

.PHONY: all test unit run fuzz fuzz-smoke bench clean install asan
all: $(LIB) $(CGIS) $(BINS)

lib/migrations.c: $(MIGRATIONS) bin/embed-migrations
	sh bin/embed-migrations $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

MAIL_TEMPLATES := $(sort $(wildcard lib/mail/*.txt lib/mail/*.html))
lib/mail_templates.c: $(MAIL_TEMPLATES) bin/embed-templates
	sh bin/embed-templates $(MAIL_TEMPLATES) > $@.tmp && mv $@.tmp $@

$(O)/obj/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/cgi-bin/%.cgi: cgi-bin/%.c $(LIB) $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(O)/bin/%: bin/%.c $(LIB) $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(O)/tests/unit/%: tests/unit/%.c $(LIB) $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS) -lcmocka

unit: $(UNITS)

# Everything a change can break, with the counts on the last line.
test: all unit fuzz-build
	$(MAKE) --no-print-directory O=build/asan SAN=1 all unit
	/usr/bin/python3 tests/run

run: all
	bin/devserver

asan:
	$(MAKE) --no-print-directory O=build/asan SAN=1 all unit

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS   := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
FUZZ_CFLAGS := -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
FUZZ_OBJS := $(patsubst lib/%.c,build/fuzz/obj/%.o,$(LIB_SRCS))
FUZZ_LIB  := build/fuzz/libauthcgi-fuzz.a

build/fuzz/obj/%.o: lib/%.c $(wildcard lib/*.h)
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

bench: all
	bench/run

clean:
	rm -rf obj lib/*.a cgi-bin/*.cgi $(BINS) tests/unit/test_ build obj lib/migrations.c
	rm -f $(patsubst bin/%.c,bin/%,$(BIN_SRCS)) $(patsubst tests/unit/%.c,tests/unit/%,$(UNIT_SRCS))
