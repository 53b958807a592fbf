/*
 * depthwise_map.cl: depthwise 2-D convolution (groups == C, channel multiplier KG = K / C) of a
 * map whose output rows a few vectors hold, NCHW, PyTorch conv2d semantics: the depthwise-map
 * implementation (MobileNet's and ShuffleNet's 28x28, 14x14 and 7x7 stages, at stride 1 or 2).
 *
 * A work-item computes TH output rows of the whole width (NV vectors of VW outputs each, lanes past
 * OUT_W unused) of CB (n, k) planes in turn, its accumulators in registers. It reads each input row
 * of its tile once, from global memory, with no local-memory copy and no barrier: for each output
 * vector and kernel column j it loads the vector of the inputs that tap j reads (lane x reads input
 * column x*SW + j*DW - PW, zero where that column lies in the padding), then adds its product with
 * the broadcast weight (i, j) into every output row of the tile that the input row feeds through
 * kernel row i. The map's sizes are build options and every loop is unrolled, so which lanes read
 * padding and which output rows an input row feeds are compile-time constants (with TH = OUT_H,
 * the whole plane, so are the rows outside the image): nothing is tested per element, and at
 * stride 1 the compiler turns a tap's lane loads into vector loads.
 * The staged and row-reuse kernels (depthwise.cl) spend a 14- or 7-wide plane's time copying its
 * rows into local memory and on per-work-group set-up; on POCL (AVX-512) this one ran MobileNetV2's
 * 14x14 and 7x7 layers 2-3.5x as fast, as whole planes in one vector a row; wider rows in several
 * vectors were no faster than the staged kernel (docs/performance-notes.md, "Small depthwise maps").
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
 *   OUT_H, OUT_W   output height and width
 *   VW             outputs per vector: 1, 2, 4, 8 or 16 (the prelude's realv)
 *   NV             vectors per output row: OUT_W <= VW * NV
 *   TH             output rows per work-item, at most 16 and at most OUT_H (TH = OUT_H: whole planes)
 *   CB             (n, k) planes a work-item computes in turn
 * Kernel arguments: input, weight, bias (any buffer without HAS_BIAS), sum (the sum post-op's
 *   tensor, of the output's shape; any buffer without one), output, N, C, H, W, K, OH, OW (the
 *   sizes are those of the build options; only N and K are read).
 * NDRange: global (ceil(N*K / CB), ceil(OUT_H / TH)), local (1, 1).
 * Local memory: none.
 */

#if OUT_W > VW * NV || TH > 16 || TH > OUT_H
#error "depthwise_map.cl needs OUT_W <= VW*NV and TH <= min(16, OUT_H)"
#endif

/* Input column of output column x for kernel column j, and that input (zero in the padding or past OUT_W). */
#define MAP_IX(x, j) ((x) * SW + (j) * DW - PW)
#define MAP_IN(p, x, j) ((x) < OUT_W && MAP_IX(x, j) >= 0 && MAP_IX(x, j) < MAP_W ? (p)[MAP_IX(x, j)] : (real)0.0f)
#define LANE(p, v, l, j) MAP_IN(p, (v) * VW + (l), j)

/* The vector of tap j's inputs for output vector v of the row at p, lane l the input of output column v*VW + l. */
#if VW == 16
#define TAP_INPUTS(p, v, j)                                                                        \
    ((realv)(LANE(p, v, 0, j), LANE(p, v, 1, j), LANE(p, v, 2, j), LANE(p, v, 3, j),                 \
             LANE(p, v, 4, j), LANE(p, v, 5, j), LANE(p, v, 6, j), LANE(p, v, 7, j),                 \
             LANE(p, v, 8, j), LANE(p, v, 9, j), LANE(p, v, 10, j), LANE(p, v, 11, j),               \
             LANE(p, v, 12, j), LANE(p, v, 13, j), LANE(p, v, 14, j), LANE(p, v, 15, j)))
#elif VW == 8
#define TAP_INPUTS(p, v, j)                                                                        \
    ((realv)(LANE(p, v, 0, j), LANE(p, v, 1, j), LANE(p, v, 2, j), LANE(p, v, 3, j),                 \
             LANE(p, v, 4, j), LANE(p, v, 5, j), LANE(p, v, 6, j), LANE(p, v, 7, j)))
#elif VW == 4
#define TAP_INPUTS(p, v, j)                                                                        \
    ((realv)(LANE(p, v, 0, j), LANE(p, v, 1, j), LANE(p, v, 2, j), LANE(p, v, 3, j)))
#elif VW == 2
#define TAP_INPUTS(p, v, j) ((realv)(LANE(p, v, 0, j), LANE(p, v, 1, j)))
#else
#define TAP_INPUTS(p, v, j) (LANE(p, v, 0, j))
#endif

/* Whether the tile is the whole plane: then its first row is 0 and every row test below is a
   compile-time constant. */
#define WHOLE_PLANE (TH == OUT_H)
/* Input rows a tile of TH output rows reads. */
#define TILE_ROWS ((TH - 1) * SH + (KH - 1) * DH + 1)

__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void depthwise_map(__global const real* restrict input,
                   CONV_TAIL_ARGS)
{
    const int nk0 = (int)get_global_id(0) * CB;
    const int nk1 = min(nk0 + CB, N * K);
    const int oy0 = WHOLE_PLANE ? 0 : (int)get_global_id(1) * TH;
    const int iy0 = oy0 * SH - PH; /* the input row of the tile's first output row's first tap */
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
        realv acc[TH][NV];
        TILE_ZERO(acc, TH, NV);
        /* Input row iy0 + r feeds output row oy0 + t through kernel row i when r = t*SH + i*DH. A
           row outside the image is padding: zeros, multiplied like inputs. */
#pragma unroll
        for (int r = 0; r < TILE_ROWS; ++r) {
            const int iy = iy0 + r;
            const bool inside = iy >= 0 && iy < MAP_H;
            const __global real* row = img + iy * MAP_W;
#pragma unroll
            for (int v = 0; v < NV; ++v) {
#pragma unroll
                for (int j = 0; j < KW; ++j) {
                    realv x = (realv)(0.0f);
                    if (inside) {
                        x = TAP_INPUTS(row, v, j);
                    }
#pragma unroll
                    for (int i = 0; i < KH; ++i) {
                        const int t = r - i * DH;
                        if (t >= 0 && t % SH == 0 && t / SH < TH) {
                            acc[t / SH][v] = VFMA((realv)(w[i * KW + j]), x, acc[t / SH][v]);
                        }
                    }
                }
            }
        }
        /* Epilogue: whole vectors inside the row at once, then the row's last, partial vector. */
#pragma unroll
        for (int t = 0; t < TH; ++t) {
            const int oy = oy0 + t;
            if (!WHOLE_PLANE && oy >= OUT_H) {
                break;
            }
            const size_t row0 = ((size_t)nk * OUT_H + oy) * OUT_W;
#pragma unroll
            for (int v = 0; v < NV; ++v) {
                realv r = acc[t][v];
                const int ox = v * VW;
                if (ox >= OUT_W) {
                    break; /* a tile with more vectors than the row takes */
                }
                if (ox + VW <= OUT_W) {
                    EPILOGUE(realv, VW, r, bias[k], VLOAD(sum + row0 + ox));
                    VSTORE(r, output + row0 + ox);
                } else {
                    EPILOGUE_STORE_HEAD(r, bias[k], sum + row0 + ox, output + row0 + ox, OUT_W - ox);
                }
            }
        }
    }
}
