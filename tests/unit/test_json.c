/* Unit tests for lib/json.c: the strict syntax check and every row of API.md §1.6, in order. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"
#include "json.h"

#define MALFORMED "Malformed JSON body"
#define NOT_OBJECT "JSON body must be an object"
#define DUPLICATE "Duplicate key in JSON body"
#define HAS_NUL "JSON strings must not contain NUL characters"
#define UNKNOWN "Unknown field in request body"

static const char *const F[] = { "email", "password" };
#define NF (sizeof F / sizeof F[0])

/* The body goes into an exact-size heap buffer with no terminator, so ASan sees any over-read. */
static char *dup_exact(const char *body, size_t len)
{
	char *b = malloc(len ? len : 1);

	assert_non_null(b);
	if (len)
		memcpy(b, body, len);
	return b;
}

static int syntax(const char *body, size_t len, int *has_nul)
{
	char *b = dup_exact(body, len);
	int rc = json_check_syntax(b, len, has_nul);

	free(b);
	return rc;
}

static void check_syntax(const char *body, size_t len, int want_ok, int line)
{
	int has_nul = -1;
	int rc = syntax(body, len, &has_nul);

	if ((rc == 0) != want_ok || (rc != 0 && rc != AC_EINVAL) || (has_nul != 0 && has_nul != 1)) {
		print_error("line %d: json_check_syntax(%.*s) = %d, wanted %s\n", line, (int)len, body,
			    rc, want_ok ? "valid" : "invalid");
		fail();
	}
}

#define GOOD(lit) check_syntax(lit, sizeof(lit) - 1, 1, __LINE__)
#define BAD(lit) check_syntax(lit, sizeof(lit) - 1, 0, __LINE__)

/* Parses with fields F and checks the outcome: msg NULL means success. */
static void check_parse(const char *body, size_t len, const char *msg, int line)
{
	char *b = dup_exact(body, len);
	cJSON *root = (cJSON *)&root; /* must be overwritten */
	const char *values[NF] = { "junk", "junk" };
	char err[128];
	int rc;

	memset(err, 'x', sizeof err);
	rc = json_parse_body(b, len, F, NF, &root, values, err, sizeof err);
	free(b);
	if (msg == NULL) {
		if (rc != 0 || root == NULL || err[0] != '\0') {
			print_error("line %d: %.*s: rc %d, err \"%s\", wanted success\n", line, (int)len,
				    body, rc, err);
			fail();
		}
	} else if (rc != AC_EINVAL || root != NULL || strcmp(err, msg) != 0 || values[0] != NULL ||
		   values[1] != NULL) {
		print_error("line %d: %.*s: rc %d, err \"%s\", wanted \"%s\"\n", line, (int)len, body, rc,
			    err, msg);
		fail();
	}
	cJSON_Delete(root);
}

#define PARSE(lit, msg) check_parse(lit, sizeof(lit) - 1, msg, __LINE__)

/* A chain of n objects {"a":{"a":...1...}} or n arrays [[...1...]]. */
static char *nested(size_t n, int arrays)
{
	char *s = malloc(n * 6 + 2);
	size_t k = 0;

	assert_non_null(s);
	for (size_t d = 0; d < n; d++) {
		if (arrays) {
			s[k++] = '[';
		} else {
			memcpy(s + k, "{\"a\":", 5);
			k += 5;
		}
	}
	s[k++] = '1';
	for (size_t d = 0; d < n; d++)
		s[k++] = arrays ? ']' : '}';
	s[k] = '\0';
	return s;
}

/* ---- json_check_syntax ---- */

static void test_syntax_valid(void **state)
{
	(void)state;
	GOOD("{}");
	GOOD("[]");
	GOOD("{\"a\":1}");
	GOOD("{ \"a\" : [ 1 , 2 ] , \"b\" : { } }");
	GOOD("[[],{},[{}]]");
	GOOD("\"top-level string\"");
	GOOD("0");
	GOOD("true");
	GOOD("false");
	GOOD("null");
	GOOD("[true,false,null]");
	GOOD("{\"\":\"\"}");
	GOOD("\"h\xC3\xA9llo \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\"");
	GOOD("\"\x7F\"");                       /* DEL is not a control character for JSON */
	GOOD("{\"\xC3\xA9\":\"\xEF\xBB\xBF\"}"); /* U+FEFF inside a string is fine */
}

