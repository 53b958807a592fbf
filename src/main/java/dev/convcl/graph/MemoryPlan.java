package dev.convcl.graph;

import dev.convcl.Arg;
import dev.convcl.Value;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Which buffer holds each value of a {@link Program}: values whose lifetimes do not overlap share
 * a buffer. A value lives from the step that first writes it (graph inputs: before the first
 * step) to the last step that reads it (graph outputs: after the last step), both included, so a
 * step never reads and writes the same buffer. A value may need more than its size (a reader
 * that reads past its end). Greedy by size (largest values first, each into
 * the smallest free buffer, which is at least its size), as TensorFlow Lite's arena planner does.
 * Constants have buffers of their own and are not planned here.
 */
public final class MemoryPlan {
    private final Map<Value, Integer> slotOf;
    private final List<Long> slotElements;

    private MemoryPlan(Map<Value, Integer> slotOf, List<Long> slotElements) {
        this.slotOf = slotOf;
        this.slotElements = slotElements;
    }

    /** Buffer index of a storage value (see {@link Program#storage}). */
    public int slot(Value storage) {
        Integer s = slotOf.get(storage);
        if (s == null) {
            throw new IllegalArgumentException("value " + storage + " has no buffer");
        }
        return s;
    }

    /** Element count of each buffer. */
    public List<Long> slotElements() {
        return slotElements;
    }

    /** Total elements of all buffers. */
    public long totalElements() {
        long t = 0;
        for (long s : slotElements) {
            t += s;
        }
        return t;
    }

    /** First and last step of each storage value, in the order values first appear. */
    public static Map<Value, int[]> lifetimes(Program p) {
        Map<Value, int[]> life = new LinkedHashMap<>();
        List<Program.Step> steps = p.steps();
        for (Value in : p.ir().inputs()) {
            life.put(in, new int[] {-1, -1});
        }
        for (int i = 0; i < steps.size(); i++) {
            for (Map.Entry<Arg, Value> e : steps.get(i).values().entrySet()) {
                Value v = p.storage(e.getValue());
                if (p.constants().containsKey(v)) {
                    continue;
                }
                int[] l = life.computeIfAbsent(v, k -> new int[] {Integer.MAX_VALUE, -1});
                if (e.getKey() == Arg.DST) {
                    l[0] = Math.min(l[0], i);
                }
                l[1] = Math.max(l[1], i);
            }
        }
        for (Value out : p.ir().outputs().values()) {
            Value v = p.storage(out);
            if (!p.constants().containsKey(v)) {
                life.computeIfAbsent(v, k -> new int[] {-1, -1})[1] = steps.size();
            }
        }
        for (int[] l : life.values()) {
            l[0] = Math.min(l[0], l[1]);
        }
        return life;
    }

    /** Plans the buffers of {@code p}, each value taking its own size. */
    public static MemoryPlan of(Program p) {
        return of(p, Value::size);
    }

    /**
     * Plans the buffers of {@code p}, value {@code v} taking the larger of its size and
     * {@code needs.applyAsLong(v)} elements (a reader may read past its end, see
     * {@link dev.convcl.spi.Primitive#sourceReadBytes}).
     */
    public static MemoryPlan of(Program p, ToLongFunction<Value> needs) {
        ToLongFunction<Value> elements = v -> Math.max(v.size(), needs.applyAsLong(v));
        Map<Value, int[]> life = lifetimes(p);
        List<Value> order = new ArrayList<>(life.keySet());
        order.sort(Comparator.comparingLong(elements).reversed());
        List<Long> sizes = new ArrayList<>();
        List<List<int[]>> busy = new ArrayList<>();
        Map<Value, Integer> slotOf = new IdentityHashMap<>();
        for (Value v : order) {
            int[] l = life.get(v);
            int best = -1;
            for (int s = 0; s < sizes.size(); s++) {
                if (free(busy.get(s), l) && (best < 0 || sizes.get(s) < sizes.get(best))) {
                    best = s;
                }
            }
            if (best < 0) {
                best = sizes.size();
                sizes.add(elements.applyAsLong(v));
                busy.add(new ArrayList<>());
            }
            busy.get(best).add(l);
            slotOf.put(v, best);
        }
        return new MemoryPlan(slotOf, List.copyOf(sizes));
    }

    private static boolean free(List<int[]> taken, int[] l) {
        for (int[] t : taken) {
            if (t[0] <= l[1] && l[0] <= t[1]) {
                return false;
            }
        }
        return true;
    }
}
