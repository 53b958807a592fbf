/*
 * conv2d_gemm.cl: 2-D convolution as an implicit GEMM, NCHW, PyTorch conv2d semantics.
 * Per image and group: out[m][p] = sum_r W[m][r] * X[r][p], with m an output channel of the
 * group (M = K/groups), p an output pixel (N = OH*OW) and r = (c, i, j) an input channel of the
 * group and a kernel tap (Kdim = C/groups * KH * KW). X is never materialised: each kernel reads
 * the input where the tap points.
 *
 * Layouts the host prepares (GemmConvPlan):
 *   input   either the caller's input itself (IMPLICIT_PAD=1, or no padding and no slack), or
 *           zero-padded planes [N][C][IHP][IWP], IHP = H + pad_top + pad_bottom and
 *           IWP = W + pad_left + pad_right, the image at row pad_top, column pad_left, followed
 *           by slack so that the last tile's reads past the final plane stay inside the buffer.
 *           Pixels outside the image read the zeros, so the inner loops have no bounds checks.
 *           With IMPLICIT_PAD=1 (register tiles within output rows only, linear = 0; the host
 *           asks it of conv2d_gemm_cm alone: conv2d_gemm_pv's edge taps would build each vector
 *           lane by lane, measured 3-5x slower than the padded copy) the kernel
 *           reads the unpadded input [N][C][IHP = H][IWP = W] and pads as it reads: kernel rows
 *           that fall outside the image, and the pixels of a kernel column that run past the
 *           left or right edge, multiply the weights by zero without reading; every other tap
 *           reads global memory directly, as without padding. So no padded copy of the input is
 *           made.
 *   wpack   weights packed by pack_weights into panels [groups*MT][RP][TM]: for each group and
 *           M tile of TM output channels, the TM weights of tap r are adjacent, so a tile's
 *           weights are read once, in order. Channels past K/groups and taps past R are zero.
 *
 * Pixel tiles of the two register-tile kernels (argument `linear`):
 *   linear = 0  a tile is TN adjacent outputs of one output row (tilesPerRow tiles a row).
 *   linear = 1  stride 1 only: a tile is TN adjacent positions q of the virtual grid q = oy*IWP+ox
 *               (as wide as the padded input), so tap (i, j) of position q reads input q +
 *               i*DH*IWP + j*DW; positions with ox >= OW are computed and thrown away.
 *
 * Kernels and their build options (-D), besides the prelude's (REAL, REAL_BYTES; and for the
 * three GEMM kernels HAS_BIAS, POST_N, POSTi_*: the epilogue, see prelude.h); every other size
 * is an argument:
 *   pack_weights      PACK_R (taps per work-item, default 64).
 *   conv2d_gemm_cm    CPU style: each work-item keeps TM = VW*MV output channels x TN pixels in
 *                     registers, channels in vectors of VW, and broadcasts one input value to
 *                     MV fma per pixel (any stride and dilation).
 *                     VW (1, 2, 4, 8, 16), MV, TN, SW; IMPLICIT_PAD (0 or 1, default 0);
 *                     CHANNEL_TILES_FIRST (0 or 1, default 0: the NDRange below);
 *                     POINTWISE (0 or 1, default 0; 1 only for KH = KW = 1 without
 *                     IMPLICIT_PAD: the tap loop is the input-channel loop alone; the host asks
 *                     it of 16-float tiles only).
 *                     PREFETCH_DIST (unset, or input channels ahead: see PREFETCH_ROW; CPU
 *                     devices only, and not with POINTWISE).
 *                     PANEL_PREFETCH (0 or 1, default 0: the next channel tile's weights asked
 *                     for while this one computes, see PANEL_PREFETCH_START; CPU devices only).
 *                     SUM_PREFETCH (0 or 1, default 0: the sum tensor's values of the tile asked
 *                     for before its taps, see SUM_PREFETCH_TILE; CPU devices only).
 *   conv2d_gemm_pv    CPU style: TM output channels x TN = VW*NV pixels, pixels in vectors of VW
 *                     (vloadVW of adjacent inputs at stride 1; at stride 2 the even lanes of two
 *                     adjacent vectors), one weight broadcast per channel, outputs stored as
 *                     vectors along the row; suits groups with few output channels and short
 *                     reductions (a network's stem: 3 input channels, R = 27), where the
 *                     channel-vector kernel's one store per output weighs as much as its fmas.
 *                     VW (1, 2, 4, 8, 16), NV, TM, SW (1 or 2, default 1); POINTWISE,
 *                     CHANNEL_TILES_FIRST, PREFETCH_DIST, PANEL_PREFETCH and SUM_PREFETCH (as
 *                     conv2d_gemm_cm).
 *   conv2d_gemm_lm    GPU style: a work-group of WGN x WGM work-items computes a BM x BN tile
 *                     (BM = WGM*RM channels, BN = WGN*RN pixels), staging BK taps of weights and
 *                     inputs in local memory; each work-item accumulates RM x RN outputs.
 *                     WGM, WGN, RM, RN, BK.
 * Kernel size, dilation, vertical stride and every tensor size are arguments, so one build of a
 * tile serves many problems; only what fixes the register tile (and SW, the spacing of a tile's
 * input reads) is compiled in.
 * The GEMM kernels' arguments: input, wpack, bias (any buffer without HAS_BIAS), sum (the sum
 * post-op's tensor, of the output's shape; any buffer without one), output, then the sizes
 * (the register-tile kernels' padT and padL are read only with IMPLICIT_PAD=1). The register-tile
 * kernels end with the output's channel window: output channel k of image n is plane
 * n*KD + K0 + k*KS of `output` (KD = K, K0 = 0, KS = 1: the output tensor itself; otherwise the
 * channels of a larger tensor the layer writes in place, such as its part of a concatenation
 * followed by a channel shuffle). The sum tensor is always read as [N][K][OH][OW]. Then the
 * input's: input channel c of image n is plane n*CS + C0 + c of `input` (CS = C, C0 = 0: the input
 * itself; otherwise a slice of a larger tensor read in place, which the host allows only where the
 * kernel reads the caller's input, not a padded copy of it).
 *
 * NDRange (global sizes are rounded up to the local size; work-items past the end return):
 *   pack_weights     (round_up(ceil(RP/PACK_R), l), groups*MT), local (l, 1)
 *   conv2d_gemm_cm/pv (round_up(pixel tiles per image, l0), groups*MT, N), local (l0, 1, 1);
 *                    with CHANNEL_TILES_FIRST=1 (groups*MT, round_up(pixel tiles per image, l1), N),
 *                    local (1, l1, 1)
 *   conv2d_gemm_lm   (round_up(OH*OW, BN)/RN, groups*MT*WGM, N), local (WGN, WGM, 1)
 */

