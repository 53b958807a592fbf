package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Conv2d;
import dev.convcl.Convolution;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Where a GPU runs the untuned gemm tile and where the direct kernel
 * ({@link GemmDefaults#gpuPrefersDirect}), on the device the rule was measured on: an NVIDIA H200
 * as NVIDIA's OpenCL driver reports it (132 compute units, 48 KiB local memory, work-groups up to
 * 1024, vector width 1). Each line is a layer of the bundled suite at the batch it was timed, and
 * the kernel that ran it faster there: every dense, dilated, 1x1, grouped and asymmetric layer at
 * batch 1 and 32, the direct kernel from the first run and the lm tile from the second
 * (docs/gpu/2026-11-30-h200; medians on device tensors in the comments).
 */
class GemmGpuChoiceTest {

    static final OpenClDeviceInfo H200 = new OpenClDeviceInfo(0, "NVIDIA CUDA", "NVIDIA H200", "NVIDIA Corporation",
            "GPU", "580.159.04", "OpenCL 3.0 CUDA", "OpenCL C 1.2", 132, 1980, 150L << 30, 48 << 10, 35L << 30, 1024,
            false, true, 1, 1, null, null);

    @ParameterizedTest(name = "{0} n={1}: {2}")
    @CsvSource(delimiter = '|', value = {
        // layer                                                           | n  | faster
        "c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1       | 1  | direct", // resnet50.res2.3x3: direct 0.086 ms, gemm-lm-64x64-wg16x16 0.113 ms
        "c=128 h=28 w=28 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1     | 1  | direct", // resnet50.res3.3x3: direct 0.082 ms, gemm-lm-64x64-wg16x16 0.190 ms
        "c=256 h=14 w=14 k=256 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1     | 1  | direct", // resnet50.res4.3x3: direct 0.130 ms, gemm-lm-64x64-wg16x16 0.346 ms
        "c=256 h=56 w=56 k=64 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1      | 1  | gemm  ", // resnet50.res2.1x1: direct 0.079 ms, gemm-lm-64x64-wg16x16 0.062 ms
        "c=256 h=56 w=56 k=512 kh=1 kw=1 stride=2 pad=0 dil=1 groups=1     | 1  | gemm  ", // resnet50.res3.proj: direct 0.108 ms, gemm-lm-64x64-wg16x16 0.061 ms
        "c=3 h=224 w=224 k=64 kh=7 kw=7 stride=2 pad=3 dil=1 groups=1      | 1  | gemm  ", // resnet50.conv1: direct 0.086 ms, gemm-lm-64x64-wg16x16 0.061 ms
        "c=256 h=28 w=28 k=256 kh=3 kw=3 stride=1 pad=2 dil=2 groups=1     | 1  | direct", // drn.conv4.dil2: direct 0.296 ms, gemm-lm-64x64-wg16x16 0.349 ms
        "c=512 h=28 w=28 k=512 kh=3 kw=3 stride=1 pad=4 dil=4 groups=1     | 1  | gemm  ", // drn.conv5.dil4: direct 0.765 ms, gemm-lm-64x64-wg16x16 0.645 ms
        "c=512 h=28 w=28 k=512 kh=3 kw=3 stride=1 pad=2 dil=2 groups=1     | 1  | gemm  ", // drn.conv6.dil2: direct 0.761 ms, gemm-lm-64x64-wg16x16 0.642 ms
        "c=128 h=56 w=56 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32    | 1  | direct", // resnext50.res2.g32: direct 0.027 ms, gemm-lm-16x64-wg8x16 0.054 ms
        "c=256 h=28 w=28 k=256 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32    | 1  | direct", // resnext50.res3.g32: direct 0.031 ms, gemm-lm-16x64-wg8x16 0.049 ms
        "c=512 h=14 w=14 k=512 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32    | 1  | direct", // resnext50.res4.g32: direct 0.034 ms, gemm-lm-64x64-wg16x16 0.057 ms
        "c=144 h=56 w=56 k=24 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1      | 1  | direct", // mobilenetv2.pw3: direct 0.034 ms, gemm-lm-64x64-wg16x16 0.040 ms
        "c=128 h=17 w=17 k=128 kh=1 kw=7 stride=1 pad=0,3 dil=1 groups=1   | 1  | direct", // inception3.1x7: direct 0.058 ms, gemm-lm-64x64-wg16x16 0.147 ms
        "c=128 h=17 w=17 k=192 kh=7 kw=1 stride=1 pad=3,0 dil=1 groups=1   | 1  | direct", // inception3.7x1: direct 0.104 ms, gemm-lm-64x64-wg16x16 0.157 ms
        "c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1       | 32 | gemm  ", // resnet50.res2.3x3: direct 1.370 ms, gemm-lm-64x64-wg16x16 0.487 ms
        "c=128 h=28 w=28 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1     | 32 | gemm  ", // resnet50.res3.3x3: direct 1.318 ms, gemm-lm-64x64-wg16x16 0.537 ms
        "c=256 h=14 w=14 k=256 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1     | 32 | gemm  ", // resnet50.res4.3x3: direct 2.525 ms, gemm-lm-64x64-wg16x16 0.613 ms
        "c=256 h=56 w=56 k=64 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1      | 32 | gemm  ", // resnet50.res2.1x1: direct 1.563 ms, gemm-lm-64x64-wg16x16 0.223 ms
        "c=256 h=56 w=56 k=512 kh=1 kw=1 stride=2 pad=0 dil=1 groups=1     | 32 | gemm  ", // resnet50.res3.proj: direct 2.620 ms, gemm-lm-64x64-wg16x16 0.414 ms
        "c=3 h=224 w=224 k=64 kh=7 kw=7 stride=2 pad=3 dil=1 groups=1      | 32 | gemm  ", // resnet50.conv1: direct 1.816 ms, gemm-lm-64x64-wg16x16 0.453 ms
        "c=256 h=28 w=28 k=256 kh=3 kw=3 stride=1 pad=2 dil=2 groups=1     | 32 | gemm  ", // drn.conv4.dil2: direct 5.120 ms, gemm-lm-64x64-wg16x16 1.793 ms
        "c=512 h=28 w=28 k=512 kh=3 kw=3 stride=1 pad=4 dil=4 groups=1     | 32 | gemm  ", // drn.conv5.dil4: direct 19.590 ms, gemm-lm-64x64-wg16x16 6.487 ms
        "c=512 h=28 w=28 k=512 kh=3 kw=3 stride=1 pad=2 dil=2 groups=1     | 32 | gemm  ", // drn.conv6.dil2: direct 20.132 ms, gemm-lm-64x64-wg16x16 6.430 ms
        "c=128 h=56 w=56 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32    | 32 | direct", // resnext50.res2.g32: direct 0.243 ms, gemm-lm-16x64-wg8x16 0.597 ms
        "c=256 h=28 w=28 k=256 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32    | 32 | direct", // resnext50.res3.g32: direct 0.220 ms, gemm-lm-16x64-wg8x16 0.381 ms
        "c=512 h=14 w=14 k=512 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32    | 32 | direct", // resnext50.res4.g32: direct 0.351 ms, gemm-lm-64x64-wg16x16 0.408 ms
        "c=144 h=56 w=56 k=24 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1      | 32 | gemm  ", // mobilenetv2.pw3: direct 0.329 ms, gemm-lm-64x64-wg16x16 0.136 ms
        "c=128 h=17 w=17 k=128 kh=1 kw=7 stride=1 pad=0,3 dil=1 groups=1   | 32 | gemm  ", // inception3.1x7: direct 0.641 ms, gemm-lm-64x64-wg16x16 0.231 ms
        "c=128 h=17 w=17 k=192 kh=7 kw=1 stride=1 pad=3,0 dil=1 groups=1   | 32 | gemm  ", // inception3.7x1: direct 1.399 ms, gemm-lm-64x64-wg16x16 0.273 ms
    })
    void theFasterKernelOfTheH200RunsEachLayer(String layer, int n, String faster) {
        Convolution c = Conv2d.parse("op=conv2d n=" + n + " " + layer.strip() + " bias=1");
        GemmConfig tile = GemmConfig.parse(KernelFamily.GEMM.defaultConfig(c, H200).orElseThrow());
        Optional<String> why = GemmDefaults.gpuPrefersDirect(c, tile, H200.computeUnits());
        assertEquals(faster, why.isPresent() ? "direct" : "gemm", () -> c + " with " + tile + ": " + why.orElse("tile"));
        why.ifPresent(w -> assertTrue(w.contains(tile.toString()), w));
    }
}
