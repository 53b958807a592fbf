package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.reference.ReferenceOps;
import dev.convcl.testing.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** The problems of the network operations and the check of one implementation against the reference. */
public final class NetworkProblems {
    private NetworkProblems() {
    }

    private static final PostOp[] POSTS = {Activation.relu(), Activation.relu6(), Activation.sigmoid(), Activation.silu(),
        Activation.gelu(), Activation.hardswish(), Activation.hardsigmoid(), Activation.leakyRelu(0.1f), new Sum(1f),
        new Sum(-0.5f)};

    /** Hand-picked edge cases, then seeded random problems of each kind. */
    public static List<Operation> all() {
        List<Operation> l = new ArrayList<>(handPicked());
        Random r = new Random(20240611L);
        for (int i = 0; i < 12; i++) {
            l.add(randomAffine(r));
            l.add(randomBinary(r));
            l.add(randomPool(r));
            l.add(randomCopy(r));
            l.add(randomShuffle(r));
            l.add(randomSqueezeExcitation(r));
            l.add(new Pad2d(1 + r.nextInt(2), 1 + r.nextInt(4), 1 + r.nextInt(7), 1 + r.nextInt(7), r.nextInt(3),
                    r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextFloat() * 4 - 2));
        }
        return l;
    }

    /** The problems of {@link #all()} of one kind, in order, in a list the caller may extend. */
    public static <T extends Operation> List<T> of(Class<T> kind) {
        List<T> l = new ArrayList<>();
        for (Operation op : all()) {
            if (kind.isInstance(op)) {
                l.add(kind.cast(op));
            }
        }
        return l;
    }