static void test_syntax_numbers(void **state)
{
	(void)state;
	GOOD("0");
	GOOD("-0");
	GOOD("-0.0");
	GOOD("123");
	GOOD("-123");
	GOOD("1.5");
	GOOD("0.001");
	GOOD("1E5");
	GOOD("1e5");
	GOOD("1e+5");
	GOOD("1E-5");
	GOOD("-0.5e+10");
	GOOD("10e00");
	GOOD("1e999");
	GOOD("[0,-0,1.0,2e3]");
	GOOD("123456789012345678901234567890123456789012345678901234567890123456789012345");
	BAD("01");
	BAD("-01");
	BAD("00");
	BAD("1.");
	BAD("1.e5");
	BAD(".5");
	BAD("-.5");
	BAD("+1");
	BAD("-");
	BAD("--1");
	BAD("- 1");
	BAD("1e");
	BAD("1e+");
	BAD("1E-");
	BAD("1e5.0");
	BAD("1.5.5");
	BAD("0x10");
	BAD("1_000");
	BAD("{\"a\":01}");
	BAD("{\"a\":1.}");
	BAD("{\"a\":-}");
	BAD("[1e]");
	BAD("[.5]");
}

static void test_syntax_literals(void **state)
{
	(void)state;
	BAD("True");
	BAD("NULL");
	BAD("nul");
	BAD("tru");
	BAD("fals");
	BAD("truex");
	BAD("nulls");
	BAD("[truefalse]");
	BAD("NaN");
	BAD("nan");
	BAD("Infinity");
	BAD("-Infinity");
	BAD("{\"a\":NaN}");
	BAD("{\"a\":Infinity}");
	BAD("{\"a\":-Infinity}");
	BAD("undefined");
	BAD("{\"a\":undefined}");
}

static void test_syntax_structure(void **state)
{
	(void)state;
	BAD("{");
	BAD("}");
	BAD("[");
	BAD("]");
	BAD("{\"a\"}");
	BAD("{\"a\":}");
	BAD("{\"a\" 1}");
	BAD("{a:1}");
	BAD("{'a':1}");
	BAD("{1:1}");
	BAD("{\"a\":1,}");
	BAD("{,}");
	BAD("{,\"a\":1}");
	BAD("[1,]");
	BAD("[,1]");
	BAD("[1 2]");
	BAD("{\"a\":1 \"b\":2}");
	BAD("{\"a\":1;\"b\":2}");
	BAD("[1}");
	BAD("{\"a\":1]");
	BAD("{\"a\"::1}");
	BAD("{\"a\":1");
	BAD("[1,2");
	BAD("/* c */ {}");
	BAD("{} // c");
}

