package dev.convcl.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.ChannelCopy;
import dev.convcl.ChannelShuffle;
import dev.convcl.Graph;
import dev.convcl.GraphTesting;
import dev.convcl.Nets;
import dev.convcl.Value;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@link Program#lower(GraphIr, boolean, long, java.util.function.Predicate)}'s channel-copy
 * fusion and concatenation parts written in place (regions at batch 1, channel windows where the
 * caller allows them): which steps it folds and which it must leave alone. That the fused programs
 * compute the same values is checked by GraphNetworksTest and GraphOpenClTest (compiled with every
 * pass and with none, against the float64 graph), and OpenClFaultTest (windows on the CPU path).
 */
class ProgramLoweringTest {

    private static Program lower(Graph g, boolean fuse) {
        return Program.lower(Passes.all(GraphTesting.ir(g)), fuse);
    }

    private static List<String> listing(Program p) {
        return p.steps().stream().map(s -> s.name() + ": " + s.op()).collect(Collectors.toList());
    }

    private static long count(Program p, Class<?> kind) {
        return p.steps().stream().filter(s -> kind.isInstance(s.op())).count();
    }

    @Test
    void twoShuffleUnitsLoseTheirShufflesAndTheSlicesThatFeedAConcatenation() {
        Nets n = new Nets(3);
        Value x = n.input("x", 2, 12, 9, 7);
        Graph g = n.build("out", n.shuffleUnit("u2", n.shuffleUnit("u1", x)));
        Program plain = lower(g, false);
        Program fused = lower(g, true);
        assertEquals(2, count(plain, ChannelShuffle.class), listing(plain).toString());
        assertEquals(0, count(fused, ChannelShuffle.class), listing(fused).toString());
        // per unit: chunk:0, chunk:1, cat[0], cat[1], shuffle -> chunk:1, chunk:0+cat[0]+shuffle, cat[1]+shuffle
        assertEquals(plain.steps().size() - 4, fused.steps().size(), listing(fused).toString());

        Program.Step first = fused.steps().stream().filter(s -> s.name().equals("u2.chunk:0+u2.cat[0]+u2.shuffle"))
                .findFirst().orElseThrow(() -> new AssertionError(listing(fused)));
        // the slice's source is u1's output (12 channels), its first 6 channels go to the even channels
        assertEquals(new ChannelCopy(2, 9, 7, 12, 0, 12, 0, 6, 2), first.op());
        Program.Step second = fused.steps().stream().filter(s -> s.name().equals("u2.cat[1]+u2.shuffle"))
                .findFirst().orElseThrow(() -> new AssertionError(listing(fused)));
        assertEquals(new ChannelCopy(2, 9, 7, 6, 0, 12, 1, 6, 2), second.op());
    }

    @Test
    void aPartAcrossTwoShuffleGroupsKeepsTheShuffle() {
        Nets n = new Nets(4);
        Value x = n.input("x", 1, 4, 5, 5);
        Value a = n.conv("a", x, 3, 1, 1, 1);
        Value b = n.conv("b", x, 5, 1, 1, 1);
        // 8 channels in 2 groups of 4: part b (channels 3 to 7) lies in both
        Graph g = n.build("out", n.builder().channelShuffle("shuffle", n.builder().concat("cat", a, b), 2));
        Program fused = lower(g, true);
        assertEquals(1, count(fused, ChannelShuffle.class), listing(fused).toString());
        assertTrue(fused.steps().stream().noneMatch(s -> s.op() instanceof ChannelCopy c && c.dstStep() != 1),
                listing(fused).toString());
    }

