package dev.convcl.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.ChannelCopy;
import dev.convcl.ChannelShuffle;
import dev.convcl.Graph;
import dev.convcl.GraphTesting;
import dev.convcl.Nets;
import dev.convcl.Value;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@link Program#lower(GraphIr, boolean)}'s channel-copy fusion: which steps it folds and which it
 * must leave alone. That the fused programs compute the same values is checked by
 * GraphNetworksTest and GraphOpenClTest (compiled with every pass and with none, against the
 * float64 graph).
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
}
