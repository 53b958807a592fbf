package dev.convcl.cli;

import dev.convcl.ConvArgs;
import dev.convcl.ConvEngine;
import dev.convcl.ConvPlan;
import dev.convcl.ConvSpec;
import dev.convcl.DeviceChoice;
import dev.convcl.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code convcl run}: one convolution on NumPy files, with PyTorch's meaning of every argument
 * ({@code torch.nn.functional.conv2d}, {@code torchvision.ops.deform_conv2d}).
 */
@Command(name = "run", sortOptions = false, description = {
        "Runs one convolution on NumPy .npy files (little-endian float32 or float64, C order) and",
        "writes the output as float32 .npy. Shapes: input [N,C,H,W], weight [K,C/groups,kh,kw],",
        "bias [K], offset [N,2*og*kh*kw,OH,OW], mask [N,og*kh*kw,OH,OW]."})
final class RunCommand extends CliCommand {

    @Option(names = "--op", required = true, paramLabel = "conv2d|deform2d", converter = OpConverter.class,
            description = "conv2d (torch.nn.functional.conv2d) or deform2d (torchvision.ops.deform_conv2d).")
    ConvSpec.Op op;

    @Option(names = "--input", required = true, paramLabel = "X.npy", description = "Input [N, C, H, W].")
    Path input;

    @Option(names = "--weight", required = true, paramLabel = "W.npy", description = "Weight [K, C/groups, kh, kw].")
    Path weight;

    @Option(names = "--bias", paramLabel = "B.npy", description = "Bias [K] (optional).")
    Path bias;

    @Option(names = "--offset", paramLabel = "O.npy", description = "deform2d: offsets [N, 2*og*kh*kw, OH, OW], (dy, dx) pairs.")
    Path offset;

    @Option(names = "--mask", paramLabel = "M.npy", description = "deform2d: modulation mask [N, og*kh*kw, OH, OW] (DCNv2).")
    Path mask;

    @Option(names = "--stride", paramLabel = "S|h,w", defaultValue = "1", converter = PairConverter.class,
            description = "Stride (default: ${DEFAULT-VALUE}).")
    Pair stride;

    @Option(names = "--padding", paramLabel = "P|h,w", defaultValue = "0", converter = PairConverter.class,
            description = "Zero padding (default: ${DEFAULT-VALUE}).")
    Pair padding;

    @Option(names = "--dilation", paramLabel = "D|h,w", defaultValue = "1", converter = PairConverter.class,
            description = "Dilation, 1 = ordinary (default: ${DEFAULT-VALUE}).")
    Pair dilation;

    @Option(names = "--groups", paramLabel = "G",
            description = "Channel groups (default: 1 for conv2d; C / weight.shape[1] for deform2d, as torchvision).")
    Integer groups;

    @Option(names = "--offset-groups", paramLabel = "G",
            description = "deform2d offset groups (default: offset.shape[1] / (2*kh*kw), as torchvision).")
    Integer offsetGroups;

    @Option(names = "--device", paramLabel = "auto|cpu|opencl|opencl:N", defaultValue = "auto",
            description = "Where to run (default: ${DEFAULT-VALUE}; auto falls back to the CPU path with a warning).")
    DeviceChoice device;

    @Option(names = "--out", required = true, paramLabel = "Y.npy", description = "Output file, float32 [N, K, OH, OW].")
    Path outFile;

