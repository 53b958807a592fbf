package dev.convcl.graph;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Graph;
import dev.convcl.GraphTesting;
import dev.convcl.Nets;
import dev.convcl.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The buffer plan: values alive at the same step never share a buffer (a step's inputs and output
 * included), every buffer holds its values, and buffers are shared at all.
 */
class MemoryPlanTest {

    private static void checkPlan(Graph g) {
        checkPlan(g, 0);
    }

    /** As above, with each value needing {@code slack} elements more than its size (a reader reading past its end). */
    private static void checkPlan(Graph g, long slack) {
        Program p = Program.lower(Passes.all(GraphTesting.ir(g)));
        MemoryPlan plan = MemoryPlan.of(p, v -> v.size() + slack);
        Map<Value, int[]> life = MemoryPlan.lifetimes(p);
        List<Value> values = new ArrayList<>(life.keySet());
        for (int i = 0; i < values.size(); i++) {
            Value a = values.get(i);
            assertTrue(plan.slotElements().get(plan.slot(a)) >= a.size() + slack, "buffer of " + a + " too small for "
                    + a.size() + " elements and " + slack + " read past them");
            for (int j = i + 1; j < values.size(); j++) {
                Value b = values.get(j);
                int[] la = life.get(a), lb = life.get(b);
                if (la[0] <= lb[1] && lb[0] <= la[1]) {
                    assertNotEquals(plan.slot(a), plan.slot(b), a + " " + java.util.Arrays.toString(la) + " and " + b
                            + " " + java.util.Arrays.toString(lb) + " are alive together but share a buffer");
                }
            }
        }
        for (Program.Step s : p.steps()) {
            int out = plan.slot(p.storage(s.values().get(Arg.DST)));
            for (Map.Entry<Arg, Value> e : s.values().entrySet()) {
                if (e.getKey() != Arg.DST && !p.constants().containsKey(p.storage(e.getValue()))) {
                    assertNotEquals(out, plan.slot(p.storage(e.getValue())), s.name() + " reads its output's buffer");
                }
            }
        }
        assertTrue(plan.slotElements().size() < values.size(), plan.slotElements().size() + " buffers for "
                + values.size() + " values: nothing shared");
    }

    @Test
    void resNet50() {
        Nets n = new Nets(1);
        checkPlan(n.build("out", n.resnet50(n.input("x", 1, 3, 32, 32))));
    }

    @Test
    void resNet50WithReadersReadingPastTheirSources() {
        Nets n = new Nets(1);
        checkPlan(n.build("out", n.resnet50(n.input("x", 1, 3, 32, 32))), 61);
    }

    @Test
    void branchingBlocks() {
        Nets n = new Nets(2);
        Value x = n.input("x", 1, 8, 9, 9);
        Value y = n.inceptionBlock("inc", x, 4);
        y = n.shuffleUnit("shuffle", n.conv("to16", y, 16, 1, 1, 1));
        y = n.seBlock("se", y, y, 4);
        y = n.builder().concat("cat", n.dcnv2("dcn", y, 6), y);
        checkPlan(n.build("out", y));
    }
}
