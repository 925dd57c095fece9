/* The entry point of the static-PIE binary (linked with -e metaboot_start).
 *
 * The kernel maps the image at a random address and jumps here with no
 * loader: this code adjusts the image's pointers by that address (DT_RELR,
 * and DT_RELA's relative entries should a linker emit some), makes the
 * RELRO range read-only (a static binary has no loader to do it, so with
 * musl's own start-up RELRO is only a header), then enters musl through
 * __libc_start_main as its crt1 does.
 *
 * Until the relocations are applied no pointer stored in the image is valid:
 * every symbol used here is hidden, so it is reached relative to the
 * program counter, never through the GOT; the file is built without stack
 * canaries (the thread pointer that holds the canary is set up by musl
 * later) and without builtins. A relocation of an unexpected type stops the
 * process at once rather than running half relocated. */
#include "start/relocate.h"

#include <elf.h>
#include <link.h>
#include <syscall.h>

/* musl 1.2.3's elf.h predates DT_RELR (the gABI's numbers). */
#ifndef DT_RELR
#define DT_RELRSZ 35
#define DT_RELR 36
#endif

#define HIDDEN __attribute__((visibility("hidden")))

extern HIDDEN const ElfW(Ehdr) __ehdr_start;
extern HIDDEN ElfW(Dyn) _DYNAMIC[];
HIDDEN int main(int, char**, char**);
HIDDEN int __libc_start_main(int (*)(int, char**, char**), int, char**, void (*)(void), void (*)(void), void (*)(void));
HIDDEN void _init(void);
HIDDEN void _fini(void); /* crti.o */

#if defined(__x86_64__)
#define RELATIVE_TYPE R_X86_64_RELATIVE
__asm__(".text\n"
        ".global metaboot_start\n"
        ".type metaboot_start,@function\n"
        "metaboot_start:\n"
        "    xor %ebp,%ebp\n"
        "    mov %rsp,%rdi\n"
        "    and $-16,%rsp\n"
        "    call metaboot_start_c\n"
        "    hlt\n");

static long raw_mprotect(uintptr_t start, size_t length, long prot)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"((long)SYS_mprotect), "D"(start), "S"(length), "d"(prot) : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
#define RELATIVE_TYPE R_AARCH64_RELATIVE
__asm__(".text\n"
        ".global metaboot_start\n"
        ".type metaboot_start,%function\n"
        "metaboot_start:\n"
        "    mov x29, #0\n"
        "    mov x30, #0\n"
        "    mov x0, sp\n"
        "    and sp, x0, #-16\n"
        "    b metaboot_start_c\n");

static long raw_mprotect(uintptr_t start, size_t length, long prot)
{
    register long x8 __asm__("x8") = SYS_mprotect;
    register long x0 __asm__("x0") = (long)start;
    register long x1 __asm__("x1") = (long)length;
    register long x2 __asm__("x2") = prot;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory", "cc");
    return x0;
}
#else
#error "static_pie.c: x86_64 or aarch64"
#endif

HIDDEN __attribute__((noreturn, used)) void metaboot_start_c(uintptr_t* sp)
{
    int argc = (int)sp[0];
    char** argv = (char**)(sp + 1);
    /* The auxiliary vector follows argv's and envp's terminating nulls. */
    uintptr_t* auxv = sp + 1 + argc + 1;
    while (*auxv)
        auxv++;
    auxv++;
    uintptr_t page = 4096;
    for (; auxv[0] != AT_NULL; auxv += 2)
        if (auxv[0] == AT_PAGESZ)
            page = auxv[1];

    /* The load address: where the ELF header is, less where the link put
     * the segment that holds it. */
    const ElfW(Ehdr)* ehdr = &__ehdr_start;
    const ElfW(Phdr)* phdr = (const ElfW(Phdr)*)((const char*)ehdr + ehdr->e_phoff);
    uintptr_t base = (uintptr_t)ehdr;
    for (int i = 0; i < ehdr->e_phnum; i++)
        if (phdr[i].p_type == PT_LOAD && phdr[i].p_offset == 0) {
            base -= phdr[i].p_vaddr;
            break;
        }

    uintptr_t relr = 0, relr_size = 0, rela = 0, rela_size = 0;
    for (const ElfW(Dyn)* d = _DYNAMIC; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_RELR)
            relr = d->d_un.d_ptr;
        else if (d->d_tag == DT_RELRSZ)
            relr_size = d->d_un.d_val;
        else if (d->d_tag == DT_RELA)
            rela = d->d_un.d_ptr;
        else if (d->d_tag == DT_RELASZ)
            rela_size = d->d_un.d_val;
        else if (d->d_tag == DT_REL || d->d_tag == DT_JMPREL)
            __builtin_trap();
    }
    if (rela && mb_apply_rela_relative(base, (const uintptr_t*)(base + rela), rela_size, RELATIVE_TYPE) != 0)
        __builtin_trap();
    if (relr)
        mb_apply_relr(base, (const uintptr_t*)(base + relr), relr_size);

    for (int i = 0; i < ehdr->e_phnum; i++)
        if (phdr[i].p_type == PT_GNU_RELRO) {
            uintptr_t start = (base + phdr[i].p_vaddr) & -page;
            uintptr_t end = (base + phdr[i].p_vaddr + phdr[i].p_memsz) & -page;
            /* A failure leaves it writable, as musl's own start-up does. */
            if (end > start)
                raw_mprotect(start, end - start, 1 /* PROT_READ */);
        }

    __libc_start_main(main, argc, argv, _init, _fini, 0);
    __builtin_unreachable();
}
