package dev.convcl.graph;

import dev.convcl.Activation;
import dev.convcl.Binary;
import dev.convcl.PostOp;
import dev.convcl.PostOps;
import dev.convcl.Sum;
import dev.convcl.Value;
import dev.convcl.Window2d;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The graph passes, each a function from graph to graph that leaves the result unchanged up to
 * float32 rounding of the constants it recomputes (in double, rounded once) and, where it reorders
 * linear maps ({@link Pass#POOL_AFTER_POINTWISE}), of the reordered arithmetic. A fused node is
 * named after the nodes it replaces, joined by {@code +}. The order {@link #all} runs them: dead
 * nodes out, batch norm folded, parallel branches re-parameterised, the remaining batch norms made
 * channel-affine maps, activations fused, residual sums fused, squeeze-and-excitation scales made
 * one node, average pools moved after their 1x1 convolutions.
 */
public final class Passes {
    private Passes() {
    }

    /** A pass: a name and the rewrite. */
    public enum Pass {
        /** Nodes whose value reaches no output are dropped. */
        DEAD_NODES,
        /** A batch norm after a convolution or linear layer (its only reader) is folded into its weights and bias. */
        FOLD_BATCH_NORM,
        /**
         * Structural re-parameterisation: the sum of convolutions over the same input with the same
         * stride and groups (RepLKNet's large and small depthwise kernels, UniRepLKNet's dilated
         * branches, RepVGG's 3x3 and 1x1), each its sum's only reader, becomes one convolution whose
         * kernel holds every branch's taps (dilated taps spread out, smaller kernels centred) and
         * whose bias is the branches' sum.
         */
        REPARAMETERIZE,
        /** A batch norm left standing becomes a per-channel affine map (scale and shift in double). */
        BATCH_NORM_TO_AFFINE,
        /** An activation joins the epilogue of the node that computes its input, when it is that value's only reader. */
        FUSE_ACTIVATION,
        /**
         * {@code p + o} (or {@code p - o}) where {@code p} is computed by a node with an epilogue
         * and read only here becomes that node with a {@code sum} post-op reading {@code o}, followed
         * by the addition's own post-ops: ResNet's residual add and ReLU in the last convolution of
         * the block, and an SE block's {@code x * s + residual} in the scaling multiply.
         */
        FUSE_SUM,
        /**
         * A squeeze-and-excitation block's scale, a global average pool read only by a 1x1
         * convolution read only by a 1x1 convolution back to the pool's channels (each with bias or
         * none, at most one activation, no sum), becomes one
         * {@link Layer.SqueezeExcite} (a missing bias is zeros): one launch instead of three on the
         * OpenCL device (MobileNetV3, RegNetY, EfficientNet). Only where the pooled and squeezed
         * values fit 16 KiB (4096 floats), within the local memory every OpenCL device that runs
         * the kernel has. Runs before {@link #POOL_AFTER_POINTWISE}, which would take a global
         * pool of a 1x1 map (a 1x1 window at stride 1) for one it can move. When the scale's only
         * reader is the block's multiply {@code x * scale} (no epilogue of its own), that multiply
         * joins the node ({@code apply}: its output is the block's), one launch fewer again.
         */
        SQUEEZE_EXCITATION,
        /**
         * An average pool at stride 1 that keeps the map's size, with the same divisor for every
         * window (it counts the padding, or there is none), read only by a 1x1 convolution with fewer
         * output than input channels (Inception's {@code branch_pool}: a 3x3 average of 768
         * channels, then a 1x1 to 192): the convolution runs first, without its bias and post-ops,
         * then the pool over its fewer channels, then a per-channel affine map adds the bias and
         * applies the post-ops. Both are linear maps that act on different axes (the pool on the
         * pixels of each channel, the convolution on the channels of each pixel; a padded zero
         * stays zero), so they commute; the pool does {@code k / c} of its work.
         */
        POOL_AFTER_POINTWISE,
        /**
         * Channel shuffles of concatenations and slices read only by a concatenation are folded into
         * the concatenation's copies; on a backend that makes buffer regions, a concatenation's parts
         * at batch 1 are written in place (no copy); where the caller allows, convolutions write
         * their parts through channel windows and read their slices in place. Applied when the
         * graph is lowered ({@link Program#lower(GraphIr, boolean, long, java.util.function.Predicate)}),
         * not by {@link #run}: it rewrites steps, not nodes.
         */
        FUSE_CHANNEL_COPIES
    }

    /** Every pass, in order. */
    public static GraphIr all(GraphIr ir) {
        return run(ir, Set.of(Pass.values()));
    }

    /** The chosen passes, in {@link Pass}'s order. */
    public static GraphIr run(GraphIr ir, Set<Pass> passes) {
        GraphIr g = deadNodes(ir);
        if (passes.contains(Pass.FOLD_BATCH_NORM)) {
            g = foldBatchNorm(g);
        }
        if (passes.contains(Pass.REPARAMETERIZE)) {
            g = reparameterize(g);
        }
        if (passes.contains(Pass.BATCH_NORM_TO_AFFINE)) {
            g = batchNormToAffine(g);
        }
        if (passes.contains(Pass.FUSE_ACTIVATION)) {
            g = fuseActivation(g);
        }
        if (passes.contains(Pass.FUSE_SUM)) {
            g = fuseSum(g);
        }
        if (passes.contains(Pass.SQUEEZE_EXCITATION)) {
            g = squeezeExcitation(g);
        }
        if (passes.contains(Pass.POOL_AFTER_POINTWISE)) {
            g = poolAfterPointwise(g);
        }
        return g;
    }

    // ---------------------------------------------------------------- dead nodes

    /** Drops the nodes whose values no output depends on. */
    public static GraphIr deadNodes(GraphIr ir) {
        Set<Value> live = Collections.newSetFromMap(new IdentityHashMap<>());
        live.addAll(ir.outputs().values());
        List<Node> nodes = ir.nodes();
        boolean[] keep = new boolean[nodes.size()];
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (live.contains(n.output())) {
                keep[i] = true;
                live.addAll(n.inputs());
            }
        }
        List<Node> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (keep[i]) {
                out.add(nodes.get(i));
            }
        }
        return ir.withNodes(out);
    }

    // ---------------------------------------------------------------- a mutable node list

    /** The nodes being rewritten: slots set to null are removed at the end; producers tracked by index. */
    private static final class Rewrite {
        final List<Node> nodes;
        final Map<Value, Integer> producer = new IdentityHashMap<>();
        final Map<Value, List<Node>> consumers;
        final Set<Value> outputs;

        Rewrite(GraphIr ir) {
            nodes = new ArrayList<>(ir.nodes());
            for (int i = 0; i < nodes.size(); i++) {
                producer.put(nodes.get(i).output(), i);
            }
            consumers = ir.consumers();
            outputs = ir.outputValues();
        }

        /** The node computing {@code v}, or -1 for a graph input. */
        int producerOf(Value v) {
            return producer.getOrDefault(v, -1);
        }

        /** Whether {@code v} is read by exactly one node and is no output. */
        boolean singleUse(Value v) {
            return GraphIr.uses(v, consumers, outputs) == 1;
        }

        void set(int i, Node n) {
            nodes.set(i, n);
            if (n != null) {
                producer.put(n.output(), i);
            }
        }

        GraphIr result(GraphIr ir) {
            List<Node> out = new ArrayList<>();
            for (Node n : nodes) {
                if (n != null) {
                    out.add(n);
                }
            }
            return ir.withNodes(out);
        }
    }

    // ---------------------------------------------------------------- batch norm folding

    /**
     * Folds {@code batch_norm(conv(x))} into the convolution (or linear layer): weight rows scaled
     * by {@code gamma / sqrt(var + eps)}, bias {@code (bias - mean) * scale + beta}, in double.
     */
    public static GraphIr foldBatchNorm(GraphIr ir) {
        return intoProducer(ir, Layer.BatchNorm.class, (bn, n, p) -> {
            if (p.layer() instanceof Layer.Conv c && c.post().isEmpty()) {
                return c.withWeights(scaleRows(c.weight(), c.k(), bn), c.weightShape(), c.window(),
                        foldBias(c.bias(), c.k(), bn));
            } else if (p.layer() instanceof Layer.Linear lin && lin.post().isEmpty() && n.output().rank() == 2) {
                return new Layer.Linear(scaleRows(lin.weight(), lin.out(), bn), lin.out(), lin.in(),
                        foldBias(lin.bias(), lin.out(), bn), lin.post());
            }
            return null;
        });
    }

    /** How a node merges into the node computing its input: the merged layer, or null to leave both. */
    private interface Merge<L extends Layer> {
        Layer merged(L layer, Node node, Node producer);
    }

    /**
     * Merges each node whose layer is a {@code kind} into the node computing its input 0, when it is
     * that value's only reader and {@code merge} gives a layer: the merged node, named
     * {@code producer+node}, reads the producer's inputs and writes the node's output.
     */
    private static <L extends Layer> GraphIr intoProducer(GraphIr ir, Class<L> kind, Merge<L> merge) {
        Rewrite r = new Rewrite(ir);
        for (int i = 0; i < r.nodes.size(); i++) {
            Node n = r.nodes.get(i);
            if (n == null || !kind.isInstance(n.layer())) {
                continue;
            }
            int j = r.producerOf(n.input(0));
            if (j < 0 || !r.singleUse(n.input(0))) {
                continue;
            }
            Node p = r.nodes.get(j);
            Layer merged = merge.merged(kind.cast(n.layer()), n, p);
            if (merged != null) {
                r.set(j, new Node(p.name() + "+" + n.name(), merged, p.inputs(), n.output()));
                r.set(i, null);
            }
        }
        return r.result(ir);
    }

    private static float[] scaleRows(float[] w, int rows, Layer.BatchNorm bn) {
        int per = w.length / rows;
        float[] out = new float[w.length];
        for (int k = 0; k < rows; k++) {
            double s = bn.scale(k);
            for (int i = 0; i < per; i++) {
                out[k * per + i] = (float) (w[k * per + i] * s);
            }
        }
        return out;
    }

    private static float[] foldBias(float[] bias, int rows, Layer.BatchNorm bn) {
        float[] out = new float[rows];
        for (int k = 0; k < rows; k++) {
            double b = bias == null ? 0 : bias[k];
            out[k] = (float) ((b - bn.mean()[k]) * bn.scale(k) + bn.beta()[k]);
        }
        return out;
    }

    // ---------------------------------------------------------------- pool after pointwise

    /** Moves average pools after the 1x1 convolutions that read them (see {@link Pass#POOL_AFTER_POINTWISE}). */
    public static GraphIr poolAfterPointwise(GraphIr ir) {
        Rewrite r = new Rewrite(ir);
        List<Node> out = new ArrayList<>();
        boolean changed = false;
        for (int i = 0; i < r.nodes.size(); i++) {
            Node conv = r.nodes.get(i);
            int j = conv.inputs().isEmpty() ? -1 : r.producerOf(conv.input(0));
            Node pool = j < 0 ? null : r.nodes.get(j);
            if (pool == null || !commutes(pool, conv) || !r.singleUse(pool.output())) {
                out.add(conv);
                continue;
            }
            // the pool was added to out when its turn came: replace it by the new nodes
            out.remove(pool);
            Layer.Conv c = (Layer.Conv) conv.layer();
            Value x = pool.input(0);
            int[] mixed = x.shape();
            mixed[1] = c.k();
            boolean affine = c.bias() != null || !c.post().isEmpty();
            Value u = dev.convcl.spi.Internals.value(conv.name() + ":before_" + pool.name(), mixed);
            out.add(new Node(conv.name(), c.withWeights(c.weight(), c.weightShape(), c.window(), null)
                    .withPost(PostOps.none()), List.of(x), u));
            if (affine) {
                Value v = dev.convcl.spi.Internals.value(pool.name() + ":after_" + conv.name(), conv.output().shape());
                out.add(new Node(pool.name(), pool.layer(), List.of(u), v));
                float[] ones = new float[c.k()];
                Arrays.fill(ones, 1f);
                float[] shift = c.bias() == null ? new float[c.k()] : c.bias().clone();
                out.add(new Node(conv.name() + ":bias", new Layer.Affine(ones, shift, c.post()), List.of(v),
                        conv.output()));
            } else {
                out.add(new Node(pool.name(), pool.layer(), List.of(u), conv.output()));
            }
            changed = true;
        }
        return changed ? ir.withNodes(out) : ir;
    }

    /**
     * Whether {@code conv} over {@code pool}'s output can run before it: an average pool at stride
     * 1 with output as large as its input and one divisor for every window (padding counted or
     * none, no ceil mode), and a plain 1x1 convolution (stride 1, no padding, one group, no sum)
     * with fewer output than input channels, so that the pool has less to do.
     */
    static boolean commutes(Node pool, Node conv) {
        if (!(pool.layer() instanceof Layer.Pool p) || p.op() != dev.convcl.Pool2d.Kind.AVG
                || !(conv.layer() instanceof Layer.Conv c) || conv.input(0) != pool.output()) {
            return false;
        }
        Window2d w = p.window();
        int[] in = pool.input(0).shape(), pooled = pool.output().shape();
        boolean padded = w.padTop() > 0 || w.padLeft() > 0 || w.padBottom() > 0 || w.padRight() > 0;
        if (in.length != 4 || w.strideH() != 1 || w.strideW() != 1 || w.dilH() != 1 || w.dilW() != 1 || p.ceilMode()
                || (padded && !p.countIncludePad()) || pooled[2] != in[2] || pooled[3] != in[3]) {
            return false;
        }
        Window2d cw = c.window();
        return !c.deformable() && c.groups() == 1 && cw.kh() == 1 && cw.kw() == 1 && cw.strideH() == 1
                && cw.strideW() == 1 && cw.padTop() == 0 && cw.padLeft() == 0 && cw.padBottom() == 0
                && cw.padRight() == 0 && !c.post().hasSum() && c.k() < in[1] && conv.inputs().size() == 1;
    }

    // ---------------------------------------------------------------- squeeze and excitation

    /** The most pooled and squeezed values a fused block holds (see {@link Pass#SQUEEZE_EXCITATION}). */
    static final int SQUEEZE_EXCITATION_VALUES = 4096;

    /** Fuses squeeze-and-excitation scales into one node each (see {@link Pass#SQUEEZE_EXCITATION}). */
    public static GraphIr squeezeExcitation(GraphIr ir) {
        Rewrite r = new Rewrite(ir);
        boolean changed = false;
        for (int i = 0; i < r.nodes.size(); i++) {
            Node fc2 = r.nodes.get(i);
            if (fc2 == null || !pointwise(fc2)) {
                continue;
            }
            int j = r.producerOf(fc2.input(0));
            Node fc1 = j < 0 ? null : r.nodes.get(j);
            if (fc1 == null || !pointwise(fc1) || !r.singleUse(fc1.output())) {
                continue;
            }
            int p = r.producerOf(fc1.input(0));
            Node pool = p < 0 ? null : r.nodes.get(p);
            if (pool == null || !globalAverage(pool) || !r.singleUse(pool.output())) {
                continue;
            }
            Layer.Conv c1 = (Layer.Conv) fc1.layer(), c2 = (Layer.Conv) fc2.layer();
            int channels = pool.input(0).dim(1), squeeze = c1.k();
            if (c2.k() != channels || c2.weightShape()[1] != squeeze
                    || channels + squeeze > SQUEEZE_EXCITATION_VALUES) {
                continue;
            }
            // The block's multiply, when it is the scale's only reader and has no epilogue of its
            // own: x * scale (either order), of x's shape.
            Value x = pool.input(0);
            // (a scale that is a graph output has that as its one use, and no reader)
            List<Node> readers = r.consumers.getOrDefault(fc2.output(), List.of());
            Node mul = r.singleUse(fc2.output()) && readers.size() == 1 ? readers.get(0) : null;
            int m = -1;
            for (int q = i + 1; mul != null && q < r.nodes.size() && m < 0; q++) {
                m = r.nodes.get(q) == mul ? q : -1;
            }
            boolean apply = m >= 0 && mul.layer() instanceof Layer.Elementwise e && e.op() == Binary.Kind.MUL
                    && e.post().isEmpty() && mul.inputs().size() == 2 && mul.inputs().contains(x)
                    && mul.inputs().contains(fc2.output()) && mul.input(0) != mul.input(1)
                    && Arrays.equals(mul.output().shape(), x.shape());
            Layer.SqueezeExcite se = new Layer.SqueezeExcite(c1.weight(), biasOrZeros(c1), c2.weight(), biasOrZeros(c2),
                    squeeze, c1.post(), c2.post(), apply);
            r.set(p, null);
            r.set(j, null);
            String name = pool.name() + "+" + fc1.name() + "+" + fc2.name();
            if (apply) {
                r.set(i, null);
                r.set(m, new Node(name + "+" + mul.name(), se, List.of(x), mul.output()));
            } else {
                r.set(i, new Node(name, se, List.of(x), fc2.output()));
            }
            changed = true;
        }
        return changed ? r.result(ir) : ir;
    }

    /** A plain 1x1 convolution on a 1x1 map: one group, no padding, at most one activation, no sum. */
    private static boolean pointwise(Node n) {
        if (!(n.layer() instanceof Layer.Conv c) || c.deformable() || c.groups() != 1 || n.inputs().size() != 1) {
            return false;
        }
        int[] x = n.input(0).shape();
        Window2d w = c.window();
        return x.length == 4 && x[2] == 1 && x[3] == 1 && w.kh() == 1 && w.kw() == 1 && w.padTop() == 0
                && w.padLeft() == 0 && w.padBottom() == 0 && w.padRight() == 0 && c.post().ops().size() <= 1
                && !c.post().hasSum();
    }

    /** An average pool of a whole unpadded plane to 1x1 (global average pooling). */
    private static boolean globalAverage(Node n) {
        if (!(n.layer() instanceof Layer.Pool p) || p.op() != dev.convcl.Pool2d.Kind.AVG) {
            return false;
        }
        int[] x = n.input(0).shape(), y = n.output().shape();
        Window2d w = p.window();
        return x.length == 4 && y.length == 4 && y[2] == 1 && y[3] == 1 && w.kh() == x[2] && w.kw() == x[3]
                && w.padTop() == 0 && w.padLeft() == 0 && w.padBottom() == 0 && w.padRight() == 0
                && w.dilH() == 1 && w.dilW() == 1;
    }

    private static float[] biasOrZeros(Layer.Conv c) {
        return c.bias() != null ? c.bias() : new float[c.k()];
    }

    // ---------------------------------------------------------------- re-parameterisation

    /** Merges sums of parallel convolutions over one input into one convolution (see {@link Pass#REPARAMETERIZE}). */
    public static GraphIr reparameterize(GraphIr ir) {
        GraphIr g = ir;
        while (true) {
            GraphIr next = reparameterizeOnce(g);
            if (next == g) {
                return g;
            }
            g = next;
        }
    }

    private static GraphIr reparameterizeOnce(GraphIr ir) {
        Rewrite r = new Rewrite(ir);
        for (int i = 0; i < r.nodes.size(); i++) {
            Node add = r.nodes.get(i);
            if (add == null || !(add.layer() instanceof Layer.Elementwise e) || e.op() != Binary.Kind.ADD
                    || e.post().hasSum() || add.input(0) == add.input(1)) {
                continue;
            }
            int ja = r.producerOf(add.input(0)), jb = r.producerOf(add.input(1));
            if (ja < 0 || jb < 0 || !r.singleUse(add.input(0)) || !r.singleUse(add.input(1))) {
                continue;
            }
            Node a = r.nodes.get(ja), b = r.nodes.get(jb);
            Layer.Conv merged = merge(a, b, add);
            if (merged == null) {
                continue;
            }
            r.set(ja, null);
            r.set(jb, null);
            r.set(i, new Node(a.name() + "+" + b.name() + "+" + add.name(), merged.withPost(e.post()),
                    List.of(a.input(0)), add.output()));
            return r.result(ir);
        }
        return ir;
    }

    /** The one convolution equal to {@code a + b}, or null when they cannot merge. */
    static Layer.Conv merge(Node a, Node b, Node add) {
        if (!(a.layer() instanceof Layer.Conv ca) || !(b.layer() instanceof Layer.Conv cb)) {
            return null;
        }
        if (ca.deformable() || cb.deformable() || !ca.post().isEmpty() || !cb.post().isEmpty()
                || a.input(0) != b.input(0) || ca.groups() != cb.groups() || ca.k() != cb.k()
                || ca.weightShape()[1] != cb.weightShape()[1]) {
            return null;
        }
        Window2d wa = ca.window(), wb = cb.window();
        if (wa.strideH() != wb.strideH() || wa.strideW() != wb.strideW()) {
            return null;
        }
        int[] out = add.output().shape();
        if (!Arrays.equals(a.output().shape(), out) || !Arrays.equals(b.output().shape(), out)) {
            return null;
        }
        int[] x = a.input(0).shape();
        Axis v = Axis.of(x[2], out[2], wa.strideH(), new int[] {wa.kh(), wb.kh()}, new int[] {wa.dilH(), wb.dilH()},
                new int[] {wa.padTop(), wb.padTop()});
        Axis h = Axis.of(x[3], out[3], wa.strideW(), new int[] {wa.kw(), wb.kw()}, new int[] {wa.dilW(), wb.dilW()},
                new int[] {wa.padLeft(), wb.padLeft()});
        if (v == null || h == null) {
            return null;
        }
        Window2d win = new Window2d(v.size, h.size, wa.strideH(), wa.strideW(), v.padBefore, h.padBefore, v.padAfter,
                h.padAfter, 1, 1);
        int k = ca.k(), cg = ca.weightShape()[1];
        double[] w = new double[k * cg * v.size * h.size];
        Layer.Conv[] branches = {ca, cb};
        for (int br = 0; br < 2; br++) {
            Layer.Conv c = branches[br];
            Window2d cw = c.window();
            for (int o = 0; o < k * cg; o++) {
                for (int i = 0; i < cw.kh(); i++) {
                    int ti = i * cw.dilH() - cw.padTop() + v.padBefore;
                    for (int j = 0; j < cw.kw(); j++) {
                        int tj = j * cw.dilW() - cw.padLeft() + h.padBefore;
                        w[(o * v.size + ti) * h.size + tj] += c.weight()[(o * cw.kh() + i) * cw.kw() + j];
                    }
                }
            }
        }
        float[] bias = null;
        if (ca.bias() != null || cb.bias() != null) {
            bias = new float[k];
            for (int o = 0; o < k; o++) {
                bias[o] = (float) ((ca.bias() == null ? 0.0 : ca.bias()[o]) + (cb.bias() == null ? 0.0 : cb.bias()[o]));
            }
        }
        float[] wf = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            wf[i] = (float) w[i];
        }
        return new Layer.Conv(win, ca.groups(), wf, new int[] {k, cg, v.size, h.size}, bias, false, 1, false,
                PostOps.none());
    }

    /**
     * The merged kernel along one axis. Tap {@code i} of branch {@code b} reads input row
     * {@code oy*stride + i*dil_b - pad_b}; the merged kernel puts it at index
     * {@code i*dil_b - pad_b + padBefore} with {@code padBefore = max(pad_b)}.
     */
    private record Axis(int size, int padBefore, int padAfter) {
        static Axis of(int in, int out, int stride, int[] k, int[] dil, int[] pad) {
            int before = 0;
            for (int p : pad) {
                before = Math.max(before, p);
            }
            int last = 0;
            for (int b = 0; b < k.length; b++) {
                last = Math.max(last, (k[b] - 1) * dil[b] - pad[b] + before);
            }
            int size = last + 1;
            int after = Math.max(0, (out - 1) * stride + size - in - before);
            long computed = ((long) in + before + after - size) / stride + 1;
            if (computed != out || (long) in + before + after < size) {
                return null;
            }
            return new Axis(size, before, after);
        }
    }

    // ---------------------------------------------------------------- batch norm left standing

    /** Turns every batch norm into a per-channel affine map. */
    public static GraphIr batchNormToAffine(GraphIr ir) {
        List<Node> out = new ArrayList<>();
        for (Node n : ir.nodes()) {
            if (n.layer() instanceof Layer.BatchNorm bn) {
                int c = bn.mean().length;
                float[] scale = new float[c], shift = new float[c];
                for (int i = 0; i < c; i++) {
                    scale[i] = (float) bn.scale(i);
                    shift[i] = (float) bn.shift(i);
                }
                out.add(new Node(n.name(), new Layer.Affine(scale, shift, PostOps.none()), n.inputs(), n.output()));
            } else {
                out.add(n);
            }
        }
        return ir.withNodes(out);
    }

    // ---------------------------------------------------------------- activations

    /** Appends each activation to the epilogue of the node computing its input, when it is that value's only reader. */
    public static GraphIr fuseActivation(GraphIr ir) {
        return intoProducer(ir, Layer.Act.class, (act, n, p) -> p.layer() instanceof Layer.WithPost wp
                ? wp.withPost(wp.post().then(act.activation())) : null);
    }

    // ---------------------------------------------------------------- residual sums

    /** Fuses additions into the epilogue of the node computing one operand (see {@link Pass#FUSE_SUM}). */
    public static GraphIr fuseSum(GraphIr ir) {
        Rewrite r = new Rewrite(ir);
        for (int i = 0; i < r.nodes.size(); i++) {
            Node add = r.nodes.get(i);
            if (add == null || !(add.layer() instanceof Layer.Elementwise e) || e.post().hasSum()
                    || e.op() != Binary.Kind.ADD && e.op() != Binary.Kind.SUB) {
                continue;
            }
            Value u = add.input(0), v = add.input(1);
            int[] shape = add.output().shape();
            if (u == v || !Arrays.equals(u.shape(), shape) || !Arrays.equals(v.shape(), shape)) {
                continue;
            }
            int ju = fusable(r, u), jv = e.op() == Binary.Kind.ADD ? fusable(r, v) : -1;
            if (ju < 0 && jv < 0) {
                continue;
            }
            boolean first = ju > jv; // fuse into the later producer, so the other operand exists when it runs
            int j = first ? ju : jv;
            Value other = first ? v : u;
            float scale = e.op() == Binary.Kind.SUB ? -1f : 1f;
            Node p = r.nodes.get(j);
            Layer.WithPost wp = (Layer.WithPost) p.layer();
            List<PostOp> chain = new ArrayList<>(wp.post().ops());
            chain.add(new Sum(scale));
            chain.addAll(e.post().ops());
            List<Value> inputs = new ArrayList<>(p.inputs());
            inputs.add(other);
            Node fused = new Node(p.name() + "+" + add.name(), wp.withPost(new PostOps(chain)), inputs, add.output());
            if (r.producerOf(other) > j) {
                r.set(j, null);
                r.set(i, fused);
            } else {
                r.set(j, fused);
                r.set(i, null);
            }
        }
        return r.result(ir);
    }

    /** The index of the node computing {@code v} when it can take a sum post-op, else -1. */
    private static int fusable(Rewrite r, Value v) {
        int j = r.producerOf(v);
        if (j < 0 || !r.singleUse(v)) {
            return -1;
        }
        return r.nodes.get(j).layer() instanceof Layer.WithPost wp && !wp.post().hasSum() ? j : -1;
    }

}
