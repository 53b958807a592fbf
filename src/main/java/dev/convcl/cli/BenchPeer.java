package dev.convcl.cli;

import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.HostTensor;
import dev.convcl.RoiAlign;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * Another library that {@code convcl bench --peers NAME} times beside convcl, on the same layers
 * and the same data, in the same run. Implementations are found with
 * {@link java.util.ServiceLoader} (a {@code META-INF/services/dev.convcl.cli.BenchPeer} entry in
 * a jar on the class path), so that a peer's library never becomes a dependency of convcl: the
 * ONNX Runtime peer lives in {@code peers/onnxruntime}, which {@code scripts/convcl bench --peers
 * onnxruntime} builds and puts on the class path. The PyTorch peer is built in: it runs
 * {@code bench/torch_peer.py} in a child process.
 *
 * <p>Life cycle, one thread: {@link #open} once; for each problem {@link #unsupported}, then
 * {@link #prepare} and, on the returned layer, one {@link Layer#call()} whose
 * {@link Layer#output()} the benchmark checks against convcl's reference before it asks for
 * {@link Layer#time}; {@link Layer#close()}; at the end {@link #close()}.
 */
public interface BenchPeer extends AutoCloseable {

    /** The name {@code --peers} takes and rows carry as their backend, e.g. {@code onnxruntime}. */
    String name();

    /**
     * Starts the peer (loads its library, starts its process).
     *
     * @param threads the threads its calls may use (intra-op threads)
     * @return one line: library, version, threads and the options set, e.g. {@code ONNX Runtime
     *         1.29.0 (Java), CPU, 2 intra-op threads, graph optimisations ALL_OPT}
     * @throws Exception when it cannot run here (its library or interpreter is missing); the
     *                   benchmark says why and goes on without it
     */
    String open(int threads) throws Exception;

    /**
     * Why this peer cannot run {@code op} as one layer (an operator or post-op it lacks), or
     * empty. Such a problem gets an "n/a" row with the reason, not a FAIL.
     */
    Optional<String> unsupported(Convolution op);

    /**
     * Builds {@code op} (bias included) for timing: its model, session or module, with the
     * constant values of {@code inputs} (WEIGHTS, BIAS) fixed and the others (SRC, OFFSET, MASK)
     * as the inputs of every call. Output shape: {@link Convolution#outputShape()}.
     *
     * @param inputs host tensors for every input role of {@code op} (no DST)
     * @throws Exception when the peer refuses the layer; the row FAILs with the message, or is
     *                   "n/a" if the exception is an {@link UnsupportedOperationException}
     */
    Layer prepare(Convolution op, Args inputs) throws Exception;

    /**
     * Why this peer cannot run the RoI operator {@code op}, or empty. The default: it times
     * convolutions only.
     */
    default Optional<String> unsupported(RoiAlign op) {
        return Optional.of("no peer: the " + name() + " peer times convolutions only");
    }

    /**
     * Builds the RoI operator {@code op} for timing, with the values of {@code inputs} (SRC, ROIS,
     * and OFFSET and MASK where {@code op} takes them) as the inputs of every call. Output shape:
     * {@link RoiAlign#outputShape()}. The default refuses ({@link #unsupported(RoiAlign)} says why).
     *
     * @param inputs host tensors for every input role of {@code op} (no DST)
     * @throws Exception as {@link #prepare(Convolution, Args)}
     */
    default Layer prepare(RoiAlign op, Args inputs) throws Exception {
        throw new UnsupportedOperationException(unsupported(op).orElse("the " + name() + " peer has no " + op.name()));
    }

    /**
     * Why this peer cannot run a whole ONNX file ({@code convcl bench --model}), or empty. The
     * default: it times single layers only. {@code --model} refuses such a peer before timing.
     */
    default Optional<String> unsupportedModel() {
        return Optional.of("the " + name() + " peer times single layers; it cannot run an ONNX file");
    }

    /**
     * Loads the ONNX network {@code model} for timing, with {@code inputs} (by the model's input
     * names, NCHW float32, the shapes convcl runs) as the inputs of every call. The default
     * refuses ({@link #unsupportedModel()} says why).
     *
     * @param model  the .onnx file convcl ran
     * @param inputs host tensors for every graph input, by name
     * @throws Exception when the peer refuses the network; it is reported "n/a" with the
     *                   peer's reason if the exception is an {@link UnsupportedOperationException},
     *                   else FAIL with the message
     */
    default Network prepare(Path model, Map<String, HostTensor> inputs) throws Exception {
        throw new UnsupportedOperationException(unsupportedModel().orElse("the " + name() + " peer cannot run an ONNX file"));
    }

    /**
     * Whether a layer's {@link Layer#call()} runs it in this process, so that the benchmark times
     * it call by call, side by side with convcl's calls and the other such peers'
     * ({@link Budget#timeInterleaved}); false for a peer in another process, whose
     * {@link Layer#call()} also moves the result between the processes: the benchmark then times
     * it with {@link Layer#time}, after convcl's plans are closed.
     */
    default boolean callsInThisProcess() {
        return true;
    }

    /** Releases the peer (its library's state, its process). */
    @Override
    void close();

    /** One prepared layer of a peer. */
    interface Layer extends AutoCloseable {
        /** What the peer runs, e.g. {@code Conv node} or {@code torch.nn.functional.conv2d}. */
        String algorithm();

        /** One call on the prepared inputs (the call whose time is measured); the result is kept for {@link #output()}. */
        void call() throws Exception;

        /** The result of the last {@link #call()}, shaped as the operator's output. */
        HostTensor output() throws Exception;

        /**
         * Times calls with {@code budget}'s rules, after a first {@link #call()} (the checking one)
         * has run. The default times {@link #call()} in this process; a peer in another process
         * times there, with the same rules.
         */
        default Timing time(Budget budget) throws Exception {
            return budget.time(this::call);
        }

        @Override
        void close() throws Exception;
    }

    /** One prepared network of a peer ({@link #prepare(Path, Map)}). */
    interface Network extends AutoCloseable {
        /** What the peer runs, e.g. {@code session on the CPU execution provider}. */
        String algorithm();

        /** One call on the prepared inputs (the call whose time is measured); its results are kept for {@link #outputs()}. */
        void call() throws Exception;

        /** The results of the last {@link #call()}, by the model's output names. */
        Map<String, HostTensor> outputs() throws Exception;

        @Override
        void close() throws Exception;
    }

    /** A call that may throw, for {@link Budget#time}. */
    @FunctionalInterface
    interface Call {
        void run() throws Exception;
    }

    /**
     * How a layer is timed, the same for convcl and every peer: after the checking call, untimed
     * calls ({@link #warmUp}) until at least {@code warmup} calls (the checking one included) have
     * run, {@code warmupSeconds} have passed and the calls stopped getting faster; then at least
     * {@link #MIN_TIMED} timed calls (fewer if {@code iters} is smaller), more, up to
     * {@code iters}, while {@code seconds} last.
     *
     * @param warmup        calls before timing, the checking one included
     * @param warmupSeconds untimed calls go on until this long has passed; 0: only {@code warmup}
     *                      calls, without waiting for the calls to settle
     * @param iters         timed calls at most
     * @param seconds       the time budget of the timed calls
     */
    record Budget(int warmup, double warmupSeconds, int iters, double seconds) {
        /** Timed calls made whatever the time budget, so that a median means something. */
        public static final int MIN_TIMED = 3;
        /** The most untimed calls the warm-up adds. */
        public static final int MAX_WARMUP = 400;
        /** Calls in a warm-up window. */
        public static final int WINDOW = 16;
        /** Warm-up has settled once a window's median is at most this fraction below the previous window's. */
        public static final double SETTLED = 0.03;
        /** Warm-up seconds after which two calls in a row agreeing within {@link #PAIR_AGREES} end it. */
        public static final double SETTLE_CAP_SECONDS = 3;
        /** See {@link #SETTLE_CAP_SECONDS}. */
        public static final double PAIR_AGREES = 0.25;

        /** Warms up then times {@code call} in this thread; wall milliseconds of each timed call. */
        public Timing time(Call call) throws Exception {
            return time(call, SETTLE_CAP_SECONDS);
        }

        /**
         * {@link #time(Call)} with a warm-up that ends past {@code settleCapSeconds} (or
         * {@code warmupSeconds} when longer) once two calls agree: a whole network's calls are
         * longer and settle later than one layer's.
         */
        public Timing time(Call call, double settleCapSeconds) throws Exception {
            warmUp(call, System::nanoTime, settleCapSeconds);
            int minTimed = Math.min(MIN_TIMED, iters);
            double[] wall = new double[iters];
            int timed = 0;
            long start = System.nanoTime();
            while (timed < iters && (timed < minTimed || (System.nanoTime() - start) / 1e9 < seconds)) {
                long t0 = System.nanoTime();
                call.run();
                wall[timed++] = (System.nanoTime() - t0) / 1e6;
            }
            return new Timing(Arrays.copyOf(wall, timed));
        }

        /**
         * Untimed milliseconds of calls that open each turn of {@link #timeInterleaved} (at least one
         * call): what the other calls left in the caches is replaced by this call's own data, and a
         * machine that idled through the quiet wait before the turn is back at full speed. 20 ms
         * covered the caches but not the idle: on a 2-vCPU Intel Xeon VM, POCL's resnet50.res2.3x3
         * after {@code BenchModel.awaitQuiet} took 2.8-4.0 ms of kernel time with 20 or 60 ms of
         * untimed calls and 1.9-2.1 ms with 100 or 150 ms, as without the wait (so convcl's OpenCL
         * rows read up to 2x slow beside ONNX Runtime there, docs/performance-notes.md).
         */
        public static final double REWARM_MS = 100;
        /** Calls whose last one took at least this long open their turns with no untimed call (caches weigh under 1%). */
        public static final double NO_REWARM_MS = 200;

        /**
         * Times several calls side by side, each already warmed up: rounds in which every call
         * gets a turn, the first turn one call later each round; a turn is untimed calls for
         * {@link #REWARM_MS} (none past {@link #NO_REWARM_MS} a call), then one timed call. A call
         * stops taking turns once it has {@code iters} timed calls, or {@link #MIN_TIMED} (or
         * {@code iters} when fewer) whose times add up to {@code seconds}: {@link #time}'s rule, its
         * budget counting the timed calls only, not the pauses and untimed calls between them; rounds
         * go on while a call takes turns. On a machine whose
         * speed drifts (a shared VM: up to 1.6x within an hour, and between runs seconds apart)
         * every call then sees the same drift; timed one after the other, each got the speed of its
         * own seconds and their ratio moved with it. Before each turn {@code beforeTurn} runs: a
         * pause until what the last turn left running has stopped (ONNX Runtime's threads spin for
         * about 40 ms after a call on this machine: MobileNetV2 on the CPU path took 12 ms a call
         * right after its turns and 7.5 ms otherwise).
         *
         * @param calls      the calls, in the order of the first round
         * @param clock      nanoseconds ({@link System#nanoTime} outside tests)
         * @param beforeTurn runs before each turn, untimed
         * @return each call's timed wall milliseconds, in the order of {@code calls}
         */
        public Timing[] timeInterleaved(java.util.List<Call> calls, java.util.function.LongSupplier clock,
                                        Runnable beforeTurn) throws Exception {
            return timeInterleaved(calls, clock, beforeTurn, i -> { }, i -> { });
        }

        /**
         * {@link #timeInterleaved(java.util.List, java.util.function.LongSupplier, Runnable)} with
         * {@code beforeTimed} and {@code afterTimed} given the index of a call right before and right
         * after each of its timed calls, outside the timed span (convcl's rows read the kernel time
         * and count the host transfers of a timed call there).
         */
        public Timing[] timeInterleaved(java.util.List<Call> calls, java.util.function.LongSupplier clock,
                                        Runnable beforeTurn, java.util.function.IntConsumer beforeTimed,
                                        java.util.function.IntConsumer afterTimed) throws Exception {
            int n = calls.size();
            int minTimed = Math.min(MIN_TIMED, iters);
            double[][] wall = new double[n][Math.max(0, iters)];
            int[] timed = new int[n];
            double[] last = new double[n];
            Arrays.fill(last, Double.NaN);
            double[] spentMs = new double[n];
            for (int round = 0; ; round++) {
                boolean any = false;
                for (int i = 0; i < n; i++) {
                    any |= !done(timed[i], minTimed, spentMs[i]);
                }
                if (!any) {
                    break;
                }
                for (int j = 0; j < n; j++) {
                    int i = (round + j) % n;
                    if (done(timed[i], minTimed, spentMs[i])) {
                        continue;
                    }
                    Call call = calls.get(i);
                    beforeTurn.run();
                    if (!(last[i] >= NO_REWARM_MS)) {
                        long s = clock.getAsLong();
                        do {
                            call.run();
                        } while ((clock.getAsLong() - s) / 1e6 < REWARM_MS);
                    }
                    beforeTimed.accept(i);
                    long t0 = clock.getAsLong();
                    call.run();
                    last[i] = (clock.getAsLong() - t0) / 1e6;
                    afterTimed.accept(i);
                    wall[i][timed[i]++] = last[i];
                    spentMs[i] += last[i];
                }
            }
            Timing[] out = new Timing[n];
            for (int i = 0; i < n; i++) {
                out[i] = new Timing(Arrays.copyOf(wall[i], timed[i]));
            }
            return out;
        }

        /** Whether a call of {@link #timeInterleaved} has its timed calls: {@code iters}, or the minimum within the budget. */
        private boolean done(int timed, int minTimed, double spentMs) {
            return timed >= iters || timed >= minTimed && spentMs / 1e3 >= seconds;
        }

        /**
         * The untimed calls after the checking one. A Java path's first calls run while the JIT is
         * still compiling, on the other core of a 2-core machine: the CPU path's depthwise
         * replknet31b.s2.dw29 took 6.9 ms a call (median) after 20 calls and 4.1 ms after 400, and
         * a 0.5 s warm-up of at most 50 calls measured the first figure. So, with
         * {@code warmupSeconds} above 0, calls go on (besides the {@code warmup} and
         * {@code warmupSeconds} minimums) in windows of {@link #WINDOW} until a window's median is
         * no more than {@link #SETTLED} below the previous window's, as {@code bench --model}
         * does; at most {@link #MAX_WARMUP} calls, and past {@link #SETTLE_CAP_SECONDS} (or
         * {@code warmupSeconds} when longer) as soon as two calls in a row agree within
         * {@link #PAIR_AGREES} (slow calls, a second or more each).
         */
        public void warmUp(Call call) throws Exception {
            warmUp(call, System::nanoTime, SETTLE_CAP_SECONDS);
        }

        /** {@link #time(Call, double)} for a call that throws no checked exception (convcl's own calls). */
        public Timing timeUnchecked(Runnable call, double settleCapSeconds) {
            try {
                return time(call::run, settleCapSeconds);
            } catch (Exception e) {
                throw unchecked(e);
            }
        }

        /** {@link #warmUp(Call)} for a call that throws no checked exception (convcl's own calls). */
        public void warmUpUnchecked(Runnable call) {
            warmUpUnchecked(call, SETTLE_CAP_SECONDS);
        }

        /** {@link #warmUpUnchecked(Runnable)} with the settle cap of {@link #time(Call, double)}. */
        public void warmUpUnchecked(Runnable call, double settleCapSeconds) {
            try {
                warmUp(call::run, System::nanoTime, settleCapSeconds);
            } catch (Exception e) {
                throw unchecked(e);
            }
        }

        /** A runtime exception as it is; anything else cannot come from a {@link Runnable}, but is kept as the cause. */
        private static RuntimeException unchecked(Exception e) {
            return e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }

        /** {@link #warmUp(Call)} on {@code clock} (nanoseconds; tests pass their own). */
        void warmUp(Call call, java.util.function.LongSupplier clock) throws Exception {
            warmUp(call, clock, SETTLE_CAP_SECONDS);
        }

        /**
         * {@link #warmUp(Call)} on {@code clock}, ending past {@code settleCapSeconds} (or
         * {@code warmupSeconds} when longer) once two calls in a row agree.
         */
        void warmUp(Call call, java.util.function.LongSupplier clock, double settleCapSeconds) throws Exception {
            long warmStart = clock.getAsLong();
            if (warmupSeconds <= 0) {
                for (int i = 1; i < warmup; i++) {
                    call.run();
                }
                return;
            }
            double cap = Math.max(settleCapSeconds, warmupSeconds);
            double previousWindow = Double.NaN;
            double previous = Double.NaN;
            double[] window = new double[WINDOW];
            int inWindow = 0;
            for (int i = 1; i <= MAX_WARMUP; i++) {
                long t = clock.getAsLong();
                call.run();
                double ms = (clock.getAsLong() - t) / 1e6;
                boolean minimumsMet = i + 1 >= warmup && (clock.getAsLong() - warmStart) / 1e9 >= warmupSeconds;
                boolean pairAgrees = ms <= previous * (1 + PAIR_AGREES) && previous <= ms * (1 + PAIR_AGREES);
                previous = ms;
                if (minimumsMet && pairAgrees && (clock.getAsLong() - warmStart) / 1e9 >= cap) {
                    return;
                }
                window[inWindow++] = ms;
                if (inWindow == WINDOW) {
                    Arrays.sort(window);
                    double m = (window[WINDOW / 2 - 1] + window[WINDOW / 2]) / 2;
                    inWindow = 0;
                    boolean settled = m >= previousWindow * (1 - SETTLED);
                    previousWindow = m;
                    if (settled && minimumsMet) {
                        return;
                    }
                }
            }
        }
    }

    /**
     * Wall times of the timed calls.
     *
     * @param wallMs milliseconds, one a call, in call order
     */
    record Timing(double[] wallMs) {
        /** Median milliseconds; NaN when nothing was timed. */
        public double median() {
            double[] s = wallMs.clone();
            Arrays.sort(s);
            if (s.length == 0) {
                return Double.NaN;
            }
            int mid = s.length / 2;
            return s.length % 2 == 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
        }

        /** Fastest call, ms; NaN when nothing was timed. */
        public double min() {
            return Arrays.stream(wallMs).min().orElse(Double.NaN);
        }

        /** Slowest call, ms; NaN when nothing was timed. */
        public double max() {
            return Arrays.stream(wallMs).max().orElse(Double.NaN);
        }
    }
}
