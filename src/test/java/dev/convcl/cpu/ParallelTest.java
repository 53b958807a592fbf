package dev.convcl.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** {@link Parallel#forEach}: every index once, failures rethrown, and no wait for helpers that never started. */
class ParallelTest {

    @Test
    void runsEveryIndexExactlyOnce() {
        ForkJoinPool pool = new ForkJoinPool(3);
        try {
            for (int count : new int[] {1, 2, 3, 7, 1000}) {
                AtomicIntegerArray runs = new AtomicIntegerArray(count);
                Parallel.forEach(pool, count, runs::incrementAndGet);
                for (int i = 0; i < count; i++) {
                    assertEquals(1, runs.get(i), "index " + i + " of " + count);
                }
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void rethrowsTheFailureOfAnIndex() {
        ForkJoinPool pool = new ForkJoinPool(2);
        try {
            IllegalStateException boom = new IllegalStateException("index 5");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> Parallel.forEach(pool, 64, i -> {
                if (i == 5) {
                    throw boom;
                }
            }));
            assertSame(boom, thrown);
        } finally {
            pool.shutdown();
        }
    }

    /**
     * With every worker of the pool busy elsewhere (as on a loaded machine, where a worker's
     * wake-up can take milliseconds), the calling thread runs all indices itself and returns.
     */
    @Test
    void callerFinishesAloneWhenNoWorkerIsFree() throws InterruptedException {
        ForkJoinPool pool = new ForkJoinPool(2);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch busy = new CountDownLatch(2);
        try {
            for (int w = 0; w < 2; w++) {
                pool.execute(() -> {
                    busy.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            busy.await();
            AtomicIntegerArray runs = new AtomicIntegerArray(16);
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                Thread caller = Thread.currentThread();
                Parallel.forEach(pool, 16, i -> {
                    assertSame(caller, Thread.currentThread(), "index " + i + " ran off the caller");
                    runs.incrementAndGet(i);
                });
            });
            for (int i = 0; i < 16; i++) {
                assertEquals(1, runs.get(i), "index " + i);
            }
        } finally {
            release.countDown();
            pool.shutdown();
        }
    }
}
