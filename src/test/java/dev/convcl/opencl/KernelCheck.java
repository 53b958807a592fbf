package dev.convcl.opencl;

import static org.jocl.CL.CL_MEM_READ_ONLY;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_MEM_WRITE_ONLY;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Convolution;
import dev.convcl.HostTensor;
import dev.convcl.NetworkProblems;
import dev.convcl.Operation;
import dev.convcl.SqueezeExcitation;
import dev.convcl.Tensor;
import dev.convcl.reference.ReferenceOps;
import dev.convcl.spi.Memory;
import dev.convcl.spi.Implementation;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.CrossCheck;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.ProblemFiles;
import dev.convcl.testing.RoiProblems;
import dev.convcl.testing.Tensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The kernel cross-check shared by {@link OpenClKernelCoverageTest} and {@link OclgrindKernelCheck}:
 * each problem compiled by every implementation of the OpenCL backend that accepts it (the list
 * selection walks), executed on random data into a NaN-poisoned output, and compared with the
 * reference; the
 * measuring kernels of peak.cl against exact host results; then every kernel file in
 * opencl-kernels/ must have been built by at least one of them.
 */
final class KernelCheck {
    /** fp32 against the double reference on these tiny problems: far above the error, far below a bug. */
    static final double TOLERANCE = 1e-5;

    private KernelCheck() {
    }

    /** Failure lines (empty when all agree), each with the problem's one-line form. */
    static List<String> crossCheck(OpenClBackend backend, List<ProblemFiles.Named> problems) {
        List<String> failures = new ArrayList<>();
        long seed = 11;
        for (ProblemFiles.Named p : problems) {
            if (!(p.op() instanceof Convolution)) {
                crossCheckOperation(backend, p, seed++, failures);
                continue;
            }
            Args args = Tensors.args(p.spec(), seed++, false, 2.5);
            float[] ref = CrossCheck.reference(p.spec(), args);
            // Every implementation of the device that accepts the problem, in selection order: the
            // one selection picks, and the direct kernels every problem can fall back to (the
            // tuner's yardstick, which selection rarely picks by itself).
            for (Implementation impl : Primitives.accepting(backend, p.spec())) {
                try (Primitive plan = impl.create(p.spec(), null)) {
                    double err = Tensors.relativeL2(ref, Primitives.output(backend, plan, p.spec(), args));
                    if (!(err < TOLERANCE)) {
                        failures.add(p + " [" + plan.algorithm() + "]: relative L2 error " + err);
                    }
                } catch (RuntimeException e) {
                    failures.add(p + " [" + impl.name() + "]: " + e);
                }
            }
        }
        return failures;
    }

