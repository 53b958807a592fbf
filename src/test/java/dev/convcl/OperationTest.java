package dev.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.reference.ProblemCorpus;
import dev.convcl.testing.BadArgs;
import dev.convcl.testing.Problems;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class OperationTest {

    // ------------------------------------------------------------ one-line form

    static Stream<Convolution> everyCorpusSpec() {
        List<Convolution> all = new ArrayList<>(ProblemCorpus.conv2d().values());
        all.addAll(ProblemCorpus.deform2d().values());
        all.addAll(Problems.randomConv2d());
        all.addAll(Problems.randomDeform2d());
        return all.stream();
    }

    @ParameterizedTest
    @MethodSource("everyCorpusSpec")
    void toStringParsesBackToTheSameSpec(Convolution spec) {
        assertEquals(spec, Operation.parse(spec.toString()));
    }

    @Test
    void aChannelCopyWithADestinationStepRoundTripsAndIsCheckedToItsLastChannel() {
        String line = "op=channel_copy n=2 h=3 w=4 src_c=6 src_start=1 dst_c=12 dst_start=1 count=5 dst_step=2";
        ChannelCopy c = (ChannelCopy) Operation.parse(line);
        assertEquals(new ChannelCopy(2, 3, 4, 6, 1, 12, 1, 5, 2), c);
        assertEquals(line, c.toString());
        assertEquals("op=channel_copy n=2 h=3 w=4 src_c=6 src_start=1 dst_c=12 dst_start=1 count=5",
                new ChannelCopy(2, 3, 4, 6, 1, 12, 1, 5).toString(), "a step of 1 is not printed");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Operation.parse("op=channel_copy n=1 h=2 w=2 src_c=4 dst_c=8 dst_start=2 count=4 dst_step=2"));
        assertEquals("dst_start=2 with count=4 and dst_step=2 (last channel 8) must lie within the destination's dst_c=8"
                + " channels", e.getMessage());
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> Operation.parse("op=channel_copy n=1 h=2 w=2 src_c=4 dst_c=8 count=4 dst_step=0"));
        assertTrue(zero.getMessage().startsWith("dst_step=0"), zero.getMessage());
    }

    @Test
    void pairsAndDeformFieldsRoundTrip() {
        String line = "op=deform2d n=2 c=6 h=5 w=4 k=2 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 og=3 mask=1 bias=1";
        DeformConv2d s = DeformConv2d.parse(line + " relu=0");
        assertEquals(2, s.strideH());
        assertEquals(1, s.strideW());
        assertEquals(1, s.padTop());
        assertEquals(0, s.padLeft());
        assertEquals(1, s.padBottom());
        assertEquals(0, s.padRight());
        assertEquals(2, s.dilH());
        assertEquals(1, s.dilW());
        assertEquals(3, s.offsetGroups());
        assertTrue(s.mask());
        assertTrue(s.bias());
        assertTrue(s.postOps().isEmpty());
        assertEquals(line, s.toString());
    }

    @Test
    void equalPairsPrintAsOneValueAndConv2dOmitsDeformFields() {
        Operation s = Operation.parse("op=conv2d n=1 c=4 h=7 w=7 k=4 kh=3 kw=3 stride=2,2 pad=1,1 dil=3,3 relu=1");
        assertEquals("op=conv2d n=1 c=4 h=7 w=7 k=4 kh=3 kw=3 stride=2 pad=1 dil=3 groups=1 bias=0 post=relu", s.toString());
    }

    @Test
    void parseSkipsALeadingNameAndAppliesDefaults() {
        Operation s = Operation.parse("  mobilenet.dw   op=CONV2D n=1 c=8 h=9 w=9 k=8 kh=3 kw=3  ");
        assertEquals(new Conv2d(1, 8, 9, 9, 8, Window2d.of(3, 3, 1, 1, 0, 0, 1, 1), 1, false, PostOps.none(), DataType.F32,
                Direction.FORWARD), s);
        assertTrue(Conv2d.parse("op=conv2d n=1 c=1 h=1 w=1 k=1 kh=1 kw=1 bias=true relu=false").bias());
    }

    // ------------------------------------------------------------ builder

    @Test
    void builderBuildsWhatTheLineSays() {
        Conv2d built = Conv2d.builder().input(2, 6, 13, 7).output(4).kernel(3, 2).stride(2, 1).padding(1, 0)
                .dilation(2, 1).groups(2).bias(true).postOps(Activation.relu()).build();
        assertEquals(Operation.parse("op=conv2d n=2 c=6 h=13 w=7 k=4 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 bias=1 relu=1"),
                built);
        DeformConv2d deform = DeformConv2d.builder().input(1, 4, 7, 7).output(8).kernel(3, 3).padding(1).offsetGroups(2)
                .mask(true).build();
        assertEquals(Operation.parse("op=deform2d n=1 c=4 h=7 w=7 k=8 kh=3 kw=3 pad=1 og=2 mask=1"), deform);
        Conv2d dw = Conv2d.depthwise(1, 32, 112, 112, 2).kernel(3, 3).stride(2).padding(1).build();
        assertEquals(64, dw.k());
        assertEquals(32, dw.groups());
        assertTrue(dw.isDepthwise());
        assertEquals(1, dw.cPerGroup());
        assertEquals(2, dw.kPerGroup());
    }

    @Test
    void modifiedCopiesChangeOneThing() {
        DeformConv2d s = DeformConv2d.parse("op=deform2d n=3 c=6 h=5 w=4 k=2 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 og=3 mask=1");
        assertEquals("op=conv2d n=3 c=6 h=5 w=4 k=2 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 bias=0",
                s.asConv2d().toString());
        assertEquals(1, s.withBatch(1).n());
        assertTrue(s.withBias(true).bias());
        assertTrue(s.withPostOps(PostOps.of(Activation.relu())).postOps().isRelu());
        assertEquals(s, s.withBias(true).withBias(false));
    }

    // ------------------------------------------------------------ shapes and flops, by hand

    @Test
    void resnetThreeByThreeShapesAndFlops() {
        Convolution s = Problems.parse("op=conv2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 pad=1");
        assertArrayEquals(new int[] {1, 64, 56, 56}, s.outputShape());
        assertArrayEquals(new int[] {64, 64, 3, 3}, s.weightShape());
        // 2 * (1*64*56*56 outputs) * (64*3*3 multiply-adds each)
        assertEquals(231_211_008.0, s.flops());
    }

    @Test
    void torchvisionProblemShapesAndFlops() {
        DeformConv2d s = DeformConv2d.parse("op=deform2d n=33 c=6 h=5 w=4 k=2 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 og=3 mask=1");
        // OH = floor((5 + 2 - 2*2 - 1) / 2) + 1 = 2; OW = floor((4 + 0 - 1*1 - 1) / 1) + 1 = 3
        assertArrayEquals(new int[] {33, 2, 2, 3}, s.outputShape());
        assertArrayEquals(new int[] {2, 3, 3, 2}, s.weightShape());
        assertArrayEquals(new int[] {33, 36, 2, 3}, s.offsetShape()); // 2 * og * kh * kw = 36
        assertArrayEquals(new int[] {33, 18, 2, 3}, s.maskShape());
        assertArrayEquals(new int[] {2}, s.biasShape());
        assertEquals(33L * 36 * 6, s.offsetSize());
        assertEquals(33L * 18 * 6, s.maskSize());
        assertEquals(2.0 * 33 * 2 * 2 * 3 * 3 * 3 * 2, s.flops()); // 14256
    }

    @ParameterizedTest(name = "{0} -> {1}x{2}")
    @CsvSource(delimiter = '|', value = {
            "op=conv2d n=1 c=1 h=33 w=33 k=1 kh=3 kw=3 stride=3              | 11 | 11",
            "op=conv2d n=1 c=1 h=7 w=7 k=1 kh=2 kw=2 stride=2                | 3  | 3",  // floor(5/2) + 1
            "op=conv2d n=1 c=1 h=1 w=1 k=1 kh=3 kw=3 pad=1                   | 1  | 1",
            "op=conv2d n=1 c=1 h=13 w=7 k=1 kh=1 kw=7 pad=0,3                | 13 | 7",
            "op=conv2d n=1 c=1 h=13 w=13 k=1 kh=3 kw=3 pad=4,0 dil=4,2        | 13 | 9",  // 13+8-9+1, 13-5+1
            "op=conv2d n=1 c=1 h=56 w=56 k=1 kh=31 kw=31 pad=15              | 56 | 56",
            "op=conv2d n=1 c=1 h=33 w=13 k=1 kh=5 kw=3 stride=2 pad=3,1 dil=3,2 | 14 | 6",
    })
    void outputSizeByHand(String line, int oh, int ow) {
        Convolution s = Problems.parse(line);
        assertEquals(oh, s.outH(), line);
        assertEquals(ow, s.outW(), line);
    }

    /**
     * h + pad_h + pad_h_end past 2^31 would overflow the kernels' 32-bit index arithmetic although every
     * tensor is within the limit: such a spec is rejected, naming the padded size.
     */
    @Test
    void paddedSizeBeyond32BitsIsRejected() {
        IllegalArgumentException tall = assertThrows(IllegalArgumentException.class, () -> Conv2d.builder()
                .input(1, 1, 2_000_000_000, 1).output(1).kernel(1, 1).padding(1_000_000_000, 0)
                .stride(2_000_000_000, 1).build());
        assertTrue(tall.getMessage().contains("h+pad_h+pad_h_end"), tall.getMessage());
        IllegalArgumentException wide = assertThrows(IllegalArgumentException.class, () -> Conv2d.builder()
                .input(1, 1, 1, 2_000_000_000).output(1).kernel(1, 3).padding(0, 1_000_000_000)
                .stride(1, 2_000_000_000).dilation(1, 1_000_000_000).build());
        assertTrue(wide.getMessage().contains("w+pad_w+pad_w_end"), wide.getMessage());
    }

    // ------------------------------------------------------------ rejected specs

    private static final String BASE = "op=conv2d n=1 c=4 h=8 w=8 k=4 kh=3 kw=3 ";
    private static final String DEFORM = "op=deform2d n=1 c=6 h=8 w=8 k=4 kh=3 kw=3 ";
    /** A roi_align line without its scale, for the float-field cases. */
    private static final String ROI = "op=roi_align n=1 c=8 h=32 w=32 rois=4 ph=7 pw=7 sr=2 aligned=1 ";

    /** Each line breaks one rule; the message must name the field (and usually its value). */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            BASE + "groups=3                    | groups=3",
            "op=conv2d n=1 c=6 h=8 w=8 k=4 kh=3 kw=3 groups=3 | groups=3 must divide output channels k=4",
            BASE + "groups=0                    | groups=0",
            BASE + "dil=0                       | dil_h=0",
            BASE + "dil=1,0                     | dil_w=0",
            BASE + "pad=-1                      | pad_h=-1",
            BASE + "pad=0,-2                    | pad_w=-2",
            BASE + "stride=0                    | stride_h=0",
            BASE + "stride=1,0                  | stride_w=0",
            "op=conv2d n=0 c=4 h=8 w=8 k=4 kh=3 kw=3 | n=0",
            "op=conv2d n=99999999999 c=4 h=8 w=8 k=4 kh=3 kw=3 | n='99999999999' is out of range for an int (at most 2147483647)",
            BASE + "pad=1,-99999999999          | pad='-99999999999' is out of range for an int (at least -2147483648)",
            "op=conv2d n=x c=4 h=8 w=8 k=4 kh=3 kw=3 | n='x' is not an integer",
            "op=conv2d n=1 c=-1 h=8 w=8 k=4 kh=3 kw=3 | c=-1",
            "op=conv2d n=1 c=4 h=8 w=8 k=4 kh=0 kw=3 | kh=0",
            "op=conv2d n=1 c=4 h=4 w=8 k=4 kh=7 kw=3 | kh=7",
            "op=conv2d n=1 c=4 h=8 w=4 k=4 kh=3 kw=5 | kw=5",
            "op=conv2d n=1 c=4 h=5 w=8 k=4 kh=3 kw=3 dil=3 | dil_h=3",
            "op=conv2d n=1 c=4 h=5 w=8 k=4 kh=9 kw=3 pad=1 | h+pad_h+pad_h_end=7",
            DEFORM + "og=4                      | offset_groups=4 must divide input channels c=6",
            DEFORM + "og=0                      | offset_groups=0",
            BASE + "og=2                        | unknown field 'og'",
            BASE + "mask=1                      | unknown field 'mask'",
            BASE + "foo=1                       | unknown field 'foo'",
            BASE + "k=5                         | field 'k' given twice",
            BASE + "stride=1 stride=2           | field 'stride' given twice",
            "op=conv2d n=1 c=4 h=8 w=8 k=four kh=3 kw=3 | k='four'",
            "op=conv2d n=1 c=4 h=8 w=8 k= kh=3 kw=3 | k=''",
            "op=conv2d n=1 c=4 h=99999999999 w=8 k=4 kh=3 kw=3 | h='99999999999'",
            BASE + "stride=1,2,3                | stride='1,2,3'",
            BASE + "pad=1,                      | pad=''",
            BASE + "bias=2                      | bias='2'",
            BASE + "relu=yes                    | relu='yes'",
            "op=conv2d n=1 c=4 h=8 junk w=8 k=4 kh=3 kw=3 | field 'junk'",
            "op=conv2d n=1 c=4 h=8 w=8 k=4 kh=3        | field 'kw' is missing",
            "n=1 c=4 h=8 w=8 k=4 kh=3 kw=3             | field 'op' is missing",
            "op=conv3d n=1 c=4 h=8 w=8 k=4 kh=3 kw=3   | op 'conv3d'",
            // Element counts past 2^31 - 1 (32-bit indexing), one tensor at a time.
            "op=conv2d n=1024 c=1024 h=2048 w=1 k=1 kh=1 kw=1 | input would have 2147483648 elements",
            "op=conv2d n=1 c=65536 h=1 w=1 k=65536 kh=1 kw=1 | weight would have 4294967296 elements",
            "op=conv2d n=1 c=1 h=2048 w=2048 k=1024 kh=1 kw=1 | output would have 4294967296 elements",
            "op=deform2d n=1 c=1 h=5000 w=5000 k=1 kh=7 kw=7 pad=3 | offset would have 2450000000 elements",
            // squeeze-and-excitation: its own fields and rules
            "op=squeeze_excitation n=1 c=16 h=7 w=7 squeeze=0 | squeeze=0 must be at least 1",
            "op=squeeze_excitation n=1 c=16 h=7 w=7 | field 'squeeze' is missing",
            "op=squeeze_excitation n=1 c=16 h=7 w=7 squeeze=4 act=relu+relu | act=relu+relu must be at most one activation",
            "op=squeeze_excitation n=1 c=16 h=7 w=7 squeeze=4 scale_act=sum | scale_act=sum must be at most one activation",
            "op=squeeze_excitation n=1 c=16 h=7 w=7 squeeze=4 k=3 | unknown field 'k'",
            "op=squeeze_excitation n=1 c=65536 h=1 w=1 squeeze=65536 | weight would have 4294967296 elements",
            "op=squeeze_excitation n=65536 c=1 h=1 w=1 squeeze=65536 | squeezed would have 4294967296 elements",
            // float fields: decimal numbers only, echoed as typed (Java's 2f, 0x1p3 and 1e400 = Infinity are not)
            ROI + "scale=2f                     | scale='2f' is not a number",
            ROI + "scale=0x1p3                  | scale='0x1p3' is not a number",
            ROI + "scale=1e400                  | scale='1e400' is out of range for a number (at most about 3.4e38 in size)",
            ROI + "scale=1e-46                  | scale='1e-46' is too close to 0 for a number (at least about 1.4e-45 in size, or 0)",
            "op=deform_roi_pool n=1 c=8 h=32 w=32 rois=4 ph=7 pw=7 gamma=2d | gamma='2d' is not a number",
            "op=pad2d n=1 c=8 h=8 w=8 pad=1 value=1e99 | value='1e99' is out of range for a number",
            "op=conv2d n=1 c=4 h=8 w=8 k=4 kh=3 kw=3 post=leaky_relu:0x1p3 | post-op 'leaky_relu:0x1p3': '0x1p3' is not a number",
    })
    void invalidSpecsAreRejectedNamingTheField(String line, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Operation.parse(line));
        assertTrue(e.getMessage().contains(expected.trim()), "message '" + e.getMessage() + "' should contain '"
                + expected.trim() + "'");
    }

    /**
     * The float fields' and post-ops' rules name each value as the line gives it: {@code scale=inf}
     * was echoed as {@code Infinity}, {@code -0} as {@code -0.0}, {@code 0} as {@code 0.0}, and
     * {@code leaky_relu:inf} as {@code alpha=Infinity beta=0.0}, a beta the line never gave.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            ROI + "scale=inf | scale=inf (spatial_scale) must be finite and positive",
            ROI + "scale=-0 | scale=-0 (spatial_scale) must be finite and positive",
            ROI + "scale=0 | scale=0 (spatial_scale) must be finite and positive",
            ROI + "scale=-2.50 | scale=-2.50 (spatial_scale) must be finite and positive",
            "op=deform_roi_pool n=1 c=8 h=32 w=32 rois=4 ph=7 pw=7 gamma=-inf | gamma=-inf must be finite",
            BASE + "post=leaky_relu:inf | post-op 'leaky_relu:inf': alpha inf must be finite",
            BASE + "post=relu+leaky_relu:NAN | post-op 'leaky_relu:NAN': alpha NAN must be finite",
            BASE + "post=clip:1:0 | post-op 'clip:1:0': minimum 1 is above its maximum 0",
            BASE + "post=clip:inf:1 | post-op 'clip:inf:1': minimum inf must be finite, or -Infinity for no minimum",
            BASE + "post=clip:0:-inf | post-op 'clip:0:-inf': maximum -inf must be finite, or Infinity for no maximum",
            BASE + "post=hardsigmoid:0.2:nan | post-op 'hardsigmoid:0.2:nan': beta nan must be finite",
            BASE + "post=sum:inf | post-op 'sum:inf': scale inf must be finite",
            BASE + "post=sum:2+sum | post-ops 'sum:2+sum' have 2 sums; at most one is allowed",
            BASE + "relu=1 post=clip:0:6 | give relu=1 or post=clip:0:6, not both",
            "op=squeeze_excitation n=1 c=16 h=7 w=7 squeeze=4 act=clip:0:6+relu | act=clip:0:6+relu must be at most one "
                    + "activation (no sum)",
    })
    void floatRulesNameTheValueAsTyped(String line, String expected) {
        assertEquals(expected.strip(), refusal(line));
    }

    /**
     * A post-op given the wrong number of parameters says how many its name takes, in words; relu6
     * with one is not called unknown (it was: "'relu6:1' is not one of ... relu6 ...").
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            BASE + "post=relu6:1 | post-op 'relu6:1': relu6 takes no parameters (it is clip:0:6)",
            BASE + "post=RELU6:1 | post-op 'RELU6:1': relu6 takes no parameters (it is clip:0:6)",
            BASE + "post=relu:1 | post-op 'relu:1': relu takes no parameters",
            BASE + "post=leaky_relu | post-op 'leaky_relu': leaky_relu takes 1 parameter after ':'",
            BASE + "post=clip:1 | post-op 'clip:1': clip takes 2 parameters separated by ':'",
    })
    void aPostOpsParameterCountIsWorded(String line, String expected) {
        assertEquals(expected.strip(), refusal(line));
    }

    /**
     * A rule of one integer field names its value as the line gives it too ({@code n=00} was echoed
     * as {@code n=0}, {@code sr=-01} as {@code -1}); a field of another name than the line's
     * ({@code stride_w} of {@code stride=1,0}) and a rule across fields keep the numbers read.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "op=conv2d n=00 c=4 h=8 w=8 k=4 kh=3 kw=3 | n=00 must be at least 1",
            "op=conv2d n=1 c=4 h=8 w=8 k=4 kh=00 kw=3 | kh=00 must be at least 1",
            "op=conv2d n=1 c=4 h=8 w=8 k=4 kh=3 kw=+0 | kw=+0 must be at least 1",
            "op=roi_align n=1 c=4 h=8 w=8 rois=00 ph=2 pw=2 | rois=00 must be at least 1",
            "op=roi_align n=1 c=4 h=8 w=8 rois=2 ph=2 pw=2 sr=046341 | sr=046341 (sampling_ratio) must be at most "
                    + "46340: a bin's grid of samples, the ratio squared, must stay below 2^31",
            "op=deform_roi_pool n=1 c=4 h=8 w=8 rois=2 ph=2 pw=2 sr=-01 | sr=-01 (sampling_ratio) must be 0 (adaptive) "
                    + "or positive for deform_roi_pool",
            "op=conv2d n=1 c=4 h=8 w=8 k=4 kh=3 kw=3 stride=1,00 | stride_w=0 must be at least 1",
            "op=conv2d n=1 c=4 h=8 w=8 k=4 kh=099 kw=3 | kernel height kh=99 at dil_h=1 spans 99 rows, more than the "
                    + "padded input height h+pad_h+pad_h_end=8",
    })
    void integerFieldRulesNameTheValueAsTyped(String line, String expected) {
        assertEquals(expected.strip(), refusal(line));
    }

    /** Made in code, the same rules name the floats given: there is no text to echo. */
    @Test
    void theConstructorsNameTheFloatsGiven() {
        assertEquals("leaky_relu alpha Infinity must be finite", assertThrows(IllegalArgumentException.class,
                () -> Activation.leakyRelu(Float.POSITIVE_INFINITY)).getMessage());
        assertEquals("clip minimum 6.0 is above its maximum 0.0", assertThrows(IllegalArgumentException.class,
                () -> Activation.clip(6, 0)).getMessage());
        assertEquals("scale=0.0 (spatial_scale) must be finite and positive", assertThrows(IllegalArgumentException.class,
                () -> RoiAlign.roiAlign(1, 8, 8, 8, 1, 2, 2, 0f, 2, false)).getMessage());
    }

    /**
     * An unknown field's message lists the operator's fields, and only those: quick=1 belongs to
     * the benchmark's shapes files, whose reader takes it out (BenchCommandTest), not to a conv2d.
     */
    @Test
    void theKnownFieldsAreTheOperatorsOnly() {
        String message = assertThrows(IllegalArgumentException.class, () -> Conv2d.parse(BASE + "foo=1")).getMessage();
        assertEquals("unknown field 'foo' (known: [bias, c, dil, dir, dt, groups, h, k, kh, kw, n, op, pad, post, relu, "
                + "stride, w])", message);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Conv2d.parse(BASE + "quick=1")).getMessage()
                .startsWith("unknown field 'quick' (known: ["), "quick is no field of a conv2d");
    }

    @Test
    void emptyLineAndNullWindowAreRejected() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Operation.parse("  ")).getMessage()
                .contains("empty"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Conv2d(1, 1, 1, 1, 1, null, 1, false,
                PostOps.none(), DataType.F32, Direction.FORWARD)).getMessage().contains("window"));
    }

    @Test
    void builderValidatesToo() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.builder().input(1, 6, 8, 8).output(6).kernel(3, 3).groups(4).build());
        assertTrue(e.getMessage().contains("groups=4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DeformConv2d.builder().input(1, 6, 8, 8).output(6).kernel(3, 3).offsetGroups(5).build());
        assertTrue(e.getMessage().contains("offset_groups=5"), e.getMessage());
    }

    /** The depthwise factory names its own argument: k=0 would point at a field the caller never gave. */
    @Test
    void depthwiseNamesTheMultiplier() {
        for (int bad : new int[] {0, -2}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Conv2d.depthwise(1, 32, 112, 112, bad));
            assertEquals("depthwise multiplier=" + bad + " must be at least 1 (output channels per input channel)",
                    e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.depthwise(1, 65536, 1, 1, 65536));   // wrapped to k=0 in int arithmetic
        assertEquals("depthwise multiplier=65536 times c=65536 is 4294967296 output channels, more than 2^31-1",
                e.getMessage());
    }

    /** A depthwise preset stays depthwise when input() changes c, unless groups() or output() said otherwise. */
    @Test
    void depthwisePresetFollowsTheInputChannels() {
        Conv2d dw = Conv2d.depthwise(1, 32, 112, 112, 3).input(2, 48, 56, 56).kernel(3, 3).padding(1).build();
        assertEquals(48, dw.c());
        assertEquals(48, dw.groups());
        assertEquals(144, dw.k());
        assertEquals(dw.groups(), dw.k() / 3);
        assertTrue(dw.isDepthwise());
        assertEquals(3, dw.kPerGroup());
        // an explicit groups() or output() after the preset wins, and a later input() keeps it
        Conv2d g = Conv2d.depthwise(1, 32, 8, 8, 2).groups(4).input(1, 48, 8, 8).build();
        assertEquals(4, g.groups());
        assertEquals(96, g.k());
        Conv2d k = Conv2d.depthwise(1, 32, 8, 8, 2).output(48).input(1, 48, 8, 8).build();
        assertEquals(48, k.groups());
        assertEquals(48, k.k());
        Conv2d both = Conv2d.depthwise(1, 32, 8, 8, 2).input(1, 16, 8, 8).output(64).groups(8).input(1, 24, 8, 8)
                .build();
        assertEquals(8, both.groups());
        assertEquals(64, both.k());
        assertEquals(24, both.c());
        // a plain builder is not a preset: input() leaves groups and k alone
        Conv2d plain = Conv2d.builder().output(8).input(1, 16, 8, 8).build();
        assertEquals(1, plain.groups());
        assertEquals(8, plain.k());
        // the multiplier's overflow is named by input() too, and leaves the builder as it was
        Conv2d.Builder b = Conv2d.depthwise(1, 32, 8, 8, 65536);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.input(1, 65536, 1, 1));
        assertEquals("depthwise multiplier=65536 times c=65536 is 4294967296 output channels, more than 2^31-1",
                e.getMessage());
        Conv2d kept = b.build();
        assertEquals(32, kept.c());
        assertEquals(32, kept.groups());
        assertEquals(65536 * 32, kept.k());
        // with an explicit output() there is nothing to overflow
        assertEquals(65536, Conv2d.depthwise(1, 32, 1, 1, 65536).output(65536).input(1, 65536, 1, 1).build().k());
    }

    /** A builder whose input or output was never set says which call is missing, not c=0 or k=0. */
    @Test
    void builderNamesTheCallNotMade() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.builder().output(64).kernel(3, 3).build());
        assertEquals("the input shape is not set: call input(n, c, h, w) before build()", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DeformConv2d.builder().output(8).kernel(3, 3).build());
        assertEquals("the input shape is not set: call input(n, c, h, w) before build()", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conv2d.builder().input(1, 64, 56, 56).build());
        assertEquals("the output channels are not set: call output(k) before build()", e.getMessage());
        // a value that was set is the caller's, and named as such
        e = assertThrows(IllegalArgumentException.class, () -> Conv2d.builder().input(1, 0, 56, 56).output(8).build());
        assertEquals("c=0 must be at least 1", e.getMessage());
    }

    // ------------------------------------------------------------ rejected tensors

    @Test
    void tensorOfRejectsAWrongLength() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("5") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("6"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[7], 2, 3));
        assertTrue(e.getMessage().contains("7"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(null, 2, 3));
        assertTrue(e.getMessage().contains("null"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[0], 2, 0, 3));
        assertTrue(e.getMessage().contains("dimension 1 is 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[1]));
        assertTrue(e.getMessage().contains("at least one dimension"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(FloatBuffer.allocate(5), 2, 3));
        assertTrue(e.getMessage().contains("5 elements remaining"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.convcl.testing.BadArgs#cases")
    void validateForRejectsMismatchedTensorsNamingThem(BadArgs.Case bad) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bad.args().validateFor(bad.spec()));
        assertTrue(e.getMessage().contains(bad.expectedInMessage()), "message '" + e.getMessage()
                + "' should contain '" + bad.expectedInMessage() + "'");
    }

    @Test
    void validateForAcceptsTheRightTensors() {
        for (BadArgs.Case bad : BadArgs.cases().toList()) {
            BadArgs.valid(bad.spec()).validateFor(bad.spec()); // throws if the baseline is itself wrong
        }
    }

    /** The one-line message with which {@link Operation#parse} refuses {@code line}. */
    private static String refusal(String line) {
        return assertThrows(IllegalArgumentException.class, () -> Operation.parse(line)).getMessage();
    }
}
