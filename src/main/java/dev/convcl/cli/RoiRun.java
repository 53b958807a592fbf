package dev.convcl.cli;

import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.DeviceChoice;
import dev.convcl.Engine;
import dev.convcl.HostTensor;
import dev.convcl.Plan;
import dev.convcl.RoiAlign;
import dev.convcl.Tensor;
import dev.convcl.text.AdaptiveSamplingException;
import dev.convcl.text.FieldException;
import dev.convcl.text.SizeException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code convcl run --op roi_align | ps_roi_align | deform_roi_pool}: the RoI operators on NumPy
 * files. Every file and flag is checked (shapes, RoI values) before a device is opened; an empty
 * RoI file ({@code [0, 5]}) writes an empty output {@code [0, C_out, PH, PW]} without running.
 */
final class RoiRun {
    /**
     * The flags of one call, as {@link RunCommand} parsed them, and as typed where a message names
     * them ({@code outputSizeTyped}, {@code spatialScaleTyped}, {@code samplingRatioTyped}; the last
     * null when {@code --sampling-ratio} was not given; {@code maxSamplesTyped} null when
     * {@code --max-samples} was not given and {@code maxSamples} is {@link #MAX_SAMPLES}); the files as typed, null for one not given.
     * {@code aligned} is null when {@code --aligned} was not given, so that any value given to an
     * operator other than roi_align ({@code --aligned=false} too) is refused, not only {@code true}.
     */
    record Flags(RoiAlign.Kind kind, FileArg input, FileArg rois, FileArg offset, FileArg mask, int[] outputSize,
                 String outputSizeTyped, float spatialScale, String spatialScaleTyped, Integer samplingRatio,
                 String samplingRatioTyped, long maxSamples, String maxSamplesTyped, Boolean aligned, Float gamma, DeviceChoice device, FileArg out) {
    }

    /**
     * The most bilinear samples a call takes unless {@code --max-samples} says otherwise: 2^30,
     * about 10 s on a 2-core CPU path and far above the detection heads' few 10^7, so that a
     * mistyped {@code --sampling-ratio} or {@code --output-size} is one line rather than minutes
     * without a word. convcl's limit, not torchvision's: the library's {@link RoiAlign} has none.
     */
    static final long MAX_SAMPLES = 1L << 30;

    private RoiRun() {
    }

