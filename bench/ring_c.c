/* Copyright 2026 the xenpv authors. MIT license.
 * C reference for bench/ring_compare.ts: a guest producer and a dom0 consumer
 * over two mappings of one memfd page laid out as struct xencons_interface,
 * with the ring protocol's ordering (acquire load of the peer's index, copy,
 * release store of ours) and the same index checks as ConsoleRing.
 * Usage: ring_c TOTAL_BYTES CHUNK. Prints "<bytes> <seconds> <checksum>". */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct page { char in[1024]; char out[2048]; uint32_t in_cons, in_prod, out_cons, out_prod; };

int main(int argc, char **argv) {
    long total = atol(argv[1]);
    int chunk = atoi(argv[2]);
    int fd = memfd_create("ring", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, 4096)) return 1;
    struct page *g = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    struct page *d = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    unsigned char src[65536], dst[4096];
    for (int i = 0; i < 65536; i++) src[i] = (unsigned char)(i * 7);
    uint32_t gprod = 0, dcons = 0, sum = 0;
    long sent = 0, got = 0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    while (got < total) {
        if (sent < total) { /* guest: write up to chunk bytes */
            uint32_t cons = __atomic_load_n(&g->out_cons, __ATOMIC_ACQUIRE);
            uint32_t space = 2048 - (gprod - cons);
            uint32_t n = space < (uint32_t)chunk ? space : (uint32_t)chunk;
            if (n > total - sent) n = (uint32_t)(total - sent);
            for (uint32_t i = 0; i < n; i++) g->out[(gprod + i) & 2047] = src[(sent + i) & 65535];
            gprod += n;
            __atomic_store_n(&g->out_prod, gprod, __ATOMIC_RELEASE);
            sent += n;
        }
        { /* dom0: read what is there, checking the indices */
            if (__atomic_load_n(&d->out_cons, __ATOMIC_RELAXED) != dcons) return 2;
            uint32_t prod = __atomic_load_n(&d->out_prod, __ATOMIC_ACQUIRE);
            uint32_t avail = prod - dcons;
            if (avail > 2048) return 3;
            uint32_t start = dcons & 2047, first = avail < 2048 - start ? avail : 2048 - start;
            memcpy(dst, d->out + start, first);
            memcpy(dst + first, d->out, avail - first);
            dcons += avail;
            __atomic_store_n(&d->out_cons, dcons, __ATOMIC_SEQ_CST);
            for (uint32_t i = 0; i < avail; i++) sum = sum * 31 + dst[i];
            got += avail;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%ld %.6f %u\n", got, (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9, sum);
    return 0;
}