static void test_syntax_strings_escapes(void **state)
{
	(void)state;
	GOOD("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"");
	GOOD("\"\\u0041\\u00e9\\u00E9\\u20AC\\uFFFF\"");
	GOOD("{\"\\u0061\":1}");
	BAD("\"\\x41\"");
	BAD("\"\\a\"");
	BAD("\"\\'\"");
	BAD("\"\\0\"");
	BAD("\"\\U0041\"");
	BAD("\"\\u12\"");
	BAD("\"\\u12G4\"");
	BAD("\"\\u\"");
	BAD("\"\\u004");
	BAD("\"\\");
	BAD("\"\\\"");
	BAD("\"abc");
	BAD("\"");
	BAD("'abc'");
}

static void test_syntax_surrogates(void **state)
{
	(void)state;
	GOOD("\"\\uD83D\\uDE00\"");      /* U+1F600 */
	GOOD("\"\\ud83d\\ude00\"");
	GOOD("\"\\uD800\\uDC00\"");      /* U+10000 */
	GOOD("\"\\uDBFF\\uDFFF\"");      /* U+10FFFF */
	GOOD("\"a\\uD83D\\uDE00b\"");
	GOOD("{\"\\uD83D\\uDE00\":1}");
	BAD("\"\\uD83D\"");              /* lone high at the end of the string */
	BAD("\"\\uD83Dx\"");             /* high followed by a plain character */
	BAD("\"\\uD83D\\u0041\"");       /* high followed by a non-low escape */
	BAD("\"\\uD83D\\uD83D\"");       /* high followed by high */
	BAD("\"\\uD83D\\n\"");           /* high followed by another escape */
	BAD("\"\\uD83D \\uDE00\"");      /* not immediately */
	BAD("\"\\uDE00\"");              /* lone low */
	BAD("\"\\uDFFF\"");
	BAD("\"\\uDE00\\uD83D\"");       /* reversed pair */
	BAD("\"\\uD83D\\u");             /* cut inside the pair */
	BAD("\"\\uD83D\\uDE0\"");
	BAD("{\"\\uD800\":1}");          /* in a key too */
}

static void test_syntax_control_chars(void **state)
{
	(void)state;
	BAD("\"\x01\"");
	BAD("\"\x1F\"");
	BAD("\"a\tb\"");
	BAD("\"a\nb\"");
	BAD("\"a\rb\"");
	BAD("{\"a\x01\":1}");
	BAD("\x01{}");
	BAD("{}\x01");
	GOOD("\"a\\tb\"");
}

static void test_syntax_nul_bytes(void **state)
{
	(void)state;
	BAD("{}\0");
	BAD("\0{}");
	BAD("{\0}");
	BAD("{\"a\":\"x\0y\"}");
	BAD("{\"a\0\":1}");
	BAD("\0");
}

static void test_syntax_has_nul(void **state)
{
	int has_nul;

	(void)state;
	has_nul = -1;
	assert_int_equal(syntax("{\"a\":\"x\"}", 9, &has_nul), 0);
	assert_int_equal(has_nul, 0);
	has_nul = -1;
	assert_int_equal(syntax("{\"a\":\"\\u0000\"}", 14, &has_nul), 0);
	assert_int_equal(has_nul, 1);
	has_nul = -1;
	assert_int_equal(syntax("{\"\\u0000\":1}", 12, &has_nul), 0);
	assert_int_equal(has_nul, 1);
	has_nul = -1;
	assert_int_equal(syntax("[[\"a\\u0000b\"]]", 14, &has_nul), 0);
	assert_int_equal(has_nul, 1);
	/* An escaped backslash followed by the text u0000 is no NUL. */
	has_nul = -1;
	assert_int_equal(syntax("\"\\\\u0000\"", 9, &has_nul), 0);
	assert_int_equal(has_nul, 0);
	/* \u0001 is not \u0000. */
	has_nul = -1;
	assert_int_equal(syntax("\"\\u0001\\u0100\"", 14, &has_nul), 0);
	assert_int_equal(has_nul, 0);
	/* has_nul may be NULL. */
	assert_int_equal(json_check_syntax("{}", 2, NULL), 0);
}

static void test_syntax_bom(void **state)
{
	(void)state;
	BAD("\xEF\xBB\xBF{}");
	BAD("\xEF\xBB\xBF");
	BAD(" \xEF\xBB\xBF{}");
	BAD("\xFE\xFF{}");
}

static void test_syntax_invalid_utf8(void **state)
{
	(void)state;
	BAD("\"\xC0\x80\"");             /* overlong NUL */
	BAD("\"\xC1\xBF\"");
	BAD("\"\xE0\x80\xAF\"");         /* overlong '/' */
	BAD("\"\xED\xA0\x80\"");         /* encoded surrogate */
	BAD("\"\xED\xBF\xBF\"");
	BAD("\"\xF4\x90\x80\x80\"");     /* above U+10FFFF */
	BAD("\"\xF5\x80\x80\x80\"");
	BAD("\"\xC3\"");                 /* truncated sequences */
	BAD("\"\xE2\x82\"");
	BAD("\"\xF0\x9F\x98\"");
	BAD("\"\x80\"");                 /* stray continuation */
	BAD("\"\xFF\"");
	BAD("{\"\xC3\":1}");             /* in a key */
	BAD("{\"a\":1}\xC3");            /* outside strings */
	BAD("\xC2\xA0{}");               /* NBSP is not whitespace (and not a value) */
}

static void test_syntax_whitespace(void **state)
{
	(void)state;
	BAD("");
	BAD(" ");
	BAD("\n");
	BAD(" \t\r\n");
	GOOD(" \t\r\n{} \t\r\n");
	GOOD("{}\n");
	GOOD("{} ");
	GOOD("[ 1 ,\n2\t]");
	BAD("\v{}");
	BAD("\f{}");
	BAD("{}\v");
	BAD("{}\f");
	BAD("{\"a\":\f1}");
	assert_int_equal(json_check_syntax(NULL, 0, NULL), AC_EINVAL);
}

static void test_syntax_trailing(void **state)
{
	(void)state;
	BAD("{} x");
	BAD("{}{}");
	BAD("{} {}");
	BAD("{}}");
	BAD("[]]");
	BAD("{},");
	BAD("1 2");
	BAD("\"a\" \"b\"");
	BAD("{}\n\n[");
	BAD("null null");
}

static void test_syntax_depth(void **state)
{
	char *s;

	(void)state;
	/* A top-level container is depth 1: 16 nested pass, 17 do not. */
	s = nested(JSON_MAX_DEPTH, 0);
	check_syntax(s, strlen(s), 1, __LINE__);
	free(s);
	s = nested(JSON_MAX_DEPTH + 1, 0);
	check_syntax(s, strlen(s), 0, __LINE__);
	free(s);
	s = nested(JSON_MAX_DEPTH, 1);
	check_syntax(s, strlen(s), 1, __LINE__);
	free(s);
	s = nested(JSON_MAX_DEPTH + 1, 1);
	check_syntax(s, strlen(s), 0, __LINE__);
	free(s);
	s = nested(1000, 1);
	check_syntax(s, strlen(s), 0, __LINE__);
	free(s);
	/* Mixed objects and arrays count alike: 8 objects holding 8 arrays is 16. */
	GOOD("{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":[[[[[[[[1]]]]]]]]}}}}}}}}");
	BAD("{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":[[[[[[[[[1]]]]]]]]]}}}}}}}}");
	BAD("{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":[[[[[[[[{}]]]]]]]]}}}}}}}}");
	GOOD("{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":[[[[[[[[]]]]]]]]}}}}}}}}");
	/* Closing brings the depth back down: many siblings at depth 16 are fine. */
	{
		char buf[4096];
		size_t k = 0;

		for (int d = 0; d < 15; d++)
			buf[k++] = '[';
		for (int r = 0; r < 100; r++) {
			buf[k++] = '[';
			buf[k++] = ']';
			buf[k++] = ',';
		}
		buf[k++] = '1';
		for (int d = 0; d < 15; d++)
			buf[k++] = ']';
		check_syntax(buf, k, 1, __LINE__);
	}
}