    static int run(Flags f, PrintWriter stdout) {
        String op = "--op " + f.kind().token();
        if (f.outputSize() == null) {
            throw new IllegalArgumentException(op + " needs --output-size PH,PW");
        }
        if (f.rois() == null) {
            throw new IllegalArgumentException(op + " needs --rois R.npy (regions [K, 5], rows (batch_index, x1, y1, "
                    + "x2, y2))");
        }
        if (f.aligned() != null && f.kind() != RoiAlign.Kind.ROI_ALIGN) {
            throw new IllegalArgumentException("--aligned is for --op roi_align only (" + f.kind().token()
                    + " always shifts by -0.5)");
        }
        if (f.kind() != RoiAlign.Kind.DEFORM_ROI_POOL && (f.offset() != null || f.mask() != null || f.gamma() != null)) {
            throw new IllegalArgumentException("--offset, --mask and --gamma are for --op deform_roi_pool only");
        }
        FileArg out = f.out();
        out.checkWritable();
        FileArg inFile = f.input();
        FileArg roisFile = f.rois();
        FileArg offsetFile = f.offset();
        FileArg maskFile = f.mask();
        HostTensor x = inFile.read(Npy::read);
        if (x.rank() != 4) {
            throw inFile.error("has shape " + Arrays.toString(x.shape()) + "; expected [N, C, H, W]");
        }
        int[] roiShape = roisFile.read(Npy::shape);
        if (roiShape.length != 2 || roiShape[1] != 5) {
            throw roisFile.error("has shape " + Arrays.toString(roiShape) + "; expected [K, 5], rows (batch_index, x1, y1, x2, y2)");
        }
        int ph = f.outputSize()[0], pw = f.outputSize()[1];
        int sr = f.samplingRatio() != null ? f.samplingRatio() : f.kind() == RoiAlign.Kind.DEFORM_ROI_POOL ? 0 : -1;
        float gamma = f.kind() == RoiAlign.Kind.DEFORM_ROI_POOL ? (f.gamma() != null ? f.gamma() : 0.1f) : 0f;
        // The descriptor checks the flags (spatial scale, sampling ratio, output size, channels); with
        // no RoIs it is made for one, which checks the same rules.
        RoiAlign spec = descriptor(f, x, Math.max(1, roiShape[0]), ph, pw, sr, gamma);
        // The offset and mask files' shapes, [K, ...] with K the RoIs' rows (0 included), before any
        // file is written or any work is done.
        for (var a : spec.arguments()) {
            FileArg file = a.arg() == Arg.OFFSET ? offsetFile : a.arg() == Arg.MASK ? maskFile : null;
            if (file != null) {
                int[] expected = a.shape().clone();
                expected[0] = roiShape[0];
                int[] given = file.read(Npy::shape);
                if (!Arrays.equals(given, expected)) {
                    throw file.error("has shape " + Arrays.toString(given) + "; " + spec.name() + " needs "
                            + Arrays.toString(expected) + " " + a.layout());
                }
            }
        }
        if (roiShape[0] == 0) {
            int[] shape = {0, spec.outC(), ph, pw};
            out.write(stream -> stream.write(Npy.header(shape)));
            stdout.printf(Locale.ROOT, "%s: %s float32 (no RoIs: nothing to run)%n", out.text(), Arrays.toString(shape));
            return 0;
        }
        HostTensor r = roisFile.read(Npy::read);
        HostTensor o = offsetFile == null ? null : offsetFile.read(Npy::read);
        HostTensor m = maskFile == null ? null : maskFile.read(Npy::read);
        try {
            spec.checkRois(r.array());
        } catch (AdaptiveSamplingException e) { // the scale and ratio are flags here: name them, as typed
            throw roisFile.error(e.message("--spatial-scale " + f.spatialScaleTyped(), "--spatial-scale",
                    "--sampling-ratio", false));
        } catch (IllegalArgumentException e) {
            throw roisFile.error(e.getMessage());
        }
        checkWork(f, spec, r.array(), roisFile);
        HostTensor y = Tensor.zeros(spec.outputShape());
        Args args = Args.builder().src(x).rois(r).offset(o).mask(m).dst(y).build();
        args.validateFor(spec);
        try (Engine engine = Engine.create(f.device()); Plan plan = engine.plan(spec)) {
            long t0 = System.nanoTime();
            plan.execute(args);
            double wallMs = (System.nanoTime() - t0) / 1e6;
            out.write(stream -> Npy.write(stream, y));
            double kernelMs = plan.lastKernelMillis();
            stdout.printf(Locale.ROOT, "%s: %s float32 = %s on %s (%s), %.3f ms%s%n", out.text(), Arrays.toString(y.shape()),
                    spec, plan.deviceName(), plan.algorithm(), wallMs,
                    Double.isNaN(kernelMs) ? "" : String.format(Locale.ROOT, " (kernel %.3f ms)", kernelMs));
        }
        return 0;
    }

    /**
     * Refuses a call whose bilinear samples ({@link RoiAlign#samples}) pass {@code --max-samples},
     * naming what set the count: the sampling ratio as typed, or with adaptive sampling the RoIs
     * and the scale.
     */
    private static void checkWork(Flags f, RoiAlign spec, float[] rois, FileArg roisFile) {
        String refusal = tooMuchWork(spec, rois, f.maxSamples(), limitNamed("run", f.maxSamplesTyped()),
                "--sampling-ratio " + f.samplingRatioTyped(),
                roisFile + ": adaptive sampling at --spatial-scale " + f.spatialScaleTyped());
        if (refusal != null) {
            throw new IllegalArgumentException(refusal);
        }
    }

    /**
     * Checks a {@code --max-samples} value, {@code run}'s or {@code bench}'s: at least 1.
     *
     * @param maxSamples the value, null when not given
     * @param typed      the value as typed
     * @throws IllegalArgumentException {@code --max-samples 0 must be at least 1}
     */
    static void checkMaxSamples(Long maxSamples, String typed) {
        if (maxSamples != null && maxSamples < 1) {
            throw new IllegalArgumentException("--max-samples " + typed + " must be at least 1");
        }
    }

    /**
     * The limit as a refusal names it: {@code --max-samples 127} when given, else
     * {@code convcl run's limit, 2^30 = 1073741824} ({@link #MAX_SAMPLES}).
     *
     * @param command         the command whose default it is, {@code run} or {@code bench}
     * @param maxSamplesTyped {@code --max-samples} as typed, null when not given
     */
    static String limitNamed(String command, String maxSamplesTyped) {
        return maxSamplesTyped != null ? "--max-samples " + maxSamplesTyped
                : "convcl " + command + "'s limit, 2^30 = " + MAX_SAMPLES;
    }