    @Test
    void aConcatenationThatIsAlsoAnOutputOrReadTwiceIsWrittenAsItIs() {
        Nets n = new Nets(5);
        Value x = n.input("x", 1, 4, 5, 5);
        Graph.Builder b = n.builder();
        Value cat = b.concat("cat", n.conv("a", x, 2, 1, 1, 1), n.conv("b", x, 2, 1, 1, 1));
        b.output("cat", cat);
        Graph g = n.build("out", b.channelShuffle("shuffle", cat, 2));
        Program fused = lower(g, true);
        assertEquals(1, count(fused, ChannelShuffle.class), listing(fused).toString());

        Nets m = new Nets(6);
        Value y = m.input("x", 1, 4, 5, 5);
        List<Value> halves = m.builder().split("chunk", y, 2, 2);
        // the first half feeds the concatenation and a convolution: its slice stays a step of its own
        Value c = m.builder().concat("cat", halves.get(0), m.conv("conv", halves.get(0), 2, 1, 1, 1));
        Program p = lower(m.build("out", c), true);
        assertTrue(p.steps().stream().anyMatch(s -> s.name().equals("chunk:0")), listing(p).toString());
        assertTrue(p.steps().stream().anyMatch(s -> s.name().equals("cat[0]")), listing(p).toString());
    }

    private static Program lower(Graph g, long alignment) {
        return Program.lower(Passes.all(GraphTesting.ir(g)), true, alignment);
    }

    /** The value the step named {@code name} writes. */
    private static Value written(Program p, String name) {
        return p.steps().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no step " + name + " in " + listing(p))).values().get(Arg.DST);
    }

    private static List<String> copies(Program p) {
        return p.steps().stream().filter(s -> s.op() instanceof ChannelCopy).map(Program.Step::name)
                .collect(Collectors.toList());
    }

    /** Parts of 2, 1, 2 channels computed by convolutions, then the graph input's 4, on 5x5 maps (100 bytes a channel). */
    private static Graph fourParts(int batch) {
        Nets n = new Nets(7);
        Value x = n.input("x", batch, 4, 5, 5);
        return n.build("out", n.builder().concat("cat", n.conv("a", x, 2, 1, 1, 1), n.conv("b", x, 1, 1, 1, 1),
                n.conv("c", x, 2, 3, 1, 1), x));
    }

    @Test
    void atBatchOneAPartWhoseOffsetMeetsTheAlignmentIsWrittenInPlaceAndLosesItsCopy() {
        // channel offsets 0, 2, 3, 5: bytes 0, 200, 300, 500; with 200-byte alignment a and b qualify,
        // c does not (300), the graph input x never (no node computes it)
        Program p = lower(fourParts(1), 200);
        assertEquals(List.of("cat[2]", "cat[3]"), copies(p), listing(p).toString());
        Value cat = written(p, "cat[2]");
        Value a = written(p, "a");
        Value b = written(p, "b");
        Value c = written(p, "c");
        assertSame(cat, p.storage(a), "a is written into the concatenation's buffer");
        assertEquals(0, p.offset(a));
        assertSame(cat, p.storage(b));
        assertEquals(2 * 25, p.offset(b), "b starts at channel 2 of 5x5 planes");
        assertSame(c, p.storage(c), "c (byte 300 of a 200-byte alignment) keeps its own buffer and its copy");
        assertEquals(0, p.offset(c));
        // the concatenation's buffer lives from the first part written in place
        Map<Value, int[]> life = MemoryPlan.lifetimes(p);
        assertEquals(p.steps().indexOf(p.steps().stream().filter(s -> s.name().equals("a")).findFirst().get()),
                life.get(cat)[0], listing(p).toString());
        assertTrue(!life.containsKey(a) && !life.containsKey(b), "parts in place have no buffer of their own: " + life.keySet());

        Program every = lower(fourParts(1), 100);
        assertEquals(List.of("cat[3]"), copies(every), "every computed part in place at 100 bytes: " + listing(every));
        Program none = lower(fourParts(1), 0);
        assertEquals(List.of("cat[0]", "cat[1]", "cat[2]", "cat[3]"), copies(none), listing(none).toString());
        Program batch2 = lower(fourParts(2), 4);
        assertEquals(List.of("cat[0]", "cat[1]", "cat[2]", "cat[3]"), copies(batch2),
                "at batch 2 a part's channels are not one region: " + listing(batch2));
    }