    /**
     * The CPU-style register tiles of conv2d_gemm.cl and deform2d_cm.cl, which a GPU-like device
     * (oclgrind's) never selects (deform2d_cm.cl: each deformable coverage problem on two small tiles): each coverage problem on a small channel-vector tile (any stride) and a
     * pixel-vector tile (stride_w 1), so the channel-vector tile's reads as it pads (IMPLICIT_PAD)
     * and the pixel-vector tile's reads of the padded copy and its slack are checked too. Failure lines, empty when all agree; a line too when the problems did not reach the
     * tilings expected (the check would be partly empty).
     */
    static List<String> crossCheckRegisterTiles(OpenClBackend backend, List<ProblemFiles.Named> problems) {
        List<String> failures = new ArrayList<>();
        Set<String> tilings = new TreeSet<>();
        long seed = 101;
        for (ProblemFiles.Named p : problems) {
            if (!(p.op() instanceof Convolution spec) || !GemmConvPlan.handles(spec)) {
                continue;
            }
            Args args = Tensors.args(spec, seed++, false, 2.5);
            float[] ref = CrossCheck.reference(spec, args);
            List<GemmConfig> configs = new ArrayList<>(List.of(GemmConfig.cm(4, 8, 5, 1), GemmConfig.pv(4, 4, 8, 1)));
            if (spec.kh() * spec.kw() == 1) {
                // channel tiles first (the order CPUs take for 1x1 layers): the NDRange's first two dimensions swapped
                configs.add(GemmConfig.pv(4, 4, 8, 1).withOrder(GemmConfig.Order.CHANNELS));
            }
            for (GemmConfig cfg : configs) {
                if (GemmConvPlan.unsuitableReason(spec, cfg, backend.context().info()).isPresent()) {
                    continue;
                }
                try (GemmConvPlan plan = new GemmConvPlan(backend.context(), spec, cfg)) {
                    double err = Tensors.relativeL2(ref, Primitives.output(backend, plan, spec, args));
                    if (!(err < TOLERANCE)) {
                        failures.add(p + " [" + plan.algorithm() + "]: relative L2 error " + err);
                    }
                    GemmConvPlan.Geometry g = plan.geometry();
                    tilings.add(cfg.kind() + (g.linear ? " along the image" : " in rows")
                            + (g.implicitPad ? ", padding as it reads" : "") + (cfg.order() == GemmConfig.Order.CHANNELS ? ", channel tiles first" : ""));
                } catch (RuntimeException e) {
                    failures.add(p + " [" + cfg + "]: " + e);
                }
            }
        }
        // deform2d_cm.cl, CPU devices' deformable kernel: two small tiles (a partial channel vector,
        // several pixel and channel tiles a work-group, chunks that split an offset group's channels)
        for (ProblemFiles.Named p : problems) {
            if (!(p.op() instanceof Convolution spec) || !DeformGemmPlan.supports(spec)) {
                continue;
            }
            Args args = Tensors.args(spec, seed++, false, 2.5);
            float[] ref = CrossCheck.reference(spec, args);
            // and deform2d_gemm.cl's first tile, which a CPU device no longer selects (a GPU-like one,
            // oclgrind's, selects it already: there this runs it twice)
            for (DeformGemmPlan.Tile t : DeformGemmPlan.defaultTile(spec, backend.context().info()).stream().toList()) {
                try (DeformGemmPlan plan = new DeformGemmPlan(backend.context(), spec, t)) {
                    double err = Tensors.relativeL2(ref, Primitives.output(backend, plan, spec, args));
                    if (!(err < TOLERANCE)) {
                        failures.add(p + " [" + plan.algorithm() + "]: relative L2 error " + err);
                    }
                } catch (RuntimeException e) {
                    failures.add(p + " [" + t + "]: " + e);
                }
            }
            for (DeformCmPlan.Tile tile : List.of(new DeformCmPlan.Tile(4, 2, 3, 2, 2, 5), new DeformCmPlan.Tile(8, 1, 5, 1, 1, 64))) {
                DeformCmPlan.Tile t = tile.fittedTo(spec);
                if (!t.fits(spec, backend.context().info())) {
                    continue; // a large kernel's table beyond the device's local memory (oclgrind: 32 KB)
                }
                try (DeformCmPlan plan = new DeformCmPlan(backend.context(), spec, t)) {
                    double err = Tensors.relativeL2(ref, Primitives.output(backend, plan, spec, args));
                    if (!(err < TOLERANCE)) {
                        failures.add(p + " [" + plan.algorithm() + "]: relative L2 error " + err);
                    }
                    tilings.add("deformable channel vectors");
                } catch (RuntimeException e) {
                    failures.add(p + " [" + t + "]: " + e);
                }
            }
        }
        // (GemmConvOpenClTest reaches all four tilings on POCL; these tiny problems reach three)
        Set<String> expected = Set.of("CM in rows, padding as it reads", "PV in rows", "PV along the image",
                "PV along the image, channel tiles first", "deformable channel vectors");
        if (!tilings.containsAll(expected)) {
            failures.add("register tilings reached: " + tilings + ", expected at least " + new TreeSet<>(expected));
        }
        return failures;
    }

    /**
     * roi_align.cl is reached by no convolution: {@link RoiProblems#kernelCoverage()} (one tiny
     * problem per build configuration, with RoIs outside the map and degenerate ones) on every
     * implementation of the device that accepts it, against the reference, every output written.
     * Failure lines, empty when all agree.
     */
    static List<String> crossCheckRoi(OpenClBackend backend) {
        List<String> failures = new ArrayList<>();
        for (RoiProblems.Case c : RoiProblems.kernelCoverage()) {
            float[] ref = c.expected();
            for (Implementation impl : Primitives.accepting(backend, c.op())) {
                try (Primitive plan = impl.create(c.op(), null)) {
                    Args args = c.args();
                    Primitives.run(backend, plan, args);
                    RoiProblems.assertClose(ref, ((HostTensor) args.get(Arg.DST)).toArray(), c.toString());
                } catch (RuntimeException | AssertionError e) {
                    failures.add(c + " [" + impl.name() + "]: " + e.getMessage());
                }
            }
        }
        return failures;
    }

