/*
 * depthwise_map.cl: depthwise 2-D convolution (groups == C, channel multiplier KG = K / C) of a
 * map whose output rows a few vectors hold, NCHW, PyTorch conv2d semantics: the depthwise-map
 * implementation (MobileNet's and ShuffleNet's 28x28, 14x14 and 7x7 stages, at stride 1 or 2).
 *
 * A work-item computes TH output rows of the whole width (NV vectors of VW outputs each, lanes past
 * OUT_W unused) of CB (n, k) planes in turn, its accumulators in registers. It reads each input row
 * of its tile once, from global memory, with no local-memory copy and no barrier, and adds each
 * tap's input vector, times the broadcast weight (i, j), into every output row of the tile that the
 * input row feeds through kernel row i. The map's sizes are build options and every loop is
 * unrolled, so which lanes read padding and which output rows an input row feeds are compile-time
 * constants (with TH = OUT_H, the whole plane, so are the rows outside the image): nothing is
 * tested per element.
 * How a tap's input vector (lane x: input column x*SW + j*DW - PW, zero in the padding) is made:
 *  - register rows (stride 1 or 2 along x, VW >= 2, KW <= 9, a clang-based compiler such as
 *    POCL's): the input row is loaded once as vectors of VW consecutive columns from its start
 *    (vloadn, no alignment assumed; the last one lane by lane, zeros past MAP_W); at
 *    stride 2 each pair of them is split into its even and odd columns; each tap's vector is then
 *    a constant lane shift of two neighbouring vectors (__builtin_shufflevector: one permute), the
 *    vectors left of the row and past its end zeros. No unaligned or lane-by-lane load in the loop.
 *  - lane loads (any other stride, VW = 1, kernels wider than 9, other compilers): the vector is
 *    built lane by lane from
 *    the row, the padding lanes compile-time zeros; at stride 1 the compiler makes vector loads.
 * The staged and row-reuse kernels (depthwise.cl) spend a 14- or 7-wide plane's time copying its
 * rows into local memory and on per-work-group set-up; on POCL (AVX-512) this one with lane loads ran
 * MobileNetV2's 14x14 and 7x7 layers 2-3.5x as fast, as whole planes in one vector a row, but rows
 * of several vectors no faster than the staged kernel and at stride 2 three times slower; with
 * register rows the 28-, 56- and 112-wide rows of MobileNetV2 ran 1.3-2x as fast as the staged and
 * row-reuse kernels, at stride 1 and 2 (docs/performance-notes.md, "Small depthwise maps" and
 * "Register rows").
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
 * NDRange: 1-D, global ceil(OUT_H / TH) * ceil(N*K / CB), local 1: work-item g computes row tile
 *   g % ceil(OUT_H / TH) of plane block g / ceil(OUT_H / TH). So a CPU runtime, which runs
 *   consecutive work-groups in turn, reads each plane's rows in order (the halo rows of the tile
 *   before still in its caches) instead of one tile of every plane in turn, a page apart: 2.1-2.2x
 *   as fast for MobileNetV2's 144x56x56 layer at batch 32 on POCL (memory-bound there), 1.3-1.5x at
 *   batch 8 (docs/performance-notes.md, "Depthwise row tiles in plane order"). One dimension, as
 *   the planes-first 2-D range had them in its first: a GPU runtime may bound the work-groups of
 *   its other dimensions (CUDA's grids, under NVIDIA's OpenCL: 65535).
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

/* Register rows: see the header. */
#if defined(__clang__) && (SW == 1 || SW == 2) && VW >= 2 && KW <= 9
#define REG_ROWS 1
#else
#define REG_ROWS 0
#endif

#if REG_ROWS
#define NA ((MAP_W + VW - 1) / VW) /* aligned vectors of an input row */
/* Vector u of input row p: lanes past MAP_W zero. */
#define ROW_LANE(p, u, l) ((u) * VW + (l) < MAP_W ? (p)[(u) * VW + (l)] : (real)0.0f)
#if VW == 16
#define ROW_TAIL(p, u)                                                                             \
    ((realv)(ROW_LANE(p, u, 0), ROW_LANE(p, u, 1), ROW_LANE(p, u, 2), ROW_LANE(p, u, 3),             \
             ROW_LANE(p, u, 4), ROW_LANE(p, u, 5), ROW_LANE(p, u, 6), ROW_LANE(p, u, 7),             \
             ROW_LANE(p, u, 8), ROW_LANE(p, u, 9), ROW_LANE(p, u, 10), ROW_LANE(p, u, 11),           \
             ROW_LANE(p, u, 12), ROW_LANE(p, u, 13), ROW_LANE(p, u, 14), ROW_LANE(p, u, 15)))
#elif VW == 8
#define ROW_TAIL(p, u)                                                                             \
    ((realv)(ROW_LANE(p, u, 0), ROW_LANE(p, u, 1), ROW_LANE(p, u, 2), ROW_LANE(p, u, 3),             \
             ROW_LANE(p, u, 4), ROW_LANE(p, u, 5), ROW_LANE(p, u, 6), ROW_LANE(p, u, 7)))
#elif VW == 4
#define ROW_TAIL(p, u) ((realv)(ROW_LANE(p, u, 0), ROW_LANE(p, u, 1), ROW_LANE(p, u, 2), ROW_LANE(p, u, 3)))
#else
#define ROW_TAIL(p, u) ((realv)(ROW_LANE(p, u, 0), ROW_LANE(p, u, 1)))
#endif
#define ROW_VECTOR(p, u) ((u) * VW + VW <= MAP_W ? VLOAD((p) + (u) * VW) : ROW_TAIL(p, u))