    @Test
    void aConcatenationThatIsAPartPutsItsOwnPartsAtTheirPlaceInTheOuterOne() {
        Nets n = new Nets(8);
        Value x = n.input("x", 1, 3, 4, 4);
        Graph.Builder b = n.builder();
        Value inner = b.concat("inner", n.conv("p", x, 2, 1, 1, 1), n.conv("q", x, 3, 1, 1, 1));
        Graph g = n.build("out", b.concat("outer", n.conv("r", x, 1, 1, 1, 1), inner, n.conv("s", x, 2, 1, 1, 1)));
        Program p = lower(g, 4);
        assertEquals(List.of(), copies(p), listing(p).toString());
        Value outer = p.ir().outputs().get("out");
        assertSame(outer, p.storage(written(p, "q")), listing(p).toString());
        assertEquals(0, p.offset(written(p, "r")));
        assertEquals(1 * 16, p.offset(written(p, "p")), "p: channel 1 of the outer concatenation");
        assertEquals(3 * 16, p.offset(written(p, "q")), "q: channel 1 + 2 of the outer concatenation");
        assertEquals(6 * 16, p.offset(written(p, "s")), "s: after r (1) and inner (5)");
        assertEquals(List.of(outer), List.copyOf(MemoryPlan.lifetimes(p).keySet()).subList(1, 2),
                "the input and the outer concatenation are the only buffers: " + MemoryPlan.lifetimes(p).keySet());
        assertEquals(2, MemoryPlan.lifetimes(p).size(), MemoryPlan.lifetimes(p).keySet().toString());
    }

    @Test
    void aPartReadElsewhereOrAnOutputOrTakenTwiceKeepsItsBufferAndItsCopy() {
        Nets n = new Nets(9);
        Value x = n.input("x", 1, 2, 4, 4);
        Graph.Builder b = n.builder();
        Value a = n.conv("a", x, 2, 1, 1, 1);
        Value o = n.conv("o", x, 2, 1, 1, 1);
        Value t = n.conv("t", x, 2, 1, 1, 1);
        Value cat = b.concat("cat", a, o, t, t);
        b.output("o", o);
        Graph g = n.build("out", b.add("sum", n.conv("tail", cat, 8, 1, 1, 1), n.conv("reader", a, 8, 1, 1, 1)));
        Program p = lower(g, 4);
        assertEquals(List.of("cat[0]", "cat[1]", "cat[2]", "cat[3]"), copies(p), listing(p).toString());
        for (String name : List.of("a", "o", "t")) {
            Value v = written(p, name);
            assertSame(v, p.storage(v), name + " keeps its own buffer: " + listing(p));
        }
    }

    @Test
    void partsComputedByConvolutionsGetChannelWindowsWhereTheCallerAllowsAndNoRegionServes() {
        // batch 2: no part is one region; a, b and c are convolutions, x the graph input
        Graph g = fourParts(2);
        Program p = Program.lower(Passes.all(GraphTesting.ir(g)), true, 4, v -> true);
        assertEquals(List.of("cat[3]"), copies(p), listing(p).toString());
        Value cat = written(p, "cat[3]");
        assertEquals(new Program.ChannelWindow(9, 0, 1), p.window(written(p, "a")));
        assertEquals(new Program.ChannelWindow(9, 2, 1), p.window(written(p, "b")));
        assertEquals(new Program.ChannelWindow(9, 3, 1), p.window(written(p, "c")));
        for (String name : List.of("a", "b", "c")) {
            assertSame(cat, p.storage(written(p, name)), name + " is written into the concatenation's buffer");
            assertEquals(0, p.offset(written(p, name)));
        }
        assertEquals(null, p.window(cat));
        // the caller refuses b's window: b keeps its buffer and its copy
        Program refused = Program.lower(Passes.all(GraphTesting.ir(g)), true, 4, v -> !v.name().equals("b"));
        assertEquals(List.of("cat[1]", "cat[3]"), copies(refused), listing(refused).toString());
        Value b = written(refused, "b");
        assertSame(b, refused.storage(b));
        assertEquals(null, refused.window(b));
        // without copy fusion, or with no window allowed, every part is copied
        assertEquals(List.of("cat[0]", "cat[1]", "cat[2]", "cat[3]"), copies(Program.lower(Passes.all(GraphTesting.ir(g)),
                true, 4, v -> false)));
        assertEquals(List.of("cat[0]", "cat[1]", "cat[2]", "cat[3]"), copies(Program.lower(Passes.all(GraphTesting.ir(g)),
                false, 0, v -> true)));
        // at batch 1 with 100-byte regions a, b and c are regions, not windows
        Program regions = Program.lower(Passes.all(GraphTesting.ir(fourParts(1))), true, 100, v -> true);
        for (String name : List.of("a", "b", "c")) {
            assertEquals(null, regions.window(written(regions, name)), name + " is a region: " + listing(regions));
        }
    }

