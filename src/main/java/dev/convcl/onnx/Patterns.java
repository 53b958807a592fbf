package dev.convcl.onnx;

import dev.convcl.Activation;
import dev.convcl.Conv2d;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.Window2d;
import dev.convcl.onnx.BinaryNode.Constant;
import dev.convcl.onnx.BinaryNode.Operand;
import dev.convcl.onnx.BinaryNode.Value;
import dev.convcl.onnx.Lowering.PendingErf;
import dev.convcl.onnx.Lowering.PendingTranspose;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites on the lowered node list, each replacing a group of nodes whose intermediate values
 * nothing else reads (and which are no graph outputs) by one node:
 * <ul>
 *   <li>GELU: {@code Div(x, sqrt 2)} or {@code Mul(x, 1/sqrt 2)}, {@code Erf}, {@code Add 1}, and
 *       {@code Mul x}, {@code Mul 0.5} in any of the orders PyTorch writes -> activation gelu;</li>
 *   <li>{@code x * Sigmoid(x)} -> silu; {@code x * HardSigmoid(1/6, 1/2)(x)} -> hardswish;</li>
 *   <li>Reshape {@code [N,C,H,W] -> [N,g,C/g,H,W]}, Transpose(0,2,1,3,4), Reshape {@code -> [N,C,H,W]}
 *       -> channel shuffle;</li>
 *   <li>a Transpose that moves only dimensions of size 1 -> reshape; a reshape to
 *       {@code [N, rest]} -> flatten;</li>
 *   <li>a zero Pad before a Conv, or before an AveragePool without ceil_mode (counting the padding),
 *       and a -inf Pad before a MaxPool without ceil_mode -> the padding of the window, where
 *       PyTorch's limit (each pad at most half the window) still holds;</li>
 *   <li>a linear layer (MatMul) followed by the addition of a constant vector -> its bias;</li>
 *   <li>nodes whose output nothing reads and that are no graph output are dropped.</li>
 * </ul>
 */
final class Patterns {
    private static final double SQRT2 = Math.sqrt(2);

    private final List<Object> work;
    private final Set<String> graphOutputs;
    private final Map<String, Shape> inputShapes;
    private final Map<String, Object> producer = new HashMap<>();
    private final Map<String, List<Object>> consumers = new HashMap<>();
    private final Map<Object, Object> replace = new IdentityHashMap<>();
    private final Set<Object> touched = Collections.newSetFromMap(new IdentityHashMap<>());

    private Patterns(List<Object> work, Set<String> graphOutputs, Map<String, Shape> inputShapes) {
        this.work = work;
        this.graphOutputs = graphOutputs;
        this.inputShapes = inputShapes;
    }

    /**
     * Runs every rewrite on {@code work} in place.
     *
     * @param graphOutputs the IR values that are graph outputs (never fused away)
     * @param inputShapes  the shapes of the graph's runtime inputs
     */
    static void run(List<Object> work, Set<String> graphOutputs, Map<String, Shape> inputShapes) {
        Patterns p = new Patterns(work, graphOutputs, inputShapes);
        p.deadNodes();
        p.pass(p::gelu);
        p.pass(p::swish);
        p.pass(p::shuffle);
        p.pass(p::transposeView);
        p.pass(p::flatten);
        p.pass(p::padFold);
        p.pass(p::linearBias);
        p.deadNodes();
    }

    // ---------------------------------------------------------------------------------------------
    // Machinery

    static String output(Object o) {
        if (o instanceof Node n) {
            return n.output();
        }
        if (o instanceof PendingErf e) {
            return e.output();
        }
        return ((PendingTranspose) o).output();
    }

    static List<String> inputs(Object o) {
        if (o instanceof Node n) {
            return n.inputs();
        }
        if (o instanceof PendingErf e) {
            return List.of(e.input());
        }
        return List.of(((PendingTranspose) o).input());
    }

