package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Conv2d;
import dev.convcl.Convolution;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Where a GPU runs the untuned gemm tile, which tile, and where the direct kernel
 * ({@link GemmDefaults#of(Convolution, boolean, int, int, int)}, {@link GemmDefaults#gpuPrefersDirect}),
 * on the device the rule was measured on: an NVIDIA H200 as NVIDIA's OpenCL driver reports it (132
 * compute units, 48 KiB local memory, work-groups up to 1024, vector width 1). Each line is a layer
 * at the batch it was timed and the kernel the rule gives it: {@code direct}, {@code gemm-64} (the
 * 64x64 tile) or {@code gemm-32} (the 32x32 tile). The comments give the medians on device tensors
 * (kernel time in brackets) from docs/gpu/2026-11-30-h200 (the direct kernel in run 1, the 64x64
 * tile in run 2) and docs/gpu/2026-12-04-h200 (the rule of 11-30 in run1, the 32x32 tile after
 * `convcl tune` in run1-tuned, each network's layers with --layers). Every line whose comment names
 * both kernels' times has the faster of them, except resnet50.res2.3x3 at batch 1, where the 32x32
 * tile's kernel is the faster and its call (two more commands: the padded copy of the input) the
 * slower; lines marked "not measured" hold what the rule predicts from its neighbours.
 */
class GemmGpuChoiceTest {

    static final OpenClDeviceInfo H200 = new OpenClDeviceInfo(0, "NVIDIA CUDA", "NVIDIA H200", "NVIDIA Corporation",
            "GPU", "580.159.04", "OpenCL 3.0 CUDA", "OpenCL C 1.2", 132, 1980, 150L << 30, 48 << 10, 35L << 30, 1024,
            false, true, 1, 1, null, null);

    @ParameterizedTest(name = "{0} n={1}: {2}")
    @CsvSource(delimiter = '|', value = {
        // layer                                                           | n  | rule
        "c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1       | 1  | gemm-32", // resnet50.res2.3x3: direct 0.084 (0.066), gemm-32 0.099 (0.062), gemm-64 0.113
        "c=128 h=28 w=28 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1     | 1  | gemm-32", // resnet50.res3.3x3: direct 0.082, gemm-64 0.190; gemm-32 (100 work-groups) not measured
        "c=256 h=14 w=14 k=256 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1     | 1  | direct ", // resnet50.res4.3x3: direct 0.129, gemm-64 0.346
        "c=256 h=56 w=56 k=64 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1      | 1  | gemm-32", // resnet50.res2.1x1: gemm-32 0.050 (0.035), gemm-64 0.060 (0.048), direct 0.079
        "c=256 h=56 w=56 k=512 kh=1 kw=1 stride=2 pad=0 dil=1 groups=1     | 1  | gemm-64", // resnet50.res3.proj: gemm-64 0.061, direct 0.108
        "c=3 h=224 w=224 k=64 kh=7 kw=7 stride=2 pad=3 dil=1 groups=1      | 1  | gemm-64", // resnet50.conv1: gemm-64 0.061, direct 0.086
        "c=256 h=28 w=28 k=256 kh=3 kw=3 stride=1 pad=2 dil=2 groups=1     | 1  | gemm-32", // drn.conv4.dil2: gemm-32 0.261 (0.224), direct 0.295 (0.283), gemm-64 0.349
        "c=512 h=28 w=28 k=512 kh=3 kw=3 stride=1 pad=4 dil=4 groups=1     | 1  | gemm-64", // drn.conv5.dil4: gemm-64 0.645, direct 0.765
        "c=512 h=28 w=28 k=512 kh=3 kw=3 stride=1 pad=2 dil=2 groups=1     | 1  | gemm-64", // drn.conv6.dil2: gemm-64 0.642, direct 0.761
        "c=128 h=56 w=56 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32    | 1  | direct ", // resnext50.res2.g32: direct 0.027, gemm-lm-16x64-wg8x16 0.054, cm tile 0.033
        "c=256 h=28 w=28 k=256 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32    | 1  | direct ", // resnext50.res3.g32: direct 0.031, gemm-lm-16x64-wg8x16 0.049
        "c=512 h=14 w=14 k=512 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32    | 1  | direct ", // resnext50.res4.g32: direct 0.034, gemm-64 0.057
        "c=144 h=56 w=56 k=24 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1      | 1  | direct ", // mobilenetv2.pw3: direct 0.034, gemm-64 0.040
        "c=128 h=17 w=17 k=128 kh=1 kw=7 stride=1 pad=0,3 dil=1 groups=1   | 1  | direct ", // inception3.1x7: direct 0.058, gemm-64 0.147
        "c=128 h=17 w=17 k=192 kh=7 kw=1 stride=1 pad=3,0 dil=1 groups=1   | 1  | direct ", // inception3.7x1: direct 0.104, gemm-64 0.157
        "c=960 h=7 w=7 k=160 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1       | 1  | direct ", // MobileNetV2's 1x1: gemm-64 (0.135, 3 work-groups); the network 1.49 ms all on direct, 1.83 with it; not measured alone
        "c=768 h=17 w=17 k=192 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1     | 1  | direct ", // Inception's 1x1: gemm-64 (0.115-0.120, 15 work-groups); direct not measured
        "c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1       | 32 | gemm-64", // resnet50.res2.3x3: direct 1.370, gemm-64 0.487
        "c=128 h=28 w=28 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1     | 32 | gemm-64", // resnet50.res3.3x3: direct 1.318, gemm-64 0.537
        "c=256 h=14 w=14 k=256 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1     | 32 | gemm-64", // resnet50.res4.3x3: direct 2.525, gemm-64 0.613
        "c=256 h=56 w=56 k=64 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1      | 32 | gemm-64", // resnet50.res2.1x1: direct 1.563, gemm-64 0.223
        "c=256 h=56 w=56 k=512 kh=1 kw=1 stride=2 pad=0 dil=1 groups=1     | 32 | gemm-64", // resnet50.res3.proj: direct 2.620, gemm-64 0.414
        "c=3 h=224 w=224 k=64 kh=7 kw=7 stride=2 pad=3 dil=1 groups=1      | 32 | gemm-64", // resnet50.conv1: direct 1.816, gemm-64 0.453
        "c=256 h=28 w=28 k=256 kh=3 kw=3 stride=1 pad=2 dil=2 groups=1     | 32 | gemm-64", // drn.conv4.dil2: direct 5.120, gemm-64 1.793
        "c=512 h=28 w=28 k=512 kh=3 kw=3 stride=1 pad=4 dil=4 groups=1     | 32 | gemm-64", // drn.conv5.dil4: direct 19.590, gemm-64 6.487
        "c=512 h=28 w=28 k=512 kh=3 kw=3 stride=1 pad=2 dil=2 groups=1     | 32 | gemm-64", // drn.conv6.dil2: direct 20.132, gemm-64 6.430
        "c=128 h=56 w=56 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32    | 32 | direct ", // resnext50.res2.g32: direct 0.243, gemm-lm-16x64-wg8x16 0.597
        "c=256 h=28 w=28 k=256 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32    | 32 | direct ", // resnext50.res3.g32: direct 0.220, gemm-lm-16x64-wg8x16 0.381
        "c=512 h=14 w=14 k=512 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32    | 32 | direct ", // resnext50.res4.g32: direct 0.351, gemm-64 0.408
        "c=144 h=56 w=56 k=24 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1      | 32 | gemm-64", // mobilenetv2.pw3: direct 0.329, gemm-64 0.136
        "c=128 h=17 w=17 k=128 kh=1 kw=7 stride=1 pad=0,3 dil=1 groups=1   | 32 | gemm-64", // inception3.1x7: direct 0.641, gemm-64 0.231
        "c=128 h=17 w=17 k=192 kh=7 kw=1 stride=1 pad=3,0 dil=1 groups=1   | 32 | gemm-64", // inception3.7x1: direct 1.399, gemm-64 0.273
        "c=512 h=7 w=7 k=512 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1       | 8  | gemm-32", // ResNet-18's layer4 3x3: direct 1.30 (1.4 TFLOP/s); the tile not measured on it (its 14x14 layer3: gemm-64 0.31)
        "c=448 h=8 w=8 k=384 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1       | 8  | gemm-32", // Inception's 8x8 3x3: direct 1.00 (1.6 TFLOP/s); the tile not measured on it
        "c=1024 h=7 w=7 k=1024 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32    | 1  | direct ", // ResNeXt-50's res5 grouped 3x3: not measured alone; grouped layers ran
        "c=1024 h=7 w=7 k=1024 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32    | 2  | direct ", //   1.2-2.5x faster on direct at batch 1 and 32 (res2-res4 above), so every
        "c=1024 h=7 w=7 k=1024 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32    | 4  | direct ", //   batch stays there (they keep the 64x64 tile, whose rows are half empty)
    })
    void theRuleGivesEachMeasuredLayerItsKernel(String layer, int n, String rule) {
        Convolution c = Conv2d.parse("op=conv2d n=" + n + " " + layer.strip() + " bias=1");
        GemmConfig tile = GemmConfig.parse(KernelFamily.GEMM.defaultConfig(c, H200).orElseThrow());
        Optional<String> why = GemmDefaults.gpuPrefersDirect(c, tile, H200.computeUnits());
        String kernel = why.isPresent() ? "direct" : "gemm-" + tile.tm();
        assertEquals(rule.strip(), kernel, () -> c + " with " + tile + ": " + why.orElse("tile"));
        why.ifPresent(w -> assertTrue(w.contains(tile.toString()), w));
        assertEquals(why, GemmDefaults.untunedPrefersDirect(c, H200), "what the tuner times as the defaults");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=1 | 1",
        "c=128 h=56 w=56 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32 bias=1 | 1",
        "c=512 h=7 w=7 k=512 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 bias=1 | 8",
    })
    void aCpuLikeDeviceNeverPrefersDirectAndKeepsItsRegisterTiles(String layer, int n) {
        Convolution c = Conv2d.parse("op=conv2d n=" + n + " " + layer.strip());
        OpenClDeviceInfo cpu = new OpenClDeviceInfo(0, "Portable Computing Language", "pthread-skylake-avx512",
                "AuthenticAMD", "CPU", "3.1", "OpenCL 3.0 PoCL", "OpenCL C 1.2 PoCL", 2, 2100, 16L << 30, 512 << 10,
                8L << 30, 4096, false, true, 16, 16, null, null);
        assertEquals(Optional.empty(), GemmDefaults.untunedPrefersDirect(c, cpu), c::toString);
        assertTrue(GemmConfig.parse(KernelFamily.GEMM.defaultConfig(c, cpu).orElseThrow()).kind() != GemmConfig.Kind.LM,
                c::toString);
    }

    @ParameterizedTest(name = "{0} work-groups of 64x64 on {1} compute units")
    @CsvSource(delimiter = '|', value = {
        // layer (n=1)                                          | compute units | 64x64 work-groups | tile
        "c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 groups=1  | 132 | 49  | 32",
        "c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 groups=1  | 65  | 49  | 64", // 4 * 49 >= 3 * 65
        "c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 groups=1  | 66  | 49  | 32", // 4 * 49 <  3 * 66
        "c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 groups=1  | 0   | 49  | 64", // unknown: the 64x64 tile
        "c=3 h=224 w=224 k=64 kh=7 kw=7 stride=2 pad=3 groups=1 | 132 | 196 | 64",
    })
    void theSmallTileTakesOverWhereTheLargeOneLeavesAQuarterOfTheComputeUnitsIdle(String layer, int cu, long groups,
                                                                                 int tm) {
        Convolution c = Conv2d.parse("op=conv2d n=1 " + layer.strip() + " dil=1 bias=1");
        assertEquals(groups, GemmDefaults.workGroups(c, GemmDefaults.GPU_TILE), c::toString);
        assertEquals(tm, GemmDefaults.of(c, false, 1, 8, cu).tm(), () -> c + " on " + cu + " compute units");
    }
}
