package dev.convcl.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * {@link Parallel#forEach} on a {@link WorkerPool}: every index once, each worker its own block
 * first and the same block on every call, failures rethrown, no wait for helpers that never
 * started, calls from several threads and from inside a body, helpers that park after their spin,
 * end after their keep-alive and after close.
 */
class ParallelTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void runsEveryIndexExactlyOnce() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int count : new int[] {1, 2, 3, 7, 1000}) {
                assertExactlyOnce(pool, count, "count " + count);
            }
        }
    }

    @Test
    void runsEveryIndexExactlyOnceWithoutSpinning() {
        try (WorkerPool pool = new WorkerPool(2, 0, TimeUnit.SECONDS.toNanos(60))) {
            for (int round = 0; round < 200; round++) {
                assertExactlyOnce(pool, 1 + round % 9, "round " + round);
            }
        }
    }

    @Test
    void rethrowsTheFailureOfAnIndex() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException boom = new IllegalStateException("index 5");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> Parallel.forEach(pool, 64, i -> {
                if (i == 5) {
                    throw boom;
                }
            }));
            assertSame(boom, thrown);
            AssertionError error = new AssertionError("index 1");
            assertSame(error, assertThrows(AssertionError.class, () -> Parallel.forEach(pool, 2, i -> {
                if (i == 1) {
                    throw error;
                }
            })));
            // The pool still serves calls after a failure.
            assertExactlyOnce(pool, 100, "after the failures");
        }
    }

    /** With the pool's one helper held by a call that blocks, the second call's caller runs all indices. */
    @Test
    void callerFinishesAloneWhenNoWorkerIsFree() throws InterruptedException {
        try (WorkerPool pool = new WorkerPool(2)) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch bothBusy = new CountDownLatch(2);
            Thread blocker = new Thread(() -> Parallel.forEach(pool, 2, i -> {
                bothBusy.countDown();
                await(release, "release");
            }), "blocker");
            blocker.start();
            try {
                assertTrue(bothBusy.await(20, TimeUnit.SECONDS), "the helper never took the blocking call's second index");
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
                blocker.join(20_000);
            }
        }
    }

    /** A helper takes part: the caller's index waits until another thread has started the other one. */
    @Test
    void aHelperTakesTheIndexTheCallerCannot() {
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int round = 0; round < 20; round++) {
                assertHelperJoins(pool, "round " + round);
            }
        }
    }

    @Test
    void blocksCoverEveryIndexOnceInOrder() {
        for (int count : new int[] {1, 2, 3, 7, 64, 1000}) {
            for (int workers = 1; workers <= 5; workers++) {
                assertEquals(0, Parallel.blockStart(count, workers, 0), count + " in " + workers);
                assertEquals(count, Parallel.blockStart(count, workers, workers), count + " in " + workers);
                for (int w = 0; w < workers; w++) {
                    int size = Parallel.blockStart(count, workers, w + 1) - Parallel.blockStart(count, workers, w);
                    assertTrue(size == count / workers || size == count / workers + 1,
                            "block " + w + " of " + count + " in " + workers + " holds " + size);
                }
            }
        }
    }

    /**
     * Each worker starts at the start of its own block and keeps it from call to call: with every
     * index waiting until all have started, index 0 runs on the caller and index 1 + h on helper h,
     * round after round (a shared counter would hand index 1 to whichever helper came first).
     */
    @Test
    void eachWorkerRunsItsOwnBlockOnEveryCall() {
        try (WorkerPool pool = new WorkerPool(3)) {
            String prefix = pool.threadNamePrefix();
            for (int round = 0; round < 20; round++) {
                String what = "round " + round;
                CountDownLatch all = new CountDownLatch(3);
                String[] ranOn = new String[3];
                Thread caller = Thread.currentThread();
                Parallel.forEach(pool, 3, i -> {
                    ranOn[i] = Thread.currentThread() == caller ? "caller" : Thread.currentThread().getName();
                    all.countDown();
                    await(all, what + ": index " + i + " waited 20 s for the other workers");
                });
                assertEquals(List.of("caller", prefix + "0", prefix + "1"), List.of(ranOn), what);
            }
        }
    }

    /**
     * A helper starts with its own block, not with the next free index: on 2 workers and 4
     * indices, the caller's index 0 waits until index 2 (the first of the helper's block) started,
     * and index 1 has not started by then.
     */
    @Test
    void aHelperStartsWithItsOwnBlock() {
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int round = 0; round < 20; round++) {
                CountDownLatch helperStarted = new CountDownLatch(1);
                AtomicIntegerArray runs = new AtomicIntegerArray(4);
                AtomicIntegerArray beforeTwo = new AtomicIntegerArray(4);
                String what = "round " + round;
                Parallel.forEach(pool, 4, i -> {
                    runs.incrementAndGet(i);
                    if (i == 2) {
                        beforeTwo.set(1, runs.get(1));
                        helperStarted.countDown();
                    } else if (i == 0) {
                        await(helperStarted, what + ": the helper did not start index 2 within 20 s");
                    }
                });
                assertEquals(0, beforeTwo.get(1), what + ": index 1 (the caller's block) started before index 2");
                for (int i = 0; i < 4; i++) {
                    assertEquals(1, runs.get(i), what + ": index " + i);
                }
            }
        }
    }

    @Test
    void concurrentCallersEachRunEveryIndexOnce() throws InterruptedException {
        try (WorkerPool pool = new WorkerPool(3)) {
            int callers = 4;
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < callers; t++) {
                int id = t;
                Thread thread = new Thread(() -> {
                    try {
                        for (int round = 0; round < 300; round++) {
                            assertExactlyOnce(pool, 1 + (round * 7 + id) % 40, "caller " + id + " round " + round);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "caller-" + t);
                threads.add(thread);
                thread.start();
            }
            for (Thread thread : threads) {
                thread.join(60_000);
                assertTrue(!thread.isAlive(), thread.getName() + " still running after 60 s");
            }
            if (failure.get() != null) {
                fail("a concurrent caller failed: " + failure.get(), failure.get());
            }
        }
    }

    @Test
    void callsFromInsideABodyRunEveryIndexOnce() {
        try (WorkerPool pool = new WorkerPool(2)) {
            int outer = 8, inner = 50;
            AtomicIntegerArray runs = new AtomicIntegerArray(outer * inner);
            assertTimeoutPreemptively(Duration.ofSeconds(30), () ->
                    Parallel.forEach(pool, outer, o -> Parallel.forEach(pool, inner, i -> runs.incrementAndGet(o * inner + i))));
            for (int i = 0; i < outer * inner; i++) {
                assertEquals(1, runs.get(i), "outer " + i / inner + " inner " + i % inner);
            }
        }
    }

    /** After its spin a helper parks: an idle pool burns no CPU. */
    @Test
    void idleHelpersPark() {
        try (WorkerPool pool = new WorkerPool(2, TimeUnit.MICROSECONDS.toNanos(100), TimeUnit.SECONDS.toNanos(60))) {
            assertHelperJoins(pool, "first call");
            Thread helper = helperThread(pool);
            eventually(() -> helper.getState() == Thread.State.TIMED_WAITING, 10_000,
                    () -> "helper " + helper.getName() + " still " + helper.getState() + " after its 100 us spin");
        }
    }

    /** A helper parked past its keep-alive ends; the next call starts a new one. */
    @Test
    void helpersEndAfterTheirKeepAliveAndComeBack() {
        try (WorkerPool pool = new WorkerPool(2, TimeUnit.MICROSECONDS.toNanos(100), 50 * MS)) {
            assertHelperJoins(pool, "first call");
            Thread first = helperThread(pool);
            eventually(() -> pool.liveThreads() == 0 && !first.isAlive(), 20_000,
                    () -> "helper " + first.getName() + " still alive (" + first.getState() + ") after a 50 ms keep-alive");
            assertHelperJoins(pool, "call after the helper ended");
            assertNotSame(first, helperThread(pool), "the ended thread came back");
        }
    }

    /** close() ends the helpers; a later call still runs every index (on the caller). */
    @Test
    void closeEndsTheHelpers() {
        WorkerPool pool = new WorkerPool(3);
        assertExactlyOnce(pool, 500, "before close");
        assertHelperJoins(pool, "before close");
        List<Thread> helpers = helperThreads(pool);
        pool.close();
        eventually(() -> pool.liveThreads() == 0 && helpers.stream().noneMatch(Thread::isAlive), 20_000,
                () -> "helpers alive after close: " + helpers);
        assertExactlyOnce(pool, 500, "after close");
        assertEquals(0, pool.liveThreads(), "a call after close started a thread");
    }

    private static void assertExactlyOnce(WorkerPool pool, int count, String what) {
        AtomicIntegerArray runs = new AtomicIntegerArray(count);
        Parallel.forEach(pool, count, runs::incrementAndGet);
        for (int i = 0; i < count; i++) {
            assertEquals(1, runs.get(i), what + ": index " + i + " of " + count);
        }
    }

    /** A call of two indices each waiting for the other to start: it completes only if a helper joins. */
    private static void assertHelperJoins(WorkerPool pool, String what) {
        CountDownLatch both = new CountDownLatch(2);
        Parallel.forEach(pool, 2, i -> {
            both.countDown();
            await(both, what + ": no helper took index " + (1 - i) + " within 20 s");
        });
    }

    private static void await(CountDownLatch latch, String what) {
        try {
            if (!latch.await(20, TimeUnit.SECONDS)) {
                throw new AssertionError(what);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + what, e);
        }
    }

    private static List<Thread> helperThreads(WorkerPool pool) {
        String prefix = pool.threadNamePrefix();
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).toList();
    }

    private static Thread helperThread(WorkerPool pool) {
        List<Thread> threads = helperThreads(pool).stream().filter(Thread::isAlive).toList();
        assertEquals(1, threads.size(), "live helper threads of " + pool.threadNamePrefix() + ": " + threads);
        return threads.get(0);
    }

    private static void eventually(BooleanSupplier condition, long timeoutMs, java.util.function.Supplier<String> message) {
        long end = System.nanoTime() + timeoutMs * MS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail(message.get());
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }
}
