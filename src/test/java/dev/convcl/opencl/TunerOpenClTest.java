package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import dev.convcl.spi.Memory;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TunerOpenClTest {
    static final Convolution DENSE = Problems.parse("op=conv2d n=1 c=6 h=20 w=21 k=20 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=1");
    static final Convolution POINTWISE = Problems.parse("op=conv2d n=2 c=9 h=17 w=19 k=35 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1");
    static final Convolution DEPTHWISE = Problems.parse("op=conv2d n=1 c=4 h=8 w=8 k=4 kh=3 kw=3 stride=1 pad=1 dil=1 groups=4");
    static final List<GemmConfig> CANDIDATES = List.of(GemmConfig.cm(16, 32, 14, 1), GemmConfig.cm(8, 8, 12, 1),
            GemmConfig.pv(16, 4, 32, 1));

    @TempDir
    Path dir;

    @Test
    void winnersAreSavedReadBackAndRunCorrectly() {
        List<String> progress = new ArrayList<>();
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(DENSE, POINTWISE, DEPTHWISE), progress::add, dir,
                    s -> CANDIDATES, GemmConvPlan::new);
            Map<String, GemmConfig> chosen = choices.stream()
                    .collect(Collectors.toMap(Tuner.Choice::problemClass, Tuner.Choice::config));
            assertEquals(Map.of("dense", chosen.get("dense"), "pointwise", chosen.get("pointwise")), chosen, progress.toString());
            assertTrue(Files.isRegularFile(TuningTable.fileFor(dir, ctx.info())), progress.toString());
            assertTrue(progress.stream().anyMatch(l -> l.startsWith("skip") && l.contains("groups=4")), progress.toString());

            TuningTable table = TuningTable.load(dir, ctx.info());
            for (Convolution spec : List.of(DENSE, POINTWISE)) {
                GemmConfig cfg = table.configFor(spec, ctx.info());
                assertEquals(chosen.get(ProblemClass.keyOf(spec)), cfg, spec.toString());
                assertTrue(CANDIDATES.contains(cfg), cfg.toString());
                Args args = Tensors.args(spec, 5, false, 0);
                float[] ref = CrossCheck.reference(spec, args);
                try (GemmConvPlan plan = new GemmConvPlan(ctx, spec, cfg)) {
                    Primitives.run(cl, plan, args);
                }
                double err = Tensors.relativeL2(ref, Tensors.out(args));
                assertTrue(err <= 1e-5, spec + " with tuned " + cfg + ": relative L2 " + err);
            }
            assertEquals(0, ctx.liveObjects());
        }
    }

    @Test
    void aCandidateWithWrongOutputIsNeverChosenHoweverFast() {
        GemmConfig broken = GemmConfig.cm(16, 16, 28, 1);
        GemmConfig sound = GemmConfig.cm(16, 32, 14, 1);
        List<String> progress = new ArrayList<>();
        try (OpenClBackend cl = new OpenClBackend(OpenClTestDevice.require())) {
            OpenClContext ctx = cl.context();
            Tuner.PlanFactory factory = (c, spec, cfg) -> cfg.equals(broken)
                    ? new OffByOne(new GemmConvPlan(c, spec, cfg)) : new GemmConvPlan(c, spec, cfg);
            List<Tuner.Choice> choices = Tuner.tune(ctx, List.of(DENSE), progress::add, dir,
                    s -> List.of(broken, sound), factory);
            assertEquals(1, choices.size(), progress.toString());
            assertEquals(sound, choices.get(0).config(), progress.toString());
            assertEquals(1, choices.get(0).rejected(), progress.toString());
            assertTrue(progress.stream().anyMatch(l -> l.contains(broken + " rejected")), progress.toString());
            assertEquals(sound, TuningTable.load(dir, ctx.info()).configFor(DENSE, ctx.info()));
        }
    }

    /** A plan that claims to be very fast and gets one output wrong. */
    private static final class OffByOne implements Primitive {
        private final Primitive inner;

        OffByOne(Primitive inner) {
            this.inner = inner;
        }

        @Override
        public String algorithm() {
            return inner.algorithm();
        }

        @Override
        public void bind(Arg role, Memory memory) {
            inner.bind(role, memory);
        }

        @Override
        public void execute(Map<Arg, Memory> args) {
            inner.execute(args);
            DeviceBuffer dst = (DeviceBuffer) args.get(Arg.DST);
            HostTensor out = Tensor.zeros((int) (dst.bytes() / 4));
            dst.read(out);
            out.array()[out.size() / 2] += 1;
            dst.write(out);
        }

        @Override
        public double lastKernelMillis() {
            return 1e-6;
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
