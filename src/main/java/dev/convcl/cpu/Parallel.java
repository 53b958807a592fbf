package dev.convcl.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Runs {@code body(0..count-1)} on the calling thread and up to parallelism - 1 helpers of a
 * {@link WorkerPool}, each taking the next index from a shared counter until none is left.
 *
 * <p>The caller works instead of waiting, and it waits only for indices a helper has already
 * taken: a helper the scheduler has not started yet (on a busy machine, a wake-up can take
 * milliseconds) finds nothing left and ends at once, instead of the whole call waiting for it. A
 * pool's invoke, which parks the caller until workers have run every task, made calls of 0.1 ms
 * of arithmetic (MobileNetV2's 14x14 layers) take several ms whenever other threads were busy.
 */
final class Parallel {
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
        Work work = new Work(count, body, Thread.currentThread());
        pool.offer(work, helpers);
        work.drain();
        pool.withdraw(work);
        work.awaitDone();
    }

    /** The shared counters of one {@link #forEach}; a helper that takes its offer runs {@link #drain}. */
    private static final class Work implements Runnable {
        private final int count;
        private final IntConsumer body;
        private final Thread caller;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Work(int count, IntConsumer body, Thread caller) {
            this.count = count;
            this.body = body;
            this.caller = caller;
        }

        @Override
        public void run() {
            drain();
        }

        /** Takes indices until none is left; the one finishing the last wakes the caller. */
        void drain() {
            for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
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