    @Test
    void aShuffledConcatenationsBranchWritesEveryOtherChannelAndTheParentOfARegionGivesNoWindows() {
        Nets n = new Nets(10);
        Value x = n.input("x", 1, 12, 5, 5);
        Graph g = n.build("out", n.shuffleUnit("u", x));
        Program p = Program.lower(Passes.all(GraphTesting.ir(g)), true, 4, v -> true);
        // the branch's last layer (conv, bn and relu fused) writes channels 1, 3, ..., 11 of the shuffled output
        Program.Step last = p.steps().stream().filter(s -> s.name().startsWith("u.branch2.5.conv")).findFirst().orElseThrow();
        Value branch = last.values().get(Arg.DST);
        assertEquals(new Program.ChannelWindow(12, 1, 2), p.window(branch), listing(p).toString());
        assertSame(p.ir().outputs().get("out"), p.storage(branch));
        assertEquals(List.of("u.chunk:0+u.cat[0]+u.shuffle"), copies(p), listing(p).toString());
        // and its first layer reads the second half of the unit's input in place
        Program.Step first = p.steps().stream().filter(s -> s.name().startsWith("u.branch2.0.conv")).findFirst().orElseThrow();
        Value half = first.values().get(Arg.SRC);
        assertSame(p.ir().inputs().get(0), p.storage(half), listing(p).toString());
        assertEquals(new Program.ChannelWindow(12, 6, 1), p.window(half));
        assertTrue(MemoryPlan.lifetimes(p).keySet().stream().noneMatch(v -> v == half), "the slice has no buffer");

        // an inner concatenation written in place into an outer one at batch 1 gives its own parts no windows
        Nets m = new Nets(11);
        Value y = m.input("x", 1, 3, 4, 4);
        Graph.Builder b = m.builder();
        Value inner = b.concat("inner", m.conv("p", y, 2, 1, 1, 1), m.conv("q", y, 3, 1, 1, 1));
        Graph nested = m.build("out", b.concat("outer", m.conv("r", y, 1, 1, 1, 1), inner));
        Program q = Program.lower(Passes.all(GraphTesting.ir(nested)), true, 4, v -> true);
        assertEquals(null, q.window(written(q, "p")), listing(q).toString());
        assertEquals(16, q.offset(written(q, "p")), "p is a region of the outer concatenation: " + listing(q));
    }

    @Test
    void aSliceReadByTwoLayersOrByAPoolKeepsItsStep() {
        Nets n = new Nets(12);
        Value x = n.input("x", 2, 8, 5, 5);
        Graph.Builder b = n.builder();
        List<Value> halves = b.split("chunk", x, 4, 4);
        Value twice = b.add("sum", n.conv("a", halves.get(1), 4, 1, 1, 1), b.maxPool2d("p", halves.get(1), 3, 1, 1, 1, false));
        Value pooled = b.maxPool2d("pool", halves.get(0), 3, 1, 1, 1, false);
        Graph g = n.build("out", b.add("both", twice, pooled));
        Program p = Program.lower(Passes.all(GraphTesting.ir(g)), true, 4, v -> true);
        assertEquals(Set.of("chunk:1", "chunk:0"), Set.copyOf(copies(p)), listing(p).toString());
        // a single convolution reading the half: in place, unless the caller refuses
        Nets m = new Nets(13);
        Value y = m.input("x", 2, 8, 5, 5);
        Graph one = m.build("out", m.conv("c", m.builder().split("chunk", y, 4, 4).get(1), 4, 3, 1, 1));
        assertEquals(List.of(), copies(Program.lower(Passes.all(GraphTesting.ir(one)), true, 4, v -> true)));
        assertEquals(List.of("chunk:1"), copies(Program.lower(Passes.all(GraphTesting.ir(one)), true, 4, v -> false)));
    }
}
