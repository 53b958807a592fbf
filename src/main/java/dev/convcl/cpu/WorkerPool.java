package dev.convcl.cpu;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The helper threads of a {@link CpuBackend}: parallelism - 1 named daemon threads (the calling
 * thread of {@link Parallel#forEach} is always the other worker) that, after finishing their
 * share of a call, spin for {@link #SPIN_MICROS} µs waiting for the next call before they park.
 *
 * <p>Why spin: a parked thread's wake-up (futex, then the scheduler) takes from several µs on an
 * idle machine to milliseconds on a busy one, while a small layer's arithmetic (MobileNetV2's
 * depthwise 14x14 layers, a few tens of µs per core) is over by then: the caller had done most of
 * the work before a helper arrived. A helper still spinning sees a new call within a fraction of a
 * µs, so back-to-back calls (the layers of a network, the repeated calls of a benchmark) start on
 * all cores at once. OpenMP runtimes (KMP_BLOCKTIME, GOMP_SPINCOUNT) and ONNX Runtime's thread
 * pool (allow_spinning) do the same.
 *
 * <p>Why the spin is bounded (and no longer): a helper idle past it parks, so a backend nobody
 * calls costs no CPU; each call costs at most one spin window of CPU time per helper after its
 * end. {@value #SPIN_MICROS} µs is a few times the host code between two layers of a network (plan
 * lookup, argument binding: µs to tens of µs) and about a futex wake-up on a loaded machine; it
 * does not depend on this machine's speed. On a machine with one processor the helpers never spin
 * (spinning there could only take the core from the caller), and {@code -Dconvcl.cpu.spinMicros=N}
 * sets another bound (0 turns spinning off: helpers park at once, as the threads of the
 * {@code ForkJoinPool} this pool replaced did).
 *
 * <p>A spinning helper yields its processor ({@link Thread#yield}) every {@value #YIELD_EVERY}
 * spins: when every core is taken (other processes, or the caller waiting for the core the helper
 * spins on), the scheduler then runs another thread in its place, where a plain spin took CPU time
 * from the caller (on a saturated 2-core machine, a plain spin made MobileNetV2's dw5 layer slower
 * than the ForkJoinPool this pool replaced: 0.19 ms median against 0.15 ms; spinning with yields,
 * 0.11 ms). On an idle core a
 * yield returns at once, so a new call is still seen within about a µs.
 *
 * <p>A helper whose spin loses its core (more than {@value #PREEMPTED_NANOS} ns between two spins)
 * parks at once for its next {@value #BACKOFF_PERIODS} idle periods: when other processes want every
 * core, a spinning thread still counts as runnable for the scheduler, so it takes the share of CPU
 * time the caller would get, and it forgoes the prompt scheduling a woken sleeper gets. On a
 * saturated 2-core machine, spinning (even with yields) made resnet50.res2.3x3 and mobilenetv2.dw3
 * slower than the ForkJoinPool (medians 6.8 ms against 3.4, 0.70 against 0.52).
 *
 * <p>Threads start on the first call that wants them and end after {@link #KEEP_ALIVE_SECONDS} s
 * parked (a later call starts them again), so a backend that is dropped without {@link #close}
 * does not keep threads forever. Calls from several threads at once (and calls from inside a
 * body) share the helpers: they take whichever call's offer comes first, and a caller whose offer
 * no helper took runs its indices itself.
 */
final class WorkerPool implements AutoCloseable {
    /** Default bound, in µs, of a helper's spin after its last work (see the class comment). */
    static final long SPIN_MICROS = 100;
    /** Seconds a parked helper waits for work before its thread ends (as a ForkJoinPool's workers). */
    static final long KEEP_ALIVE_SECONDS = 60;

    /** A spinning helper calls {@link Thread#yield} every this many spins (see the class comment). */
    static final int YIELD_EVERY = 16;
    /**
     * A gap longer than this between two spins of a helper means it lost its core (a scheduler
     * time slice is milliseconds; an interrupt, µs): other threads want every core.
     */
    static final long PREEMPTED_NANOS = 50_000;
    /** Idle periods (ends of a call's share) a helper parks at once after its spin lost its core. */
    static final int BACKOFF_PERIODS = 64;

    private static final AtomicInteger POOLS = new AtomicInteger();

    /** A helper slot's states: running a body, spinning for work, parked, or without a thread. */
    private static final int BUSY = 0, SPINNING = 1, PARKED = 2, DEAD = 3;

    private final int parallelism;
    private final long spinNanos;
    private final long keepAliveNanos;
    private final String name;
    private final Slot[] slots;
    /** Offers of calls still running: a helper that takes one drains that call's indices. */
    private final ConcurrentLinkedQueue<Task> offers = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    /** {@code parallelism} workers in all (the caller and parallelism - 1 helpers), default bounds. */
    WorkerPool(int parallelism) {
        this(parallelism, defaultSpinNanos(), TimeUnit.SECONDS.toNanos(KEEP_ALIVE_SECONDS));
    }

    /**
     * {@code parallelism} workers in all; helpers spin {@code spinNanos} after their last work and
     * end after {@code keepAliveNanos} parked.
     */
    WorkerPool(int parallelism, long spinNanos, long keepAliveNanos) {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism=" + parallelism + " must be at least 1");
        }
        if (spinNanos < 0 || keepAliveNanos <= 0) {
            throw new IllegalArgumentException("spinNanos=" + spinNanos + " must be >= 0 and keepAliveNanos="
                    + keepAliveNanos + " > 0");
        }
        this.parallelism = parallelism;
        this.spinNanos = spinNanos;
        this.keepAliveNanos = keepAliveNanos;
        this.name = "convcl-cpu-" + POOLS.incrementAndGet();
        this.slots = new Slot[parallelism - 1];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot(i);
        }
    }

    /**
     * {@link #SPIN_MICROS} (or {@code -Dconvcl.cpu.spinMicros}) in ns; 0 on a one-processor
     * machine, where a spinning helper could only delay the caller.
     */
    static long defaultSpinNanos() {
        if (Runtime.getRuntime().availableProcessors() < 2) {
            return 0;
        }
        long micros = Long.getLong("convcl.cpu.spinMicros", SPIN_MICROS);
        return TimeUnit.MICROSECONDS.toNanos(Math.max(0, micros));
    }

    /** What a helper runs when it takes an offer. */
    interface Task {
        /**
         * Runs this task's share on helper {@code helper} ({@code 0 <= helper < parallelism - 1});
         * a helper keeps its number for the pool's life, so a task can give it the same part of
         * the work on every call.
         */
        void run(int helper);
    }

    /** Workers in all, the caller of {@link Parallel#forEach} included. */
    int getParallelism() {
        return parallelism;
    }

    /** Bound, in ns, of a helper's spin after its last work. */
    long spinNanos() {
        return spinNanos;
    }

    /** The name of this pool's helper threads, before their slot number: {@code convcl-cpu-<pool>-}. */
    String threadNamePrefix() {
        return name + "-";
    }

    /** Helper threads alive now (started and not ended). */
    int liveThreads() {
        int live = 0;
        for (Slot s : slots) {
            if (s.state.get() != DEAD) {
                live++;
            }
        }
        return live;
    }

    /**
     * Offers {@code task} to {@code helpers} helpers: each helper that takes an offer runs it once.
     * Wakes parked helpers (or starts threads) as needed; a helper busy with another call takes the
     * offer when it is done, if it is still there. Does nothing once closed.
     */
    void offer(Task task, int helpers) {
        if (closed) {
            return;
        }
        for (int h = 0; h < helpers; h++) {
            offers.offer(task);
        }
        int wanted = helpers;
        // Spinning helpers see the offers without help; wake parked ones (or start threads) for the rest.
        for (Slot s : slots) {
            if (wanted > 0 && s.state.get() == SPINNING) {
                wanted--;
            }
        }
        for (int i = 0; i < slots.length && wanted > 0; i++) {
            if (slots[i].wake()) {
                wanted--;
            }
        }
    }

    /** Withdraws the offers of {@code task} no helper took (so the queue holds no finished call). */
    void withdraw(Task task) {
        while (offers.remove(task)) {
            // each removes one
        }
    }

    /** Stops the helpers: they end once they finish what they run. Later offers are ignored. */
    @Override
    public void close() {
        closed = true;
        for (Slot s : slots) {
            Thread t = s.thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    /** One helper: its thread (replaced when it ended) and its state. */
    private final class Slot implements Runnable {
        private final int index;
        private final AtomicInteger state = new AtomicInteger(DEAD);
        private volatile Thread thread;

        Slot(int index) {
            this.index = index;
        }

        /**
         * Unparks this helper, or starts its thread if it has none; false if it was already
         * spinning or busy. The offer is queued before this reads the state, and a helper sets its
         * state before it looks at the queue a last time, so one of the two sees the other.
         */
        boolean wake() {
            while (true) {
                int st = state.get();
                if (st == PARKED) {
                    if (state.compareAndSet(PARKED, SPINNING)) {
                        LockSupport.unpark(thread);
                        return true;
                    }
                } else if (st == DEAD) {
                    if (closed) {
                        return false;
                    }
                    if (state.compareAndSet(DEAD, SPINNING)) {
                        Thread t = new Thread(this, threadNamePrefix() + index);
                        t.setDaemon(true);
                        thread = t;
                        t.start();
                        return true;
                    }
                } else {
                    return false;
                }
            }
        }

        @Override
        public void run() {
            boolean retired = false;
            try {
                retired = loop();
            } finally {
                if (!retired) {
                    state.set(DEAD);
                }
            }
        }

        /**
         * Runs offers, spins, parks; returns true when the thread retired after its keep-alive
         * (its state already DEAD, and maybe a new thread started in its slot), false when closed.
         */
        private boolean loop() {
            long now = System.nanoTime();
            long spinEnd = now + spinNanos; // this idle period spins until then
            long last = now;                // the previous spin
            int spins = 0;
            int parkAtOnce = 0;             // idle periods left that skip the spin
            while (true) {
                Task task = offers.poll();
                if (task != null) {
                    state.set(BUSY);
                    task.run(index);
                    state.set(SPINNING);
                    now = System.nanoTime();
                    last = now;
                    if (parkAtOnce > 0) {
                        parkAtOnce--;
                        spinEnd = now;
                    } else {
                        spinEnd = now + spinNanos;
                    }
                    continue;
                }
                if (closed) {
                    return false;
                }
                now = System.nanoTime();
                if (now - spinEnd < 0) {
                    if (now - last > PREEMPTED_NANOS) {
                        // The spin lost its core: other threads want every core. Park, as before.
                        parkAtOnce = BACKOFF_PERIODS;
                        spinEnd = now;
                        continue;
                    }
                    last = now;
                    if (++spins % YIELD_EVERY == 0) {
                        Thread.yield();
                    } else {
                        Thread.onSpinWait();
                    }
                    continue;
                }
                state.set(PARKED);
                if (!offers.isEmpty() || closed) {
                    state.compareAndSet(PARKED, SPINNING);
                    continue;
                }
                Thread.interrupted(); // a pending interrupt would make park return at once, forever
                long parkedAt = System.nanoTime();
                LockSupport.parkNanos(this, keepAliveNanos);
                if (state.get() == PARKED) {
                    // Not woken by an offer: a timeout ends the thread (a later offer starts another).
                    if (System.nanoTime() - parkedAt >= keepAliveNanos && state.compareAndSet(PARKED, DEAD)) {
                        return true;
                    }
                    state.compareAndSet(PARKED, SPINNING);
                }
            }
        }
    }
}