/* weight [groups*KG][R] -> wpack [groups*MT][RP][TMP], zero beyond KG channels and R taps.
   A work-item moves a block of PACK_R taps x TMP channels. For each tap it reads one weight of
   each channel (the TMP source lines stay in L1 for 16 taps) and writes TMP adjacent values.
   Vectorising either loop would turn one side into scatters or gathers, which cost more than
   the scalar loads and the contiguous stores. */
#ifndef PACK_R
#define PACK_R 64
#endif
__kernel void pack_weights(__global const real* restrict weight,
                           __global real* restrict wpack,
                           const int KG, const int R, const int RP, const int TMP, const int MT,
                           const int rBlocks)
{
    const int rb = get_global_id(0);
    const int gm = get_global_id(1);
    if (rb >= rBlocks) {
        return;
    }
    const int g = gm / MT;
    const int m0 = (gm - g * MT) * TMP;
    const int r0 = rb * PACK_R;
    const int rEnd = min(PACK_R, RP - r0);
    const int rValid = clamp(R - r0, 0, rEnd);
    const int mValid = clamp(KG - m0, 0, TMP);
    const __global real* src = weight + (size_t)(g * KG + m0) * R + r0;
    __global real* dst = wpack + ((size_t)gm * RP + r0) * TMP;
    for (int rr = 0; rr < rEnd; ++rr) {
        if (rr < rValid) {
#pragma clang loop vectorize(disable)
            for (int m = 0; m < mValid; ++m) {
                dst[m] = src[(size_t)m * R + rr];
            }
        } else {
            for (int m = 0; m < mValid; ++m) {
                dst[m] = (real)0.0f;
            }
        }
        for (int m = mValid; m < TMP; ++m) {
            dst[m] = (real)0.0f;
        }
        dst += TMP;
    }
}

/* The arguments of the two register-tile kernels (conv2d_gemm_cm, conv2d_gemm_pv). */
#define REGISTER_TILE_ARGS                                                                        \
    __global const real* restrict input, __global const real* restrict wpack,                    \
    __global const real* restrict bias, __global const real* restrict sum,                       \
    __global real* restrict output, const int C, const int IHP, const int IWP, const int K,      \
    const int KG, const int CG, const int MT, const int OH, const int OW, const int KH,          \
    const int KW, const int SH, const int DH, const int DW, const int tilesPerRow,               \
    const int pixTiles, const int linear, const int padT, const int padL, const int KD,          \
    const int K0, const int KS, const int CS, const int C0

/* The start of a register-tile kernel (NDRange (pixel tiles, groups*MT, N), or with
 * CHANNEL_TILES_FIRST=1 (groups*MT, pixel tiles, N): a CPU runtime runs consecutive work-groups
 * along the first dimension, so the channel tiles of one pixel tile then run back to back and
 * share its input columns in the core's caches, instead of the pixel tiles of one channel tile
 * sharing its weights; the host picks it with GemmConfig.Order): declares the tile
 * pt of TN pixels, gm = g*MT + mt (group g, channel tile mt), image n; oy, ox0 (the tile's first
 * output pixel, 0 when linear) and base (where its first tap reads in the padded plane, pixels
 * PIXEL_STRIDE apart; 0 with IMPLICIT_PAD); iy0, ix0 (with IMPLICIT_PAD: the input row and column
 * of the tile's first pixel's first tap, negative inside the padding); plane, in (the group's
 * first input channel at base) and w (the channel tile's packed weights). A work-item past the
 * last tile returns. */
#ifndef IMPLICIT_PAD
#define IMPLICIT_PAD 0
#endif
#ifndef POINTWISE
#define POINTWISE 0
#endif
#ifndef CHANNEL_TILES_FIRST
#define CHANNEL_TILES_FIRST 0
#endif
#define REGISTER_TILE_START(PIXEL_STRIDE)                                                         \
    const int pt = get_global_id(CHANNEL_TILES_FIRST ? 1 : 0);                                     \
    const int gm = get_global_id(CHANNEL_TILES_FIRST ? 0 : 1);                                     \
    const int n = get_global_id(2);                                                                \
    if (pt >= pixTiles) {                                                                          \
        return;                                                                                    \
    }                                                                                              \
    const int g = gm / MT;                                                                         \
    const int mt = gm - g * MT;                                                                    \
    int oy = 0, ox0 = 0, base;                                                                     \
    if (linear) {                                                                                  \
        base = pt * TN;                                                                            \
    } else {                                                                                       \
        oy = pt / tilesPerRow;                                                                     \
        ox0 = (pt - oy * tilesPerRow) * TN;                                                        \
        base = IMPLICIT_PAD ? 0 : oy * SH * IWP + ox0 * (PIXEL_STRIDE);                            \
    }                                                                                              \
    const int iy0 = oy * SH - padT;                                                                \
    const int ix0 = ox0 * (PIXEL_STRIDE) - padL;                                                   \
    const int plane = IHP * IWP;                                                                   \
    const __global real* in = input + ((size_t)n * CS + C0 + g * CG) * plane + base;               \
    const __global real* w = wpack + (size_t)gm * CG * (KH * KW * TM)

/* The tap loops of a register-tile kernel, after REGISTER_TILE_START: for each input channel of
 * the group, kernel row i and kernel column j, px points at the tap's input for the tile's base
 * pixel, the tap BODY runs (REGISTER_TILE_TAP_BODY with the parenthesised arguments BODY), and w moves on
 * to the next tap's TM packed weights. Taps stay loops: their counts are arguments, so one build
 * serves every kernel shape. BODY reads px[0] to px[SEG-1] (SEG: the inputs a tap of the tile
 * spans; SEGV: those its valid pixels, inside the output row, span). With IMPLICIT_PAD the kernel
 * rows inside the image are found once a tile, and so are the kernel columns whose valid pixels
 * read inside the row (and whose span inside the input); every other tap is an edge
 * (REGISTER_TILE_EDGE), whose pixels in the padding multiply the weights by zero. Reads for
 * pixels past the output row land in the next row and are thrown away with those pixels. BODY
 * reads the input of pixel t at offset k as TAP_READ(px, t, k). */
#ifdef PREFETCH_DIST
/* Before a kernel row's taps: asks the cache for the same input row PREFETCH_DIST input channels
 * ahead (every line of the span the tap loop reads, SEG + (KW-1)*DW inputs). The host asks it of
 * CPU devices only, where a group's input planes do not fit in a core's L2: each channel's rows
 * lie in another page, where the hardware prefetchers stop, and the first fma of a tap waited on
 * the load (DRN's 512-channel dilation-2 layer, 2 MB of input: 1.4-1.7x faster with it). A
 * prefetch never faults, so reads past the last channel need no test. */
#define PREFETCH_ROW(ROW, SEG)                                                                     \
    {                                                                                              \
        const __global real* pf_ = (ROW) + PREFETCH_DIST * plane;                                  \
        const int span_ = (SEG) + (KW - 1) * DW;                                                   \
        for (int o_ = 0; o_ < span_; o_ += 16) {                                                   \
            __builtin_prefetch(pf_ + o_, 0, 3);                                                    \
        }                                                                                          \
        __builtin_prefetch(pf_ + span_ - 1, 0, 3);                                                 \
    }