/* Inputs that cJSON 1.7.15 accepts and we must not. */
static void test_syntax_stricter_than_cjson(void **state)
{
	static const struct {
		const char *s;
		size_t len;
	} lenient[] = {
#define L(x) { x, sizeof(x) - 1 }
		L("\xEF\xBB\xBF{}"),
		L("{\"a\":01}"),
		L("{\"a\":-01}"),
		L("{\"a\":1.}"),
		L("{\"a\":1.e5}"),
		L("{\"a\":\"\x01\"}"),
		L("{\"a\":\"\tb\"}"),
		L("{\"a\x01\":1}"),
		L("{\"a\":\"\xC0\x80\"}"),
		L("{\"a\":\"\xFF\"}"),
		L("{\"a\":\"\xED\xA0\x80\"}"),
		L("{\"a\":\"\xF4\x90\x80\x80\"}"),
		L("{\"a\":\"\xC3\"}"),
		L("\x01{}"),
		L("{}\x01"),
		L("\v{}"),
		L("{\"a\":1}\f"),
#undef L
	};

	size_t cjson_accepts = 0;

	(void)state;
	for (size_t k = 0; k < sizeof lenient / sizeof lenient[0]; k++) {
		char *b = malloc(lenient[k].len + 1);
		cJSON *t;

		assert_non_null(b);
		memcpy(b, lenient[k].s, lenient[k].len);
		b[lenient[k].len] = '\0';
		t = cJSON_ParseWithLengthOpts(b, lenient[k].len + 1, NULL, 1);
		free(b);
		if (t != NULL)
			cjson_accepts++;
		cJSON_Delete(t);
		check_syntax(lenient[k].s, lenient[k].len, 0, __LINE__);
		check_parse(lenient[k].s, lenient[k].len, MALFORMED, __LINE__);
	}
	/* With Debian 12's cJSON 1.7.15 every one of them gets through cJSON alone. */
	assert_int_equal(cjson_accepts, sizeof lenient / sizeof lenient[0]);
	/* Deeper than 16 but far below cJSON's own limit of 1000. */
	{
		char *s = nested(JSON_MAX_DEPTH + 1, 0);
		cJSON *t = cJSON_Parse(s);

		assert_non_null(t);
		cJSON_Delete(t);
		check_parse(s, strlen(s), MALFORMED, __LINE__);
		free(s);
	}
}

