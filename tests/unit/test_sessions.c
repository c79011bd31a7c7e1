/* Unit tests for lib/sessions.c: the §7.13 list JSON (order, keys, times, nulls) and the §7.15 result. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sessions.h"

static void fill(struct session *s, char hc, const char *sid, long long created, long long seen,
		 const char *ip, const char *ua)
{
	memset(s, 0, sizeof *s);
	memset(s->h, hc, 64);
	snprintf(s->sid, sizeof s->sid, "%s", sid);
	snprintf(s->uid, sizeof s->uid, "3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b");
	s->created = created;
	s->seen = seen;
	snprintf(s->ip, sizeof s->ip, "%s", ip);
	snprintf(s->ua, sizeof s->ua, "%s", ua);
}

static char *render(const struct session *list, size_t n, const char *current_h, unsigned age)
{
	cJSON *json = sessions_json(list, n, current_h, age);
	char *out;

	assert_non_null(json);
	out = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	assert_non_null(out);
	return out;
}

static void test_api_example(void **state)
{
	struct session s;
	char *out;

	(void)state;
	fill(&s, 'a', "5b1f0c9d2e3a4b5c6d7e8f9a0b1c2d3e", 1684570801, 1684573364, "203.0.113.7",
	     "Mozilla/5.0 (X11; Linux x86_64)");
	out = render(&s, 1, s.h, 1209600);
	assert_string_equal(out,
		"{\"sessions\":[{\"id\":\"5b1f0c9d2e3a4b5c6d7e8f9a0b1c2d3e\",\"current\":true,"
		"\"created_at\":\"2023-05-20 08:20:01+00:00\",\"last_seen_at\":\"2023-05-20 09:02:44+00:00\","
		"\"expires_at\":\"2023-06-03 08:20:01+00:00\",\"ip_address\":\"203.0.113.7\","
		"\"user_agent\":\"Mozilla/5.0 (X11; Linux x86_64)\"}]}");
	free(out);
}

static void test_current_first_then_given_order_and_nulls(void **state)
{
	struct session list[3];
	char cur[65], *out;
	cJSON *json, *arr;

	(void)state;
	/* as sess_list returns them: newest created first */
	fill(&list[0], 'c', "cccccccccccccccccccccccccccccccc", 300, 300, "", "");
	fill(&list[1], 'b', "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 200, 250, "198.51.100.2", "UA \"b\"");
	fill(&list[2], 'a', "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 100, 100, "::1", "");
	memcpy(cur, list[1].h, sizeof cur);
	json = sessions_json(list, 3, cur, 3600);
	assert_non_null(json);
	arr = cJSON_GetObjectItemCaseSensitive(json, "sessions");
	assert_int_equal(cJSON_GetArraySize(arr), 3);
	const char *want[] = { "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccccccccccccccc",
			       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	for (int i = 0; i < 3; i++) {
		cJSON *o = cJSON_GetArrayItem(arr, i);

		assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "id")->valuestring, want[i]);
		assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "current")), i == 0);
	}
	cJSON_Delete(json);

	out = render(&list[0], 1, cur, 3600);
	assert_string_equal(out,
		"{\"sessions\":[{\"id\":\"cccccccccccccccccccccccccccccccc\",\"current\":false,"
		"\"created_at\":\"1970-01-01 00:05:00+00:00\",\"last_seen_at\":\"1970-01-01 00:05:00+00:00\","
		"\"expires_at\":\"1970-01-01 01:05:00+00:00\",\"ip_address\":null,\"user_agent\":null}]}");
	free(out);
	out = render(&list[1], 1, NULL, 60);
	assert_non_null(strstr(out, "\"user_agent\":\"UA \\\"b\\\"\""));
	assert_non_null(strstr(out, "\"current\":false"));
	free(out);
}

static void test_empty_list(void **state)
{
	char *out;

	(void)state;
	out = render(NULL, 0, "x", 60);
	assert_string_equal(out, "{\"sessions\":[]}");
	free(out);
}

static void test_revoked(void **state)
{
	cJSON *json;
	char *out;

	(void)state;
	json = sessions_revoked_json(2);
	assert_non_null(json);
	out = cJSON_PrintUnformatted(json);
	assert_string_equal(out, "{\"message\":\"All other sessions have been revoked\",\"revoked\":2}");
	free(out);
	cJSON_Delete(json);
	json = sessions_revoked_json(0);
	out = cJSON_PrintUnformatted(json);
	assert_string_equal(out, "{\"message\":\"All other sessions have been revoked\",\"revoked\":0}");
	free(out);
	cJSON_Delete(json);
}

static void test_find_refuses_malformed_ids_without_redis(void **state)
{
	struct session s;

	(void)state;
	/* A malformed id is answered before any command: a NULL connection is never touched. */
	assert_int_equal(sessions_find(NULL, "u", "xyz", &s), AC_ENOTFOUND);
	assert_int_equal(sessions_find(NULL, "u", "5B1F0C9D2E3A4B5C6D7E8F9A0B1C2D3E", &s), AC_ENOTFOUND);
	assert_int_equal(sessions_find(NULL, "u", "5b1f0c9d2e3a4b5c6d7e8f9a0b1c2d3", &s), AC_ENOTFOUND);
	assert_int_equal(sessions_find(NULL, "u", "5b1f0c9d2e3a4b5c6d7e8f9a0b1c2d3e0", &s), AC_ENOTFOUND);
	assert_int_equal(sessions_find(NULL, "u", NULL, &s), AC_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_example),
		cmocka_unit_test(test_current_first_then_given_order_and_nulls),
		cmocka_unit_test(test_empty_list),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_find_refuses_malformed_ids_without_redis),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
