package dev.convcl.graph;

import dev.convcl.Binary;
import dev.convcl.ChannelAffine;
import dev.convcl.ChannelCopy;
import dev.convcl.ChannelShuffle;
import dev.convcl.Convolution;
import dev.convcl.Pad2d;
import dev.convcl.Pool2d;
import dev.convcl.RoiAlign;
import dev.convcl.Value;
import dev.convcl.reference.ReferenceConv;
import dev.convcl.reference.ReferenceOps;
import dev.convcl.reference.ReferenceRoi;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Evaluates a graph in double precision, layer by layer from the definitions (the reference
 * operations), without rounding between layers: the float64 result that compiled graphs, with or
 * without passes, are checked against. Slow by design.
 */
public final class ReferenceEvaluator {
    private ReferenceEvaluator() {
    }

    /**
     * The outputs of {@code ir} for the given inputs.
     *
     * @param inputs graph input to its values (row-major, the input's shape)
     * @return output name to its values
     */
    public static Map<String, double[]> evaluate(GraphIr ir, Map<Value, double[]> inputs) {
        Map<Value, double[]> v = new IdentityHashMap<>(inputs);
        for (Value in : ir.inputs()) {
            if (!v.containsKey(in) || v.get(in).length != in.size()) {
                throw new IllegalArgumentException("input " + in + " is missing or has the wrong length");
            }
        }
        for (Node n : ir.nodes()) {
            v.put(n.output(), node(n, v));
        }
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Value> e : ir.outputs().entrySet()) {
            out.put(e.getKey(), v.get(e.getValue()));
        }
        return out;
    }

    private static double[] node(Node n, Map<Value, double[]> v) {
        Layer l = n.layer();
        double[] x = n.inputs().isEmpty() ? null : v.get(n.input(0));
        if (l instanceof Layer.Constant c) {
            return doubles(c.values());
        }
        if (l instanceof Layer.Reshape) {
            return x;
        }
        if (l instanceof Layer.Conv c) {
            Convolution op = Descriptors.conv(c, n.input(0).shape());
            int i = 1;
            double[] off = c.deformable() ? v.get(n.input(i++)) : null;
            double[] mask = c.deformable() && c.mask() ? v.get(n.input(i++)) : null;
            double[] sum = c.post().hasSum() ? v.get(n.input(i)) : null;
            return ReferenceConv.compute(op, x, doubles(c.weight()), c.bias() == null ? null : doubles(c.bias()), off,
                    mask, sum);
        }
        if (l instanceof Layer.Linear lin) {
            int batch = n.input(0).dim(0);
            double[] sum = lin.post().hasSum() ? v.get(n.input(1)) : null;
            double[] y = new double[batch * lin.out()];
            for (int b = 0; b < batch; b++) {
                for (int o = 0; o < lin.out(); o++) {
                    double acc = 0;
                    for (int i = 0; i < lin.in(); i++) {
                        acc += (double) lin.weight()[o * lin.in() + i] * x[b * lin.in() + i];
                    }
                    if (lin.bias() != null) {
                        acc += lin.bias()[o];
                    }
                    int idx = b * lin.out() + o;
                    y[idx] = lin.post().apply(acc, sum != null ? sum[idx] : 0);
                }
            }
            return y;
        }
        if (l instanceof Layer.BatchNorm bn) {
            ChannelAffine op = (ChannelAffine) Descriptors.of(n);
            double[] y = new double[x.length];
            int plane = op.h() * op.w();
            for (int i = 0; i < x.length; i++) {
                int c = (i / plane) % op.c();
                y[i] = (x[i] - bn.mean()[c]) / Math.sqrt((double) bn.var()[c] + bn.eps()) * bn.gamma()[c] + bn.beta()[c];
            }
            return y;
        }
        if (l instanceof Layer.Affine a) {
            return ReferenceOps.channelAffine((ChannelAffine) Descriptors.of(n), x, doubles(a.scale()), doubles(a.shift()),
                    a.post().hasSum() ? v.get(n.input(1)) : null);
        }
        if (l instanceof Layer.Act a) {
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                y[i] = a.activation().apply(x[i]);
            }
            return y;
        }
        if (l instanceof Layer.Elementwise e) {
            return ReferenceOps.binary((Binary) Descriptors.of(n), x, v.get(n.input(1)),
                    e.post().hasSum() ? v.get(n.input(2)) : null);
        }
        if (l instanceof Layer.Concat) {
            double[] y = new double[(int) n.output().size()];
            for (int i = 0; i < n.inputs().size(); i++) {
                ReferenceOps.channelCopy(Descriptors.concatPart(n, i), v.get(n.input(i)), y);
            }
            return y;
        }
        if (l instanceof Layer.Slice) {
            double[] y = new double[(int) n.output().size()];
            ReferenceOps.channelCopy((ChannelCopy) Descriptors.of(n), x, y);
            return y;
        }
        if (l instanceof Layer.Shuffle) {
            return ReferenceOps.channelShuffle((ChannelShuffle) Descriptors.of(n), x);
        }
        if (l instanceof Layer.Pad) {
            return ReferenceOps.pad2d((Pad2d) Descriptors.of(n), x);
        }
        if (l instanceof Layer.Pool) {
            return ReferenceOps.pool2d((Pool2d) Descriptors.of(n), x);
        }
        if (l instanceof Layer.SqueezeExcite se) {
            return ReferenceOps.squeezeExcitation((dev.convcl.SqueezeExcitation) Descriptors.of(n), x, doubles(se.w1()),
                    doubles(se.b1()), doubles(se.w2()), doubles(se.b2()));
        }
        if (l instanceof Layer.Roi) {
            return ReferenceRoi.run((RoiAlign) Descriptors.of(n), x, v.get(n.input(1)), null, null);
        }
        throw new IllegalStateException("no reference for " + n);
    }

    /** The float values as doubles. */
    public static double[] doubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

}
