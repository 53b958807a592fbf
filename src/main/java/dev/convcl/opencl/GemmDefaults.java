package dev.convcl.opencl;

import static org.jocl.CL.CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT;

import dev.convcl.Convolution;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.jocl.CLException;

/**
 * The GEMM tiles used without a tuning file, and the candidates the {@link Tuner} times.
 *
 * <p>Two device styles. CPU-like devices (POCL, Intel's CPU runtime) run one work-item per
 * work-group as a plain loop and vectorise what the kernel writes in vectors: they get the
 * register-tile kernels with vectors of the device's native float width and about 24-28
 * accumulator vectors (AVX-512 has 32 registers). GPUs want many work-items per group and tiles
 * staged in local memory: they get the {@code lm} kernel.
 */
final class GemmDefaults {
    private GemmDefaults() {
    }

    /** The native float vector width of {@code device}, as 1, 2, 4, 8 or 16 (16 when unknown). */
    static int nativeWidth(OpenClDeviceInfo device) {
        int w = 16;
        try {
            if (device.device() != null) {
                w = OpenClDiscovery.deviceInt(device.device(), CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT);
            }
        } catch (CLException | UnsatisfiedLinkError e) {
            w = 16;
        }
        return w >= 16 ? 16 : w >= 8 ? 8 : w >= 4 ? 4 : w >= 2 ? 2 : 1;
    }

    /** Whether the device runs kernels the way a CPU does (the register-tile kernels suit it). */
    static boolean cpuLike(OpenClDeviceInfo device) {
        return device.isCpu();
    }

    /** The default tile for {@code spec} on a device of the given style. */
    static GemmConfig of(Convolution spec, boolean cpuLike, int width) {
        ProblemClass cls = ProblemClass.of(spec);
        if (!cpuLike) {
            return cls == ProblemClass.GROUPED_NARROW ? GemmConfig.lm(8, 16, 16, 64, 16) : GemmConfig.lm(16, 16, 64, 64, 16);
        }
        int acc = accumulatorVectors(width);
        // Measured on POCL (AVX-512): vectors of adjacent pixels suit few output channels per
        // group and 1x1 problems; vectors of channels suit everything else, and any stride.
        if (spec.strideW() == 1 && (cls == ProblemClass.GROUPED_NARROW || cls == ProblemClass.POINTWISE)) {
            return GemmConfig.pv(width, acc / 8 + 1, 4 * width, 1);
        }
        if (cls == ProblemClass.GROUPED_NARROW) {
            // strided: channel vectors no wider than a group
            int vw = Integer.highestOneBit(Math.min(spec.kPerGroup(), width));
            return GemmConfig.cm(vw, vw, acc, 1);
        }
        return GemmConfig.cm(width, 2 * width, acc / 2, 1);
    }

    /** Vector accumulators a register tile may keep: about 3/4 of the vector registers. */
    private static int accumulatorVectors(int width) {
        return width >= 16 ? 28 : 12;
    }

    /**
     * The configurations the tuner times for {@code spec}: for CPU-like devices register tiles of
     * several shapes (many pixels x few channel vectors to few pixels x many), for GPUs local
     * memory tiles and work-group shapes; each list also holds one of the other style, so a
     * device that behaves unlike its type still finds its kernel.
     */
    static List<GemmConfig> candidates(Convolution spec, boolean cpuLike, int width) {
        LinkedHashSet<GemmConfig> c = new LinkedHashSet<>();
        for (GemmConfig g : cpuLike ? cpuCandidates(width) : gpuCandidates()) {
            if (g.kind() != GemmConfig.Kind.PV || spec.strideW() == 1) {
                c.add(g);
            }
        }
        c.add(of(spec, cpuLike, width));
        return new ArrayList<>(c);
    }

    /**
     * The CPU-style candidates for vectors of {@code width}: channel-vector tiles of one, two and
     * three vectors (as many pixels as the accumulator budget leaves) and of one half-width
     * vector (for groups of few channels), two pixel-vector tiles, and one GPU-style config.
     */
    static List<GemmConfig> cpuCandidates(int width) {
        int acc = accumulatorVectors(width);
        List<GemmConfig> l = new ArrayList<>();
        for (int mv = 1; mv <= 3; mv++) {
            l.add(GemmConfig.cm(width, mv * width, acc / mv, 1));
        }
        if (width >= 8) {
            l.add(GemmConfig.cm(width / 2, width / 2, acc, 1));
        }
        l.add(GemmConfig.pv(width, acc / 4 + 1, 2 * width, 1));
        l.add(GemmConfig.pv(width, acc / 8 + 1, 4 * width, 1));
        l.add(GemmConfig.lm(8, 8, 32, 32, 16));
        return l;
    }

    /** The GPU-style candidates, plus register-tile kernels in work-groups of 64. */
    static List<GemmConfig> gpuCandidates() {
        return List.of(
                GemmConfig.lm(16, 16, 64, 64, 16),
                GemmConfig.lm(16, 16, 128, 64, 8),
                GemmConfig.lm(16, 16, 32, 32, 16),
                GemmConfig.lm(8, 16, 16, 64, 16),
                GemmConfig.lm(8, 32, 32, 128, 8),
                GemmConfig.cm(4, 8, 4, 64),
                GemmConfig.pv(4, 4, 8, 64));
    }
}
