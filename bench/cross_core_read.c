/* How fast one core reads data another core has just written, beside reading its own: the cost a
 * layer pays when its input was written on the other core (see Parallel.java, the CPU path's
 * blocks). One thread on cpu 0 writes a buffer; then either it reads the buffer back (local) or a
 * thread pinned to cpu 1 reads it (remote); each round writes again first. Prints the median
 * read time over the rounds and GB/s, for each buffer size.
 * Build and run:  gcc -O3 -march=native -pthread cross_core_read.c -o cross_core_read
 *                 ./cross_core_read [KiB ...]      (default: 256 512 1024 1800 4096 16384)
 * The read keeps 64 running sums, so it is bound by the memory system, not by one chain of
 * additions. Run on a quiet machine; cpus 0 and 1 must exist. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ROUNDS 401

static float *buf;
static size_t count;
static atomic_int turn; /* 0: the writer's, 1: the remote reader's, 2: stop */
static double times[ROUNDS];
static volatile float sink;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
        fprintf(stderr, "cannot pin a thread to cpu %d\n", cpu);
        exit(1);
    }
}

static void write_all(int round) {
    for (size_t i = 0; i < count; i++) buf[i] = (float) (round + i);
}

static double read_all(void) {
    double t0 = now();
    float acc[64] = {0}; /* 64 sums: several vector registers, so the adds do not bound the read */
    for (size_t i = 0; i < count; i += 64)
        for (int j = 0; j < 64; j++) acc[j] += buf[i + j];
    float s = 0;
    for (int j = 0; j < 64; j++) s += acc[j];
    sink = s;
    return now() - t0;
}

static void *remote_reader(void *arg) {
    (void) arg;
    pin(1);
    for (int round = 0;; round++) {
        int t;
        while ((t = atomic_load(&turn)) == 0) {
        }
        if (t == 2) return NULL;
        times[round] = read_all();
        atomic_store(&turn, 0);
    }
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static double median_read(int remote) {
    pthread_t thread;
    atomic_store(&turn, 0);
    if (remote) pthread_create(&thread, NULL, remote_reader, NULL);
    for (int round = 0; round < ROUNDS; round++) {
        write_all(round);
        if (remote) {
            atomic_store(&turn, 1);
            while (atomic_load(&turn) != 0) {
            }
        } else {
            times[round] = read_all();
        }
    }
    if (remote) {
        atomic_store(&turn, 2);
        pthread_join(thread, NULL);
    }
    qsort(times, ROUNDS, sizeof times[0], cmp);
    return times[ROUNDS / 2];
}

int main(int argc, char **argv) {
    static const int defaults[] = {256, 512, 1024, 1800, 4096, 16384};
    int n = argc > 1 ? argc - 1 : (int) (sizeof defaults / sizeof defaults[0]);
    pin(0);
    printf("%10s %14s %14s %12s %12s\n", "KiB", "local us", "remote us", "local GB/s", "remote GB/s");
    for (int k = 0; k < n; k++) {
        int kib = argc > 1 ? atoi(argv[k + 1]) : defaults[k];
        if (kib <= 0) {
            fprintf(stderr, "size %s: KiB must be a positive integer\n", argv[k + 1]);
            return 1;
        }
        count = (size_t) kib * 256;
        buf = aligned_alloc(64, count * sizeof(float));
        double local = median_read(0), remote = median_read(1);
        double bytes = (double) count * sizeof(float);
        printf("%10d %14.1f %14.1f %12.1f %12.1f\n", kib, local * 1e6, remote * 1e6, bytes / local / 1e9,
               bytes / remote / 1e9);
        free(buf);
    }
    return 0;
}
