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
import java.util.Set;
import java.util.function.Predicate;

/**
 * A graph lowered to executable operations: the steps in order, each an {@link Operation} whose
 * tensor arguments are graph values (read through a view of the argument's shape: a value is a
 * contiguous row-major buffer, or a run of another's ({@link #offset}), or channels of another's
 * ({@link #window})) or constants to bind; and, for each value, the value whose buffer holds it
 * (a reshape is a view of its input's buffer).
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

    /**
     * Where a value's channels lie in its {@link #storage} buffer when they are not one run: channel
     * {@code c} of image {@code n} is channel {@code start + c * step} of the storage value, which has
     * {@code channels} channels per image and the same batch, height and width.
     *
     * @param channels the storage value's channels per image
     * @param start    the storage channel of the value's channel 0
     * @param step     the spacing of the value's channels there (1: a contiguous range of channels)
     */
    public record ChannelWindow(int channels, int start, int step) {
    }

    private final GraphIr ir;
    private final List<Step> steps;
    private final Map<Value, Value> storage;
    private final Map<Value, Long> offsets;
    private final Map<Value, ChannelWindow> windows;
    private final Map<Value, float[]> constants;

    private Program(GraphIr ir, List<Step> steps, Map<Value, Value> storage, Map<Value, Long> offsets,
                    Map<Value, ChannelWindow> windows, Map<Value, float[]> constants) {
        this.ir = ir;
        this.steps = List.copyOf(steps);
        this.storage = storage;
        this.offsets = offsets;
        this.windows = windows;
        this.constants = constants;
    }

    /** The graph lowered (after the passes). */
    public GraphIr ir() {
        return ir;
    }

    public List<Step> steps() {
        return steps;
    }

    /**
     * The value whose buffer holds {@code v}: itself, for a reshape the buffer it views, for a
     * part of a concatenation written in place the concatenation's (at {@link #offset}, or through
     * a {@link #window}), for a slice read in place its source's.
     */
    public Value storage(Value v) {
        return storage.getOrDefault(v, v);
    }

    /** Where {@code v} starts in its {@link #storage} buffer, in elements: 0 but for a part of a concatenation written in place. */
    public long offset(Value v) {
        return offsets.getOrDefault(v, 0L);
    }

    /**
     * The channels of its {@link #storage} buffer that {@code v} occupies, when they are not the
     * whole buffer or one run at an {@link #offset}: a part of a concatenation (and channel shuffle)
     * that the layer computing it writes in place through a channel window, or a slice its reader
     * reads in place; null otherwise.
     */
    public ChannelWindow window(Value v) {
        return windows.get(v);
    }

    /** The constant nodes' values (each gets a buffer of its own, written once). */
    public Map<Value, float[]> constants() {
        return constants;
    }

    /** Lowers {@code ir} with {@linkplain #lower(GraphIr, boolean) channel copies fused}. */
    public static Program lower(GraphIr ir) {
        return lower(ir, true);
    }

    /** Lowers {@code ir}, every concatenation copied part by part ({@link #lower(GraphIr, boolean, long)} with no regions). */
    public static Program lower(GraphIr ir, boolean fuseChannelCopies) {
        return lower(ir, fuseChannelCopies, 0);
    }

    /** {@link #lower(GraphIr, boolean, long, Predicate)} with no channel windows. */
    public static Program lower(GraphIr ir, boolean fuseChannelCopies, long regionAlignment) {
        return lower(ir, fuseChannelCopies, regionAlignment, v -> false);
    }

    /**
     * Lowers {@code ir}: one step per node, one per part of a concatenation, none for reshapes and
     * constants. With {@code fuseChannelCopies}, two patterns of pure channel movement take fewer
     * steps (each step costs a launch, and on POCL a scheduling gap, whatever it moves):
     * <ul>
     * <li>a channel shuffle whose input is a concatenation, that value's only use (ShuffleNet's
     * {@code channel_shuffle(torch.cat((x1, y), 1), 2)}), has no step of its own: each part's copy
     * writes its channels straight to their shuffled places ({@link ChannelCopy#dstStep()} = the
     * groups), provided every part lies within one group;</li>
     * <li>a slice whose only use is a part of a concatenation (ShuffleNet's {@code x1} of
     * {@code x.chunk(2, 1)}) has no step of its own: the part's copy reads the slice's channels of
     * its source.</li>
     * </ul>
     * The fused step's name joins the nodes' names with {@code +}.
     *
     * <p>With {@code regionAlignment > 0} (the backend makes {@linkplain
     * dev.convcl.spi.Backend#region regions} of a buffer at offsets that are multiples of it, as
     * OpenCL's sub-buffers), a part of a concatenation whose channels are contiguous in the output
     * (a batch of 1) is written in place: the node computing it writes its channels of the
     * concatenation's buffer ({@link #storage} and {@link #offset}) and the part has no copy step
     * (Inception's branches: a copy and a launch fewer a branch). Only a part the concatenation is
     * the only reader of, computed by a node of its own (not a graph input, output, constant or
     * reshape), at an offset in bytes that is a multiple of {@code regionAlignment}; a
     * concatenation that is itself such a part puts its parts at their place in the outer one.
     *
     * <p>With {@code fuseChannelCopies}, a part not written in place that way, computed by a
     * convolution (its own node, the part its only use, not a graph output) for which
     * {@code windowed} holds, is written in place through a {@linkplain #window channel window}:
     * the convolution's step writes the part's channels of the concatenation's buffer, or of the
     * shuffle's after it (every {@code groups}-th channel), and the part has no copy step
     * (ShuffleNet's branches; Inception's parts at a batch above 1). The caller asks the layer's
     * plan whether it can ({@link dev.convcl.spi.Primitive#writeChannelWindow}) and lowers again
     * without the windows it refused. Not inside a concatenation that is itself written in place.
     * Likewise a slice whose only use is a convolution's input, for which {@code windowed} holds,
     * has no step: the convolution reads the slice's channels of its source in place
     * ({@link dev.convcl.spi.Primitive#readChannelWindow}; ShuffleNet's branch, which reads the
     * second half of {@code x.chunk(2, 1)}).
     *
     * @param ir                the graph after the passes
     * @param fuseChannelCopies whether to fuse the patterns above
     * @param regionAlignment   0, or the byte alignment of a region's offset: write parts in place
     * @param windowed          which convolution outputs may be written, and which slices read,
     *                          through a channel window
     * @return the program
     */
    public static Program lower(GraphIr ir, boolean fuseChannelCopies, long regionAlignment,
                                Predicate<Value> windowed) {
        Map<Node, Node> shuffleAfter = new IdentityHashMap<>();
        Map<Value, Node> sliceInto = new IdentityHashMap<>();
        Map<Value, List<Node>> consumers = ir.consumers();
        Set<Value> outputs = ir.outputValues();
        Map<Value, Node> producers = ir.producers();
        if (fuseChannelCopies) {
            for (Node n : ir.nodes()) {
                if (!(n.layer() instanceof Layer.Concat)) {
                    continue;
                }
                if (GraphIr.uses(n.output(), consumers, outputs) == 1 && !outputs.contains(n.output())
                        && consumers.get(n.output()).get(0).layer() instanceof Layer.Shuffle sh
                        && partsWithinGroups(n, sh.groups())) {
                    shuffleAfter.put(n, consumers.get(n.output()).get(0));
                }
                for (Value part : n.inputs()) {
                    Node producer = producers.get(part);
                    if (producer != null && producer.layer() instanceof Layer.Slice
                            && GraphIr.uses(part, consumers, outputs) == 1) {
                        sliceInto.put(part, producer);
                    }
                }
            }
        }
        Set<Node> absorbed = Collections.newSetFromMap(new IdentityHashMap<>());
        absorbed.addAll(shuffleAfter.values());
        absorbed.addAll(sliceInto.values());
        Map<Value, Value> partOf = new IdentityHashMap<>();
        Map<Value, Long> partAt = new IdentityHashMap<>();
        if (regionAlignment > 0) {
            inPlaceParts(ir, consumers, outputs, producers, shuffleAfter.keySet(), sliceInto.keySet(), absorbed,
                    regionAlignment, partOf, partAt);
        }
        Map<Value, ChannelWindow> windows = new IdentityHashMap<>();
        if (fuseChannelCopies) {
            windowedParts(ir, consumers, outputs, producers, shuffleAfter, sliceInto.keySet(), absorbed, windowed,
                    partOf, partAt, windows);
            slicesReadInPlace(ir, consumers, outputs, producers, absorbed, windowed, partOf, partAt, windows);
        }
        Map<Value, Long> offsets = new IdentityHashMap<>();
        List<Step> steps = new ArrayList<>();
        Map<Value, Value> storage = new IdentityHashMap<>();
        for (Value part : partOf.keySet()) {
            Value root = part;
            long offset = 0;
            for (Value outer = partOf.get(root); outer != null; outer = partOf.get(root)) {
                offset += partAt.get(root);
                root = outer;
            }
            storage.put(part, root);
            offsets.put(part, offset);
        }
        Map<Value, float[]> constants = new LinkedHashMap<>();
        for (Node n : ir.nodes()) {
            Layer l = n.layer();
            if (absorbed.contains(n)) {
                continue;
            }
            if (l instanceof Layer.Reshape) {
                Value in = n.input(0);
                storage.put(n.output(), storage.getOrDefault(in, in));
            } else if (l instanceof Layer.Constant c) {
                constants.put(n.output(), c.values());
            } else if (l instanceof Layer.Concat) {
                Node shuffle = shuffleAfter.get(n);
                for (int i = 0; i < n.inputs().size(); i++) {
                    if (partOf.containsKey(n.input(i))) {
                        continue; // written in place by the node computing it
                    }
                    Node slice = sliceInto.get(n.input(i));
                    Map<Arg, Value> v = new EnumMap<>(Arg.class);
                    v.put(Arg.SRC, slice == null ? n.input(i) : slice.input(0));
                    v.put(Arg.DST, shuffle == null ? n.output() : shuffle.output());
                    String name = (slice == null ? "" : slice.name() + "+") + n.name() + "[" + i + "]"
                            + (shuffle == null ? "" : "+" + shuffle.name());
                    steps.add(new Step(name, Descriptors.concatPart(n, i, (Layer.Slice) (slice == null ? null
                            : slice.layer()), slice == null ? null : slice.input(0),
                            shuffle == null ? 1 : ((Layer.Shuffle) shuffle.layer()).groups()), v, Map.of()));
                }
            } else {
                steps.add(step(n));
            }
        }
        return new Program(ir, steps, storage, offsets, windows, constants);
    }

    /**
     * Finds the slices read in place through a channel window (see
     * {@link #lower(GraphIr, boolean, long, Predicate)}): a slice whose only use is the input
     * ({@link Arg#SRC}) of a convolution, of a value with a buffer of its own (not a reshape, a
     * constant, or a part written in place), has no step; {@code partOf} maps it to its source,
     * {@code offsets} to 0, {@code windows} to its channels there, and the slice joins
     * {@code absorbed}.
     */
    private static void slicesReadInPlace(GraphIr ir, Map<Value, List<Node>> consumers, Set<Value> outputs,
                                          Map<Value, Node> producers, Set<Node> absorbed, Predicate<Value> windowed,
                                          Map<Value, Value> partOf, Map<Value, Long> offsets,
                                          Map<Value, ChannelWindow> windows) {
        for (Node n : ir.nodes()) {
            if (!(n.layer() instanceof Layer.Slice slice) || absorbed.contains(n)) {
                continue;
            }
            Value v = n.output();
            Value source = n.input(0);
            Node sourceProducer = producers.get(source);
            if (outputs.contains(v) || GraphIr.uses(v, consumers, outputs) != 1 || partOf.containsKey(source)
                    || sourceProducer != null && (sourceProducer.layer() instanceof Layer.Reshape
                    || sourceProducer.layer() instanceof Layer.Constant)
                    || !windowed.test(v)) {
                continue;
            }
            Node reader = consumers.get(v).get(0);
            if (!(reader.layer() instanceof Layer.Conv) || reader.inputs().indexOf(v) != 0
                    || reader.inputs().lastIndexOf(v) != 0) {
                continue;
            }
            absorbed.add(n);
            partOf.put(v, source);
            offsets.put(v, 0L);
            windows.put(v, new ChannelWindow(Descriptors.as4d(source.shape())[1], slice.start(), 1));
        }
    }

    /**
     * Finds the concatenation parts written through a channel window (see
     * {@link #lower(GraphIr, boolean, long, Predicate)}): {@code partOf} maps each to the buffer's
     * value (the concatenation's output, or the shuffle's after it), {@code offsets} to 0 and
     * {@code windows} to its channels there.
     */
    private static void windowedParts(GraphIr ir, Map<Value, List<Node>> consumers, Set<Value> outputs,
                                      Map<Value, Node> producers, Map<Node, Node> shuffleAfter, Set<Value> sliced,
                                      Set<Node> absorbed, Predicate<Value> windowed, Map<Value, Value> partOf,
                                      Map<Value, Long> offsets, Map<Value, ChannelWindow> windows) {
        for (Node n : ir.nodes()) {
            if (!(n.layer() instanceof Layer.Concat)) {
                continue;
            }
            Node shuffle = shuffleAfter.get(n);
            Value whole = shuffle == null ? n.output() : shuffle.output();
            if (partOf.containsKey(whole)) {
                continue; // itself a part written in place: its buffer is a region of another's
            }
            int groups = shuffle == null ? 1 : ((Layer.Shuffle) shuffle.layer()).groups();
            for (int i = 0; i < n.inputs().size(); i++) {
                Value part = n.input(i);
                Node producer = producers.get(part);
                if (partOf.containsKey(part) || sliced.contains(part) || producer == null || absorbed.contains(producer)
                        || !(producer.layer() instanceof Layer.Conv) || outputs.contains(part)
                        || GraphIr.uses(part, consumers, outputs) != 1 || !windowed.test(part)) {
                    continue;
                }
                dev.convcl.ChannelCopy place = Descriptors.concatPart(n, i, null, null, groups);
                partOf.put(part, whole);
                offsets.put(part, 0L);
                windows.put(part, new ChannelWindow(place.dstChannels(), place.dstStart(), place.dstStep()));
            }
        }
    }

    /**
     * Finds the concatenation parts written in place (see {@link #lower(GraphIr, boolean, long)}):
     * {@code partOf} maps each to the concatenation's output, {@code offsets} to its first element there.
     */
    private static void inPlaceParts(GraphIr ir, Map<Value, List<Node>> consumers, Set<Value> outputs,
                                     Map<Value, Node> producers, Set<Node> shuffled, Set<Value> sliced,
                                     Set<Node> absorbed, long alignment, Map<Value, Value> partOf,
                                     Map<Value, Long> offsets) {
        for (Node n : ir.nodes()) {
            if (!(n.layer() instanceof Layer.Concat) || shuffled.contains(n)) {
                continue;
            }
            int[] out = Descriptors.as4d(n.output().shape());
            if (out[0] != 1) {
                continue; // a part's channels of each image are apart: not one region
            }
            long plane = (long) out[2] * out[3];
            long start = 0;
            for (Value part : n.inputs()) {
                Node producer = producers.get(part);
                if (producer != null && !absorbed.contains(producer) && !sliced.contains(part)
                        && !(producer.layer() instanceof Layer.Reshape) && !(producer.layer() instanceof Layer.Constant)
                        && !outputs.contains(part) && GraphIr.uses(part, consumers, outputs) == 1
                        && start * plane * Float.BYTES % alignment == 0) {
                    partOf.put(part, n.output());
                    offsets.put(part, start * plane);
                }
                start += Descriptors.as4d(part.shape())[1];
            }
        }
    }

    /** Whether each part of {@code concat} lies within one of the {@code groups} channel groups of its output. */
    private static boolean partsWithinGroups(Node concat, int groups) {
        int channels = Descriptors.as4d(concat.output().shape())[1];
        if (channels % groups != 0) {
            return false;
        }
        int size = channels / groups;
        int start = 0;
        for (Value part : concat.inputs()) {
            int count = part.dim(1);
            if (start / size != (start + count - 1) / size) {
                return false;
            }
            start += count;
        }
        return true;
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
        } else if (l instanceof Layer.SqueezeExcite se) {
            k.put(Arg.WEIGHTS, se.w1());
            k.put(Arg.BIAS, se.b1());
            k.put(Arg.FC2_WEIGHTS, se.w2());
            k.put(Arg.FC2_BIAS, se.b2());
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
