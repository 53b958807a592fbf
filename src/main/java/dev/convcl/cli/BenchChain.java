package dev.convcl.cli;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.DeviceTensor;
import dev.convcl.Engine;
import dev.convcl.HostTensor;
import dev.convcl.Operation;
import dev.convcl.Plan;
import dev.convcl.Tensor;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code convcl bench --chain}: a fixed chain of {@value #LAYER_COUNT} layers, shaped after the
 * seed networks at their 28x28 stage with 128 channels, run on device tensors: the input is
 * uploaded once a call, every layer reads and writes tensors on the device (weights and bias
 * bound to each plan once), and the last layer's output is downloaded. It measures what the
 * per-problem table cannot: the cost of a network's calls between layers.
 *
 * <p>The layers (inputs are the chain's input {@code x} or an earlier layer's output {@code Li}):
 * <ol>
 *   <li>ResNet-50 res3 3x3 conv, bias, relu (x)</li>
 *   <li>MobileNetV2 depthwise 3x3, bias, relu6 (L1)</li>
 *   <li>ResNet bottleneck 1x1, bias, then the residual as the {@code sum} post-op, relu (L2; sum L1)</li>
 *   <li>DRN dilated 3x3 (dilation 2) predicting the deformable layer's offsets (L3)</li>
 *   <li>the same, predicting its mask through a sigmoid post-op (L3)</li>
 *   <li>DCNv2 deformable 3x3, dilation 2, with offsets L4 and mask L5, bias, relu (L3): mmcv's
 *       DeformConv2dPack gives its offset conv the deformable conv's padding and dilation</li>
 *   <li>ResNeXt-50 grouped 3x3 (32 groups), bias, relu (L6)</li>
 *   <li>RepLKNet large depthwise 13x13, bias (L7)</li>
 *   <li>Inception-v3 1x7, bias, relu (L8)</li>
 *   <li>Inception-v3 7x1, bias (L9): the chain's output</li>
 * </ol>
 *
 * <p>It is checked before it is timed: the same chain runs on the CPU path on host arrays, each
 * layer of it checked against the reference ({@link ReferenceSlice}) on that layer's own inputs;
 * then each timed chain's first output must match that chain's output within
 * {@link ProblemData#TOLERANCE}. A mismatch is a FAIL row (naming the first layer that differs)
 * and is never timed. Weights follow He initialisation (uniform, scaled by each layer's fan-in),
 * so values neither vanish nor blow up along the chain (root mean square about 0.5 to 2): the
 * offsets span a pixel or so, the depthwise layer's relu6 clips some values at 6, the mask
 * spreads over (0, 1), and no layer's output is more than {@link #MAX_ZERO_SHARE} zero (checked).
 */
final class BenchChain {
    /** The chain's length. */
    static final int LAYER_COUNT = 10;
    /** Wall time must be within this factor of the summed kernel times, plus {@link #PER_LAYER_MS} a layer (issue 10, on POCL). */
    static final double TARGET_FACTOR = 1.1;
    /** Allowed launch cost a layer, milliseconds. */
    static final double PER_LAYER_MS = 0.05;
    private static final long SEED = 20240610L;
    private static final String SHAPE = "n=1 c=128 h=28 w=28 ";

    /**
     * One layer. Tensor sources are 0 for the chain's input, {@code i} for layer i's output, -1
     * for none.
     *
     * @param name   after the network layer it is shaped like
     * @param op     the operation (bias on; post-ops as the network has them)
     * @param src    the layer's input
     * @param sum    the tensor its {@code sum} post-op adds, or -1
     * @param offset the deformable layer's offsets, or -1
     * @param mask   the deformable layer's mask, or -1
     * @param gain   weights are uniform in +-gain*sqrt(3/fan-in): sqrt(2) before a relu keeps the scale
     */
    record Layer(String name, Convolution op, int src, int sum, int offset, int mask, double gain) {
        /** The tensors it reads besides its weights: {@code x}, {@code L1}, {@code L3 sum=L1} ... */
        String reads() {
            StringBuilder sb = new StringBuilder(tensorName(src));
            if (sum >= 0) {
                sb.append(" sum=").append(tensorName(sum));
            }
            if (offset >= 0) {
                sb.append(" offset=").append(tensorName(offset));
            }
            if (mask >= 0) {
                sb.append(" mask=").append(tensorName(mask));
            }
            return sb.toString();
        }

        static String tensorName(int i) {
            return i == 0 ? "x" : "L" + i;
        }
    }

    private static final double RELU_GAIN = Math.sqrt(2);

    /** The chain. */
    static final List<Layer> LAYERS = List.of(
            layer("resnet50.res3.3x3", "op=conv2d " + SHAPE + "k=128 kh=3 kw=3 pad=1 bias=1 post=relu", 0, -1, -1, -1,
                    RELU_GAIN),
            layer("mobilenetv2.dw3x3", "op=conv2d " + SHAPE + "k=128 kh=3 kw=3 pad=1 groups=128 bias=1 post=relu6", 1, -1,
                    -1, -1, 4.0),
            layer("resnet50.1x1+residual", "op=conv2d " + SHAPE + "k=128 kh=1 kw=1 bias=1 post=sum+relu", 2, 1, -1, -1,
                    1.0),
            layer("drn.dil2.offsets", "op=conv2d " + SHAPE + "k=18 kh=3 kw=3 pad=2 dil=2 bias=1", 3, -1, -1, -1, 1.0),
            layer("drn.dil2.mask", "op=conv2d " + SHAPE + "k=9 kh=3 kw=3 pad=2 dil=2 bias=1 post=sigmoid", 3, -1, -1, -1,
                    2.0),
            layer("dcnv2.res3.dil2", "op=deform2d " + SHAPE + "k=128 kh=3 kw=3 pad=2 dil=2 og=1 mask=1 bias=1 post=relu",
                    3, -1, 4, 5, 2 * RELU_GAIN),
            layer("resnext50.res3.g32", "op=conv2d " + SHAPE + "k=128 kh=3 kw=3 pad=1 groups=32 bias=1 post=relu", 6, -1,
                    -1, -1, RELU_GAIN),
            layer("replknet31b.dw13", "op=conv2d " + SHAPE + "k=128 kh=13 kw=13 pad=6 groups=128 bias=1", 7, -1, -1, -1,
                    1.0),
            layer("inception3.1x7", "op=conv2d " + SHAPE + "k=128 kh=1 kw=7 pad=0,3 bias=1 post=relu", 8, -1, -1, -1,
                    RELU_GAIN),
            layer("inception3.7x1", "op=conv2d " + SHAPE + "k=128 kh=7 kw=1 pad=3,0 bias=1", 9, -1, -1, -1, 1.0));

    /** A layer from its one-line operation (see {@link Layer}). */
    static Layer layer(String name, String line, int src, int sum, int offset, int mask, double gain) {
        return new Layer(name, (Convolution) Operation.parse(line), src, sum, offset, mask, gain);
    }

    /** The chain's data: its input and each layer's weights and bias (seeded). */
    record Data(HostTensor input, List<HostTensor> weights, List<HostTensor> biases) {
        static Data seeded(List<Layer> layers) {
            SplittableRandom rnd = new SplittableRandom(SEED);
            int[] shape = layers.get(0).op().inputShape();
            HostTensor input = Tensor.of(uniform(rnd, size(shape), 1), shape);
            List<HostTensor> w = new ArrayList<>(), b = new ArrayList<>();
            for (Layer l : layers) {
                Convolution op = l.op();
                double fanIn = (double) op.cPerGroup() * op.kh() * op.kw();
                w.add(Tensor.of(uniform(rnd, (int) op.weightSize(), l.gain() * Math.sqrt(3 / fanIn)), op.weightShape()));
                b.add(Tensor.of(uniform(rnd, op.k(), 0.1), op.biasShape()));
            }
            return new Data(input, w, b);
        }
    }

    /**
     * Per-layer figures of one run of the chain.
     *
     * @param index     1-based
     * @param layer     the layer
     * @param backend   where it ran ({@code opencl}, or {@code cpu} when it fell back to the CPU path)
     * @param algorithm the implementation and its configuration
     * @param compileMs plan creation and binding of weights and bias
     * @param kernelMs  median profiled kernel time of one call; NaN on the CPU path
     */
    record LayerResult(int index, Layer layer, String backend, String algorithm, double compileMs, double kernelMs) {
        Map<String, Object> fields(String chainBackend) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("section", "chain-layer");
            m.put("chain_backend", chainBackend);
            m.put("layer", index);
            m.put("name", layer.name());
            m.put("op", layer.op().name());
            m.put("backend", backend);
            m.put("algorithm", algorithm);
            m.put("reads", layer.reads());
            m.put("compile_ms", compileMs);
            m.put("kernel_ms", kernelMs);
            m.put("spec", layer.op().toString());
            return m;
        }
    }

    /**
     * The chain on one engine.
     *
     * @param backend       the engine's backend ({@code opencl} or {@code cpu})
     * @param device        the engine's device
     * @param ok            whether its output matched and (on a device whose layers all ran there) at most
     *                      {@link #MAX_TRANSFERS} host transfers were made in a call
     * @param checkedWith   what it was compared with
     * @param relL2         relative L2 error of its first output against the trusted chain's
     * @param compileMs     plan creation and binding, all layers
     * @param wallMs        median wall time of one call: input upload, every layer, output download
     * @param minMs         fastest call
     * @param maxMs         slowest call
     * @param calls         timed calls
     * @param kernelMs      median over calls of the sum of the layers' profiled kernel times
     * @param kernelLayers  layers that have a kernel time (those that ran on the device)
     * @param hostTransfers host-device copies in one timed call (the most seen)
     * @param cpuWallMs     the CPU path chain's median, for comparison (NaN for the CPU path's own row)
     * @param layers        per-layer figures
     * @param error         why it failed, or null
     */
    record Row(String backend, String device, boolean ok, String checkedWith, double relL2, double compileMs,
               double wallMs, double minMs, double maxMs, int calls, double kernelMs, int kernelLayers,
               long hostTransfers, double cpuWallMs, List<LayerResult> layers, String error) {

        /** The layers that did not run on this row's device (fell back to the CPU path), 1-based. */
        List<Integer> fellBack() {
            List<Integer> idx = new ArrayList<>();
            for (LayerResult l : layers) {
                if (!l.backend().equals(backend)) {
                    idx.add(l.index());
                }
            }
            return idx;
        }

        /** {@link #TARGET_FACTOR} x kernel time + {@link #PER_LAYER_MS} a layer; NaN unless every layer has a kernel time. */
        double targetMs() {
            return ok && kernelLayers == layers.size() ? TARGET_FACTOR * kernelMs + PER_LAYER_MS * layers.size()
                    : Double.NaN;
        }

        /** Whether the wall time is within {@link #targetMs()}; null when there is no target. */
        Boolean withinTarget() {
            double t = targetMs();
            return Double.isNaN(t) ? null : wallMs <= t;
        }

        Map<String, Object> fields() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("section", "chain");
            m.put("name", "chain");
            m.put("backend", backend);
            m.put("layers", layers.size());
            m.put("ok", ok);
            m.put("checked_with", checkedWith);
            m.put("rel_l2", relL2);
            m.put("compile_ms", compileMs);
            m.put("wall_ms", wallMs);
            m.put("min_ms", minMs);
            m.put("max_ms", maxMs);
            m.put("calls", calls);
            m.put("kernel_ms", kernelMs);
            m.put("kernel_layers", kernelLayers);
            m.put("host_transfers", hostTransfers);
            m.put("target_ms", targetMs());
            m.put("within_target", withinTarget());
            m.put("fallback_layers", fellBack());
            m.put("cpu_wall_ms", cpuWallMs);
            m.put("speedup_vs_cpu", cpuWallMs / wallMs);
            m.put("device", device);
            m.put("input", layers.isEmpty() ? null : Arrays.stream(layers.get(0).layer().op().inputShape()).boxed().toList());
            m.put("error", error);
            return m;
        }

        Row withCpuWall(double cpuMs) {
            return new Row(backend, device, ok, checkedWith, relL2, compileMs, wallMs, minMs, maxMs, calls, kernelMs,
                    kernelLayers, hostTransfers, cpuMs, layers, error);
        }
    }

    /** At most this many host-device copies in a call: the input in, the output out. */
    static final int MAX_TRANSFERS = 2;

    private final List<Layer> layers;
    private final Engine engine;
    private final Engine cpuEngine;
    private final BenchRunner.Settings settings;
    private final PrintWriter progress;
    private final BenchRunner timer;

    /**
     * @param engine    the engine on the device under test
     * @param cpuEngine an engine on the CPU path; {@code engine} itself when that runs on the CPU path
     */
    BenchChain(Engine engine, Engine cpuEngine, BenchRunner.Settings settings, PrintWriter progress) {
        this(LAYERS, engine, cpuEngine, settings, progress);
    }

    /**
     * Another chain (tests): layer i may read the chain's input (0) and the outputs of layers
     * before it.
     *
     * @throws IllegalArgumentException when a layer reads a later layer or the list is empty
     */
    BenchChain(List<Layer> layers, Engine engine, Engine cpuEngine, BenchRunner.Settings settings,
               PrintWriter progress) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a chain needs at least one layer");
        }
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            int latest = Math.max(Math.max(l.src(), l.sum()), Math.max(l.offset(), l.mask()));
            if (l.src() < 0 || latest > i) {
                throw new IllegalArgumentException("layer " + (i + 1) + " (" + l.name() + ") reads " + l.reads()
                        + "; it may read x and L1 to L" + i);
            }
        }
        this.layers = List.copyOf(layers);
        this.engine = engine;
        this.cpuEngine = cpuEngine;
        this.settings = settings;
        this.progress = progress;
        this.timer = new BenchRunner(engine, cpuEngine, settings, progress);
    }

    /** The rows: the device's (when it is not the CPU path), then the CPU path's. */
    List<Row> run() {
        Data data = Data.seeded(layers);
        progress.println("chain: the CPU path on host arrays, each layer checked against the reference ...");
        progress.flush();
        Trusted trusted = trusted(data);
        List<Row> rows = new ArrayList<>();
        if (trusted.error() != null) {
            progress.println("      FAIL: " + trusted.error());
            if (engine != cpuEngine) {
                rows.add(failed(engine, "not checked: " + trusted.error(), List.of()));
            }
            rows.add(failed(cpuEngine, trusted.error(), List.of()));
            return rows;
        }
        Row cpuRow = measure(cpuEngine, data, trusted.outputs());
        if (engine != cpuEngine) {
            Row devRow = measure(engine, data, trusted.outputs());
            rows.add(devRow.ok() && cpuRow.ok() ? devRow.withCpuWall(cpuRow.wallMs()) : devRow);
        }
        rows.add(cpuRow);
        return rows;
    }

    /** Every layer's output on the trusted run, or the first layer that failed its reference check. */
    record Trusted(List<HostTensor> outputs, String error) {
    }

    /**
     * The chain on the CPU path with host arrays (weights passed with each call), each layer's
     * output checked against the reference on the same inputs.
     */
    Trusted trusted(Data data) {
        List<HostTensor> out = new ArrayList<>();
        out.add(data.input());
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            Convolution op = l.op();
            Args args = args(l, out, data.weights().get(i), data.biases().get(i), ProblemData.poisoned(op));
            try (Plan plan = cpuEngine.plan(op)) {
                plan.execute(args);
            }
            HostTensor result = ProblemData.output(args);
            ReferenceSlice slice = ReferenceSlice.choose(op, settings.referenceMaxFlops());
            BenchRunner.Check check = BenchRunner.Check.of(slice.isWhole() ? "reference" : "reference-slice",
                    slice.reference(args), slice.sliceOf(result));
            progress.printf(Locale.ROOT, "      L%-2d %-22s %s on %s%n", i + 1, l.name(), check.describe(),
                    slice.describe());
            progress.flush();
            if (!check.ok()) {
                return new Trusted(out, "layer " + (i + 1) + " (" + l.name() + ") on the CPU path: " + check.describe());
            }
            double zeros = zeroShare(result);
            if (zeros > MAX_ZERO_SHARE) {
                return new Trusted(out, String.format(Locale.ROOT, "layer %d (%s) on the CPU path: %.0f%% of its outputs "
                        + "are zero (at most %.0f%%): the chain's data no longer tests it", i + 1, l.name(), 100 * zeros,
                        100 * MAX_ZERO_SHARE));
            }
            out.add(result);
        }
        return new Trusted(out, null);
    }

    /**
     * A layer whose output is mostly zero checks little (oneDNN's benchdnn mistrusts an output more
     * than 70% zero); relu layers here are about half zero.
     */
    static final double MAX_ZERO_SHARE = 0.7;

    static double zeroShare(HostTensor t) {
        int zeros = 0;
        for (int i = 0; i < t.size(); i++) {
            zeros += t.get(i) == 0 ? 1 : 0;
        }
        return zeros / (double) t.size();
    }

    /** Layer {@code l}'s arguments, its tensors taken from {@code t} (index 0: the chain's input). */
    private static <T extends Tensor> Args args(Layer l, List<T> t, Tensor weights, Tensor bias, Tensor dst) {
        Args.Builder b = Args.builder().src(t.get(l.src())).dst(dst);
        if (weights != null) {
            b.weights(weights);
        }
        if (bias != null) {
            b.bias(bias);
        }
        if (l.sum() >= 0) {
            b.sum(t.get(l.sum()));
        }
        if (l.offset() >= 0) {
            b.offset(t.get(l.offset()));
        }
        if (l.mask() >= 0) {
            b.mask(t.get(l.mask()));
        }
        return b.build();
    }

    /** The chain's plans and device tensors on one engine; closed together. */
    private static final class Prepared implements AutoCloseable {
        final Engine engine;
        final List<Layer> layers;
        final List<Plan> plans = new ArrayList<>();
        final List<Double> compileMs = new ArrayList<>();
        /** Index 0: the chain's input; i: layer i's output. */
        final List<DeviceTensor> tensors = new ArrayList<>();
        final List<Args> args = new ArrayList<>();

        Prepared(Engine engine, List<Layer> layers) {
            this.engine = engine;
            this.layers = layers;
        }

        /**
         * Compiles every layer, binds its weights and bias, and allocates every tensor on the
         * device; the outputs start as NaN, so an element no layer writes shows in the check.
         */
        static Prepared on(Engine engine, List<Layer> layers, Data data) {
            Prepared p = new Prepared(engine, layers);
            try {
                p.tensors.add(engine.allocate(data.input().shape()));
                for (int i = 0; i < layers.size(); i++) {
                    Layer l = layers.get(i);
                    long t0 = System.nanoTime();
                    Plan plan = engine.plan(l.op());
                    p.plans.add(plan);
                    plan.bind(Arg.WEIGHTS, data.weights().get(i));
                    plan.bind(Arg.BIAS, data.biases().get(i));
                    p.compileMs.add((System.nanoTime() - t0) / 1e6);
                    DeviceTensor out = engine.upload(ProblemData.poisoned(l.op()));
                    p.tensors.add(out);
                    p.args.add(args(l, p.tensors, null, null, out));
                }
                engine.finish();
                return p;
            } catch (RuntimeException e) {
                p.close();
                throw e;
            }
        }

        /** One call of the chain: the input uploaded, every layer queued, the output downloaded into {@code out}. */
        void call(HostTensor in, HostTensor out) {
            tensors.get(0).upload(in);
            for (int i = 0; i < plans.size(); i++) {
                plans.get(i).execute(args.get(i));
            }
            tensors.get(plans.size()).download(out);
        }

        @Override
        public void close() {
            for (Plan p : plans) {
                p.close();
            }
            for (DeviceTensor t : tensors) {
                t.close();
            }
        }
    }

    /** Checks the chain on {@code on} against the trusted outputs, then times it. */
    Row measure(Engine on, Data data, List<HostTensor> trusted) {
        progress.println("chain: on " + on.deviceName());
        progress.flush();
        Convolution last = layers.get(layers.size() - 1).op();
        try (Prepared chain = Prepared.on(on, layers, data)) {
            double compile = chain.compileMs.stream().mapToDouble(Double::doubleValue).sum();
            HostTensor out = ProblemData.poisoned(last);
            chain.call(data.input(), out);
            BenchRunner.Check check = BenchRunner.Check.of("cpu+reference", trusted.get(layers.size()), out);
            if (!check.ok()) {
                String why = firstDifference(chain, trusted) + "; output " + check.describe();
                progress.println("      FAIL: " + why);
                return new Row(on.backend(), on.deviceName(), false, check.against(), check.relL2(), compile, Double.NaN,
                        Double.NaN, Double.NaN, 0, Double.NaN, 0, 0, Double.NaN, layerResults(chain, null), why);
            }
            // The checking call above counts as the first of --warmup's calls, as for a layer.
            BenchRunner.warmUp(settings.warmup() + 1, settings.warmupSeconds(), () -> chain.call(data.input(), out));
            // Transfers and kernel times are read after each call, outside its timed span; nothing
            // else touches the engine between calls.
            List<double[]> perLayer = new ArrayList<>();
            long[] transfers = {0};
            long[] seen = {on.stats().hostTransfers()};
            BenchRunner.Series series = timer.time(() -> chain.call(data.input(), out), () -> {
                long now = on.stats().hostTransfers();
                transfers[0] = Math.max(transfers[0], now - seen[0]);
                seen[0] = now;
                double[] k = new double[chain.plans.size()];
                double sum = 0;
                for (int i = 0; i < k.length; i++) {
                    k[i] = chain.plans.get(i).lastKernelMillis();
                    sum += Double.isNaN(k[i]) ? 0 : k[i];
                }
                perLayer.add(k);
                return sum;
            });
            List<LayerResult> layers = layerResults(chain, perLayer);
            int kernelLayers = (int) layers.stream().filter(l -> !Double.isNaN(l.kernelMs())).count();
            double wall = BenchRunner.median(series.wall());
            double kernel = kernelLayers == 0 ? Double.NaN : BenchRunner.median(series.kernel());
            boolean transfersOk = on == cpuEngine || transfers[0] <= MAX_TRANSFERS || kernelLayers < layers.size();
            String error = transfersOk ? null : transfers[0] + " host transfers in a call although every layer ran on "
                    + on.backend() + " (at most " + MAX_TRANSFERS + ": the input in, the output out)";
            Row row = new Row(on.backend(), on.deviceName(), transfersOk, check.against(), check.relL2(), compile, wall,
                    min(series.wall()), max(series.wall()), series.wall().length, kernel, kernelLayers, transfers[0],
                    Double.NaN, layers, error);
            progress.printf(Locale.ROOT, "      %-6s %9.3f ms wall, %s ms kernel (%d of %s), %s, %2d %-5s  (%s)%n",
                    row.backend(), wall, BenchReport.num(kernel, 3), kernelLayers, Plural.of(layers.size(), "layer"),
                    Plural.of(transfers[0], "host transfer"), series.wall().length, Plural.noun(series.wall().length, "call"),
                    check.describe());
            progress.flush();
            return row;
        }
    }

    /** The first layer whose output differs from the trusted one (downloading every layer's output; not timed). */
    private static String firstDifference(Prepared chain, List<HostTensor> trusted) {
        for (int i = 1; i < chain.tensors.size(); i++) {
            BenchRunner.Check c = BenchRunner.Check.of("cpu", trusted.get(i), chain.tensors.get(i).download());
            if (!c.ok()) {
                Layer l = chain.layers.get(i - 1);
                return "layer " + i + " (" + l.name() + ", on " + chain.plans.get(i - 1).backend() + " "
                        + chain.plans.get(i - 1).algorithm() + ") differs first: " + c.describe();
            }
        }
        return "no single layer differs";
    }

    private static List<LayerResult> layerResults(Prepared chain, List<double[]> perLayer) {
        List<LayerResult> r = new ArrayList<>();
        for (int i = 0; i < chain.plans.size(); i++) {
            Plan p = chain.plans.get(i);
            double kernel = Double.NaN;
            if (perLayer != null && !perLayer.isEmpty()) {
                double[] k = new double[perLayer.size()];
                for (int j = 0; j < k.length; j++) {
                    k[j] = perLayer.get(j)[i];
                }
                kernel = BenchRunner.median(k);
            }
            r.add(new LayerResult(i + 1, chain.layers.get(i), p.backend(), p.algorithm(), chain.compileMs.get(i), kernel));
        }
        return r;
    }

    private Row failed(Engine on, String why, List<LayerResult> layers) {
        return new Row(on.backend(), on.deviceName(), false, "cpu+reference", Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, Double.NaN, 0, Double.NaN, 0, 0, Double.NaN, layers, why);
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    private static int size(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    private static float[] uniform(SplittableRandom rnd, int size, double bound) {
        float[] a = new float[size];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextDouble(-bound, bound);
        }
        return a;
    }

    // ------------------------------------------------------------ report

    /**
     * The per-layer table of the first row (the device's, with the CPU path's algorithm beside it
     * when there is a CPU path row too), then the chain table and the target's verdict.
     */
    static void print(List<Row> rows, PrintWriter out) {
        Row first = rows.get(0);
        Row cpu = rows.size() > 1 ? rows.get(rows.size() - 1) : null;
        if (!first.layers().isEmpty()) {
            boolean withCpu = cpu != null && cpu.layers().size() == first.layers().size();
            List<String> header = new ArrayList<>(List.of("layer", "name", "reads", "backend", "algorithm", "compile ms",
                    "kernel ms"));
            if (withCpu) {
                header.add("cpu algorithm");
            }
            header.add("operation");
            List<String[]> cells = new ArrayList<>();
            cells.add(header.toArray(String[]::new));
            for (LayerResult l : first.layers()) {
                List<String> c = new ArrayList<>(List.of("L" + l.index(), l.layer().name(), l.layer().reads(),
                        l.backend() + (l.backend().equals(first.backend()) ? "" : " (fallback)"), l.algorithm(),
                        BenchReport.num(l.compileMs(), 1), BenchReport.num(l.kernelMs(), 3)));
                if (withCpu) {
                    c.add(cpu.layers().get(l.index() - 1).algorithm());
                }
                c.add(l.layer().op().toString());
                cells.add(c.toArray(String[]::new));
            }
            boolean[] right = new boolean[header.size()];
            right[5] = right[6] = true;
            BenchReport.aligned(header.toArray(String[]::new), right, cells, out);
        }
        String[] header = {"chain", "backend", "layers", "compile ms", "kernel ms", "wall ms", "min..max ms",
            "target ms", "host transfers", "vs cpu", "check"};
        List<String[]> cells = new ArrayList<>();
        cells.add(header);
        for (Row r : rows) {
            cells.add(new String[] {"chain", r.backend(), Integer.toString(r.layers().size()),
                BenchReport.num(r.compileMs(), 1), BenchReport.num(r.kernelMs(), 3), BenchReport.num(r.wallMs(), 3),
                r.calls() > 0 ? BenchReport.num(r.minMs(), 3) + ".." + BenchReport.num(r.maxMs(), 3) : "-",
                BenchReport.num(r.targetMs(), 3), r.calls() > 0 ? Long.toString(r.hostTransfers()) : "-",
                Double.isNaN(r.cpuWallMs() / r.wallMs()) ? "-" : BenchReport.num(r.cpuWallMs() / r.wallMs(), 2) + "x",
                (r.ok() ? "ok " : "FAIL ") + BenchReport.sci(r.relL2())});
        }
        BenchReport.aligned(header, new boolean[] {false, false, true, true, true, true, true, true, true, true, false},
                cells, out);
        for (Row r : rows) {
            if (!r.ok() || "cpu".equals(r.backend())) {
                continue;
            }
            List<Integer> fell = r.fellBack();
            String rule = String.format(Locale.ROOT, "target on %s: wall <= %.1f x kernel + %.2f ms x %d layers",
                    r.backend(), TARGET_FACTOR, PER_LAYER_MS, r.layers().size());
            if (!fell.isEmpty()) {
                out.println(rule + ": not applicable: layer" + (fell.size() == 1 ? " " : "s ")
                        + String.join(", ", fell.stream().map(i -> "L" + i).toList())
                        + " ran on the CPU path (" + fell.size() + " of " + r.layers().size()
                        + "), so their time has no kernel figure and their tensors crossed to the host");
            } else {
                out.printf(Locale.ROOT, "%s = %.3f ms: %s (wall %.3f ms, kernel %.3f ms, %d host transfers)%n", rule,
                        r.targetMs(), r.withinTarget() ? "holds" : "does NOT hold", r.wallMs(), r.kernelMs(),
                        r.hostTransfers());
            }
        }
    }

    /** Every row's fields, then every layer's, for {@code --json} and {@code --csv}. */
    static List<Map<String, Object>> fields(List<Row> rows) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Row r : rows) {
            list.add(r.fields());
        }
        for (Row r : rows) {
            for (LayerResult l : r.layers()) {
                list.add(l.fields(r.backend()));
            }
        }
        return list;
    }
}
