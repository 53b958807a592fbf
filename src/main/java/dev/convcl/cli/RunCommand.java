package dev.convcl.cli;

import dev.convcl.Args;
import dev.convcl.Conv2d;
import dev.convcl.ConvBuilder;
import dev.convcl.Convolution;
import dev.convcl.DeformConv2d;
import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.HostTensor;
import dev.convcl.Plan;
import dev.convcl.Tensor;
import dev.convcl.text.FieldException;
import dev.convcl.text.FieldsException;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * {@code convcl run}: one convolution on NumPy files, with PyTorch's meaning of every argument
 * ({@code torch.nn.functional.conv2d}, {@code torchvision.ops.deform_conv2d}).
 */
@Command(name = "run", sortOptions = false, description = {
        "Runs one convolution (--op) or an ONNX model (--model): NumPy .npy files in, float32 .npy files out.",
        "--model: --input [NAME=]X.npy for each model input, --out [NAME=]Y.npy for the outputs wanted (names "
                + "needed when the model has several); the inputs must have the model's declared shapes (a symbolic dimension, "
                + "such as a dynamic batch, takes the file's size).",
        "Files hold little-endian float32 or float64 (int32 and int64 too, read as exact float32 values, up to 2^24 "
                + "in magnitude) in C order. Shapes: input [N, C, H, W], weight "
                + "[K, C/groups, kh, kw], bias [K], offset [N, 2*og*kh*kw, OH, OW], mask [N, og*kh*kw, OH, OW]."})
final class RunCommand extends CliCommand {

    @Option(names = "--model", paramLabel = "M.onnx",
            description = "An ONNX model to run instead of one operator (its weights are in the file).")
    Path model;

    @Option(names = "--op", paramLabel = "OP", converter = OpConverter.class,
            description = "conv2d (torch.nn.functional.conv2d), deform2d (torchvision.ops.deform_conv2d), roi_align, "
                    + "ps_roi_align (torchvision.ops) or deform_roi_pool (mmcv.ops).")
    Op op;

    @Option(names = "--input", required = true, paramLabel = "[NAME=]X.npy",
            description = "Input [N, C, H, W]; with --model, once per model input, NAME= naming it. With --op, a file "
                    + "alone (NAME= is refused; a file whose name holds '=' is given with its folder: ./a=x.npy).")
    List<String> inputs;

    @Option(names = "--weight", paramLabel = "W.npy", description = "conv2d, deform2d: weight [K, C/groups, kh, kw].")
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

    @Option(names = "--rois", paramLabel = "R.npy",
            description = "RoI operators: regions [K, 5], rows (batch_index, x1, y1, x2, y2) in input-image coordinates.")
    Path rois;

    @Option(names = "--output-size", paramLabel = "PH,PW", converter = PairConverter.class,
            description = "RoI operators: bins per RoI (output_size), PH,PW or one value for both.")
    Pair outputSize;

    @Option(names = "--spatial-scale", paramLabel = "S", defaultValue = "1",
            description = "RoI operators: image to input coordinates, e.g. 0.0625 (default: ${DEFAULT-VALUE}).")
    float spatialScale;

    @Option(names = "--sampling-ratio", paramLabel = "R",
            description = "RoI operators: samples per bin and axis, at most 46340; 0 or less: adaptive (default: -1 "
                    + "for roi_align and ps_roi_align as torchvision, 0 for deform_roi_pool as mmcv).")
    Integer samplingRatio;

    @Option(names = "--max-samples", paramLabel = "N", converter = IntArg.CountConverter.class,
            description = "RoI operators: the most bilinear samples (RoIs x output channels x bins x samples a bin) "
                    + "a call may take; more is refused before any work (default: 2^30 = 1073741824, convcl's limit, "
                    + "not torchvision's).")
    Long maxSamples;

    @Option(names = "--aligned", description = "roi_align: shift RoI corners by -0.5 pixel (torchvision's aligned=True).")
    boolean aligned;

    @Option(names = "--gamma", paramLabel = "G",
            description = "deform_roi_pool: scale of the offsets (default: 0.1, as mmcv).")
    Float gamma;

