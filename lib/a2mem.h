/* Argon2's working memory: 2 MiB-aligned anonymous mappings with transparent huge pages. */
#ifndef AUTHCGI_A2MEM_H
#define AUTHCGI_A2MEM_H

#include <stddef.h>
#include <stdint.h>

#define A2MEM_ALIGN ((size_t)2 << 20)   /* the x86-64 / arm64 transparent huge page size */

/*
 * libargon2's allocate_cbk / free_cbk (argon2_context). A CGI hashes once in a fresh process,
 * so every byte of the m KiB is new memory: with 4 KiB pages that is ~4,900 page faults at
 * the default m; with huge pages ~10 (bench/README.md has the measurements). a2mem_alloc
 * sets *mem to NULL when the mapping fails: libargon2 then returns
 * ARGON2_MEMORY_ALLOCATION_ERROR and the request gets 503, never an abort.
 */
int a2mem_alloc(uint8_t **mem, size_t bytes);
void a2mem_free(uint8_t *mem, size_t bytes);

/*
 * a2mem_free keeps one block of up to max_bytes (madvise(MADV_FREE): the kernel may take its
 * pages back at any time, without swapping) and the next a2mem_alloc of the same size reuses
 * it, so that a long-lived process (FastCGI) neither maps, zeroes nor unmaps m KiB per hash.
 * A larger block (a stored hash with a larger m) is unmapped as before. 0, the default, keeps
 * nothing and unmaps a kept block: a CGI hashes once and exits.
 */
void a2mem_keep(size_t max_bytes);

/*
 * The mapping itself: bytes rounded up to whole pages, at an A2MEM_ALIGN-aligned address (so
 * that every whole 2 MiB of it can be one huge page; the rest stays in small pages).
 * huge != 0: madvise(MADV_HUGEPAGE), so that each fault maps a whole 2 MiB page (when the
 * kernel's THP mode is "always" or "madvise"). Either way the pages are then faulted in at
 * once (MADV_POPULATE_WRITE, Linux 5.14; ignored when the kernel lacks it), not one fault per
 * 4 KiB page during the hash. Returns NULL on failure.
 */
void *a2mem_map(size_t bytes, int huge);
/* Unmaps what a2mem_map(bytes, ...) returned: the memory goes back to the kernel at once. */
void a2mem_unmap(void *mem, size_t bytes);
/* 1 when transparent huge pages can back a madvise()d mapping (THP "always" or "madvise"). */
int a2mem_thp_usable(void);

#endif