#else
#define PREFETCH_ROW(ROW, SEG)
#endif

/* With PANEL_PREFETCH=1 (pixel order: the pixel tiles of one channel tile run back to back), a
 * work-item asks the cache (L2: locality 2) for its share of the next channel tile's weight panel,
 * spread over its input-channel loop: pixel tile pt of pixTiles takes the pt-th of pixTiles equal
 * chunks, so the tiles of one channel tile bring in the whole next panel while they compute.
 * Without it the first tile of each panel reads the panel from memory at the rate of its fma, more
 * than a core's memory stream delivers (in a network the layers between two calls evict every
 * panel; docs/performance-notes.md). POCL hands each thread runs of consecutive work-groups, so the
 * thread that prefetched a panel mostly computes it too. The last channel tile of an image asks
 * for the first one again (the next image's); that of the last image for nothing. The chunks are
 * rounded up, so the last tiles' reach a few floats past their panel (past the buffer after the
 * last panel): a prefetch never faults. Pixel order only (the NDRange's second dimension is then
 * the channel tiles). PANEL_PREFETCH_START goes before the tap loops, PANEL_PREFETCH_STEP once an
 * input channel. */
#ifndef PANEL_PREFETCH
#define PANEL_PREFETCH 0
#endif
#ifndef SUM_PREFETCH
#define SUM_PREFETCH 0
#endif
#if SUM_PREFETCH && HAS_SUM
/* After REGISTER_TILE_START: asks the cache for the sum tensor's values the tile's epilogue will
 * read, TN from output pixel FIRST of each of its channels' planes, while the taps compute. A
 * residual written one or more layers before is mostly in memory by then, and its reads, all at
 * the tile's end, each waited on memory: on RegNetY-400MF's 48-channel 1x1 of 56x56 at batch 8 the
 * sum took the kernel from 0.50 to 0.79 ms, where reading 4.8 MB more needs 0.06. A linear tile
 * wraps rows of the padded grid, so its pixels span at most TN outputs from FIRST, its first output
 * (one that starts in the padding columns past OW starts at the next row's first output). A
 * prefetch never faults. CPU devices only. */
#define SUM_PREFETCH_TILE(FIRST)                                                                   \
    {                                                                                              \
        const int pfP_ = OH * OW;                                                                  \
        const int pfM_ = min(TM, KG - mt * TM);                                                    \
        const __global real* pfS_ = sum + (size_t)(n * K + g * KG + mt * TM) * pfP_ + (FIRST);     \
        for (int m_ = 0; m_ < pfM_; ++m_, pfS_ += pfP_) {                                          \
            for (int o_ = 0; o_ < TN; o_ += 16) {                                                  \
                __builtin_prefetch(pfS_ + o_, 0, 3);                                               \
            }                                                                                      \
            __builtin_prefetch(pfS_ + TN - 1, 0, 3);                                               \
        }                                                                                          \
    }
#else
#define SUM_PREFETCH_TILE(FIRST)
#endif
#if PANEL_PREFETCH && CHANNEL_TILES_FIRST
#error "PANEL_PREFETCH needs pixel order: get_global_size(1) must count the channel tiles"
#endif
#if PANEL_PREFETCH
#define PANEL_PREFETCH_START                                                                       \
    const int pfPanel_ = CG * KH * KW * TM;                                                        \
    const int pfChunk_ = (pfPanel_ + pixTiles - 1) / pixTiles;                                     \
    const long pfStep_ = ((long)pfChunk_ << 16) / CG;                                              \
    /* the next panel: the next channel tile's, after the last one the first again for the next \
       image, after the last image's none */                                                     \
    const int pfLastPanel_ = gm + 1 == (int)get_global_size(1);                                    \
    const int pfSpan_ = pfLastPanel_ && n + 1 == (int)get_global_size(2) ? 0 : (int)(pfStep_ >> 16) + 1; \
    const __global real* pfNext_ = (pfLastPanel_ ? wpack : w + pfPanel_) + (size_t)pt * pfChunk_;  \
    long pfPos_ = 0;
#define PANEL_PREFETCH_STEP                                                                        \
    {                                                                                              \
        const __global real* p_ = pfNext_ + (int)(pfPos_ >> 16);                                   \
        for (int o_ = 0; o_ < pfSpan_; o_ += 16) {                                                 \
            __builtin_prefetch(p_ + o_, 0, 2);                                                     \
        }                                                                                          \
        pfPos_ += pfStep_;                                                                         \
    }
#else
#define PANEL_PREFETCH_START
#define PANEL_PREFETCH_STEP
#endif
#if IMPLICIT_PAD
/* One tap whose pixels t < NL and t >= NR read padding: they multiply the weights by zero, as
 * the zero padding would (so a NaN or infinite weight still gives NaN, as in PyTorch), and read
 * nothing. With NL and NR constants the test folds away per pixel, the tap costs what a fast tap
 * does, and nothing is hoisted that would cost the tile's registers. */
#define REGISTER_TILE_EDGE(NL, NR, BODY)                                                           \
    {                                                                                              \
        const int nl_ = (NL), nr_ = (NR);                                                          \
        const __global real* w = wj;                                                               \
        REGISTER_TILE_TAP_BODY BODY                                                                \
    }
/* Edge column j of the tile (after REGISTER_TILE_TAPS's set-up: col points at its input, wcol
 * at its weights, of the first input channel and kernel row 0): the tap (c, i, j) for every
 * input channel c and kernel row i inside the image, in the body of REGISTER_TILE_EDGE(NL, NR). */
#define REGISTER_TILE_EDGE_COLUMN(NL, NR, BODY)                                                    \
    for (int c = 0; c < CG; ++c) {                                                                 \
        for (int i = iLo; i < iHi; ++i) {                                                          \
            const __global real* px = col + c * plane + (iy0 + i * DH) * IWP;                      \
            const __global real* wj = wcol + (c * KH + i) * KW * TM;                               \
            REGISTER_TILE_EDGE(NL, NR, BODY)                                                       \
        }                                                                                          \
    }