    /**
     * The one rule of {@code run} and {@code bench} for a call's work: the refusal of one whose
     * bilinear samples ({@link RoiAlign#samples}) pass {@code maxSamples}, naming what set the
     * count and how to run it anyway; null when it is within the limit.
     *
     * @param spec          the operator
     * @param rois          its RoIs' values, checked ({@link RoiAlign#checkRois}); with a fixed sampling
     *                      ratio the count does not depend on them
     * @param maxSamples    the limit
     * @param limitNamed    the limit as the message names it ({@link #limitNamed})
     * @param ratioNamed    where the fixed ratio comes from, as typed: {@code --sampling-ratio 08}
     * @param adaptiveNamed what set the count with adaptive sampling: {@code rois r.npy (--rois):
     *                      adaptive sampling at --spatial-scale 1}
     * @return e.g. {@code --sampling-ratio 08: 1 RoI x 2 channels x 1x1 bins x 8x8 samples a bin = 128
     *         bilinear samples, more than --max-samples 127 (--max-samples 128 runs it)}, or null
     */
    static String tooMuchWork(RoiAlign spec, float[] rois, long maxSamples, String limitNamed, String ratioNamed,
                              String adaptiveNamed) {
        double samples = spec.samples(rois);
        if (samples <= maxSamples) {
            return null;
        }
        String bins = String.format(Locale.ROOT, "%d RoI%s x %d channel%s x %dx%d bins", spec.rois(),
                spec.rois() == 1 ? "" : "s", spec.outC(), spec.outC() == 1 ? "" : "s", spec.outH(), spec.outW());
        // below 2^62: the output has fewer than 2^31 elements, and a bin takes fewer than 2^31 samples:
        // a fixed ratio is at most RoiAlign.MAX_SAMPLING_RATIO (46340^2 < 2^31, checked when the
        // descriptor is made), an adaptive grid checkRois kept below 2^31
        long count = (long) samples;
        String what = spec.samplingRatio() > 0
                ? String.format(Locale.ROOT, "%s: %s x %dx%d samples a bin = %d bilinear samples",
                        ratioNamed, bins, spec.samplingRatio(), spec.samplingRatio(), count)
                : adaptiveNamed + " would take " + count + " bilinear samples over " + bins;
        return what + ", more than " + limitNamed + " (--max-samples " + count + " runs it)";
    }

    private static RoiAlign descriptor(Flags f, HostTensor x, int k, int ph, int pw, int sr, float gamma) {
        try {
            return new RoiAlign(f.kind(), x.dim(0), x.dim(1), x.dim(2), x.dim(3), k, ph, pw, f.spatialScale(), sr,
                    Boolean.TRUE.equals(f.aligned()), gamma, f.offset() != null, f.mask() != null, dev.convcl.DataType.F32,
                    dev.convcl.Direction.FORWARD);
        } catch (FieldException e) {
            // the descriptor names the field it refuses; say which flag or file gave it
            String named = switch (e.field()) {
                case "ph" -> "--output-size " + f.outputSizeTyped() + ": height " + e.value();
                case "pw" -> "--output-size " + f.outputSizeTyped() + ": width " + e.value();
                case "sr" -> "--sampling-ratio " + (f.samplingRatioTyped() != null ? f.samplingRatioTyped() : e.value());
                case "c" -> "the channels of --input, c=" + e.value();
                // the others cannot come from here: RunCommand refuses a bad --spatial-scale or --gamma
                // first, Npy an --input with an empty dimension, and there is at least one RoI
                default -> null;
            };
            throw named == null ? e : new IllegalArgumentException(e.message(named), e);
        } catch (SizeException e) {
            // a tensor beyond 32-bit indexing: say which flag or file gave each of its sizes
            boolean output = e.tensor().equals("output");
            if (!output && !e.tensor().equals("offset")) {
                throw e;
            }
            boolean ps = f.kind() == RoiAlign.Kind.PS_ROI_ALIGN;
            long channels = !output ? 2 : ps ? x.dim(1) / ((long) ph * pw) : x.dim(1);
            String sources = "K: the rows of --rois" + (!output ? "" : ps ? ", C: the channels of --input / (PH*PW)"
                    : ", C: the channels of --input") + ", PH,PW: --output-size " + f.outputSizeTyped();
            throw new IllegalArgumentException("the " + e.tensor() + " [K, " + (output ? "C" : "2") + ", PH, PW] = ["
                    + k + ", " + channels + ", " + ph + ", " + pw + "] would have " + e.elements() + " elements, "
                    + SizeException.RULE + " (" + sources + ")", e);
        }
    }
}
