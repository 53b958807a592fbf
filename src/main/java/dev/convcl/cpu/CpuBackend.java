package dev.convcl.cpu;

import dev.convcl.ConvSpec;
import dev.convcl.spi.Backend;
import dev.convcl.spi.CompiledConv;
import java.util.Optional;
import java.util.concurrent.ForkJoinPool;

/**
 * The pure-Java path: runs every valid spec, on all cores, with no native code. It is both a
 * backend of its own ({@code --device cpu}) and the fallback when OpenCL cannot run a problem.
 */
public final class CpuBackend implements Backend {
    private final ForkJoinPool pool;
    private final boolean ownsPool;
    private final Kernels kernels;

    /** Uses all available processors through a pool owned by this backend. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /**
     * Uses {@code threads} worker threads. The inner loops use the JDK's incubating Vector API when
     * the JVM was started with {@code --add-modules jdk.incubator.vector} (about 2.5x faster dense
     * convolutions), and plain Java otherwise; {@code -Dconvcl.cpu.vector=false} forces plain Java.
     */
    public CpuBackend(int threads) {
        this(threads, Kernels.detect());
    }

    CpuBackend(int threads, Kernels kernels) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads=" + threads + " must be at least 1");
        }
        this.pool = new ForkJoinPool(threads);
        this.ownsPool = true;
        this.kernels = kernels;
    }

    public int threads() {
        return pool.getParallelism();
    }

    ForkJoinPool pool() {
        return pool;
    }

    @Override
    public String kind() {
        return "cpu";
    }

    /** {@code vector} when the Vector API kernels are in use, else {@code scalar}. */
    String kernelName() {
        return kernels.name();
    }

    @Override
    public String deviceName() {
        return "cpu (pure Java, " + threads() + " threads, " + kernels.name() + " kernels)";
    }

    @Override
    public Optional<String> unsupportedReason(ConvSpec spec) {
        return Optional.empty();
    }

    /**
     * Chooses the algorithm: {@code cpu-deform-gemm} for deform2d, {@code cpu-depthwise} when
     * groups == c, {@code cpu-1x1} for unpadded 1x1 kernels; otherwise {@code cpu-implicit-gemm}
     * when packing column tiles would not pay (few output channels per group, or few input
     * channels per group) or its wide rows waste little, and {@code cpu-gemm} (packed im2col tiles).
     * Every choice keeps its scratch within {@link Scratch#boundFloats}, whatever the padding: the
     * implicit GEMM (a padded copy of the input) and the depthwise path (a band of padded rows)
     * leave problems they cannot run within it to {@code cpu-gemm}, whose tiles are bounded.
     */
    @Override
    public CompiledConv compile(ConvSpec spec) {
        return compile(spec, algorithmFor(spec));
    }

    static String algorithmFor(ConvSpec spec) {
        if (spec.isDeformable()) {
            return "cpu-deform-gemm";
        }
        if (spec.isDepthwise() && DepthwiseConv.fits(spec)) {
            return "cpu-depthwise";
        }
        if (spec.kh() == 1 && spec.kw() == 1 && spec.padH() == 0 && spec.padW() == 0) {
            return "cpu-1x1";
        }
        // Packing costs about one copy per column element and is shared by kPerGroup rows; the
        // implicit GEMM packs nothing but computes phaseW / OW times the output (its wide rows).
        int phaseW = (spec.w() + 2 * spec.padW() + spec.strideW() - 1) / spec.strideW();
        double waste = (double) phaseW / spec.outW();
        boolean fewRows = spec.kPerGroup() <= 32 || spec.cPerGroup() <= 8;
        return (fewRows || waste <= 1.10) && ImplicitGemmConv.fits(spec) ? "cpu-implicit-gemm" : "cpu-gemm";
    }

    /**
     * Compiles with a named algorithm (tests and benchmarks use it to run every algorithm on every
     * shape it can take); {@code cpu-direct} is the simple loop nest the others replaced.
     *
     * @throws IllegalArgumentException when the algorithm is unknown or cannot run {@code spec}
     * @throws dev.convcl.spi.BackendException (out of resources) when its scratch would exceed
     *         {@link Scratch#boundFloats} ({@code cpu-implicit-gemm} under a large padding,
     *         {@code cpu-depthwise} when one output row's padded band exceeds the tile)
     */
    CpuPlan compile(ConvSpec spec, String algorithm) {
        return switch (algorithm) {
            case "cpu-gemm" -> {
                if (spec.isDeformable()) {
                    throw new IllegalArgumentException("cpu-gemm cannot run op=deform2d: " + spec);
                }
                yield new GemmConv(spec, pool, kernels, new Im2colPacker(spec));
            }
            case "cpu-1x1" -> new GemmConv(spec, pool, kernels, new PointwisePacker(spec));
            case "cpu-depthwise" -> new DepthwiseConv(spec, pool, kernels);
            case "cpu-implicit-gemm" -> new ImplicitGemmConv(spec, pool, kernels);
            case "cpu-deform-gemm" -> new GemmConv(spec, pool, kernels, new DeformSampler(spec));
            case "cpu-direct" -> new CpuDirectConv(spec, pool);
            default -> throw new IllegalArgumentException("unknown CPU algorithm '" + algorithm + "'");
        };
    }

    @Override
    public void close() {
        if (ownsPool) {
            pool.shutdown();
        }
    }
}