/* ---- json_parse_body: each row of §1.6 ---- */

static void test_row_malformed(void **state)
{
	(void)state;
	PARSE("", MALFORMED);
	PARSE("   ", MALFORMED);
	PARSE("{", MALFORMED);
	PARSE("{\"email\":\"a\"", MALFORMED);
	PARSE("{\"email\":\"a\"} x", MALFORMED);
	PARSE("{}{}", MALFORMED);
	PARSE("{\"email\":\"\xC3\"}", MALFORMED);
	PARSE("\xEF\xBB\xBF{\"email\":\"a\"}", MALFORMED);
	PARSE("{\"email\":\"\\uD83D\"}", MALFORMED);
	PARSE("{\"email\":\"\\uDE00\"}", MALFORMED);
	PARSE("{\"email\":NaN}", MALFORMED);
	PARSE("{\"email\":Infinity}", MALFORMED);
	PARSE("{\"email\":\"a\"}\0", MALFORMED);
}

static void test_row_not_object(void **state)
{
	(void)state;
	PARSE("[]", NOT_OBJECT);
	PARSE("[{\"email\":\"a\"}]", NOT_OBJECT);
	PARSE("\"email\"", NOT_OBJECT);
	PARSE("1", NOT_OBJECT);
	PARSE("null", NOT_OBJECT);
	PARSE("true", NOT_OBJECT);
	PARSE(" \n 0 ", NOT_OBJECT);
}

static void test_row_duplicate(void **state)
{
	(void)state;
	PARSE("{\"email\":\"a\",\"email\":\"b\"}", DUPLICATE);
	PARSE("{\"email\":\"a\",\"password\":\"p\",\"email\":\"a\"}", DUPLICATE);
	PARSE("{\"email\":null,\"email\":null}", DUPLICATE);
	PARSE("{\"\":1,\"\":2}", DUPLICATE);
	/* Keys are compared after decoding escapes. */
	PARSE("{\"email\":\"a\",\"\\u0065mail\":\"b\"}", DUPLICATE);
	PARSE("{\"\\uD83D\\uDE00\":1,\"\xF0\x9F\x98\x80\":2}", DUPLICATE);
	/* At any depth, inside objects and arrays. */
	PARSE("{\"email\":{\"x\":1,\"x\":2}}", DUPLICATE);
	PARSE("{\"email\":[{\"x\":1},{\"y\":1,\"x\":2,\"y\":3}]}", DUPLICATE);
	/* The same key in different objects, or differing only in case, is no duplicate. */
	PARSE("{\"email\":[{\"x\":1},{\"x\":2}]}", "The email field must be a string");
	PARSE("{\"email\":{\"email\":1}}", "The email field must be a string");
	PARSE("{\"email\":\"a\",\"Email\":\"b\"}", UNKNOWN);
}