    private void index() {
        producer.clear();
        consumers.clear();
        for (Object o : work) {
            producer.put(output(o), o);
            for (String in : inputs(o)) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(o);
            }
        }
    }

    /** The only reader of {@code value}, or null when it has several, none, or is a graph output. */
    private Object single(String value) {
        if (graphOutputs.contains(value)) {
            return null;
        }
        List<Object> c = consumers.get(value);
        return c != null && c.size() == 1 ? c.get(0) : null;
    }

    private interface Rewrite {
        void visit(Object node);
    }

    /** Runs one rewrite over every node, then applies the replacements (non-overlapping groups). */
    private void pass(Rewrite r) {
        index();
        replace.clear();
        touched.clear();
        for (Object o : work) {
            if (!touched.contains(o)) {
                r.visit(o);
            }
        }
        List<Object> out = new ArrayList<>(work.size());
        for (Object o : work) {
            if (replace.containsKey(o)) {
                Object n = replace.get(o);
                if (n != null) {
                    out.add(n);
                }
            } else {
                out.add(o);
            }
        }
        work.clear();
        work.addAll(out);
    }

    /** Records a match: {@code last} becomes {@code result}, the others go. False when any was matched before. */
    private boolean apply(Object result, Object last, Object... others) {
        if (touched.contains(last)) {
            return false;
        }
        for (Object o : others) {
            if (touched.contains(o)) {
                return false;
            }
        }
        touched.add(last);
        replace.put(last, result);
        for (Object o : others) {
            touched.add(o);
            replace.put(o, null);
        }
        return true;
    }

    /** Drops nodes whose output nothing reads, from the end (a consumer always follows its producer). */
    private void deadNodes() {
        Map<String, Integer> uses = new HashMap<>();
        for (Object o : work) {
            for (String in : inputs(o)) {
                uses.merge(in, 1, Integer::sum);
            }
        }
        for (int i = work.size() - 1; i >= 0; i--) {
            Object o = work.get(i);
            String out = output(o);
            if (uses.getOrDefault(out, 0) == 0 && !graphOutputs.contains(out)) {
                work.remove(i);
                for (String in : inputs(o)) {
                    uses.merge(in, -1, Integer::sum);
                }
            }
        }
    }

    /** The value of a one-element constant operand, or NaN. */
    private static double scalar(Operand o) {
        if (o instanceof Constant c && c.tensor().size() == 1) {
            return c.tensor().get(0);
        }
        return Double.NaN;
    }

    private static boolean near(double v, double target) {
        return Math.abs(v - target) <= 1e-6 * Math.abs(target);
    }

    private static boolean isValue(Operand o, String name) {
        return o instanceof Value v && v.name().equals(name);
    }

    /** The operand of {@code b} that is not {@code name}, or null when neither or both are. */
    private static Operand other(BinaryNode b, String name) {
        boolean l = isValue(b.left(), name), r = isValue(b.right(), name);
        if (l == r) {
            return null;
        }
        return l ? b.right() : b.left();
    }

    // ---------------------------------------------------------------------------------------------
    // GELU, SiLU, hardswish

    private void gelu(Object o) {
        if (!(o instanceof PendingErf e)) {
            return;
        }
        if (!(producer.get(e.input()) instanceof BinaryNode scale) || single(e.input()) != e) {
            return;
        }
        String x = null;
        if (scale.kind() == BinaryNode.Kind.DIV && scale.left() instanceof Value v && near(scalar(scale.right()), SQRT2)) {
            x = v.name();
        } else if (scale.kind() == BinaryNode.Kind.MUL) {
            if (scale.left() instanceof Value v && near(scalar(scale.right()), 1 / SQRT2)) {
                x = v.name();
            } else if (scale.right() instanceof Value v && near(scalar(scale.left()), 1 / SQRT2)) {
                x = v.name();
            }
        }
        if (x == null || !(single(e.output()) instanceof BinaryNode plus) || plus.kind() != BinaryNode.Kind.ADD) {
            return;
        }
        Operand one = other(plus, e.output());
        if (one == null || !near(scalar(one), 1)) {
            return;
        }
        if (!(single(plus.output()) instanceof BinaryNode m1) || m1.kind() != BinaryNode.Kind.MUL) {
            return;
        }
        Operand m1Other = other(m1, plus.output());
        if (m1Other == null) {
            return;
        }
        BinaryNode last;
        List<Object> group = new ArrayList<>(List.of(scale, e, plus));
        if (isValue(m1Other, x) || near(scalar(m1Other), 0.5)) {
            // (x * (1 + erf)) * 0.5, or ((1 + erf) * 0.5) * x
            if (!(single(m1.output()) instanceof BinaryNode m2) || m2.kind() != BinaryNode.Kind.MUL) {
                return;
            }
            Operand m2Other = other(m2, m1.output());
            boolean ok = isValue(m1Other, x) ? m2Other != null && near(scalar(m2Other), 0.5) : isValue(m2Other, x);
            if (!ok) {
                return;
            }
            group.add(m1);
            last = m2;
        } else if (m1Other instanceof Value h && producer.get(h.name()) instanceof BinaryNode half
                && half.kind() == BinaryNode.Kind.MUL && single(h.name()) == m1 && other(half, x) != null
                && near(scalar(other(half, x)), 0.5)) {
            // (x * 0.5) * (1 + erf)
            group.add(half);
            last = m1;
        } else {
            return;
        }
        Shape xs = shapeOf(x);
        if (xs == null || !xs.equals(last.shape())) {
            return;
        }
        apply(new ActivationNode(scale.name(), x, last.output(), last.shape(), Activation.gelu()), last, group.toArray());
    }

    /** The shape of a runtime value: a graph input's, or its producer's output shape. */
    private Shape shapeOf(String value) {
        Object p = producer.get(value);
        if (p instanceof Node n) {
            return n.outputShape();
        }
        if (p instanceof PendingErf e) {
            return e.shape();
        }
        if (p instanceof PendingTranspose t) {
            return t.outputShape();
        }
        return inputShapes.get(value);
    }

    private void swish(Object o) {
        if (!(o instanceof ActivationNode s)) {
            return;
        }
        Activation act = s.activation();
        Activation result;
        if (act.kind() == Activation.Kind.SIGMOID) {
            result = Activation.silu();
        } else if (act.kind() == Activation.Kind.HARDSIGMOID && near(act.alpha(), 1.0 / 6) && near(act.beta(), 0.5)) {
            result = Activation.hardswish();
        } else {
            return;
        }
        if (!(single(s.output()) instanceof BinaryNode m) || m.kind() != BinaryNode.Kind.MUL
                || !isValue(other(m, s.output()), s.input()) || !m.shape().equals(s.shape())) {
            return;
        }
        apply(new ActivationNode(s.name(), s.input(), m.output(), s.shape(), result), m, s);
    }

    // ---------------------------------------------------------------------------------------------
    // Channel shuffle, transposes, flatten

    private void shuffle(Object o) {
        if (!(o instanceof ReshapeNode r1) || r1.inputShape().rank() != 4 || r1.outputShape().rank() != 5) {
            return;
        }
        Shape in = r1.inputShape(), mid = r1.outputShape();
        int g = mid.dim(1);
        if (mid.dim(0) != in.dim(0) || (long) g * mid.dim(2) != in.dim(1) || mid.dim(3) != in.dim(2) || mid.dim(4) != in.dim(3)) {
            return;
        }
        if (!(single(r1.output()) instanceof PendingTranspose t) || !java.util.Arrays.equals(t.perm(), new int[] {0, 2, 1, 3, 4})) {
            return;
        }
        if (!(single(t.output()) instanceof ReshapeNode r2) || !r2.outputShape().equals(in)) {
            return;
        }
        apply(new ChannelShuffleNode(r1.name(), r1.input(), r2.output(), in, g), r2, r1, t);
    }

    private void transposeView(Object o) {
        if (!(o instanceof PendingTranspose t)) {
            return;
        }
        int last = -1;
        for (int p : t.perm()) {
            if (t.inputShape().dim(p) == 1) {
                continue;
            }
            if (p < last) {
                return;
            }
            last = p;
        }
        apply(new ReshapeNode(t.name(), t.input(), t.output(), t.inputShape(), t.outputShape()), t);
    }

    private void flatten(Object o) {
        if (!(o instanceof ReshapeNode r)) {
            return;
        }
        Shape in = r.inputShape(), out = r.outputShape();
        if (in.rank() > 2 && out.rank() == 2 && out.dim(0) == in.dim(0)) {
            apply(new FlattenNode(r.name(), r.input(), r.output(), in, out), r);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Pad into the window, bias into the linear layer

    private void padFold(Object o) {
        if (!(o instanceof PadNode p)) {
            return;
        }
        Object c = single(p.output());
        if (c instanceof ConvNode conv && p.value() == 0f) {
            Conv2d d = conv.conv();
            Window2d w = padded(d.window(), p);
            Conv2d folded;
            try {
                Shape s = p.inputShape();
                folded = new Conv2d(s.dim(0), s.dim(1), s.dim(2), s.dim(3), d.k(), w, d.groups(), d.bias(), d.postOps(),
                        d.dataType(), d.direction());
            } catch (IllegalArgumentException e) {
                return;
            }
            if (!java.util.Arrays.equals(folded.outputShape(), d.outputShape())) {
                return;
            }
            apply(new ConvNode(conv.name(), p.input(), conv.output(), folded, conv.weights(), conv.bias()), conv, p);
        } else if (c instanceof PoolNode pool && !pool.ceilMode()
                && (pool.kind() == PoolNode.Kind.AVERAGE && p.value() == 0f && (pool.countIncludePad() || zeroPads(pool.window()))
                || pool.kind() == PoolNode.Kind.MAX && p.value() == Float.NEGATIVE_INFINITY)) {
            Window2d w = padded(pool.window(), p);
            try {
                Lowering.checkPoolPads(w);
            } catch (Problem e) {
                return;
            }
            apply(new PoolNode(pool.name(), pool.kind(), p.input(), pool.output(), p.inputShape(), w, false,
                    pool.kind() == PoolNode.Kind.AVERAGE, pool.outputShape()), pool, p);
        }
    }

    private static boolean zeroPads(Window2d w) {
        return w.padTop() == 0 && w.padLeft() == 0 && w.padBottom() == 0 && w.padRight() == 0;
    }

    private static Window2d padded(Window2d w, PadNode p) {
        return new Window2d(w.kh(), w.kw(), w.strideH(), w.strideW(), w.padTop() + p.top(), w.padLeft() + p.left(),
                w.padBottom() + p.bottom(), w.padRight() + p.right(), w.dilH(), w.dilW());
    }

    private void linearBias(Object o) {
        if (!(o instanceof LinearNode l) || l.bias() != null) {
            return;
        }
        if (!(single(l.output()) instanceof BinaryNode add) || add.kind() != BinaryNode.Kind.ADD
                || !add.shape().equals(l.outputShape())) {
            return;
        }
        Operand other = other(add, l.output());
        if (!(other instanceof Constant c)) {
            return;
        }
        Shape cs = c.shape();
        int outF = l.outFeatures();
        for (int i = 0; i < cs.rank() - 1; i++) {
            if (cs.dim(i) != 1) {
                return;
            }
        }
        if (cs.dim(-1) != outF && cs.dim(-1) != 1) {
            return;
        }
        HostTensor t = c.tensor();
        float[] b = new float[outF];
        for (int i = 0; i < outF; i++) {
            b[i] = t.get(t.size() == 1 ? 0 : i);
        }
        apply(new LinearNode(l.name(), l.input(), add.output(), l.inputShape(), l.weights(), Tensor.of(b, outF),
                l.outputShape()), add, l);
    }
}