#define REGISTER_TILE_TAPS(SEG, SEGV, BODY)                                                        \
    /* once per tile: the kernel rows inside the image, i in [iLo, iHi), and the kernel columns  \
       whose valid pixels (SEGV inputs) lie inside the row and whose whole span (SEG inputs)     \
       inside the input, j in [jLo, jHi); the other taps are edges */                            \
    const int iLo = iy0 < 0 ? (DH - 1 - iy0) / DH : 0;                                             \
    const int iHi = max(iLo, IHP - iy0 > 0 ? min(KH, (IHP - iy0 + DH - 1) / DH) : 0);              \
    const int jLo = min(KW, ix0 < 0 ? (DW - 1 - ix0) / DW : 0);                                    \
    int jHi = IWP - (SEGV) - ix0 >= 0 ? min(KW, (IWP - (SEGV) - ix0) / DW + 1) : 0;                \
    if (iHi > iLo) {                                                                               \
        const long lastRow = (((long)n * CS + C0 + g * CG + CG - 1) * IHP + iy0 + (iHi - 1) * DH) * IWP; \
        const long room = (long)get_global_size(2) * CS * plane - lastRow - (SEG) - ix0;          \
        jHi = room >= 0 ? (int)min((long)jHi, room / DW + 1) : 0;                                  \
    }                                                                                              \
    jHi = max(jHi, jLo);                                                                           \
    const int jFast = jHi - jLo;                                                                   \
    PANEL_PREFETCH_START                                                                           \
    /* the taps that read global memory directly, then, in a loop nest of their own, the edges */ \
    for (int c = 0; c < CG; ++c) {                                                                 \
        PANEL_PREFETCH_STEP                                                                        \
        const __global real* inc = in + c * plane;                                                 \
        for (int i = iLo; i < iHi; ++i) {                                                          \
            const __global real* row = inc + (iy0 + i * DH) * IWP + ix0;                           \
            PREFETCH_ROW(row, SEG);                                                                \
            const __global real* wrow = w + (c * KH + i) * KW * TM;                                \
            for (int j = jLo; j < jHi; ++j) {                                                      \
                const __global real* px = row + j * DW;                                            \
                const __global real* wj = wrow + j * TM;                                           \
                REGISTER_TILE_EDGE(0, TN, BODY)                                                    \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    /* edge columns j (at most a few a tile): which pixels read padding depends on j alone, so   \
       each picks its body once and runs it on every input channel and kernel row inside the     \
       image; then the kernel rows outside the image, whose every pixel is padding */            \
    for (int e = 0; e < KW - jFast; ++e) {                                                         \
        const int j = e < jLo ? e : e + jFast;                                                     \
        const int x0 = ix0 + j * DW;                                                               \
        const __global real* col = in + x0;                                                        \
        const __global real* wcol = w + j * TM;                                                    \
        /* pixels t < nl read left of the row, t >= nr right of it */                             \
        const int nl = x0 < 0 ? min(TN, (SW - 1 - x0) / SW) : 0;                                   \
        const int nr = IWP - x0 > 0 ? min(TN, (IWP - x0 + SW - 1) / SW) : 0;                       \
        /* the usual edges get a body of constants: 1-3 pixels in the padding on one side; the   \
           rest (images narrower than a tile, wide padding) a body that tests each pixel */      \
        const int edge = nr == TN && nl <= 3 ? nl : nl == 0 && TN - nr <= 3 ? 3 + TN - nr : 0;     \
        switch (edge) {                                                                            \
        case 1: REGISTER_TILE_EDGE_COLUMN(1, TN, BODY) break;                                      \
        case 2: REGISTER_TILE_EDGE_COLUMN(2, TN, BODY) break;                                      \
        case 3: REGISTER_TILE_EDGE_COLUMN(3, TN, BODY) break;                                      \
        case 4: REGISTER_TILE_EDGE_COLUMN(0, TN - 1, BODY) break;                                  \
        case 5: REGISTER_TILE_EDGE_COLUMN(0, TN - 2, BODY) break;                                  \
        case 6: REGISTER_TILE_EDGE_COLUMN(0, TN - 3, BODY) break;                                  \
        default: REGISTER_TILE_EDGE_COLUMN(nl, nr, BODY) break;                                    \
        }                                                                                          \
    }                                                                                              \
    REGISTER_TILE_OUTSIDE_ROWS(iLo, iHi, BODY)
/* Pixel t of the tile (offset K from px): its input, or zero where it is padding. */
#define TAP_READ(P, T, K) (((T) < nl_ || (T) >= nr_) ? (real)0.0f : (P)[K])
#elif POINTWISE
/* A 1x1 kernel (KH = KW = 1): one tap per input channel, so the tap loop is the channel loop
 * alone, without the kernel-row and kernel-column loops' overhead on every tap (with 7 or 14
 * pixels a tile, that overhead weighs as much as a tap's 14-28 vector fma: measured 1.2-1.4x
 * faster on POCL for MobileNetV2's 1x1 layers on 14x14 and 7x7). Unrolling it further
 * (pragma unroll 4: POCL's LLVM declines; by hand, two taps a pass: the 28-accumulator tile of
 * 14x14 maps spills) did not pay. */
#define REGISTER_TILE_TAPS(SEG, SEGV, BODY)                                                        \
    PANEL_PREFETCH_START                                                                           \
    const __global real* px = in;                                                                  \
    for (int c = 0; c < CG; ++c) {                                                                 \
        PANEL_PREFETCH_STEP                                                                        \
        REGISTER_TILE_TAP_BODY BODY                                                                \
        w += TM;                                                                                   \
        px += plane;                                                                               \
    }
#define TAP_READ(P, T, K) (P)[K]
#else
#define REGISTER_TILE_TAPS(SEG, SEGV, BODY)                                                        \
    const int rowStep = DH * IWP;                                                                  \
    PANEL_PREFETCH_START                                                                           \
    for (int c = 0; c < CG; ++c) {                                                                 \
        PANEL_PREFETCH_STEP                                                                        \
        for (int i = 0; i < KH; ++i) {                                                             \
            const __global real* row = in + i * rowStep;                                           \
            PREFETCH_ROW(row, SEG);                                                                \
            for (int j = 0; j < KW; ++j) {                                                         \
                const __global real* px = row + j * DW;                                            \
                REGISTER_TILE_TAP_BODY BODY                                                        \
                w += TM;                                                                           \
            }                                                                                      \
        }                                                                                          \
        in += plane;                                                                               \
    }
#define TAP_READ(P, T, K) (P)[K]
#endif

/* With IMPLICIT_PAD: the taps of kernel rows i < LO and i >= HI, every one of which reads padding
 * for the whole tile (a tile within an output row near the image's top or bottom). Their products
 * are weights times zero, so they are not computed pixel by pixel: zero times a finite weight adds
 * nothing, times a NaN or infinite weight it is NaN, which the padding must still give every
 * pixel of the tile, as PyTorch's zero padding does. So the tile sums weight x 0 over those taps
 * once per channel (REGISTER_TILE_ZERO_DECLARE/TAP/ADD, defined by conv2d_gemm_cm for its channel
 * vectors: 0 for finite weights, NaN otherwise) and adds the sum to each of its pixels: MV fma a
 * tap instead of MV x TN (oneDNN's direct convolutions skip such rows too). The weights of tap
 * (c, i, j) are w + ((c * KH + i) * KW + j) * TM. Over the padded copy the same skip measured
 * slower on POCL (docs/performance-notes.md), so those tiles run every row. */
#define REGISTER_TILE_OUTSIDE_ROWS(LO, HI, BODY)                                                   \
    if ((HI) - (LO) < KH) {                                                                        \
        REGISTER_TILE_ZERO_DECLARE BODY                                                            \
        for (int c = 0; c < CG; ++c) {                                                             \
            for (int i = 0; i < KH; ++i) {                                                         \
                if (i >= (LO) && i < (HI)) {                                                       \
                    continue; /* a row inside the image: its taps ran above */                    \
                }                                                                                  \
                const __global real* wz = w + (c * KH + i) * KW * TM;                              \
                for (int j = 0; j < KW; ++j, wz += TM) {                                           \
                    REGISTER_TILE_ZERO_TAP BODY                                                    \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        REGISTER_TILE_ZERO_ADD BODY                                                                \
    }

/* The accumulation of a register-tile kernel: declares ACC[ROWS][N] (N vectors of VW), zeroes it,
 * and at every tap loads N vectors from VSRC (a pointer: the tap's weights or inputs) through
 * LOAD_ROW (VLOAD_ROW: adjacent vectors; PV_LOAD_ROW: every SW-th input) and adds to each row
 * r < ROWS their product with the broadcast scalar S (an expression of r), through ROW_FMA
 * (VFMA_ROW or VFMA_ROW_XS: the weight is fma's first factor). SEG, SEGV: see
 * REGISTER_TILE_TAPS. */
#define REGISTER_TILE_ACCUMULATE(ACC, ROWS, N, SEG, SEGV, LOAD_ROW, VSRC, r, S, ROW_FMA)          \
    realv ACC[ROWS][N];                                                                            \
    TILE_ZERO(ACC, ROWS, N);                                                                       \
    REGISTER_TILE_TAPS(SEG, SEGV, (ACC, ROWS, N, LOAD_ROW, VSRC, r, S, ROW_FMA))

/* One tap of REGISTER_TILE_ACCUMULATE (its parameters): the taps macros above pass these along as
 * one parenthesised argument and write `REGISTER_TILE_TAP_BODY BODY` where the tap runs, since    \
 * OpenCL C has no variadic macros (NVIDIA's compiler rejects them; POCL's clang took them). */
#define REGISTER_TILE_TAP_BODY(ACC, ROWS, N, LOAD_ROW, VSRC, r, S, ROW_FMA)                         \
    {                                                                                              \
        realv row_[N];                                                                             \
        LOAD_ROW(row_, VSRC, N);                                                                   \
        _Pragma("unroll") for (int r = 0; r < (ROWS); ++r) {                                      \
            const realv s_ = (realv)(S);                                                           \
            ROW_FMA(ACC[r], s_, row_, N);                                                          \
        }                                                                                          \
    }

/* Copies count (< 32) adjacent reals in at most five stores. */
inline void store_run(__global real* dst, const real* src, const int count)
{
    int o = 0;
    if (count & 16) {
        const real16 v16 = VLOAD16(src);
        VSTORE16(v16, dst);
        o = 16;
    }
    if (count & 8) {
        const real8 v8 = VLOAD8(src + o);
        VSTORE8(v8, dst + o);
        o += 8;
    }
    if (count & 4) {
        const real4 v4 = VLOAD4(src + o);
        VSTORE4(v4, dst + o);
        o += 4;
    }
    if (count & 2) {
        const real2 v2 = VLOAD2(src + o);
        VSTORE2(v2, dst + o);
        o += 2;
    }
    if (count & 1) {
        dst[o] = src[o];
    }
}

#if HAS_SUM
/* The chain split at its first sum step, for an epilogue that adds the sum after a transposition:
 * EPILOGUE_BEFORE_SUM(T, N, v, b) is the bias and the steps before the first sum (they read no sum
 * value, so they run on the tile's vectors as EPILOGUE would), EPILOGUE_FROM_SUM(T, N, v, s) the
 * first sum and every step after it. One after the other they are EPILOGUE. Each step's side is a
 * constant condition, folded away. */
#if POST_IS_SUM(0)
#define POST_FIRST_SUM 0
#elif POST_IS_SUM(1)
#define POST_FIRST_SUM 1
#elif POST_IS_SUM(2)
#define POST_FIRST_SUM 2
#elif POST_IS_SUM(3)
#define POST_FIRST_SUM 3
#elif POST_IS_SUM(4)
#define POST_FIRST_SUM 4
#elif POST_IS_SUM(5)
#define POST_FIRST_SUM 5
#elif POST_IS_SUM(6)
#define POST_FIRST_SUM 6
#else
#define POST_FIRST_SUM 7
#endif
#define SPLIT_STEP(i, pre, T, N, v, s)                  \
    do {                                                \
        if (((i) < POST_FIRST_SUM) == (pre)) {          \
            POST_STEP(i, T, N, v, s);                   \
        }                                               \
    } while (0)
#define SPLIT_CHAIN1(p, T, N, v, s) SPLIT_STEP(0, p, T, N, v, s)
#define SPLIT_CHAIN2(p, T, N, v, s) SPLIT_CHAIN1(p, T, N, v, s); SPLIT_STEP(1, p, T, N, v, s)
#define SPLIT_CHAIN3(p, T, N, v, s) SPLIT_CHAIN2(p, T, N, v, s); SPLIT_STEP(2, p, T, N, v, s)
#define SPLIT_CHAIN4(p, T, N, v, s) SPLIT_CHAIN3(p, T, N, v, s); SPLIT_STEP(3, p, T, N, v, s)
#define SPLIT_CHAIN5(p, T, N, v, s) SPLIT_CHAIN4(p, T, N, v, s); SPLIT_STEP(4, p, T, N, v, s)
#define SPLIT_CHAIN6(p, T, N, v, s) SPLIT_CHAIN5(p, T, N, v, s); SPLIT_STEP(5, p, T, N, v, s)
#define SPLIT_CHAIN7(p, T, N, v, s) SPLIT_CHAIN6(p, T, N, v, s); SPLIT_STEP(6, p, T, N, v, s)
#define SPLIT_CHAIN8(p, T, N, v, s) SPLIT_CHAIN7(p, T, N, v, s); SPLIT_STEP(7, p, T, N, v, s)
#define SPLIT_CHAIN(p, T, N, v, s) CAT(SPLIT_CHAIN, POST_N)(p, T, N, v, s)
#define EPILOGUE_BEFORE_SUM(T, N, v, b)         \
    do {                                        \
        EPILOGUE_BIAS(T, v, b);                 \
        SPLIT_CHAIN(1, T, N, v, (T)(0.0f));     \
    } while (0)
#define EPILOGUE_FROM_SUM(T, N, v, s) SPLIT_CHAIN(0, T, N, v, s)

/* store_run of src's count values, each through EPILOGUE_FROM_SUM first (the sum tensor's values
 * at s, which run alongside dst): the channel-vector tile's sum is then read as runs of adjacent
 * values, as its plane holds them, not lane by lane across planes. */
/* One piece of store_run_sum: n values of type T at src + o, through EPILOGUE_FROM_SUM, to dst + o. */
#define SUM_RUN_PIECE(T, n)                             \
    if (count & (n)) {                                  \
        T v_ = VLOAD##n(src + o);                       \
        EPILOGUE_FROM_SUM(T, n, v_, VLOAD##n(s + o));   \
        VSTORE##n(v_, dst + o);                         \
        o += (n);                                       \
    }
inline void store_run_sum(__global real* dst, const real* src, const __global real* s, const int count)
{
    int o = 0;
    SUM_RUN_PIECE(real16, 16)
    SUM_RUN_PIECE(real8, 8)
    SUM_RUN_PIECE(real4, 4)
    SUM_RUN_PIECE(real2, 2)
    SUM_RUN_PIECE(real, 1)
}
#undef SUM_RUN_PIECE
#endif

#if defined(TN) && defined(MV)
#define TM (VW * MV)

/* REGISTER_TILE_OUTSIDE_ROWS for channel vectors: a tap's TM weights are MV vectors at wz; their
 * products with zero are summed per channel and added to every pixel t of the tile. */
#define REGISTER_TILE_ZERO_DECLARE(ACC, ROWS, N, LOAD_ROW, VSRC, r, S, ROW_FMA)                    \
    realv zs_[N];                                                                                  \
    _Pragma("unroll") for (int v_ = 0; v_ < (N); ++v_) {                                          \
        zs_[v_] = (realv)(0.0f);                                                                   \
    }
#define REGISTER_TILE_ZERO_TAP(ACC, ROWS, N, LOAD_ROW, VSRC, r, S, ROW_FMA)                        \
    {                                                                                              \
        realv wv_[N];                                                                              \
        VLOAD_ROW(wv_, wz, N);                                                                     \
        _Pragma("unroll") for (int v_ = 0; v_ < (N); ++v_) {                                      \
            zs_[v_] = VFMA(wv_[v_], (realv)(0.0f), zs_[v_]);                                       \
        }                                                                                          \
    }
#define REGISTER_TILE_ZERO_ADD(ACC, ROWS, N, LOAD_ROW, VSRC, r, S, ROW_FMA)                        \
    _Pragma("unroll") for (int r_ = 0; r_ < (ROWS); ++r_) {                                       \
        _Pragma("unroll") for (int v_ = 0; v_ < (N); ++v_) {                                      \
            (ACC)[r_][v_] += zs_[v_];                                                              \
        }                                                                                          \
    }

__kernel void conv2d_gemm_cm(REGISTER_TILE_ARGS)
{
    REGISTER_TILE_START(SW);
    SUM_PREFETCH_TILE(linear ? (base / IWP) * OW + min(base % IWP, OW) : oy * OW + ox0);

    /* MV vectors of channel weights, one broadcast input per pixel t; the pixel offsets t*SW are
       constants from the tap's base pointer px */
    REGISTER_TILE_ACCUMULATE(acc, TN, MV, (TN - 1) * SW + 1, (min(TN, OW - ox0) - 1) * SW + 1, VLOAD_ROW, w, t,
                             TAP_READ(px, t, t * SW), VFMA_ROW_XS);

    const int P = OH * OW;
    const int m0 = mt * TM;
    const int mCount = min(TM, KG - m0);
    const size_t out0 = (size_t)(n * K + g * KG + m0) * P; /* the tile's first plane of the sum tensor */
    const size_t OP = (size_t)KS * P;                      /* output planes of adjacent channels */
    __global real* out = output + ((size_t)n * KD + K0 + (size_t)(g * KG + m0) * KS) * P;
    realv bv[MV]; /* the bias of each vector's channels (zeros without HAS_BIAS: not read) */
#pragma unroll
    for (int v = 0; v < MV; ++v) {
        real lanes[VW];
        for (int l = 0; l < VW; ++l) {
            const int m = v * VW + l;
            lanes[l] = (HAS_BIAS && m < mCount) ? bias[g * KG + m0 + m] : (real)0.0f;
        }
        bv[v] = VLOAD(lanes);
    }
#if TN < 32 && VW >= 16
    if (!linear && ox0 + TN <= OW && mCount == TM) {
        /* the tile's TN pixels are adjacent in each of its TM output planes: the results go
           through private memory, channel-major, and each channel's run is stored whole.
           16-float vectors only: measured on POCL faster with AVX-512's 16-float tiles, mixed
           (up to 1.3x slower) with AVX2's 8-float ones, which keep the stores below. With a sum
           the chain's steps from its first sum on run after the transposition, on each channel's
           run, where the sum tensor's values are adjacent too (store_run_sum); the bias and the
           steps before it on the tile's vectors. Read lane by lane across TM planes into private
           memory and regathered, the sum had made a 64x64 3x3 layer on 56x56 at batch 8 11-16%
           slower than without it on AVX-512 (two paired rounds), this way 1-4% (docs/
           performance-notes.md, 2026-12-07). 8-float tiles were tried on this path with a sum
           (AVX2, the condition above widened for the trial): even, so they keep the path below */
        real tile[TM][TN];
        const int pix0 = oy * OW + ox0;
#pragma unroll
        for (int t = 0; t < TN; ++t) {
#pragma unroll
            for (int v = 0; v < MV; ++v) {
                realv r = acc[t][v];
                real lanes[VW];
#if HAS_SUM
                EPILOGUE_BEFORE_SUM(realv, VW, r, bv[v]);
#else
                EPILOGUE(realv, VW, r, bv[v], (realv)(0.0f));
#endif
                VSTORE(r, lanes);
#pragma unroll
                for (int l = 0; l < VW; ++l) {
                    tile[v * VW + l][t] = lanes[l];
                }
            }
        }
#pragma unroll
        for (int m = 0; m < TM; ++m) {
#if HAS_SUM
            store_run_sum(out + (size_t)m * OP + pix0, tile[m], sum + out0 + (size_t)m * P + pix0, TN);
#else
            store_run(out + (size_t)m * OP + pix0, tile[m], TN);
#endif
        }
        return;
    }
#endif
    /* the tile's first output pixel; later ones step along the row (and, when linear, wrap) */
    int y = linear ? base / IWP : oy;
    int x = linear ? base - y * IWP : ox0;
#pragma unroll
    for (int t = 0; t < TN; ++t) {
        if (y < OH && x < OW) {
            const int pixel = y * OW + x;
            __global real* o = out + pixel;
#pragma unroll
            for (int v = 0; v < MV; ++v) {
                realv r = acc[t][v];
                const int lEnd = min(VW, mCount - v * VW);
                realv sv = (realv)(0.0f); /* the sum tensor at the vector's channels and this pixel */
#if HAS_SUM
                {
                    real sl[VW];
                    for (int l = 0; l < VW; ++l) {
                        sl[l] = l < lEnd ? sum[out0 + (size_t)(v * VW + l) * P + pixel] : (real)0.0f;
                    }
                    sv = VLOAD(sl);
                }
#endif
                EPILOGUE(realv, VW, r, bv[v], sv);
                real lanes[VW];
                VSTORE(r, lanes);
                __global real* dst = o + (size_t)(v * VW) * OP;
                if (lEnd == VW) {
                    /* a full vector: one store per channel plane, without loop overhead */
#pragma unroll
                    for (int l = 0; l < VW; ++l) {
                        dst[(size_t)l * OP] = lanes[l];
                    }
                } else {
#pragma unroll 1
                    for (int l = 0; l < lEnd; ++l, dst += OP) {
                        *dst = lanes[l];
                    }
                }
            }
        }
        if (++x == IWP && linear) {
            x = 0;
            ++y;
        }
    }
}
#endif

#if defined(NV) && defined(TM)
#define TN (VW * NV)
#if IMPLICIT_PAD
#error "conv2d_gemm_pv reads vectors of adjacent pixels, which TAP_READ does not check: IMPLICIT_PAD is for conv2d_gemm_cm"
#endif
#ifndef SW
#define SW 1
#endif
/* The N vectors of a tap's inputs for the tile's N*VW adjacent output pixels, from SRC (the
 * first pixel's input): at stride 1 adjacent vectors; at stride 2 the even lanes of 2*N adjacent
 * vectors (the pixels' inputs are every other one), so a vector reads up to 2*VW-1 inputs past its
 * first, one past its last pixel's (the host's slack covers it). */
#if SW == 1
#define PV_LOAD_ROW(DST, SRC, N) VLOAD_ROW(DST, SRC, N)
#elif SW == 2
#if VW == 1
#define PV_LOAD_ROW(DST, SRC, N)                                                                  \
    _Pragma("unroll") for (int v_ = 0; v_ < (N); ++v_) {                                          \
        (DST)[v_] = (SRC)[2 * v_];                                                                 \
    }
#else
#define PV_LOAD_ROW(DST, SRC, N)                                                                  \
    _Pragma("unroll") for (int v_ = 0; v_ < (N); ++v_) {                                          \
        const realv lo_ = VLOAD((SRC) + 2 * v_ * VW);                                              \
        const realv hi_ = VLOAD((SRC) + 2 * v_ * VW + VW);                                         \
        (DST)[v_] = (realv)(lo_.even, hi_.even);                                                   \
    }
#endif
#else
#error "conv2d_gemm_pv reads the inputs of adjacent pixels as vectors: SW must be 1 or 2"
#endif

__kernel void conv2d_gemm_pv(REGISTER_TILE_ARGS)
{
    REGISTER_TILE_START(SW);
    SUM_PREFETCH_TILE(linear ? (base / IWP) * OW + min(base % IWP, OW) : oy * OW + ox0);

    /* NV vectors of the inputs of adjacent output pixels, one broadcast weight per channel m */
    REGISTER_TILE_ACCUMULATE(acc, TM, NV, TN * SW, min(TN, OW - ox0) * SW, PV_LOAD_ROW, px, m, w[m], VFMA_ROW);

    const int P = OH * OW;
    const size_t out0 = (size_t)(n * K + g * KG) * P;
    const int m0 = mt * TM;
    /* the tile's first output plane, and the distance between its channels' planes */
    __global real* const out = output + ((size_t)n * KD + K0 + (size_t)(g * KG + m0) * KS) * P;
    const size_t OP = (size_t)KS * P;
    const bool flat = linear && IWP == OW;
    /* where each pixel vector starts: along the row, wrapping rows when linear */
    int vy[NV], vx[NV];
    {
        int y = linear ? base / IWP : oy;
        int x = linear ? base - y * IWP : ox0;
#pragma unroll
        for (int v = 0; v < NV; ++v) {
            vy[v] = y;
            vx[v] = x;
            x += VW;
            while (linear && x >= IWP) {
                x -= IWP;
                ++y;
            }
        }
    }
#pragma unroll
    for (int m = 0; m < TM; ++m) {
        if (m0 + m >= KG) {
            continue; /* past the group's last channel, as every later m (not break: LLVM then
                         declined to unroll this loop once the output had a window) */
        }
        const int k = g * KG + m0 + m;
        const size_t plane0 = out0 + (size_t)(m0 + m) * P; /* channel k's plane of the sum tensor */
        __global real* outm = out + (size_t)m * OP;        /* and of the output */
#pragma unroll
        for (int v = 0; v < NV; ++v) {
            realv r = acc[m][v];
            /* the whole vector lies inside one output row, or, when the virtual grid is the
               output itself (linear, IWP == OW: no horizontal padding), inside the output */
            if (flat ? base + (v + 1) * VW <= P : vy[v] < OH && vx[v] + VW <= OW) {
                /* one store */
                const int pixel = flat ? base + v * VW : vy[v] * OW + vx[v];
                EPILOGUE(realv, VW, r, bias[k], VLOAD(sum + plane0 + pixel));
                VSTORE(r, outm + pixel);
            } else {
                /* the vector runs past the row's end: the valid run of each row it touches. Without a
                   sum the epilogue needs no input per pixel, so it runs on the whole vector (lanes
                   past the row are computed and dropped): 14-15% off the grouped layers' kernel,
                   where about half the vectors of the virtual grid cross a row end; with a sum,
                   lane by lane as each pixel's sum is read */
#if !HAS_SUM
                EPILOGUE(realv, VW, r, bias[k], r);
#endif
                real lanes[VW];
                VSTORE(r, lanes);
                int yy = vy[v], xx = vx[v];
                for (int l = 0; l < VW; xx = 0, ++yy) {
                    const int len = linear ? min(VW - l, IWP - xx) : VW - l;
                    if (yy < OH) {
                        const int run = clamp(OW - xx, 0, len);
#if HAS_SUM
                        for (int i = 0; i < run; ++i) {
                            real e = lanes[l + i];
                            EPILOGUE(real, 1, e, bias[k], sum[plane0 + yy * OW + xx + i]);
                            lanes[l + i] = e;
                        }
#endif
                        store_run(outm + yy * OW + xx, lanes + l, run);
                    }
                    l += len;
                }
            }
        }
    }
}
#endif

#if defined(WGM) && defined(WGN)
#define BM (WGM * RM)
#define BN (WGN * RN)
#define NT (WGM * WGN)

__kernel __attribute__((reqd_work_group_size(WGN, WGM, 1)))
void conv2d_gemm_lm(__global const real* restrict input,
                    __global const real* restrict wpack,
                    __global const real* restrict bias,
                    __global const real* restrict sum,
                    __global real* restrict output,
                    const int C, const int IHP, const int IWP, const int K, const int KG,
                    const int CG, const int MT, const int OH, const int OW,
                    const int KH, const int KW, const int SH, const int SW, const int DH,
                    const int DW, const int RP)
{
    __local real As[BK * BM];
    __local real Bs[BK * BN];
    __local int pixOff[BN]; /* where each tile pixel's first tap reads; -1 past the image */
    __local int tapOff[BK]; /* how far each tap of the step reads from there; -1 past R */
    const int lx = get_local_id(0);
    const int ly = get_local_id(1);
    const int tid = ly * WGN + lx;
    const int p0 = get_group_id(0) * BN;
    const int gm = get_group_id(1);
    const int n = get_global_id(2);
    const int g = gm / MT;
    const int mt = gm - g * MT;
    const int P = OH * OW;
    const int taps = KH * KW;
    const int R = CG * taps;
    const int plane = IHP * IWP;
    const __global real* in = input + (size_t)(n * C + g * CG) * plane;
    const __global real* wpanel = wpack + (size_t)gm * RP * BM;

    real acc[RM][RN];
#pragma unroll
    for (int a = 0; a < RM; ++a) {
#pragma unroll
        for (int b = 0; b < RN; ++b) {
            acc[a][b] = (real)0.0f;
        }
    }
    /* the divisions that locate pixels and taps happen once per table entry, not per load */
    for (int e = tid; e < BN; e += NT) {
        const int p = p0 + e;
        const int oy = p / OW;
        pixOff[e] = p < P ? oy * SH * IWP + (p - oy * OW) * SW : -1;
    }
    for (int r0 = 0; r0 < RP; r0 += BK) {
        /* weights: the packed panel is contiguous, BK*BM values from r0 on */
        for (int e = tid; e < BK * BM; e += NT) {
            As[e] = wpanel[(size_t)r0 * BM + e];
        }
        for (int e = tid; e < BK; e += NT) {
            const int r = r0 + e;
            const int c = r / taps;
            const int rem = r - c * taps;
            const int i = rem / KW;
            tapOff[e] = r < R ? c * plane + i * DH * IWP + (rem - i * KW) * DW : -1;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        /* inputs: BK taps x BN pixels, read where each tap points in the padded input */
        for (int e = tid; e < BK * BN; e += NT) {
            const int kk = e / BN;
            const int pp = e - kk * BN;
            const int po = pixOff[pp];
            const int to = tapOff[kk];
            Bs[e] = (po >= 0 && to >= 0) ? in[po + to] : (real)0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
#pragma unroll 4
        for (int kk = 0; kk < BK; ++kk) {
            real a[RM], b[RN];
#pragma unroll
            for (int x = 0; x < RM; ++x) {
                a[x] = As[kk * BM + ly + x * WGM];
            }
#pragma unroll
            for (int y = 0; y < RN; ++y) {
                b[y] = Bs[kk * BN + lx + y * WGN];
            }
#pragma unroll
            for (int x = 0; x < RM; ++x) {
#pragma unroll
                for (int y = 0; y < RN; ++y) {
                    acc[x][y] = fma(a[x], b[y], acc[x][y]);
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    const size_t out0 = (size_t)(n * K + g * KG) * P;
#pragma unroll
    for (int x = 0; x < RM; ++x) {
        const int m = mt * BM + ly + x * WGM;
        if (m >= KG) {
            continue;
        }
#pragma unroll
        for (int y = 0; y < RN; ++y) {
            const int p = p0 + lx + y * WGN;
            if (p < P) {
                real v = acc[x][y];
                const size_t o = out0 + (size_t)m * P + p;
                EPILOGUE(real, 1, v, bias[g * KG + m], sum[o]);
                output[o] = v;
            }
        }
    }
}
#endif

#ifdef PAD_ROWS
/* pad_input: input [N*C][H][W] -> the padded layout [N*C][IHP][IWP] followed by slack, TOTAL
 * elements in all: each plane's image at row padT, column padL, zeros everywhere else (the padding
 * and the slack after the last plane). Every element of the layout is written, so a scratchpad
 * that another plan used needs no fill first, and one command does what a fill and a rectangular
 * copy did (POCL runs those two on one thread each, with its ~15 us between commands).
 * PAD_ROWS=1 (CPU devices): a work-item writes RPI consecutive rows of IWP elements (ROWS =
 * ceil(TOTAL/IWP) rows in all; the last one may end early, at TOTAL), the image's part in vectors
 * of VW: a row a work-item cost more in POCL's per-item overhead than in its copy where rows are
 * short (512 planes of 9x9: 50 us).
 * PAD_ROWS=0 (GPUs): a work-item writes one element, neighbouring work-items neighbouring
 * addresses; 1-D NDRange round_up(TOTAL, local) (RPI is not read).
 * Arguments: input, padded, H, W, IHP, IWP, padT, padL, IMAGE_ROWS (N*C*IHP: the rows that hold
 * an image's row or padding; the rest are slack), ROWS, TOTAL, RPI, then the input's channel
 * window: plane p = n*C + c of the layout is read from plane n*CS + C0 + c of `input` (CS = C,
 * C0 = 0: the input itself; otherwise a slice of a larger tensor). */
__kernel void pad_input(__global const real* restrict input, __global real* restrict padded,
                        const int H, const int W, const int IHP, const int IWP, const int padT,
                        const int padL, const int IMAGE_ROWS, const int ROWS, const int TOTAL,
                        const int RPI, const int C, const int CS, const int C0)
{
#if PAD_ROWS
    const size_t first = get_global_id(0) * (size_t)RPI;
    if (first >= (size_t)ROWS) {
        return;
    }
    const int last = (int)min((size_t)ROWS, first + (size_t)RPI);
    for (int row = (int)first; row < last; ++row) {
        __global real* d = padded + (size_t)row * IWP;
        const int plane = row / IHP;
        const int y = row - plane * IHP - padT;
        if (row >= IMAGE_ROWS || y < 0 || y >= H) {
            const int end = (int)min((size_t)IWP, (size_t)TOTAL - (size_t)row * IWP);
            int x = 0;
            for (; x + VW <= end; x += VW) {
                VSTORE((realv)(0.0f), d + x);
            }
            for (; x < end; ++x) {
                d[x] = (real)0.0f;
            }
            continue;
        }
        for (int x = 0; x < padL; ++x) {
            d[x] = (real)0.0f;
        }
        const size_t from = (size_t)(plane / C) * CS + C0 + plane % C; /* the source plane */
        const __global real* s = input + (from * H + y) * W;
        __global real* di = d + padL;
        int x = 0;
        for (; x + VW <= W; x += VW) {
            VSTORE(VLOAD(s + x), di + x);
        }
        for (; x < W; ++x) {
            di[x] = s[x];
        }
        for (int x2 = padL + W; x2 < IWP; ++x2) {
            d[x2] = (real)0.0f;
        }
    }
#else
    const size_t o = get_global_id(0);
    if (o >= (size_t)TOTAL) {
        return;
    }
    const int row = (int)(o / (size_t)IWP);
    const int x = (int)(o - (size_t)row * IWP);
    const int plane = row / IHP;
    const int y = row - plane * IHP - padT;
    const int xi = x - padL;
    padded[o] = row < IMAGE_ROWS && y >= 0 && y < H && xi >= 0 && xi < W
            ? input[(((size_t)(plane / C) * CS + C0 + plane % C) * H + y) * W + xi] : (real)0.0f;
#endif
}
#endif
