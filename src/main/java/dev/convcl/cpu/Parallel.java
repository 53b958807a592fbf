package dev.convcl.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Runs {@code body(0..count-1)} on the calling thread and up to parallelism - 1 helpers of a
 * {@link WorkerPool}: the indices are cut into one contiguous block per worker, each worker runs
 * its own block first, from its start, then takes what is left of the others'.
 *
 * <p>Why blocks, and the same block for the same worker on every call: a body's indices follow
 * its output in memory (planes, channel blocks, images), so worker {@code w} writes about the
 * {@code w}-th part of every output, call after call, and the next layer's worker {@code w} reads
 * what its own core wrote. Reading lines another core has just written is slower than reading
 * one's own cache (bench/cross_core_read.c on a 2-core Zen 5 VM, 0.25-1 MB: 86-92 GB/s against
 * 137-226 GB/s, and 27-35 GB/s in a slower hour of the same VM; docs/performance-notes.md), and a
 * shared counter handed the indices to whichever worker came first, so about half of each
 * layer's input came from the other core. OpenMP's {@code schedule(static)} and ONNX Runtime's
 * thread pool partition the same way for the same reason.
 *
 * <p>Why the rest is taken, not waited for: the caller works instead of waiting, and it waits
 * only for indices a helper has already taken: a helper the scheduler has not started yet (on a
 * busy machine, a wake-up can take milliseconds) finds its block taken and ends at once, instead
 * of the whole call waiting for it. A pool's invoke, which parks the caller until workers have
 * run every task, made calls of 0.1 ms of arithmetic (MobileNetV2's 14x14 layers) take several ms
 * whenever other threads were busy.
 */
final class Parallel {
    /** Ints between two blocks' counters, so that each counter has a cache line of its own. */
    private static final int PAD = 16;

    private Parallel() {
    }

    /**
     * Runs {@code body} for every index in {@code [0, count)}, each exactly once; returns when all
     * have run. The first exception or error a call throws is rethrown (the other indices still
     * run or are skipped, never run twice).
     */
    static void forEach(WorkerPool pool, int count, IntConsumer body) {
        if (count <= 0) {
            return;
        }
        int helpers = Math.min(pool.getParallelism(), count) - 1;
        if (helpers <= 0) {
            for (int i = 0; i < count; i++) {
                body.accept(i);
            }
            return;
        }
        Work work = new Work(count, helpers + 1, body, Thread.currentThread());
        pool.offer(work, helpers);
        work.drain(0);
        pool.withdraw(work);
        work.awaitDone();
    }

    /**
     * First index of worker {@code w}'s block of {@code count} indices cut into {@code workers}
     * blocks ({@code w = workers} gives {@code count}).
     */
    static int blockStart(int count, int workers, int w) {
        return (int) ((long) count * w / workers);
    }

    /** The counters of one {@link #forEach}; a helper that takes its offer runs {@link #drain}. */
    private static final class Work implements WorkerPool.Task {
        private final int count;
        private final int workers;
        private final IntConsumer body;
        private final Thread caller;
        /** Next index of each block, at {@code w * PAD}. */
        private final AtomicIntegerArray next;
        private final AtomicInteger done = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Work(int count, int workers, IntConsumer body, Thread caller) {
            this.count = count;
            this.workers = workers;
            this.body = body;
            this.caller = caller;
            this.next = new AtomicIntegerArray(workers * PAD);
            for (int w = 1; w < workers; w++) {
                next.set(w * PAD, blockStart(count, workers, w));
            }
        }

        @Override
        public void run(int helper) {
            drain(1 + helper % (workers - 1));
        }

        /** Runs worker {@code self}'s block, then the others' rest; the last index wakes the caller. */
        void drain(int self) {
            for (int k = 0; k < workers; k++) {
                int w = (self + k) % workers;
                int end = blockStart(count, workers, w + 1);
                for (int i = next.getAndIncrement(w * PAD); i < end; i = next.getAndIncrement(w * PAD)) {
                    runIndex(i);
                }
            }
        }

        private void runIndex(int i) {
            try {
                if (failure.get() == null) {
                    body.accept(i);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                if (done.incrementAndGet() == count) {
                    LockSupport.unpark(caller);
                }
            }
        }

        /** Waits (after the caller's own share) for the indices helpers are still running. */
        void awaitDone() {
            for (int spins = 0; done.get() < count; spins++) {
                if (spins < 1000) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            Throwable t = failure.get();
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }
    }
}
