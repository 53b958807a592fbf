package dev.convcl.graph;

import dev.convcl.Arg;
import dev.convcl.ArgSpec;
import dev.convcl.Operation;
import dev.convcl.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A graph lowered to executable operations: the steps in order, each an {@link Operation} whose
 * tensor arguments are graph values (read through a view of the argument's shape: every value is
 * a contiguous row-major buffer) or constants to bind; and, for each value, the value whose
 * buffer holds it (a reshape is a view of its input's buffer).
 */
public final class Program {
    /**
     * One executable operation.
     *
     * @param name      the node's name (fused nodes' names joined by {@code +})
     * @param op        the operation
     * @param values    argument role to the value passed (inputs and {@link Arg#DST})
     * @param constants argument role to the values bound once (weights, bias, scale, shift)
     */
    public record Step(String name, Operation op, Map<Arg, Value> values, Map<Arg, float[]> constants) {
        public Step {
            values = Collections.unmodifiableMap(new EnumMap<>(values));
            constants = constants.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(constants));
        }

        /** The argument's required shape. */
        public int[] shape(Arg role) {
            for (ArgSpec a : op.arguments()) {
                if (a.arg() == role) {
                    return a.shape();
                }
            }
            throw new IllegalArgumentException(op + " has no argument " + role);
        }
    }

    private final GraphIr ir;
    private final List<Step> steps;
    private final Map<Value, Value> storage;
    private final Map<Value, float[]> constants;

    private Program(GraphIr ir, List<Step> steps, Map<Value, Value> storage, Map<Value, float[]> constants) {
        this.ir = ir;
        this.steps = List.copyOf(steps);
        this.storage = storage;
        this.constants = constants;
    }

    /** The graph lowered (after the passes). */
    public GraphIr ir() {
        return ir;
    }

    public List<Step> steps() {
        return steps;
    }

    /** The value whose buffer holds {@code v}: itself, or for a reshape the buffer it views. */
    public Value storage(Value v) {
        return storage.getOrDefault(v, v);
    }

    /** The constant nodes' values (each gets a buffer of its own, written once). */
    public Map<Value, float[]> constants() {
        return constants;
    }

    /** Lowers {@code ir}: one step per node, one per part of a concatenation, none for reshapes and constants. */
    public static Program lower(GraphIr ir) {
        List<Step> steps = new ArrayList<>();
        Map<Value, Value> storage = new IdentityHashMap<>();
        Map<Value, float[]> constants = new LinkedHashMap<>();
        for (Node n : ir.nodes()) {
            Layer l = n.layer();
            if (l instanceof Layer.Reshape) {
                Value in = n.input(0);
                storage.put(n.output(), storage.getOrDefault(in, in));
            } else if (l instanceof Layer.Constant c) {
                constants.put(n.output(), c.values());
            } else if (l instanceof Layer.Concat) {
                for (int i = 0; i < n.inputs().size(); i++) {
                    Map<Arg, Value> v = new EnumMap<>(Arg.class);
                    v.put(Arg.SRC, n.input(i));
                    v.put(Arg.DST, n.output());
                    steps.add(new Step(n.name() + "[" + i + "]", Descriptors.concatPart(n, i), v, Map.of()));
                }
            } else {
                steps.add(step(n));
            }
        }
        return new Program(ir, steps, storage, constants);
    }

    private static Step step(Node n) {
        Operation op = Descriptors.of(n);
        Layer l = n.layer();
        Map<Arg, Value> v = new EnumMap<>(Arg.class);
        Map<Arg, float[]> k = new EnumMap<>(Arg.class);
        v.put(Arg.SRC, n.input(0));
        v.put(Arg.DST, n.output());
        if (l instanceof Layer.Conv c) {
            int i = 1;
            if (c.deformable()) {
                v.put(Arg.OFFSET, n.input(i++));
                if (c.mask()) {
                    v.put(Arg.MASK, n.input(i++));
                }
            }
            if (c.post().hasSum()) {
                v.put(Arg.SUM, n.input(i));
            }
            k.put(Arg.WEIGHTS, c.weight());
            if (c.bias() != null) {
                k.put(Arg.BIAS, c.bias());
            }
        } else if (l instanceof Layer.Linear lin) {
            if (lin.post().hasSum()) {
                v.put(Arg.SUM, n.input(1));
            }
            k.put(Arg.WEIGHTS, lin.weight());
            if (lin.bias() != null) {
                k.put(Arg.BIAS, lin.bias());
            }
        } else if (l instanceof Layer.BatchNorm bn) {
            int c = bn.mean().length;
            float[] scale = new float[c], shift = new float[c];
            for (int i = 0; i < c; i++) {
                scale[i] = (float) bn.scale(i);
                shift[i] = (float) bn.shift(i);
            }
            k.put(Arg.SCALE, scale);
            k.put(Arg.SHIFT, shift);
        } else if (l instanceof Layer.Affine a) {
            if (a.post().hasSum()) {
                v.put(Arg.SUM, n.input(1));
            }
            k.put(Arg.SCALE, a.scale());
            k.put(Arg.SHIFT, a.shift());
        } else if (l instanceof Layer.Act) {
            int c = Descriptors.as4d(n.input(0).shape())[1];
            float[] ones = new float[c];
            Arrays.fill(ones, 1f);
            k.put(Arg.SCALE, ones);
            k.put(Arg.SHIFT, new float[c]);
        } else if (l instanceof Layer.Roi) {
            v.put(Arg.ROIS, n.input(1));
        } else if (l instanceof Layer.Elementwise e) {
            v.put(Arg.OTHER, n.input(1));
            if (e.post().hasSum()) {
                v.put(Arg.SUM, n.input(2));
            }
        }
        return new Step(n.name(), op, v, k);
    }
}
