/*
 * depthwise_map.cl: depthwise 2-D convolution (groups == C, channel multiplier KG = K / C) of a
 * small map, NCHW, PyTorch conv2d semantics: the depthwise-map implementation, for outputs whose
 * rows fit one vector (MobileNet's and ShuffleNet's 14x14 and 7x7 stages, at stride 1 or 2).
 *
 * A work-item computes whole (n, k) output planes, CB of them in turn, each in OUT_H vectors of VW
 * outputs held in registers (one vector per output row, lanes past OUT_W unused). It reads every
 * input row once, from global memory, with no local-memory copy and no barrier: for each kernel
 * column j it loads the vector of the inputs that tap j reads for the row's VW outputs (lane x
 * reads input column x*SW + j*DW - PW, zero where that column lies in the padding), then adds its
 * product with the broadcast weight (i, j) into every output row that input row feeds through
 * kernel row i. The map's sizes are build options and every loop is unrolled, so which lanes read
 * padding and which output rows an input row feeds are compile-time constants: nothing is tested
 * per element, and at stride 1 the compiler turns a tap's lane loads into vector loads.
 * The staged and row-reuse kernels (depthwise.cl) spend a 14- or 7-wide plane's time copying its
 * rows into local memory and on per-work-group set-up; POCL measured 3-5x faster with this one on
 * MobileNetV2's 14x14 and 7x7 layers (docs/performance-notes.md, "Small depthwise maps").
 *
 * Padding reads as zero and is multiplied like any input, so a NaN or infinite weight gives NaN
 * wherever one of its taps falls on the padding, and an input NaN reaches exactly the outputs
 * whose windows hold it, as in PyTorch.
 *
 * Build options (-D), besides the prelude's (REAL, REAL_BYTES, HAS_BIAS, POST_N, POSTi_*: the
 * element type and the epilogue, see prelude.h):
 *   KH, KW         kernel height and width
 *   SH, SW         stride
 *   PH, PW         zero padding above and left of the input (below and right: implied by OUT_H, OUT_W)
 *   DH, DW         dilation
 *   KG             output channels per input channel; output k reads input channel k / KG
 *   MAP_H, MAP_W   input height and width
 *   OUT_H, OUT_W   output height and width: OUT_W <= VW, OUT_H <= 16 (the accumulators)
 *   VW             outputs per vector: 1, 2, 4, 8 or 16 (the prelude's realv)
 *   CB             (n, k) planes a work-item computes in turn
 * Kernel arguments: input, weight, bias (any buffer without HAS_BIAS), sum (the sum post-op's
 *   tensor, of the output's shape; any buffer without one), output, N, C, H, W, K, OH, OW (the
 *   sizes are those of the build options; only N and K are read).
 * NDRange: global (ceil(N*K / CB)), local (1).
 * Local memory: none.
 */

#if OUT_W > VW || OUT_H > 16
#error "depthwise_map.cl needs OUT_W <= VW and OUT_H <= 16"
#endif

/* Input column of lane x for kernel column j, and that input (zero in the padding or past OUT_W). */
#define MAP_IX(x, j) ((x) * SW + (j) * DW - PW)
#define MAP_IN(p, x, j) ((x) < OUT_W && MAP_IX(x, j) >= 0 && MAP_IX(x, j) < MAP_W ? (p)[MAP_IX(x, j)] : (real)0.0f)

/* The vector of tap j's inputs of the row at p, lane x the input of output column x. */
#if VW == 16
#define TAP_INPUTS(p, j)                                                                           \
    ((realv)(MAP_IN(p, 0, j), MAP_IN(p, 1, j), MAP_IN(p, 2, j), MAP_IN(p, 3, j), MAP_IN(p, 4, j),    \
             MAP_IN(p, 5, j), MAP_IN(p, 6, j), MAP_IN(p, 7, j), MAP_IN(p, 8, j), MAP_IN(p, 9, j),    \
             MAP_IN(p, 10, j), MAP_IN(p, 11, j), MAP_IN(p, 12, j), MAP_IN(p, 13, j),                 \
             MAP_IN(p, 14, j), MAP_IN(p, 15, j)))
