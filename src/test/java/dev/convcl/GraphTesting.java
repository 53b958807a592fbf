package dev.convcl;

import dev.convcl.graph.GraphIr;
import dev.convcl.graph.ReferenceEvaluator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Test support for graphs: the graph's internal form, random tensors, the float64 evaluation, the error measure. */
public final class GraphTesting {
    private GraphTesting() {
    }

    /** The graph as built, before any pass. */
    public static GraphIr ir(Graph g) {
        return g.ir();
    }

    /** Uniform values in [-1, 1). */
    public static HostTensor random(Random r, int... shape) {
        HostTensor t = Tensor.zeros(shape);
        float[] a = t.array();
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat() * 2 - 1;
        }
        return t;
    }

    /** Uniform values in [lo, hi). */
    public static HostTensor uniform(Random r, float lo, float hi, int... shape) {
        HostTensor t = Tensor.zeros(shape);
        float[] a = t.array();
        for (int i = 0; i < a.length; i++) {
            a[i] = lo + r.nextFloat() * (hi - lo);
        }
        return t;
    }

    /** Values scaled for a layer with {@code fanIn} inputs (Kaiming-uniform-like), so activations stay near 1. */
    public static HostTensor weights(Random r, int fanIn, int... shape) {
        float bound = (float) Math.sqrt(3.0 / fanIn);
        return uniform(r, -bound, bound, shape);
    }

    /** The float64 evaluation of the graph as built (no pass), by output name. */
    public static Map<String, double[]> reference(Graph g, Map<String, HostTensor> inputs) {
        return reference(g.ir(), inputs);
    }

    /** The float64 evaluation of {@code ir}, by output name. */
    public static Map<String, double[]> reference(GraphIr ir, Map<String, HostTensor> inputs) {
        Map<Value, double[]> in = new IdentityHashMap<>();
        for (Value v : ir.inputs()) {
            in.put(v, ReferenceEvaluator.doubles(inputs.get(v.name()).toArray()));
        }
        return ReferenceEvaluator.evaluate(ir, in);
    }

    /** ||ref - out|| / ||ref||, infinite on a length mismatch or a non-finite difference. */
    public static double relativeL2(double[] ref, float[] out) {
        if (ref.length != out.length) {
            return Double.POSITIVE_INFINITY;
        }
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = ref[i] - out[i];
            num += d * d;
            den += ref[i] * ref[i];
        }
        if (!Double.isFinite(num)) {
            return Double.POSITIVE_INFINITY;
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /** The same, between two double results. */
    public static double relativeL2(double[] ref, double[] out) {
        double num = 0, den = 0;
        if (ref.length != out.length) {
            return Double.POSITIVE_INFINITY;
        }
        for (int i = 0; i < ref.length; i++) {
            double d = ref[i] - out[i];
            num += d * d;
            den += ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /** One named input. */
    public static Map<String, HostTensor> inputs(String name, HostTensor t) {
        Map<String, HostTensor> m = new LinkedHashMap<>();
        m.put(name, t);
        return m;
    }
}