static void test_row_nul(void **state)
{
	(void)state;
	PARSE("{\"email\":\"a\\u0000b\"}", HAS_NUL);
	PARSE("{\"email\":\"\\u0000\"}", HAS_NUL);
	/* A NUL-bearing key is reported as NUL, not as unknown (cJSON would see "em"). */
	PARSE("{\"em\\u0000ail\":\"x\"}", HAS_NUL);
	PARSE("{\"email\\u0000\":\"x\"}", HAS_NUL);
	/* Deep inside a value that is the wrong type anyway. */
	PARSE("{\"email\":[\"\\u0000\"]}", HAS_NUL);
	PARSE("{\"email\":{\"\\u0000\":1}}", HAS_NUL);
	/* Not a NUL: an escaped backslash before u0000. */
	PARSE("{\"email\":\"\\\\u0000\"}", NULL);
}

static void test_row_unknown(void **state)
{
	(void)state;
	PARSE("{\"Email\":\"a\"}", UNKNOWN);
	PARSE("{\"EMAIL\":null}", UNKNOWN);
	PARSE("{\"email \":\"a\"}", UNKNOWN);
	PARSE("{\"emai\":\"a\"}", UNKNOWN);
	PARSE("{\"email\":\"a\",\"x\":1}", UNKNOWN);
	PARSE("{\"\":\"a\"}", UNKNOWN);
	/* Only top-level keys are fields; nested keys are not checked against the list. */
	PARSE("{\"email\":{\"zzz\":1}}", "The email field must be a string");
}

static void test_row_type(void **state)
{
	(void)state;
	PARSE("{\"email\":1}", "The email field must be a string");
	PARSE("{\"email\":0.5}", "The email field must be a string");
	PARSE("{\"email\":true}", "The email field must be a string");
	PARSE("{\"email\":false}", "The email field must be a string");
	PARSE("{\"email\":{}}", "The email field must be a string");
	PARSE("{\"email\":[]}", "The email field must be a string");
	PARSE("{\"email\":[\"a\"]}", "The email field must be a string");
	PARSE("{\"email\":\"a\",\"password\":1}", "The password field must be a string");
	/* Fields are checked in the order of the list, not of the body. */
	PARSE("{\"password\":1,\"email\":2}", "The email field must be a string");
	PARSE("{\"password\":1,\"email\":null}", "The password field must be a string");
}

static void test_row_order(void **state)
{
	(void)state;
	/* malformed beats everything */
	PARSE("[{\"a\":1,\"a\":2},]", MALFORMED);
	PARSE("{\"a\":1,\"a\":2,}", MALFORMED);
	PARSE("{\"zzz\":\"\\u0000\",\"email\":01}", MALFORMED);
	/* not-an-object beats duplicate and NUL */
	PARSE("[{\"a\":1,\"a\":2}]", NOT_OBJECT);
	PARSE("[\"\\u0000\"]", NOT_OBJECT);
	/* duplicate beats NUL, unknown and type */
	PARSE("{\"email\":\"\\u0000\",\"email\":\"x\"}", DUPLICATE);
	PARSE("{\"zzz\":1,\"zzz\":2}", DUPLICATE);
	PARSE("{\"email\":1,\"zzz\":1,\"email\":2}", DUPLICATE);
	PARSE("{\"zzz\":1,\"email\":{\"a\":1,\"a\":1}}", DUPLICATE);
	/* NUL beats unknown and type */
	PARSE("{\"zzz\":\"\\u0000\"}", HAS_NUL);
	PARSE("{\"email\":1,\"password\":\"\\u0000\"}", HAS_NUL);
	/* unknown beats type */
	PARSE("{\"email\":1,\"zzz\":\"x\"}", UNKNOWN);
	PARSE("{\"zzz\":\"x\",\"email\":1}", UNKNOWN);
	/* Keys that cJSON would truncate at \u0000 to the same "a" are not duplicates. */
	PARSE("{\"a\\u0000b\":1,\"a\\u0000c\":2}", HAS_NUL);
	PARSE("{\"a\\u0000b\":1,\"a\\u0000b\":2}", DUPLICATE);
	PARSE("{\"a\":1,\"a\\u0000\":2}", HAS_NUL);
}

/* ---- json_parse_body: successes ---- */