#elif VW == 8
#define TAP_INPUTS(p, j)                                                                           \
    ((realv)(MAP_IN(p, 0, j), MAP_IN(p, 1, j), MAP_IN(p, 2, j), MAP_IN(p, 3, j), MAP_IN(p, 4, j),    \
             MAP_IN(p, 5, j), MAP_IN(p, 6, j), MAP_IN(p, 7, j)))
#elif VW == 4
#define TAP_INPUTS(p, j) ((realv)(MAP_IN(p, 0, j), MAP_IN(p, 1, j), MAP_IN(p, 2, j), MAP_IN(p, 3, j)))
#elif VW == 2
#define TAP_INPUTS(p, j) ((realv)(MAP_IN(p, 0, j), MAP_IN(p, 1, j)))
#else
#define TAP_INPUTS(p, j) (MAP_IN(p, 0, j))
#endif

__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void depthwise_map(__global const real* restrict input,
                   CONV_TAIL_ARGS)
{
    const int nk0 = (int)get_global_id(0) * CB;
    const int nk1 = min(nk0 + CB, N * K);
    for (int nk = nk0; nk < nk1; ++nk) {
        const int n = nk / K;
        const int k = nk - n * K;
        const __global real* img = input + ((size_t)n * C + k / KG) * (MAP_H * MAP_W);
        const __global real* wt = weight + (size_t)k * (KH * KW);
        real w[KH * KW];
#pragma unroll
        for (int t = 0; t < KH * KW; ++t) {
            w[t] = wt[t];
        }
        realv acc[OUT_H];
#pragma unroll
        for (int oy = 0; oy < OUT_H; ++oy) {
            acc[oy] = (realv)(0.0f);
        }
        /* Input row iy feeds output row oy through kernel row i when iy = oy*SH - PH + i*DH. */
#pragma unroll
        for (int iy = 0; iy < MAP_H; ++iy) {
            const __global real* row = img + iy * MAP_W;
#pragma unroll
            for (int j = 0; j < KW; ++j) {
                const realv x = TAP_INPUTS(row, j);
#pragma unroll
                for (int i = 0; i < KH; ++i) {
                    const int t = iy + PH - i * DH;
                    if (t >= 0 && t % SH == 0 && t / SH < OUT_H) {
                        acc[t / SH] = VFMA((realv)(w[i * KW + j]), x, acc[t / SH]);
                    }
                }
            }
        }
        /* Output rows above the image's first row or below its last read only padding: their
           taps multiply zeros, which the loop above skipped (0 unless a weight is NaN or infinite). */
#pragma unroll
        for (int oy = 0; oy < OUT_H; ++oy) {
#pragma unroll
            for (int i = 0; i < KH; ++i) {
                const int iy = oy * SH - PH + i * DH;
                if (iy < 0 || iy >= MAP_H) {
#pragma unroll
                    for (int j = 0; j < KW; ++j) {
                        acc[oy] = VFMA((realv)(w[i * KW + j]), (realv)(0.0f), acc[oy]);
                    }
                }
            }
        }
        /* Epilogue: a row's OUT_W outputs, as a whole vector when it is as wide. */
#pragma unroll
        for (int oy = 0; oy < OUT_H; ++oy) {
            const size_t row0 = ((size_t)nk * OUT_H + oy) * OUT_W;
            realv r = acc[oy];
            if (OUT_W == VW) {
                EPILOGUE(realv, VW, r, bias[k], VLOAD(sum + row0));
                VSTORE(r, output + row0);
            } else {
                EPILOGUE_STORE_HEAD(r, bias[k], sum + row0, output + row0, OUT_W);
            }
        }
    }
}
