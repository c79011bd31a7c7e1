/* TOTP secrets at rest: AES-256-GCM under a key derived from SECRET_KEY, stored as base64(nonce‖ct‖tag) (API.md §11.1). */
#include "seal.h"
#include "crypto.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define SEAL_MAX_PLAIN 256   /* secrets are 20 bytes; anything longer stored is malformed */

int seal_key(const char *secret_key, size_t secret_len, unsigned char key[SEAL_KEY_LEN])
{
	static const char label[] = "auth.totp";
	unsigned char *buf = malloc(sizeof label - 1 + secret_len), k[32];

	if (!buf)
		return AC_ENOMEM;
	memcpy(buf, label, sizeof label - 1);
	memcpy(buf + sizeof label - 1, secret_key, secret_len);
	sec_sha256(buf, sizeof label - 1 + secret_len, k);
	OPENSSL_cleanse(buf, sizeof label - 1 + secret_len);
	free(buf);
	sec_hmac_sha256(k, sizeof k, "encryption", 10, key);
	OPENSSL_cleanse(k, sizeof k);
	return AC_OK;
}

int seal_encrypt(const unsigned char key[SEAL_KEY_LEN], const void *plain, size_t n, char **out)
{
	size_t raw_len = SEAL_NONCE_LEN + n + SEAL_TAG_LEN;
	unsigned char *raw;
	EVP_CIPHER_CTX *x = NULL;
	int len = 0, fin = 0, rc = AC_EINTERNAL;

	*out = NULL;
	if (n > SEAL_MAX_PLAIN)
		return AC_EINVAL;
	raw = malloc(raw_len);
	if (!raw)
		return AC_ENOMEM;
	if (sec_random(raw, SEAL_NONCE_LEN) != AC_OK)
		goto done;
	x = EVP_CIPHER_CTX_new();
	if (!x || EVP_EncryptInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(x, NULL, NULL, key, raw) != 1 ||
	    EVP_EncryptUpdate(x, raw + SEAL_NONCE_LEN, &len, plain, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(x, raw + SEAL_NONCE_LEN + len, &fin) != 1 ||
	    (size_t)(len + fin) != n ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN, raw + SEAL_NONCE_LEN + n) != 1)
		goto done;
	*out = malloc(4 * ((raw_len + 2) / 3) + 1);
	if (!*out) {
		rc = AC_ENOMEM;
		goto done;
	}
	EVP_EncodeBlock((unsigned char *)*out, raw, (int)raw_len);
	rc = AC_OK;
done:
	EVP_CIPHER_CTX_free(x);
	OPENSSL_cleanse(raw, raw_len);
	free(raw);
	return rc;
}

int seal_decrypt(const unsigned char key[SEAL_KEY_LEN], const char *sealed, void *out, size_t cap,
		 size_t *n)
{
	size_t slen = strlen(sealed), raw_len, ct_len;
	unsigned char raw[4 * SEAL_MAX_PLAIN], plain[SEAL_MAX_PLAIN + 16];
	EVP_CIPHER_CTX *x;
	int got, len = 0, fin = 0, rc = AC_EDENIED;

	*n = 0;
	if (slen == 0 || slen % 4 || slen / 4 * 3 > sizeof raw)
		return AC_EDENIED;
	got = EVP_DecodeBlock(raw, (const unsigned char *)sealed, (int)slen);
	if (got < 0)
		return AC_EDENIED;
	/* EVP_DecodeBlock counts the padding's zero bytes */
	raw_len = (size_t)got - (sealed[slen - 1] == '=') - (sealed[slen - 2] == '=');
	if (raw_len < SEAL_NONCE_LEN + SEAL_TAG_LEN)
		return AC_EDENIED;
	ct_len = raw_len - SEAL_NONCE_LEN - SEAL_TAG_LEN;
	if (ct_len > SEAL_MAX_PLAIN || ct_len > cap)
		return AC_EDENIED;
	x = EVP_CIPHER_CTX_new();
	if (!x)
		return AC_ENOMEM;
	if (EVP_DecryptInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(x, NULL, NULL, key, raw) != 1 ||
	    EVP_DecryptUpdate(x, plain, &len, raw + SEAL_NONCE_LEN, (int)ct_len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN,
				raw + SEAL_NONCE_LEN + ct_len) != 1) {
		rc = AC_EINTERNAL;
		goto done;
	}
	if (EVP_DecryptFinal_ex(x, plain + len, &fin) != 1)
		goto done;   /* the tag does not authenticate */
	memcpy(out, plain, ct_len);
	*n = ct_len;
	rc = AC_OK;
done:
	EVP_CIPHER_CTX_free(x);
	OPENSSL_cleanse(plain, sizeof plain);
	OPENSSL_cleanse(raw, sizeof raw);
	return rc;
}