    @Override
    public Integer call() throws IOException {
        if (op == ConvSpec.Op.CONV2D) {
            if (offset != null || mask != null || offsetGroups != null) {
                throw new IllegalArgumentException("--offset, --mask and --offset-groups are for --op deform2d only");
            }
        } else if (offset == null) {
            throw new IllegalArgumentException("--op deform2d needs --offset");
        }
        AtomicFiles.checkWritable(outFile);
        Tensor x = rank(Npy.read(input), 4, input, "[N, C, H, W]");
        Tensor w = rank(Npy.read(weight), 4, weight, "[K, C/groups, kh, kw]");
        Tensor b = bias == null ? null : rank(Npy.read(bias), 1, bias, "[K]");
        Tensor o = offset == null ? null : rank(Npy.read(offset), 4, offset, "[N, 2*og*kh*kw, OH, OW]");
        Tensor m = mask == null ? null : rank(Npy.read(mask), 4, mask, "[N, og*kh*kw, OH, OW]");
        ConvSpec spec = spec(x, w, b, o, m);
        Tensor y = Tensor.zeros(spec.outputShape());
        ConvArgs args = new ConvArgs(x, w, b, o, m, y);
        // Checked before a device is opened, so a shape error costs nothing.
        args.validateFor(spec);
        try (ConvEngine engine = ConvEngine.create(device); ConvPlan plan = engine.plan(spec)) {
            long t0 = System.nanoTime();
            plan.execute(args);
            double wallMs = (System.nanoTime() - t0) / 1e6;
            Npy.write(outFile, y);
            double kernelMs = plan.lastDeviceMillis();
            out().printf(Locale.ROOT, "%s: %s float32 = %s on %s (%s), %.3f ms%s%n", outFile, Arrays.toString(y.shape()),
                    spec, plan.deviceName(), plan.algorithm(), wallMs,
                    Double.isNaN(kernelMs) ? "" : String.format(Locale.ROOT, " (kernel %.3f ms)", kernelMs));
        }
        return 0;
    }

    /** The problem the tensors describe, with torchvision's derivations for deform2d. */
    ConvSpec spec(Tensor x, Tensor w, Tensor b, Tensor o, Tensor m) {
        int kh = w.dim(2), kw = w.dim(3);
        int g;
        if (groups != null) {
            g = groups;
        } else if (op == ConvSpec.Op.CONV2D) {
            g = 1;
            if (w.dim(1) != x.dim(1) && x.dim(1) % w.dim(1) == 0) {
                throw new IllegalArgumentException(weight + " has " + w.dim(1) + " channels per group but the input has "
                        + x.dim(1) + " channels, and --groups is 1 unless given (as in torch): pass --groups "
                        + x.dim(1) / w.dim(1) + " for this weight");
            }
        } else {
            if (x.dim(1) % w.dim(1) != 0) {
                throw new IllegalArgumentException("input channels " + x.dim(1) + " (" + input
                        + ") are not a multiple of the weight's channels per group " + w.dim(1) + " (" + weight + ")");
            }
            g = x.dim(1) / w.dim(1);
        }
        ConvSpec.Builder builder = (op == ConvSpec.Op.CONV2D ? ConvSpec.conv2d() : ConvSpec.deform2d())
                .input(x.dim(0), x.dim(1), x.dim(2), x.dim(3)).output(w.dim(0)).kernel(kh, kw)
                .stride(stride.h(), stride.w()).padding(padding.h(), padding.w()).dilation(dilation.h(), dilation.w())
                .groups(g).bias(b != null);
        if (op == ConvSpec.Op.DEFORM2D) {
            int og;
            if (offsetGroups != null) {
                og = offsetGroups;
            } else {
                if (o.dim(1) % (2 * kh * kw) != 0) {
                    throw new IllegalArgumentException(offset + " has " + o.dim(1) + " channels; deform2d needs a multiple of 2*kh*kw = "
                            + 2 * kh * kw + " (kernel " + kh + "x" + kw + " from " + weight + ")");
                }
                og = o.dim(1) / (2 * kh * kw);
            }
            builder.offsetGroups(og).mask(m != null);
        }
        return builder.build();
    }

    private static Tensor rank(Tensor t, int rank, Path file, String layout) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(file + " has shape " + Arrays.toString(t.shape()) + " (rank " + t.rank()
                    + "); expected rank " + rank + " " + layout);
        }
        return t;
    }

    /** {@code conv2d} or {@code deform2d}. */
    static final class OpConverter implements ITypeConverter<ConvSpec.Op> {
        @Override
        public ConvSpec.Op convert(String value) {
            try {
                return ConvSpec.Op.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** A value for both axes: {@code --stride 2} or per axis, {@code --stride 2,1}. */
    record Pair(int h, int w) {
    }

    /** {@code 2} as (2, 2), {@code 2,1} as (2, 1). */
    static final class PairConverter implements ITypeConverter<Pair> {
        @Override
        public Pair convert(String value) {
            try {
                int[] p = ConvSpec.parsePair("value", value);
                return new Pair(p[0], p[1]);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not one integer or two separated by a comma");
            }
        }
    }
}