    /**
     * A network operation (no convolution) on every implementation that accepts it: random
     * inputs, the output pre-filled with random values (a channel copy writes only its channels;
     * an element a kernel should write but does not keeps its value and fails), against
     * {@link ReferenceOps} on the same data.
     */
    private static void crossCheckOperation(OpenClBackend backend, ProblemFiles.Named p, long seed,
                                            List<String> failures) {
        Operation op = p.op();
        Args args = NetworkProblems.randomArgs(op, seed);
        Args ref = NetworkProblems.copy(args);
        ReferenceOps.run(op, ref);
        float[] expected = ((HostTensor) ref.get(Arg.DST)).toArray();
        List<java.util.function.Supplier<Primitive>> plans = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Implementation impl : Primitives.accepting(backend, op)) {
            plans.add(() -> impl.create(op, null));
            names.add(impl.name());
        }
        if (op instanceof SqueezeExcitation se) {
            // the CPU-shaped form (vectors of 4, two images a work-group), which a GPU-like device
            // (oclgrind's) never selects: its reads of a group's last, partial batch are checked too
            plans.add(() -> new SqueezeExcitationPlan(backend.context(), se, 4, Math.min(2, se.n())));
            names.add("squeeze-excitation [vw=4 nb=" + Math.min(2, se.n()) + "]");
        }
        for (int i = 0; i < plans.size(); i++) {
            Map<Arg, Memory> mem = new EnumMap<>(Arg.class);
            String name = names.get(i);
            try (Primitive plan = plans.get(i).get()) {
                for (Arg role : args.roles()) {
                    HostTensor h = (HostTensor) args.get(role);
                    Memory m = backend.allocate(role.displayName(), 4L * h.size());
                    mem.put(role, m);
                    backend.write(m, h);
                }
                plan.execute(mem);
                HostTensor out = Tensor.zeros(((HostTensor) args.get(Arg.DST)).shape());
                backend.read(mem.get(Arg.DST), out);
                backend.finish();
                double err = Tensors.relativeL2(expected, out.array());
                if (!(err < TOLERANCE)) {
                    failures.add(p + " [" + name + "]: relative L2 error " + err);
                }
            } catch (RuntimeException e) {
                failures.add(p + " [" + name + "]: " + e);
            } finally {
                mem.values().forEach(Memory::close);
            }
        }
    }

    /**
     * peak.cl is no convolution (no implementation runs it; {@code convcl peak} runs it), so it
     * is checked here on its own, at tiny sizes whose results are exact in fp32: peak_fma on a
     * work-group size that does not matter, peak_triad on a global size rounded up past n, so its
     * bounds guard is exercised. Failure lines, empty when both agree with the host.
     */
    static List<String> crossCheckPeak(OpenClBackend backend) {
        List<String> failures = new ArrayList<>();
        OpenClContext ctx = backend.context();
        int acc = 3, items = 8, rounds = 5;
        // Every width the host may pick: 1 (float, not float1), a middle one, and the widest.
        for (int vec : new int[] {1, 4, 16}) {
            try (OpenClKernel fma = ctx.programs().kernel("peak.cl", "-cl-std=CL1.2 -DVEC=" + vec + " -DACC=" + acc, "peak_fma");
                 DeviceBuffer out = ctx.allocate("peak.out", items * 4L, CL_MEM_WRITE_ONLY)) {
                fma.arg(0, out).arg(1, rounds).arg(2, 0.5f).arg(3, 1f);
                OpenClKernel.elapsedMillisAndRelease(fma.launch(new long[] {items}, new long[] {2}));
                HostTensor got = Tensor.zeros(items);
                out.read(got);
                for (int gid = 0; gid < items; gid++) {
                    double sum = 0;
                    for (int i = 0; i < acc; i++) {
                        double a = (gid & 7) + i;
                        for (int r = 0; r < rounds; r++) {
                            a = a * 0.5 + 1;
                        }
                        sum += vec * a;
                    }
                    if (got.get(gid) != (float) sum) {
                        failures.add("peak_fma float" + vec + " work-item " + gid + ": " + got.get(gid) + ", expected " + sum);
                    }
                }
            } catch (RuntimeException e) {
                failures.add("peak_fma float" + vec + ": " + e);
            }
        }
        int n = 37; // float4 elements; the launch covers 40
        float[] x = new float[4 * n], y = new float[4 * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
            y[i] = 2 * i;
        }
        try (OpenClKernel triad = ctx.programs().kernel("peak.cl", "-cl-std=CL1.2 -DVEC=4 -DACC=1", "peak_triad");
             DeviceBuffer dst = ctx.allocate("peak.dst", 16L * n, CL_MEM_READ_WRITE);
             DeviceBuffer bx = ctx.allocate("peak.x", 16L * n, CL_MEM_READ_ONLY);
             DeviceBuffer by = ctx.allocate("peak.y", 16L * n, CL_MEM_READ_ONLY)) {
            bx.write(Tensor.of(x, x.length));
            by.write(Tensor.of(y, y.length));
            triad.arg(0, dst).arg(1, bx).arg(2, by).arg(3, 0.5f).arg(4, n);
            OpenClKernel.elapsedMillisAndRelease(triad.launch(new long[] {40}, new long[] {8}));
            HostTensor got = Tensor.zeros(4 * n);
            dst.read(got);
            for (int i = 0; i < x.length; i++) {
                if (got.get(i) != 2f * i) {
                    failures.add("peak_triad element " + i + ": " + got.get(i) + ", expected " + 2f * i);
                    break;
                }
            }
        } catch (RuntimeException e) {
            failures.add("peak_triad: " + e);
        }
        return failures;
    }

    /** The .cl files in {@code dir}. */
    static Set<String> kernelFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            Set<String> names = new TreeSet<>();
            files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".cl")).forEach(names::add);
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("listing kernel files in " + dir.toAbsolutePath(), e);
        }
    }

    /** Kernel files in {@code dir} that {@code backend} has not built. */
    static Set<String> unbuilt(OpenClBackend backend, Path dir) {
        Set<String> missing = kernelFiles(dir);
        missing.removeAll(backend.context().programs().files());
        return missing;
    }
}