    /** Edge cases named in the operations' rules. */
    public static List<Operation> handPicked() {
        Window2d k2s2p1 = Window2d.of(2, 2, 2, 2, 1, 1, 1, 1);
        Window2d k3s2p1 = Window2d.of(3, 3, 2, 2, 1, 1, 1, 1);
        return List.of(
                new ChannelAffine(2, 3, 5, 7, PostOps.none()),
                new ChannelAffine(1, 5, 1, 1, PostOps.of(new Sum(1f), Activation.relu())),
                new Binary(Binary.Kind.ADD, new int[] {2, 3, 4, 5}, new int[] {2, 3, 4, 5}, PostOps.of(Activation.relu())),
                new Binary(Binary.Kind.MUL, new int[] {2, 3, 4, 5}, new int[] {2, 3, 1, 1}, PostOps.none()),
                new Binary(Binary.Kind.MUL, new int[] {2, 3, 4, 5}, new int[] {1, 3, 1, 1}, PostOps.of(new Sum(1f))),
                new Binary(Binary.Kind.SUB, new int[] {1}, new int[] {2, 3, 4, 5}, PostOps.none()),
                new Binary(Binary.Kind.DIV, new int[] {3, 1, 5}, new int[] {4, 1}, PostOps.none()),
                new Binary(Binary.Kind.ADD, new int[] {2, 1, 4, 1}, new int[] {1, 3, 1, 5}, PostOps.of(Activation.gelu())),
                // ceil_mode: the last window would start in the right padding (5+1 <= 3*2) and is dropped
                new Pool2d(Pool2d.Kind.MAX, 1, 2, 5, 5, k2s2p1, true, false),
                new Pool2d(Pool2d.Kind.AVG, 1, 2, 5, 5, k2s2p1, true, true),
                new Pool2d(Pool2d.Kind.AVG, 1, 2, 5, 5, k2s2p1, true, false),
                // ceil_mode: the last window reaches past the bottom padding; count_include_pad counts only the padding
                new Pool2d(Pool2d.Kind.AVG, 2, 3, 6, 6, k3s2p1, true, true),
                new Pool2d(Pool2d.Kind.AVG, 2, 3, 6, 6, k3s2p1, true, false),
                new Pool2d(Pool2d.Kind.MAX, 2, 3, 6, 6, k3s2p1, true, false),
                // ceil_mode, padding only before each axis: the last window (rows 3..5) is clipped at
                // the end of the padded input (row 5 = H + pad_h_end), not at H + pad_h
                new Pool2d(Pool2d.Kind.AVG, 1, 2, 5, 5, new Window2d(3, 3, 2, 2, 1, 1, 0, 0, 1, 1), true, true),
                Pool2d.max(1, 4, 11, 11, 3, 2, 1),
                new Pool2d(Pool2d.Kind.MAX, 1, 2, 9, 8, Window2d.of(3, 3, 1, 1, 1, 1, 2, 2), false, false),
                new Pool2d(Pool2d.Kind.AVG, 1, 2, 7, 8, new Window2d(3, 2, 2, 1, 0, 1, 1, 0, 1, 1), false, true),
                Pool2d.globalAverage(2, 5, 7, 3),
                Pool2d.globalAverage(1, 3, 20, 37), // 740 taps, rows longer than a vector
                // the CPU path's 64 columns: exactly 64 taps, twice 64 (no short last piece), 64 + 34
                Pool2d.globalAverage(1, 2, 8, 8),
                Pool2d.globalAverage(2, 3, 8, 16),
                Pool2d.globalAverage(1, 2, 14, 7),
                // output rows longer than a CPU device's run of outputs a work-item (16), ending in a
                // short run: 23 = 16 + 7, 36 = 16 + 16 + 4 (ceil_mode at the right edge), 38 at dilation 2
                Pool2d.max(1, 3, 41, 45, 3, 2, 1),
                new Pool2d(Pool2d.Kind.AVG, 2, 2, 9, 70, k3s2p1, true, true),
                new Pool2d(Pool2d.Kind.AVG, 1, 2, 9, 70, k3s2p1, false, false),
                new Pool2d(Pool2d.Kind.MAX, 1, 2, 6, 40, Window2d.of(3, 3, 1, 1, 1, 1, 2, 2), false, false),
                // stride 1 and no padding (Inception's branch pools after their Pad): the CPU path's
                // whole-plane loop, with a wide row pitch past the output's, dilated, and at the
                // average's tap limit (64) and past it (81, the row-by-row path)
                new Pool2d(Pool2d.Kind.AVG, 2, 3, 9, 11, Window2d.of(3, 3, 1, 1, 0, 0, 1, 1), false, true),
                new Pool2d(Pool2d.Kind.MAX, 1, 2, 11, 13, Window2d.of(3, 2, 1, 1, 0, 0, 2, 3), false, false),
                new Pool2d(Pool2d.Kind.AVG, 1, 3, 8, 10, Window2d.of(8, 8, 1, 1, 0, 0, 1, 1), false, false),
                new Pool2d(Pool2d.Kind.AVG, 1, 2, 9, 9, Window2d.of(9, 9, 1, 1, 0, 0, 1, 1), false, true),
                // stride 1 with padding (Inception's branch pools once the import folds their Pad in):
                // counting the padding or not, one-sided padding, ceil mode
                new Pool2d(Pool2d.Kind.AVG, 2, 3, 9, 11, Window2d.of(3, 3, 1, 1, 1, 1, 1, 1), false, true),
                new Pool2d(Pool2d.Kind.AVG, 1, 2, 7, 9, new Window2d(3, 3, 1, 1, 1, 0, 0, 1, 1, 1), false, false),
                new Pool2d(Pool2d.Kind.AVG, 1, 2, 6, 5, Window2d.of(3, 3, 1, 1, 1, 1, 1, 1), true, false),
                new Pool2d(Pool2d.Kind.MAX, 1, 2, 6, 7, Window2d.of(3, 3, 1, 1, 1, 1, 1, 1), true, false),
                new ChannelCopy(2, 3, 4, 5, 1, 9, 6, 3),
                new ChannelCopy(1, 1, 1, 4, 0, 4, 0, 4),
                // destination channels a step apart (a concatenation followed by a channel shuffle):
                // ShuffleNet's odd input half into the odd channels of a 7x7 plane; a step of 4
                new ChannelCopy(2, 7, 7, 6, 0, 12, 1, 6, 2),
                new ChannelCopy(2, 3, 4, 5, 1, 11, 1, 3, 4),
                // planes above ChannelCopyPlan.WHOLE_PLANE on a CPU device: in chunks (with 16-wide vectors
                // 360 = 5 x 72, vectors and a tail; 784 = 7 x 112), or whole (361 = 19 x 19 has no divisor from 64)
                new ChannelCopy(1, 20, 18, 3, 1, 4, 1, 2, 2),
                new ChannelCopy(2, 28, 28, 3, 0, 6, 1, 3, 2),
                new ChannelCopy(2, 19, 19, 2, 0, 6, 2, 2, 3),
                new ChannelShuffle(2, 6, 3, 5, 3),
                new ChannelShuffle(1, 8, 2, 2, 2),
                new Pad2d(1, 2, 3, 4, 1, 0, 2, 3, 0f),
                new Pad2d(2, 3, 1, 1, 0, 0, 0, 0, 1f),
                new Pad2d(1, 1, 2, 3, 2, 1, 0, 4, Float.NEGATIVE_INFINITY),
                // squeeze-and-excitation: a plane of 63 (vectors of 16 and a tail of 15), channels past a
                // work-group of 64 and past four running sums of 16 (70, 130), no activations, a batch
                // a CPU device shares out unevenly (5 images over 2 units: groups of 3 and 2)
                new SqueezeExcitation(1, 16, 7, 9, 4, PostOps.of(Activation.relu()), PostOps.of(Activation.hardsigmoid())),
                new SqueezeExcitation(2, 37, 5, 5, 9, PostOps.of(Activation.relu()), PostOps.of(Activation.sigmoid())),
                new SqueezeExcitation(3, 70, 3, 4, 19, PostOps.of(Activation.silu()), PostOps.of(Activation.sigmoid())),
                new SqueezeExcitation(1, 130, 20, 20, 66, PostOps.of(Activation.relu()), PostOps.of(Activation.sigmoid())),
                new SqueezeExcitation(1, 3, 1, 1, 1, PostOps.none(), PostOps.none()),
                new SqueezeExcitation(5, 8, 2, 3, 2, PostOps.of(Activation.gelu()),
                        PostOps.of(Activation.hardsigmoid(0.2f, 0.4f))),
                // applied (the block's output, x * scale): a plane's tail, a 1x1 map, an uneven batch
                new SqueezeExcitation(1, 16, 7, 9, 4, PostOps.of(Activation.relu()), PostOps.of(Activation.hardsigmoid()),
                        true),
                new SqueezeExcitation(1, 3, 1, 1, 1, PostOps.none(), PostOps.none(), true),
                new SqueezeExcitation(5, 70, 3, 4, 19, PostOps.of(Activation.silu()), PostOps.of(Activation.sigmoid()),
                        true));
    }