static void test_success_values(void **state)
{
	const char body[] = "{ \"password\" : \"p\\u00e9ss\\n\", \"email\" : \"  a@b.c  \" }\n";
	const char *values[NF];
	cJSON *root = NULL;
	char err[64];

	(void)state;
	assert_int_equal(json_parse_body(body, sizeof body - 1, F, NF, &root, values, err, sizeof err),
			 0);
	assert_non_null(root);
	assert_string_equal(err, "");
	/* Strings exactly as received (no trimming), escapes decoded. */
	assert_string_equal(values[0], "  a@b.c  ");
	assert_string_equal(values[1], "p\xC3\xA9ss\n");
	/* The pointers point into the tree. */
	assert_ptr_equal(values[0], cJSON_GetObjectItemCaseSensitive(root, "email")->valuestring);
	assert_ptr_equal(values[1], cJSON_GetObjectItemCaseSensitive(root, "password")->valuestring);
	cJSON_Delete(root);
}

static void test_success_absent_and_null(void **state)
{
	const char body2[] = "{\"email\":null,\"password\":\"\"}";
	const char *values[NF];
	cJSON *root = NULL;
	char err[64];

	(void)state;
	values[0] = values[1] = "junk";
	assert_int_equal(json_parse_body("{}", 2, F, NF, &root, values, err, sizeof err), 0);
	assert_non_null(root);
	assert_null(values[0]);
	assert_null(values[1]);
	cJSON_Delete(root);

	values[0] = values[1] = "junk";
	assert_int_equal(json_parse_body(body2, sizeof body2 - 1, F, NF, &root, values, err, sizeof err),
			 0);
	assert_null(values[0]);           /* null counts as absent */
	assert_non_null(values[1]);       /* "" counts as present */
	assert_string_equal(values[1], "");
	cJSON_Delete(root);

	PARSE("{\"email\":null}", NULL);
	PARSE("{\"email\":\"\\uD83D\\uDE00\",\"password\":\"\xE6\x97\xA5\"}", NULL);
}

static void test_success_unicode(void **state)
{
	const char body[] = "{\"email\":\"\\uD83D\\uDE00\\u20ac\xC3\xA9\"}";
	const char *values[NF];
	cJSON *root = NULL;
	char err[64];

	(void)state;
	assert_int_equal(json_parse_body(body, sizeof body - 1, F, NF, &root, values, err, sizeof err),
			 0);
	assert_string_equal(values[0], "\xF0\x9F\x98\x80\xE2\x82\xAC\xC3\xA9");
	assert_null(values[1]);
	cJSON_Delete(root);
}

static void test_not_nul_terminated(void **state)
{
	/* Only len bytes belong to the body: what follows in memory is ignored. */
	const char buf[] = "{\"email\":\"a\"}GARBAGE";
	const char *values[NF];
	cJSON *root = NULL;
	char err[64];

	(void)state;
	assert_int_equal(json_parse_body(buf, 13, F, NF, &root, values, err, sizeof err), 0);
	assert_string_equal(values[0], "a");
	cJSON_Delete(root);
	/* And a cut body is malformed even if the bytes after it would complete it. */
	assert_int_equal(json_parse_body(buf, 12, F, NF, &root, values, err, sizeof err), AC_EINVAL);
	assert_null(root);
	assert_string_equal(err, MALFORMED);
	/* Exact-size heap buffers (ASan would flag an over-read). */
	PARSE("{\"email\":\"a\"}", NULL);
	PARSE("{\"email\":\"a\"}  ", NULL);
	PARSE("{\"email\":1", MALFORMED);
}

static void test_depth_in_parse(void **state)
{
	static const char *const A[] = { "a" };
	const char *values[1];
	cJSON *root = NULL;
	char err[64];
	char *s;

	(void)state;
	s = nested(JSON_MAX_DEPTH, 0);
	assert_int_equal(json_parse_body(s, strlen(s), A, 1, &root, values, err, sizeof err), AC_EINVAL);
	assert_string_equal(err, "The a field must be a string");
	free(s);
	s = nested(JSON_MAX_DEPTH + 1, 0);
	assert_int_equal(json_parse_body(s, strlen(s), A, 1, &root, values, err, sizeof err), AC_EINVAL);
	assert_string_equal(err, MALFORMED);
	assert_null(root);
	free(s);
}

