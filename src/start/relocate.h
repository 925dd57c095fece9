/* metaboot's own static-PIE start-up, the part that can be tested: applying
 * the binary's relative relocations to itself.
 *
 * The binary is linked with lld's -z pack-relative-relocs, which stores each
 * pointer the loader must adjust by the load address in DT_RELR (a word
 * naming an address, then bitmap words naming the 63 (or 31) words after it)
 * instead of 24-byte RELA entries: 184 bytes instead of about 22 KB. musl
 * 1.2.3's rcrt1.o predates DT_RELR, so src/start/static_pie.c is the entry
 * point and calls these before anything else runs.
 *
 * Nothing here may touch a global, call through a pointer or use the stack
 * canary: at this point no pointer in the image is relocated and the
 * thread pointer is not set up. Plain C, usable from the C++ unit tests. */
#ifndef METABOOT_START_RELOCATE_H
#define METABOOT_START_RELOCATE_H

#include <stddef.h>
#include <stdint.h>

/* Adds base to each word DT_RELR names; size in bytes. */
static inline void mb_apply_relr(uintptr_t base, const uintptr_t* relr, size_t size)
{
    const size_t bits = 8 * sizeof(uintptr_t) - 1;
    uintptr_t* where = 0;
    for (size_t i = 0; i < size / sizeof(uintptr_t); i++) {
        uintptr_t entry = relr[i];
        if ((entry & 1) == 0) {
            /* An address (link-time): adjust it, the bitmaps follow it. */
            where = (uintptr_t*)(base + entry);
            *where++ += base;
            continue;
        }
        for (size_t bit = 0; (entry >>= 1) != 0; bit++)
            if (entry & 1)
                where[bit] += base;
        where += bits;
    }
}

/* Applies RELA entries of the relative type (base + addend); size in bytes.
 * Returns 0, or -1 at the first entry of any other type: a static PIE
 * linked here has none, and one would mean a symbol nobody can resolve. */
static inline int mb_apply_rela_relative(uintptr_t base, const uintptr_t* rela, size_t size, uint32_t relative_type)
{
    for (size_t i = 0; i + 3 <= size / sizeof(uintptr_t); i += 3) {
        if ((uint32_t)rela[i + 1] != relative_type)
            return -1;
        *(uintptr_t*)(base + rela[i]) = base + rela[i + 2];
    }
    return 0;
}

#endif
