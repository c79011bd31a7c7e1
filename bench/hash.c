/* One bare Argon2id hash at the default parameters (m=19456 KiB, t=2, p=1): login's yardstick (bench/run). */
#include <argon2.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	static const char pw[] = "correct horse battery staple";
	static const unsigned char salt[16] = "bench-salt-0123";
	unsigned m = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 19456;
	unsigned t = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 2;
	unsigned char out[16];
	int rc = argon2id_hash_raw(t, m, 1, pw, sizeof pw - 1, salt, sizeof salt, out, sizeof out);

	if (rc != ARGON2_OK) {
		fprintf(stderr, "argon2: %s\n", argon2_error_message(rc));
		return 1;
	}
	return 0;
}