    @Option(names = "--device", paramLabel = "auto|cpu|opencl|opencl:N", defaultValue = "auto",
            description = "Where to run (default: ${DEFAULT-VALUE}; "
                    + DEVICE_DEFAULT_HELP + "; auto falls back to the CPU path with a warning).")
    DeviceChoice device;

    @Option(names = "--out", required = true, paramLabel = "[NAME=]Y.npy",
            description = "Output file, float32 [N, K, OH, OW]; with --model, one per output wanted, NAME= naming it. "
                    + "With --op, a file alone (NAME= is refused; a file whose name holds '=' is given with its "
                    + "folder: ./a=y.npy).")
    List<String> outs;

    /**
     * Where each field of the spec comes from in this command, for ConvSpec's messages (which
     * name the spec's fields): in the order fields are checked.
     */
    private static final Map<String, String> FIELD_SOURCES = fieldSources();

    private static Map<String, String> fieldSources() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("n", "the batch of --input");
        m.put("c", "the channels of --input");
        m.put("h", "the height of --input");
        m.put("w", "the width of --input");
        m.put("k", "the output channels of --weight");
        m.put("kh", "the kernel height of --weight");
        m.put("kw", "the kernel width of --weight");
        m.put("stride_h", "--stride");
        m.put("stride_w", "--stride");
        m.put("pad_h", "--padding");
        m.put("pad_w", "--padding");
        m.put("dil_h", "--dilation");
        m.put("dil_w", "--dilation");
        m.put("groups", "--groups");
        m.put("offset_groups", "--offset-groups");
        m.put("mask", "--mask");
        return Collections.unmodifiableMap(m);
    }

    /** A convolution's flags, which an RoI operator and --model refuse. */
    private static final List<String> CONV_FLAGS = List.of("--weight", "--bias", "--groups", "--offset-groups", "--stride",
            "--padding", "--dilation");
    /** The RoI operators' flags, which a convolution and --model refuse. */
    private static final List<String> ROI_FLAGS = List.of("--rois", "--output-size", "--spatial-scale",
            "--sampling-ratio", "--max-samples", "--aligned", "--gamma");
    /** Every flag of one operator, which --model refuses. */
    private static final List<String> OP_FLAGS = List.of("--op", "--weight", "--bias", "--offset", "--mask", "--groups",
            "--offset-groups", "--stride", "--padding", "--dilation", "--rois", "--output-size", "--spatial-scale",
            "--sampling-ratio", "--max-samples", "--aligned", "--gamma");

    /**
     * Whether the command line gave any of {@code options}: asked of the parse, not of the
     * fields, since a flag with a default value is never null.
     */
    private boolean anyGiven(List<String> options) {
        return options.stream().anyMatch(spec.commandLine().getParseResult()::hasMatchedOption);
    }

    /** Those of {@code options} the command line gave, in their order (asked of the parse, as {@link #anyGiven}). */
    private List<String> given(List<String> options) {
        return options.stream().filter(spec.commandLine().getParseResult()::hasMatchedOption).toList();
    }

    /** {@code a}, {@code a and b}, {@code a, b and c}. */
    private static String and(List<String> flags) {
        return flags.size() == 1 ? flags.get(0)
                : String.join(", ", flags.subList(0, flags.size() - 1)) + " and " + flags.get(flags.size() - 1);
    }

    /**
     * The refusal of the flags {@code given} (those of one kind of operator the command line gave,
     * named alone rather than every flag of that kind): {@code --max-samples is for ...}.
     */
    private static IllegalArgumentException notFor(List<String> given, String forWhat) {
        return new IllegalArgumentException(and(given) + (given.size() == 1 ? " is" : " are") + " for " + forWhat);
    }

    @Override
    public Integer call() {
        device = device(device);
        if (model != null) {
            if (anyGiven(OP_FLAGS)) {
                throw new IllegalArgumentException("--model runs the model's own layers; --op and its flags ("
                        + String.join(", ", OP_FLAGS.subList(1, OP_FLAGS.size())) + ") are for one operator");
            }
            return new ModelRun(model, inputs, outs, device, out(), err()).call(); // ModelRun sends its lines to
                                                                                   // err() when an output is stdout
        }
        if (op == null) {
            throw new IllegalArgumentException("--op OP (one operator: conv2d, deform2d, roi_align, ps_roi_align, "
                    + "deform_roi_pool) or --model M.onnx is needed");
        }
        if (inputs.size() != 1 || outs.size() != 1) {
            throw new IllegalArgumentException("--op " + op.token + " takes one --input and one --out (several are for "
                    + "--model)");
        }
        // each a file alone: NAME=FILE is refused here (the files are read and written through FileArg)
        opFile("--input", inputs.get(0), "feeds one of a model's inputs", "reads its input from");
        opFile("--out", outs.get(0), "picks one of a model's outputs", "writes its output to");
        Path outPath = Path.of(outs.get(0));
        Map<String, Path> read = new LinkedHashMap<>();
        read.put("--input", Path.of(inputs.get(0)));
        read.put("--weight", weight);
        read.put("--bias", bias);
        read.put("--offset", offset);
        read.put("--mask", mask);
        read.put("--rois", rois);
        for (Map.Entry<String, Path> e : read.entrySet()) {
            if (e.getValue() != null && AtomicFiles.sameFile(outPath, e.getValue())) {
                throw new IllegalArgumentException("--out " + Typed.shown(outs.get(0)) + " is the " + e.getKey()
                        + " file; an output must not overwrite an input");
            }
        }
        outputFiles(List.of(outPath));
        if (op.roiKind() != null) {
            List<String> convGiven = given(CONV_FLAGS);
            if (!convGiven.isEmpty()) {
                throw notFor(convGiven, "--op conv2d and deform2d only");
            }
            // RoiAlign's own rules would echo the float it parsed (-1.0 for -1, 0.0 for 1e-50)
            if (!(spatialScale > 0) || Float.isInfinite(spatialScale)) {
                throw new IllegalArgumentException("--spatial-scale " + typed("--spatial-scale", spatialScale)
                        + " must be a finite positive number (image to input coordinates, e.g. 0.0625)");
            }
            if (gamma != null && op == Op.DEFORM_ROI_POOL && !Float.isFinite(gamma)) {
                throw new IllegalArgumentException("--gamma " + typed("--gamma", gamma) + " must be a finite number");
            }
            RoiRun.checkMaxSamples(maxSamples, typed("--max-samples", maxSamples));
            return RoiRun.run(new RoiRun.Flags(op.roiKind(), FileArg.typed("input", "--input", inputs.get(0)),
                    rois == null ? null : file("rois", "--rois", rois),
                    offset == null ? null : file("offset", "--offset", offset),
                    mask == null ? null : file("mask", "--mask", mask), outputSize == null ? null
                    : new int[] {outputSize.h(), outputSize.w()}, typed("--output-size", outputSize), spatialScale,
                    typed("--spatial-scale", spatialScale), samplingRatio, samplingRatio == null ? null
                    : typed("--sampling-ratio", samplingRatio), maxSamples == null ? RoiRun.MAX_SAMPLES : maxSamples,
                    maxSamples == null ? null : typed("--max-samples", maxSamples),
                    anyGiven(List.of("--aligned")) ? aligned : null, gamma, device,
                    FileArg.typed("output", "--out", outs.get(0))), out());
        }
        if (weight == null) {
            throw new IllegalArgumentException("--op " + op.token + " needs --weight");
        }
        List<String> roiGiven = given(ROI_FLAGS);
        if (!roiGiven.isEmpty()) {
            throw notFor(roiGiven, "the RoI operators only");
        }
        if (op == Op.CONV2D) {
            if (offset != null || mask != null || offsetGroups != null) {
                throw new IllegalArgumentException("--offset, --mask and --offset-groups are for --op deform2d only");
            }
        } else if (offset == null) {
            throw new IllegalArgumentException("--op deform2d needs --offset");
        }
        checkFlags();
        FileArg out = FileArg.typed("output", "--out", outs.get(0));
        out.checkWritable();
        FileArg inFile = FileArg.typed("input", "--input", inputs.get(0));
        FileArg weightFile = file("weight", "--weight", weight);
        FileArg biasFile = bias == null ? null : file("bias", "--bias", bias);
        FileArg offsetFile = offset == null ? null : file("offset", "--offset", offset);
        FileArg maskFile = mask == null ? null : file("mask", "--mask", mask);
        HostTensor x = read(inFile, 4, "[N, C, H, W]");
        HostTensor w = read(weightFile, 4, "[K, C/groups, kh, kw]");
        HostTensor b = biasFile == null ? null : read(biasFile, 1, "[K]");
        HostTensor o = offsetFile == null ? null : read(offsetFile, 4, "[N, 2*og*kh*kw, OH, OW]");
        HostTensor m = maskFile == null ? null : read(maskFile, 4, "[N, og*kh*kw, OH, OW]");
        Convolution spec = spec(x, w, o, m != null, b != null, weightFile, offsetFile);
        // Every tensor against the spec, by file, before a device is opened or the output allocated.
        shape(weightFile, w, spec.weightShape(), "[K, C/groups, kh, kw] with groups " + spec.groups());
        if (b != null) {
            shape(biasFile, b, spec.biasShape(), "[K], K = the weight's output channels");
        }
        if (spec instanceof DeformConv2d d) {
            shape(offsetFile, o, d.offsetShape(), "[N, 2*og*kh*kw, OH, OW] with og " + d.offsetGroups()
                    + " and the output's OH x OW");
            if (m != null) {
                shape(maskFile, m, d.maskShape(), "[N, og*kh*kw, OH, OW] with og " + d.offsetGroups()
                        + " and the output's OH x OW");
            }
        }
        HostTensor y = Tensor.zeros(spec.outputShape());
        Args args = Args.builder().src(x).weights(w).bias(b).offset(o).mask(m).dst(y).build();
        args.validateFor(spec);
        try (Engine engine = Engine.create(device); Plan plan = engine.plan(spec)) {
            long t0 = System.nanoTime();
            plan.execute(args);
            double wallMs = (System.nanoTime() - t0) / 1e6;
            out.write(stream -> Npy.write(stream, y));
            double kernelMs = plan.lastKernelMillis();
            out().printf(Locale.ROOT, "%s: %s float32 = %s on %s (%s), %.3f ms%s%n", out.text(), Arrays.toString(y.shape()),
                    spec, plan.deviceName(), plan.algorithm(), wallMs,
                    Double.isNaN(kernelMs) ? "" : String.format(Locale.ROOT, " (kernel %.3f ms)", kernelMs));
        }
        return 0;
    }

    /**
     * The file of {@code --input} or {@code --out} for one operator, which takes a file alone: a value
     * in {@code --model}'s {@code NAME=FILE} form (text before the first '=' that holds no folder
     * separator) is refused rather than read or written as a file named {@code a=z.npy}. A file whose
     * name holds '=' is given with its folder, {@code ./a=z.npy}, as the message says.
     *
     * @throws IllegalArgumentException naming the value as typed and the rule
     */
    static String opFile(String flag, String value, String modelUse, String opUse) {
        int eq = value.indexOf('=');
        if (eq > 0 && value.lastIndexOf('/', eq) < 0 && value.lastIndexOf(java.io.File.separatorChar, eq) < 0) {
            String file = value.substring(eq + 1);
            String folderForm = "a file whose name holds '=' is given with its folder, e.g. " + flag + " "
                    + Typed.shown("./" + value);
            // The text after '=' is a file elsewhere when it holds a folder (we=ird/o.npy: ird/o.npy is
            // another folder's file), so only the folder form is the advice then.
            throw new IllegalArgumentException(flag + " " + Typed.shown(value) + ": NAME=FILE " + modelUse + " (--model); --op "
                    + opUse + " a file given alone" + (file.indexOf('/') >= 0 || file.indexOf(java.io.File.separatorChar)
                    >= 0 ? "; " + folderForm : ", e.g. " + flag + " " + (file.isEmpty() ? "y.npy" : Typed.shown(file)) + " ("
                    + folderForm + ")"));
        }
        return value;
    }

    /** The flags' own rules, before any file is read: each names the flag as typed. */
    private void checkFlags() {
        if (stride.h() < 1 || stride.w() < 1) {
            throw new IllegalArgumentException("--stride " + typed("--stride", stride) + " must be at least 1 (on each axis)");
        }
        if (padding.h() < 0 || padding.w() < 0) {
            throw new IllegalArgumentException("--padding " + typed("--padding", padding) + " must not be negative");
        }
        if (dilation.h() < 1 || dilation.w() < 1) {
            throw new IllegalArgumentException("--dilation " + typed("--dilation", dilation) + " must be at least 1 (1 = no dilation)");
        }
        if (groups != null && groups < 1) {
            throw new IllegalArgumentException("--groups " + typed("--groups", groups) + " must be at least 1");
        }
        if (offsetGroups != null && offsetGroups < 1) {
            throw new IllegalArgumentException("--offset-groups " + typed("--offset-groups", offsetGroups) + " must be at least 1");
        }
    }

    /**
     * The problem the tensors describe, with torchvision's derivations for deform2d. A rule of
     * ConvSpec that fails is reported in ConvSpec's words, followed by where each field it names
     * comes from (a flag, or a dimension of a file).
     */
    Convolution spec(Tensor x, Tensor w, Tensor o, boolean hasMask, boolean hasBias, FileArg weightFile, FileArg offsetFile) {
        int kh = w.dim(2), kw = w.dim(3);
        int g;
        if (groups != null) {
            g = groups;
        } else if (op == Op.CONV2D) {
            g = 1;
            if (w.dim(1) != x.dim(1) && x.dim(1) % w.dim(1) == 0) {
                throw weightFile.error("has " + w.dim(1) + " channels per group but the input has " + x.dim(1)
                        + " channels, and --groups is 1 unless given (as in torch): pass --groups "
                        + x.dim(1) / w.dim(1) + " for this weight");
            }
        } else {
            if (x.dim(1) % w.dim(1) != 0) {
                throw weightFile.error("has " + w.dim(1) + " channels per group, which does not divide the input's "
                        + x.dim(1) + " channels (deform2d takes groups = C / weight.shape[1], as torchvision)");
            }
            g = x.dim(1) / w.dim(1);
        }
        ConvBuilder<?> builder = (op == Op.CONV2D ? Conv2d.builder() : DeformConv2d.builder())
                .input(x.dim(0), x.dim(1), x.dim(2), x.dim(3)).output(w.dim(0)).kernel(kh, kw)
                .stride(stride.h(), stride.w()).padding(padding.h(), padding.w()).dilation(dilation.h(), dilation.w())
                .groups(g).bias(hasBias);
        if (builder instanceof DeformConv2d.Builder deform) {
            int og;
            if (offsetGroups != null) {
                og = offsetGroups;
            } else {
                if (o.dim(1) % (2 * kh * kw) != 0) {
                    throw offsetFile.error("has " + o.dim(1) + " channels; deform2d needs a multiple of 2*kh*kw = "
                            + 2 * kh * kw + " (kernel " + kh + "x" + kw + " from the weight)");
                }
                og = o.dim(1) / (2 * kh * kw);
            }
            deform.offsetGroups(og).mask(hasMask);
        }
        try {
            return builder instanceof DeformConv2d.Builder deform ? deform.build() : ((Conv2d.Builder) builder).build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + sourcesOf(fieldsOf(e)));
        }
    }

    /**
     * The descriptor fields a refusal of the library names, by their keys in the one-line form, in
     * the order its message names them: the field of a {@link FieldException}, the fields of a
     * {@link FieldsException}, none for another refusal.
     */
    static List<String> fieldsOf(IllegalArgumentException e) {
        if (e instanceof FieldException f) {
            return List.of(f.field());
        }
        return e instanceof FieldsException f ? f.fields() : List.of();
    }

    /**
     * " (pad_h: --padding; h: the height of --input)": where each of {@code fields} (keys in the
     * one-line form, in a refusal's order) comes from, for those a flag or a file of this command
     * gives; "" when none is.
     */
    static String sourcesOf(List<String> fields) {
        Set<String> named = new LinkedHashSet<>();
        for (String field : fields) {
            if (FIELD_SOURCES.containsKey(field)) {
                named.add(field);
            }
        }
        if (named.isEmpty()) {
            return "";
        }
        StringBuilder s = new StringBuilder(" (");
        for (String field : named) {
            s.append(s.length() > 2 ? "; " : "").append(field).append(": ").append(FIELD_SOURCES.get(field));
        }
        return s.append(')').toString();
    }

    private static HostTensor read(FileArg file, int rank, String layout) {
        HostTensor t = file.read(Npy::read);
        if (t.rank() != rank) {
            throw file.error("has shape " + Arrays.toString(t.shape()) + " (rank " + t.rank() + "); expected rank "
                    + rank + " " + layout);
        }
        return t;
    }

    private static void shape(FileArg file, Tensor t, int[] expected, String layout) {
        if (!Arrays.equals(t.shape(), expected)) {
            throw file.error("has shape " + Arrays.toString(t.shape()) + "; this convolution needs "
                    + Arrays.toString(expected) + " " + layout);
        }
    }

    /** The operations {@code run} computes from files. */
    enum Op {
        /** {@code torch.nn.functional.conv2d}. */
        CONV2D("conv2d"),
        /** {@code torchvision.ops.deform_conv2d}. */
        DEFORM2D("deform2d"),
        /** {@code torchvision.ops.roi_align}. */
        ROI_ALIGN("roi_align"),
        /** {@code torchvision.ops.ps_roi_align}. */
        PS_ROI_ALIGN("ps_roi_align"),
        /** mmcv's {@code deform_roi_pool} (modulated with --mask). */
        DEFORM_ROI_POOL("deform_roi_pool");

        private final String token;

        Op(String token) {
            this.token = token;
        }

        /** The RoI operator, or null for a convolution. */
        dev.convcl.RoiAlign.Kind roiKind() {
            return switch (this) {
                case ROI_ALIGN -> dev.convcl.RoiAlign.Kind.ROI_ALIGN;
                case PS_ROI_ALIGN -> dev.convcl.RoiAlign.Kind.PS_ROI_ALIGN;
                case DEFORM_ROI_POOL -> dev.convcl.RoiAlign.Kind.DEFORM_ROI_POOL;
                default -> null;
            };
        }

        /** The rule a value that is no operator breaks. */
        static final String NOT_AN_OP = "is not one of conv2d, deform2d, roi_align, ps_roi_align, deform_roi_pool";

        static Op parse(String s) {
            for (Op op : values()) {
                if (op.token.equalsIgnoreCase(s)) {
                    return op;
                }
            }
            throw new IllegalArgumentException("op '" + s + "' " + NOT_AN_OP);
        }
    }

    /** {@code conv2d}, {@code deform2d} or an RoI operator. */
    static final class OpConverter implements ITypeConverter<Op> {
        @Override
        public Op convert(String value) {
            try {
                return Op.parse(value);
            } catch (IllegalArgumentException e) {
                throw BadValue.rule(value, Op.NOT_AN_OP);
            }
        }
    }

    /** A value for both axes: {@code --stride 2} or per axis, {@code --stride 2,1}. */
    record Pair(int h, int w) {
        /** As typed: {@code 2} or {@code 2,1}. */
        @Override
        public String toString() {
            return h == w ? Integer.toString(h) : h + "," + w;
        }
    }

    /** {@code 2} as (2, 2), {@code 2,1} as (2, 1); a value out of an int's range is named as such. */
    static final class PairConverter implements ITypeConverter<Pair> {
        @Override
        public Pair convert(String value) {
            String[] parts = value.split(",", -1);
            if (parts.length <= 2) {
                try {
                    int h = IntArg.parse(parts[0]);
                    return new Pair(h, parts.length == 1 ? h : IntArg.parse(parts[1]));
                } catch (NumberFormatException e) {
                    // below
                } catch (IntArg.OutOfRange e) {
                    // one number: the rule; two: the part out of range, named
                    throw parts.length == 1 ? BadValue.rule(value, e.rule()) : BadValue.part(value, e.getMessage());
                }
            }
            throw BadValue.rule(value, "is not one integer or two separated by a comma");
        }
    }
}