static void test_err_buffer(void **state)
{
	const char *values[NF];
	cJSON *root = NULL;
	char err[8];

	(void)state;
	memset(err, 'x', sizeof err);
	assert_int_equal(json_parse_body("[]", 2, F, NF, &root, values, err, sizeof err), AC_EINVAL);
	assert_string_equal(err, "JSON bo"); /* truncated, terminated */
	assert_int_equal(json_parse_body("{\"email\":1}", 11, F, NF, &root, values, err, sizeof err),
			 AC_EINVAL);
	assert_string_equal(err, "The ema");
	/* No error buffer at all. */
	assert_int_equal(json_parse_body("[]", 2, F, NF, &root, values, NULL, 0), AC_EINVAL);
	assert_null(root);
}

static void test_no_fields(void **state)
{
	cJSON *root = NULL;
	char err[64];

	(void)state;
	assert_int_equal(json_parse_body("{}", 2, NULL, 0, &root, NULL, err, sizeof err), 0);
	assert_non_null(root);
	cJSON_Delete(root);
	assert_int_equal(json_parse_body("{\"a\":1}", 7, NULL, 0, &root, NULL, err, sizeof err),
			 AC_EINVAL);
	assert_string_equal(err, UNKNOWN);
	assert_null(root);
}

/* Many keys: the duplicate check must still find the one repeat, and distinct keys pass. */
static void test_many_keys(void **state)
{
	enum { N = 5000 };
	char *buf = malloc(N * 16 + 64);
	size_t k = 0;
	cJSON *root = NULL;
	char err[64];

	(void)state;
	assert_non_null(buf);
	buf[k++] = '{';
	buf[k++] = '"';
	buf[k++] = 'e';
	buf[k++] = '"';
	buf[k++] = ':';
	buf[k++] = '{';
	for (int i = 0; i < N; i++)
		k += (size_t)sprintf(buf + k, "%s\"k%d\":%d", i ? "," : "", i, i);
	buf[k++] = '}';
	buf[k++] = '}';
	{
		static const char *const E[] = { "e" };
		const char *values[1];

		assert_int_equal(json_parse_body(buf, k, E, 1, &root, values, err, sizeof err), AC_EINVAL);
		assert_string_equal(err, "The e field must be a string");
		/* Now repeat the first key at the end of the inner object. */
		k -= 2;
		k += (size_t)sprintf(buf + k, ",\"k0\":1}}");
		assert_int_equal(json_parse_body(buf, k, E, 1, &root, values, err, sizeof err), AC_EINVAL);
		assert_string_equal(err, DUPLICATE);
		assert_null(root);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax_valid),
		cmocka_unit_test(test_syntax_numbers),
		cmocka_unit_test(test_syntax_literals),
		cmocka_unit_test(test_syntax_structure),
		cmocka_unit_test(test_syntax_strings_escapes),
		cmocka_unit_test(test_syntax_surrogates),
		cmocka_unit_test(test_syntax_control_chars),
		cmocka_unit_test(test_syntax_nul_bytes),
		cmocka_unit_test(test_syntax_has_nul),
		cmocka_unit_test(test_syntax_bom),
		cmocka_unit_test(test_syntax_invalid_utf8),
		cmocka_unit_test(test_syntax_whitespace),
		cmocka_unit_test(test_syntax_trailing),
		cmocka_unit_test(test_syntax_depth),
		cmocka_unit_test(test_syntax_stricter_than_cjson),
		cmocka_unit_test(test_row_malformed),
		cmocka_unit_test(test_row_not_object),
		cmocka_unit_test(test_row_duplicate),
		cmocka_unit_test(test_row_nul),
		cmocka_unit_test(test_row_unknown),
		cmocka_unit_test(test_row_type),
		cmocka_unit_test(test_row_order),
		cmocka_unit_test(test_success_values),
		cmocka_unit_test(test_success_absent_and_null),
		cmocka_unit_test(test_success_unicode),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_depth_in_parse),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_no_fields),
		cmocka_unit_test(test_many_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