/* Lane indices of __builtin_shufflevector over two vectors: VW consecutive from s, and every
   second from p. */
#define RUN2(s) (s), (s) + 1
#define RUN4(s) RUN2(s), RUN2((s) + 2)
#define RUN8(s) RUN4(s), RUN4((s) + 4)
#define RUN16(s) RUN8(s), RUN8((s) + 8)
#define EVEN2(p) (p), (p) + 2
#define EVEN4(p) EVEN2(p), EVEN2((p) + 4)
#define EVEN8(p) EVEN4(p), EVEN4((p) + 8)
#define EVEN16(p) EVEN8(p), EVEN8((p) + 16)
#define RUN(s) CAT(RUN, VW)(s)
#define EVEN(p) CAT(EVEN, VW)(p)
/* The even (p = 0) or odd (p = 1) lanes of the concatenation (a, b); p a constant. */
#define PHASE_PAIR(a, b, p) __builtin_shufflevector(a, b, EVEN(p))

/* Floor division and remainder of constants by VW and by SW. */
#define FLOOR_DIV(a, d) ((a) >= 0 ? (a) / (d) : -((-(a) + (d) - 1) / (d)))
/* Aligned vector u of the row held in a[] (zeros left of the row and past its end). */
#define ROW_AT(u) ((u) >= 0 && (u) < NA ? a[(u) < 0 || (u) >= NA ? 0 : (u)] : (realv)(0.0f))
/* Vector m of the row's columns of phase ph (columns m*VW*SW + l*SW + ph, lane l), zeros outside
   the row. At stride 2 each phase's NP vectors are split from the row's once, into pv[ph][]. */
#if SW == 1
#define PHASE_AT(ph, m) ROW_AT(m)
#else
#define NP ((NA + 1) / 2)
#define PHASE_AT(ph, m) ((m) >= 0 && (m) < NP ? pv[ph][(m) < 0 || (m) >= NP ? 0 : (m)] : (realv)(0.0f))
#endif
/* Tap j's input vector for output vector v: lane l reads column (v*VW + l + q)*SW + ph, where
   j*DW - PW = q*SW + ph; that is lanes s .. s+VW-1 of phase ph's vectors m and m+1, where
   v*VW + q = m*VW + s. With j a literal (REG_TAP below), q, ph and s are constant expressions, so
   the shift is one __builtin_shufflevector before any loop is unrolled (a switch over s made the
   row loop too large for the unroller at large tiles). */
#define TAP_Q(j) FLOOR_DIV((j) * DW - PW, SW)
#define TAP_PH(j) ((j) * DW - PW - TAP_Q(j) * SW)
#define TAP_S(j) (TAP_Q(j) - FLOOR_DIV(TAP_Q(j), VW) * VW)
#define TAP_M(v, j) ((v) + FLOOR_DIV(TAP_Q(j), VW))
#define TAP_VECTOR(v, j)                                                                           \
    __builtin_shufflevector(PHASE_AT(TAP_PH(j), TAP_M(v, j)), PHASE_AT(TAP_PH(j), TAP_M(v, j) + 1), RUN(TAP_S(j)))
/* Tap j (a literal) of output vector v: its input vector times the weight (i, j) into every output
   row of the tile that the input row r feeds through kernel row i. */
#define REG_TAP(v, j)                                                                              \
    if ((j) < KW) {                                                                                \
        const realv x = TAP_VECTOR(v, (j) < KW ? (j) : 0);                                         \
        _Pragma("unroll") for (int i = 0; i < KH; ++i) {                                           \
            const int t = r - i * DH;                                                              \
            if (t >= 0 && t % SH == 0 && t / SH < TH) {                                            \
                acc[t / SH][v] = VFMA((realv)(w[i * KW + (j)]), x, acc[t / SH][v]);                \
            }                                                                                      \
        }                                                                                          \
    }
#endif

/* Whether the tile is the whole plane: then its first row is 0 and every row test below is a
   compile-time constant. */
#define WHOLE_PLANE (TH == OUT_H)
/* Row tiles of a plane. */
#define ROW_TILES ((OUT_H + TH - 1) / TH)
/* Input rows a tile of TH output rows reads. */
#define TILE_ROWS ((TH - 1) * SH + (KH - 1) * DH + 1)

__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void depthwise_map(__global const real* restrict input,
                   CONV_TAIL_ARGS)
{
    /* work-item g: row tile g % ROW_TILES of plane block g / ROW_TILES (row tiles of a plane in turn) */
    const int g = (int)get_global_id(0);
    const int nk0 = g / ROW_TILES * CB;
    const int nk1 = min(nk0 + CB, N * K);
    const int oy0 = WHOLE_PLANE ? 0 : g % ROW_TILES * TH;
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
#if REG_ROWS
            realv a[NA];
#pragma unroll
            for (int u = 0; u < NA; ++u) {
                a[u] = inside ? ROW_VECTOR(row, u) : (realv)(0.0f);
            }
#if SW == 2
            realv pv[2][NP];
#pragma unroll
            for (int m = 0; m < NP; ++m) {
                pv[0][m] = PHASE_PAIR(ROW_AT(2 * m), ROW_AT(2 * m + 1), 0);
                pv[1][m] = PHASE_PAIR(ROW_AT(2 * m), ROW_AT(2 * m + 1), 1);
            }
#endif
#pragma unroll
            for (int v = 0; v < NV; ++v) {
                REG_TAP(v, 0) REG_TAP(v, 1) REG_TAP(v, 2) REG_TAP(v, 3) REG_TAP(v, 4)
                REG_TAP(v, 5) REG_TAP(v, 6) REG_TAP(v, 7) REG_TAP(v, 8)
            }
#else
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
#endif
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