    static PostOps randomPost(Random r) {
        List<PostOp> p = new ArrayList<>();
        int n = r.nextInt(3);
        boolean sum = false;
        for (int i = 0; i < n; i++) {
            PostOp op = POSTS[r.nextInt(POSTS.length)];
            if (op instanceof Sum) {
                if (sum) {
                    continue;
                }
                sum = true;
            }
            p.add(op);
        }
        return new PostOps(p);
    }

    static ChannelAffine randomAffine(Random r) {
        return new ChannelAffine(1 + r.nextInt(3), 1 + r.nextInt(9), 1 + r.nextInt(13), 1 + r.nextInt(13), randomPost(r));
    }

    static Binary randomBinary(Random r) {
        int rank = 1 + r.nextInt(4);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            out[i] = 1 + r.nextInt(6);
        }
        return new Binary(Binary.Kind.values()[r.nextInt(4)], broadcastable(r, out), broadcastable(r, out), randomPost(r));
    }

    private static int[] broadcastable(Random r, int[] out) {
        int rank = 1 + r.nextInt(out.length);
        int[] s = Arrays.copyOfRange(out, out.length - rank, out.length);
        for (int i = 0; i < s.length; i++) {
            if (r.nextInt(3) == 0) {
                s[i] = 1;
            }
        }
        return s;
    }

    static Pool2d randomPool(Random r) {
        while (true) {
            Pool2d.Kind kind = r.nextBoolean() ? Pool2d.Kind.MAX : Pool2d.Kind.AVG;
            int kh = 1 + r.nextInt(4), kw = 1 + r.nextInt(4);
            int dil = kind == Pool2d.Kind.MAX ? 1 + r.nextInt(2) : 1;
            Window2d w = new Window2d(kh, kw, 1 + r.nextInt(3), 1 + r.nextInt(3), r.nextInt(kh / 2 + 1),
                    r.nextInt(kw / 2 + 1), r.nextInt(kh / 2 + 1), r.nextInt(kw / 2 + 1), dil, dil);
            try {
                return new Pool2d(kind, 1 + r.nextInt(2), 1 + r.nextInt(5), 1 + r.nextInt(12), 1 + r.nextInt(12), w,
                        r.nextBoolean(), kind == Pool2d.Kind.AVG && r.nextBoolean());
            } catch (IllegalArgumentException e) {
                // too small an input for the window: draw again
            }
        }
    }

    static ChannelCopy randomCopy(Random r) {
        int src = 1 + r.nextInt(8), dst = 1 + r.nextInt(8);
        int count = 1 + r.nextInt(Math.min(src, dst));
        int n = 1 + r.nextInt(3), h = 1 + r.nextInt(7), w = 1 + r.nextInt(7), srcStart = r.nextInt(src - count + 1);
        // every third copy spaces its destination channels (dst_step 2 or 3), as far as the destination allows
        int step = r.nextInt(3) == 0 ? 2 + r.nextInt(2) : 1;
        while (step > 1 && (count - 1) * step + 1 > dst) {
            step--;
        }
        return new ChannelCopy(n, h, w, src, srcStart, dst, r.nextInt(dst - ((count - 1) * step + 1) + 1), count, step);
    }

    static SqueezeExcitation randomSqueezeExcitation(Random r) {
        PostOps[] acts = {PostOps.none(), PostOps.of(Activation.relu()), PostOps.of(Activation.silu()),
            PostOps.of(Activation.sigmoid()), PostOps.of(Activation.hardsigmoid()), PostOps.of(Activation.hardswish())};
        return new SqueezeExcitation(1 + r.nextInt(4), 1 + r.nextInt(80), 1 + r.nextInt(12), 1 + r.nextInt(12),
                1 + r.nextInt(40), acts[r.nextInt(acts.length)], acts[r.nextInt(acts.length)], r.nextBoolean());
    }

    static ChannelShuffle randomShuffle(Random r) {
        int g = 1 + r.nextInt(4);
        return new ChannelShuffle(1 + r.nextInt(2), g * (1 + r.nextInt(5)), 1 + r.nextInt(6), 1 + r.nextInt(6), g);
    }

    /** Random arguments for {@code op}, the output pre-filled with random values (a partial writer keeps some). */
    public static Args randomArgs(Operation op, long seed) {
        Random r = new Random(seed);
        Args.Builder b = Args.builder();
        for (ArgSpec a : op.arguments()) {
            HostTensor t = GraphTesting.random(r, a.shape());
            if (a.arg() == Arg.OTHER && op instanceof Binary bin && bin.kind() == Binary.Kind.DIV) {
                float[] v = t.array();
                for (int i = 0; i < v.length; i++) {
                    v[i] = (v[i] < 0 ? -0.5f : 0.5f) + v[i]; // keep divisors away from 0
                }
            }
            b.set(a.arg(), t);
        }
        return b.build();
    }

    /** Host copies of every tensor of {@code args}. */
    public static Args copy(Args args) {
        Args.Builder b = Args.builder();
        for (Arg role : args.roles()) {
            HostTensor h = (HostTensor) args.get(role);
            b.set(role, Tensor.of(h.toArray(), h.shape()));
        }
        return b.build();
    }

    /**
     * Runs {@code op} with implementation {@code impl} through host tensors and through device
     * tensors, and compares both with the reference: bit for bit for copies, shuffles and max
     * pooling, else within 1e-6 relative L2 (float rounding of one or two operations per element).
     */
    public static void check(Engine engine, Operation op, String impl, long seed) {
        try (Plan plan = engine.plan(op, impl, null)) {
            check(engine, op, plan, seed);
        }
    }

    /** As {@link #check(Engine, Operation, String, long)} on an open plan of {@code engine}, named by its implementation. */
    public static void check(Engine engine, Operation op, Plan plan, long seed) {
        String impl = plan.backend() + " " + plan.implementation() + ", seed " + seed;
        Args args = randomArgs(op, seed);
        Args ref = copy(args);
        ReferenceOps.run(op, ref);
        float[] expected = ((HostTensor) ref.get(Arg.DST)).toArray();
        boolean exact = op instanceof ChannelCopy || op instanceof ChannelShuffle || op instanceof Pad2d
                || op instanceof Pool2d p && p.kind() == Pool2d.Kind.MAX;

        Args host = copy(args);
        plan.execute(host);
        compare(op, impl + " (host tensors)", expected, ((HostTensor) host.get(Arg.DST)).toArray(), exact);

        compare(op, impl + " (device tensors)", expected, Tensors.executeOnDevice(engine, plan, args), exact);
    }

    private static void compare(Operation op, String where, float[] expected, float[] actual, boolean exact) {
        if (exact) {
            assertArrayEquals(expected, actual, op + " on " + where);
        } else {
            double err = dev.convcl.reference.Accuracy.relativeL2(expected, actual);
            assertTrue(err <= 1e-6, op + " on " + where + ": relative L2 error " + err);
        }
    }
}
