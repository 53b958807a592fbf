/*
 * pool2d.cl: max and average pooling, NCHW, as dev.convcl.Pool2d defines them (PyTorch's
 * max_pool2d / avg_pool2d: ceil_mode decides the output size on the host, count_include_pad the
 * average's divisor; global average pooling is the window of the whole plane).
 * One work-item computes a run of XR outputs of one output row. Padding never enters a max (it is -inf, and NaN
 * propagates: a NaN tap makes the output NaN); an average sums the taps inside the input and
 * divides by their count, or with COUNT_INCLUDE_PAD by the window clipped to the padded input
 * (PyTorch's rule: a window that reaches past the bottom/right padding, possible with ceil_mode,
 * counts only up to the padding's end).
 *
 * Build options (-D), besides the prelude's REAL and REAL_BYTES:
 *   POOL_MAX           1 for max pooling, 0 for average pooling
 *   COUNT_INCLUDE_PAD  average pooling: 1 to divide by the window clipped to the padded input, 0
 *                      to divide by the taps inside the input
 *   KH, KW             window height and width
 *   SH, SW             stride
 *   PH, PW             padding above and left of the input
 *   PH_END, PW_END     padding below and right of the input (the divisor's clip)
 *   DH, DW             dilation (1 for average pooling)
 *   IN_H, IN_W         input plane size
 *   OUT_H, OUT_W       output plane size
 *   XR                 outputs a work-item computes along a row (1 to OUT_W): a vector's worth on
 *                      CPU devices (16 with AVX-512, 8 with AVX2), where a work-item per output
 *                      spent more on each work-item's start than on its window (POCL: 5.0 ms for
 *                      ResNet-18's 3x3/2 max pool of 64x112x112, 1.1 ms with runs of 16); 1 on
 *                      GPUs, whose neighbouring work-items must read neighbouring addresses
 *   VW                 1; or 4, 8 or 16 (the prelude's realv) with XR == OUT_W >= VW at stride 1
 *                      or 2: a work-item computes a whole row (CPU devices), in vectors wherever
 *                      every tap of the vector lies inside the input row and the row's edge
 *                      outputs one by one (the direct form), or, on rows too short for any such
 *                      vector, all in vectors from each window row staged in a private padded
 *                      row (STAGED_ROWS); the last vector overlaps the one before. Or XR == VW:
 *                      the run is one vector (tests, strides above 2). In runs of one vector each
 *                      tap's XR inputs are then one vector load at stride 1, two loads and their
 *                      even lanes at stride 2, a gather otherwise or where the run's taps reach
 *                      the padding (lanes outside the input take the neighbour of the operation:
 *                      -inf for max, 0 for average); a run past the row's end stores lane by lane.
 *                      Per-lane selects and gathers of the scalar form cost 3-6 ms on POCL for
 *                      Inception's 288x35x35 3x3 average pools.
 *   HOST_DIRECT_ROWS   the host's answer to STAGED_ROWS for whole rows in vectors (1 direct, 0
 *                      staged, -1 or unset: not asked); the build fails where the two disagree
 *   PLANE              0 (default); 1 for global average pooling (an unpadded window of the whole
 *                      plane, XR 1): a work-item sums one plane in vectors of VW (any of 1, 2,
 *                      4, 8, 16), the other forms' VW rules do not apply
 * Kernel arguments: input [N, C, IN_H, IN_W], output [N, C, OUT_H, OUT_W], TOTAL (N*C*OUT_H*runs,
 * runs = ceil(OUT_W / XR)).
 * NDRange: 1-D, global round_up(TOTAL, local); work-items past TOTAL return.
 * Branch-free windows: a tap outside the input reads a clamped neighbour and is not taken, and
 * t != t is the NaN test (a call to isnan cost as much as the rest of the window on POCL).
 */
#ifndef PLANE
#define PLANE 0
#endif
#if VW > 1
#define NEUTRAL_MAX (-INFINITY)
#define NEUTRAL_AVG ((real)0.0f)
/* One tap of a max in vectors, as two chains that do not wait on each other: m keeps the largest
 * value (t > m ? t : m, which the compiler makes one max instruction: nothing is > NaN, so m skips
 * NaN taps), n the last NaN tap (else the neutral), which MAX_RESULT takes where there was one, so
 * a NaN anywhere in the window gives NaN, as in PyTorch. One chain of compare, or and select a tap
 * (a NaN taken into m and kept) was the window's latency: POCL on the Zen 5, Inception-v3's first
 * max pool (64x147x147, 3x3/2), about 7 cycles a tap, one thread's call 0.49-0.50 ms. */
#define MAX_TAP(m, n, T)                                                                           \
    do {                                                                                           \
        const realv t_ = (T);                                                                      \
        (m) = select((m), t_, t_ > (m));                                                           \
        (n) = select((n), t_, t_ != t_);                                                           \
    } while (0)
#define MAX_RESULT(m, n) select((m), (n), (n) != (n))
/* The 3-wide max window at stride 2 (ResNet's and Inception's 3x3/2 max pools): a row's three taps
 * from two vector loads and one float (ROW3_STRIDE2 in the whole-row form), where pool_taps loads
 * two vectors a tap and tests each tap's bounds. SHIFT_IN(v, s): v's lanes 1 to VW-1, then s, in
 * pieces of 1, 2, 4 or 8 lanes (a 15-lane swizzle does not exist; 3-lane ones need OpenCL C 1.1,
 * which these pieces do not). Whole rows come in vectors of 4, 8 or 16 only (Pool2dPlan). */
#define ROW3_STRIDE2 (POOL_MAX && SW == 2 && KW == 3 && DW == 1)
#if VW == 16
#define SHIFT_IN(v, s) ((realv)((v).s1234, (v).s5678, (v).s9abc, (v).sde, (v).sf, (s)))
#elif VW == 8
#define SHIFT_IN(v, s) ((realv)((v).s1234, (v).s56, (v).s7, (s)))
#elif VW == 4
#define SHIFT_IN(v, s) ((realv)((v).s12, (v).s3, (s)))
#elif ROW3_STRIDE2 && XR == OUT_W
#error "whole rows at stride 2 take vectors of 4, 8 or 16 (SHIFT_IN)"
#endif
/* The VW inputs of one tap of a run: lane l reads rp[x + l * SW], or NEUTRAL outside [0, IN_W). */
inline realv pool_taps(const __global real* rp, const int x, const real neutral)
{
#if SW == 1
    if (x >= 0 && x + VW - 1 < IN_W) {
        return VLOAD(rp + x);
    }
#elif SW == 2
    if (x >= 0 && x + 2 * VW - 1 < IN_W) {
        const realv a = VLOAD(rp + x);
        const realv b = VLOAD(rp + x + VW);
        return (realv)(a.even, b.even);
    }
#endif
    real lanes[VW];
    for (int l = 0; l < VW; ++l) {
        const int ix = x + l * SW;
        const real t = rp[clamp(ix, 0, IN_W - 1)];
        lanes[l] = ix >= 0 && ix < IN_W ? t : neutral;
    }
    return VLOAD(lanes);
}

/* One output, at column ox of the row whose first tap row is y0 (the scalar rule, for a row's edges). */
inline real pool_one(const __global real* in, const int y0, const int ox)
{
    const int x0 = ox * SW - PW;
#if POOL_MAX
    real m = NEUTRAL_MAX;
    for (int i = 0; i < KH; ++i) {
        const int iy = y0 + i * DH;
        for (int j = 0; j < KW; ++j) {
            const int ix = x0 + j * DW;
            if (iy >= 0 && iy < IN_H && ix >= 0 && ix < IN_W) {
                const real t = in[iy * IN_W + ix];
                m = t > m || t != t ? t : m;
            }
        }
    }
    return m;
#else
    real s = NEUTRAL_AVG;
    int taps = 0;
    for (int i = 0; i < KH; ++i) {
        const int iy = y0 + i;
        for (int j = 0; j < KW; ++j) {
            const int ix = x0 + j;
            if (iy >= 0 && iy < IN_H && ix >= 0 && ix < IN_W) {
                s += in[iy * IN_W + ix];
                ++taps;
            }
        }
    }
#if COUNT_INCLUDE_PAD
    const int divisor = (min(y0 + KH, IN_H + PH_END) - y0) * (min(x0 + KW, IN_W + PW_END) - x0);
#else
    const int divisor = taps;
#endif
    return s / (real)divisor;
#endif
}

/* Whole rows are staged (STAGED_ROWS) where the direct form, which loads each tap's vector from
 * the input row itself, would have no vector whose taps all lie inside that row (rows of 17 or 8
 * outputs with a 16-wide vector, say) and so would compute every output one by one. On longer
 * rows the direct form loses only the edge outputs to pool_one and is faster than staging
 * (Inception's 288x35x35 average pool, POCL on the Zen 5: 0.24-0.39 ms a call direct, 0.40-0.45
 * staged). The host (Pool2dPlan.vectorWidth, which repeats this test) therefore takes narrower
 * vectors where they give the direct form, and staged rows only where no width does: their taps
 * load a row just stored in pieces at every offset, which the core waits for (Inception's
 * 768x17x17 average pool: 0.16 ms direct in vectors of 8, 0.38 staged in vectors of 16). */
#define WHOLE_ROWS (XR == OUT_W && SW <= 2)
#define DIRECT_LO ((PW + SW - 1) / SW)
#define DIRECT_REACH (IN_W - 1 - (SW == 1 ? VW - 1 : 2 * VW - 1) + PW - (KW - 1) * DW)
#define STAGED_ROWS (DIRECT_REACH < 0 || DIRECT_REACH / SW < DIRECT_LO || OUT_W - VW < DIRECT_LO)
/* The host's own answer to the same test (Pool2dPlan.directRows: 1 direct, 0 staged, -1 not asked):
   a build where they differ is a bug in one of the two. */
#if VW > 1 && WHOLE_ROWS && !PLANE && defined(HOST_DIRECT_ROWS) && HOST_DIRECT_ROWS >= 0 \
    && HOST_DIRECT_ROWS == STAGED_ROWS
#error "Pool2dPlan.directRows and STAGED_ROWS disagree"
#endif
#endif

__kernel void pool2d(__global const real* restrict input,
                     __global real* restrict output,
                     const int TOTAL)
{
    ITEM_OR_RETURN(r, TOTAL);
    const int runs = (OUT_W + XR - 1) / XR;
    const int orow = r / runs;            /* the output row: plane * OUT_H + oy */
    const int ox0 = (r - orow * runs) * XR;
    const int plane = orow / OUT_H;
    const int y0 = (orow - plane * OUT_H) * SH - PH;
    const __global real* in = input + (size_t)plane * IN_H * IN_W;
    __global real* out = output + (size_t)orow * OUT_W;
#if PLANE
    /* Global average pooling (PLANE: the window is the whole unpadded plane, the output 1x1, so
     * r is the plane): its IN_H*IN_W inputs are contiguous, summed in vectors of VW, the last
     * (IN_H*IN_W mod VW) one by one, then divided by their count. (The forms below read each tap
     * through the window's clamps and tests, one output a work-item: POCL put 16 planes' work-items
     * in one vector of gathers, 19-33 us for MobileNetV3's first squeeze, 16 planes of 56x56.) */
    (void)ox0;
    (void)y0;
    const int count = IN_H * IN_W;
    real sum = (real)0.0f;
    int i = 0;
#if VW > 1
    realv acc = (realv)(0.0f);
    for (; i + VW <= count; i += VW) {
        acc += VLOAD(in + i);
    }
    real lanes[VW];
    VSTORE(acc, lanes);
    for (int l = 0; l < VW; ++l) {
        sum += lanes[l];
    }
#endif
    for (; i < count; ++i) {
        sum += in[i];
    }
    out[0] = sum / (real)count;
#elif VW > 1 && WHOLE_ROWS && STAGED_ROWS
    /* A short whole row (STAGED_ROWS): each input row of the window is staged in a private row, padded with
     * the operation's neutral (ROW_W columns: input column x at PW + x), so that every tap of
     * every vector of outputs is one load (two and their even lanes at stride 2) with no edge
     * test; vectors at columns 0, VW, ... and a last one overlapping the one before (OUT_W >= VW;
     * pooling twice writes the same values). An average divides each lane by its own window's
     * count. (Output by output, the direct form below took 0.68-0.89 ms of kernel time for
     * Inception's 768x17x17 3x3 average pool on POCL, Zen 5; staged 0.40.) */
    (void)ox0;
#define NVEC ((OUT_W + VW - 1) / VW)
#define ROW_W (OUT_W * SW + (KW - 1) * DW)
#define NEUTRAL (POOL_MAX ? NEUTRAL_MAX : NEUTRAL_AVG)
    realv acc[NVEC];
#if POOL_MAX
    realv nans[NVEC]; /* MAX_TAP's NaN chain of each vector */
#endif
    for (int v = 0; v < NVEC; ++v) {
        acc[v] = (realv)(NEUTRAL);
#if POOL_MAX
        nans[v] = (realv)(NEUTRAL);
#endif
    }
    real row[ROW_W];
    int rows_in = 0;
    for (int i = 0; i < KH; ++i) {
        const int iy = y0 + i * DH;
        if (iy < 0 || iy >= IN_H) {
            continue; /* a row of padding: the neutral for every tap */
        }
        ++rows_in;
        const __global real* rp = in + iy * IN_W;
        /* the input's columns [0, n) go to [PW, PW + n); the rest of the row is padding */
        const int n = min(IN_W, ROW_W - PW);
        for (int b = 0; b < PW; ++b) {
            row[b] = NEUTRAL;
        }
        int x = 0;
        for (; x + VW <= n; x += VW) {
            VSTORE(VLOAD(rp + x), row + PW + x);
        }
        for (; x < n; ++x) {
            row[PW + x] = rp[x];
        }
        for (int b = PW + n; b < ROW_W; ++b) {
            row[b] = NEUTRAL;
        }
        for (int v = 0; v < NVEC; ++v) {
            const int c = min(v * VW, OUT_W - VW);
            realv a = acc[v];
#if POOL_MAX
            realv an = nans[v];
#endif
            for (int j = 0; j < KW; ++j) {
                const real* tp = row + c * SW + j * DW;
#if SW == 1
                const realv t = VLOAD(tp);
#else
                const realv lo = VLOAD(tp);
                const realv hi = VLOAD(tp + VW);
                const realv t = (realv)(lo.even, hi.even);
#endif
#if POOL_MAX
                MAX_TAP(a, an, t);
#else
                a += t;
#endif
            }
            acc[v] = a;
#if POOL_MAX
            nans[v] = an;
#endif
        }
    }
#if !POOL_MAX
    real lane_ids[VW];
    for (int l = 0; l < VW; ++l) {
        lane_ids[l] = (real)l;
    }
    const realv lane = VLOAD(lane_ids);
#if COUNT_INCLUDE_PAD
    const real rows = (real)(min(y0 + KH, IN_H + PH_END) - y0);
#else
    const real rows = (real)rows_in;
#endif
#endif
    for (int v = 0; v < NVEC; ++v) {
        const int c = min(v * VW, OUT_W - VW);
#if POOL_MAX
        VSTORE(MAX_RESULT(acc[v], nans[v]), out + c);
#else
        /* lane l's window starts at input column x0 = (c + l) * SW - PW (never left of the padding) */
        const realv x0 = lane * (real)SW + (real)(c * SW - PW);
#if COUNT_INCLUDE_PAD
        const realv cols = fmin(x0 + (real)KW, (real)(IN_W + PW_END)) - x0;
#else
        const realv cols = fmin(x0 + (real)KW, (real)IN_W) - fmax(x0, (real)0.0f);
#endif
        VSTORE(acc[v] / (rows * cols), out + c);
#endif
    }
#undef NVEC
#undef ROW_W
#undef NEUTRAL
#elif VW > 1 && WHOLE_ROWS
    /* A whole row: vectors at columns [lo, c_hi] whose every tap load stays inside the input row
     * (the last vector overlaps the one before it: pooling twice writes the same values), the
     * outputs left at the row's edges one by one. */
    (void)ox0;
    const int lo = (PW + SW - 1) / SW;
    const int reach = IN_W - 1 - (SW == 1 ? VW - 1 : 2 * VW - 1) + PW - (KW - 1) * DW;
    const int c_hi = reach < 0 ? -1 : min(reach / SW, OUT_W - VW);
    int hi = lo - 1;
    if (c_hi >= lo) {
        for (int c = lo;; c += VW) {
            const int cc = min(c, c_hi);
            const int x = cc * SW - PW;
#if POOL_MAX
            realv m = (realv)(NEUTRAL_MAX);
            realv mn = m;
            for (int i = 0; i < KH; ++i) {
                const int iy = y0 + i * DH;
                if (iy >= 0 && iy < IN_H) {
#if ROW3_STRIDE2
                    /* the 2*VW+1 inputs of the row's three taps: two vectors and one float (inside
                       the row: cc <= c_hi), their even lanes, odd lanes, and even lanes one on */
                    const __global real* rp = in + iy * IN_W + x;
                    const realv a = VLOAD(rp);
                    const realv b = VLOAD(rp + VW);
                    const realv t0 = (realv)(a.even, b.even);
                    MAX_TAP(m, mn, t0);
                    MAX_TAP(m, mn, ((realv)(a.odd, b.odd)));
                    MAX_TAP(m, mn, SHIFT_IN(t0, rp[2 * VW]));
#else
                    for (int j = 0; j < KW; ++j) {
                        MAX_TAP(m, mn, pool_taps(in + iy * IN_W, x + j * DW, NEUTRAL_MAX));
                    }
#endif
                }
            }
            VSTORE(MAX_RESULT(m, mn), out + cc);
#else
            realv s = (realv)(NEUTRAL_AVG);
            int rows_in = 0;
            for (int i = 0; i < KH; ++i) {
                const int iy = y0 + i;
                if (iy >= 0 && iy < IN_H) {
                    ++rows_in;
                    for (int j = 0; j < KW; ++j) {
                        s += pool_taps(in + iy * IN_W, x + j, NEUTRAL_AVG);
                    }
                }
            }
#if COUNT_INCLUDE_PAD
            const int divisor = (min(y0 + KH, IN_H + PH_END) - y0) * KW;
#else
            const int divisor = rows_in * KW;
#endif
            VSTORE(s / (real)divisor, out + cc);
#endif
            if (cc == c_hi) {
                break;
            }
        }
        hi = c_hi + VW - 1;
    }
    /* the edges alone (a loop over the whole row that skipped the vectors' outputs took 13% of the
       time of Inception's first max pool, whose vectors leave one output) */
    for (int ox = 0; ox < min(lo, OUT_W); ++ox) {
        out[ox] = pool_one(in, y0, ox);
    }
    for (int ox = max(hi + 1, lo); ox < OUT_W; ++ox) {
        out[ox] = pool_one(in, y0, ox);
    }
#elif VW > 1
    const int xb = ox0 * SW - PW; /* lane 0's input column at tap column 0 */
#if POOL_MAX
    realv m = (realv)(NEUTRAL_MAX);
    realv mn = m;
    for (int i = 0; i < KH; ++i) {
        const int iy = y0 + i * DH;
        if (iy < 0 || iy >= IN_H) {
            continue;
        }
        for (int j = 0; j < KW; ++j) {
            MAX_TAP(m, mn, pool_taps(in + iy * IN_W, xb + j * DW, NEUTRAL_MAX));
        }
    }
    m = MAX_RESULT(m, mn);
    if (ox0 + VW <= OUT_W) {
        VSTORE(m, out + ox0);
    } else {
        real lanes[VW];
        VSTORE(m, lanes);
        for (int l = 0; ox0 + l < OUT_W; ++l) {
            out[ox0 + l] = lanes[l];
        }
    }
#else
    realv s = (realv)(NEUTRAL_AVG);
    int rows_in = 0;
    for (int i = 0; i < KH; ++i) {
        const int iy = y0 + i;
        if (iy < 0 || iy >= IN_H) {
            continue;
        }
        ++rows_in;
        for (int j = 0; j < KW; ++j) {
            s += pool_taps(in + iy * IN_W, xb + j, NEUTRAL_AVG);
        }
    }
    real lanes[VW];
    VSTORE(s, lanes);
    for (int l = 0; l < VW && ox0 + l < OUT_W; ++l) {
        const int x0 = xb + l * SW;
#if COUNT_INCLUDE_PAD
        const int divisor = (min(y0 + KH, IN_H + PH_END) - y0) * (min(x0 + KW, IN_W + PW_END) - x0);
#else
        const int divisor = rows_in * max(0, min(x0 + KW, IN_W) - max(x0, 0));
#endif
        out[ox0 + l] = lanes[l] / (real)divisor;
    }
#endif
#elif POOL_MAX
    real m[XR];
    for (int l = 0; l < XR; ++l) {
        m[l] = -INFINITY;
    }
    for (int i = 0; i < KH; ++i) {
        const int iy = y0 + i * DH;
        const bool row_in = iy >= 0 && iy < IN_H;
        const int row = clamp(iy, 0, IN_H - 1) * IN_W;
        for (int j = 0; j < KW; ++j) {
            for (int l = 0; l < XR; ++l) {
                const int ix = (ox0 + l) * SW - PW + j * DW;
                const real t = in[row + clamp(ix, 0, IN_W - 1)];
                const bool take = row_in && ix >= 0 && ix < IN_W && (t > m[l] || t != t);
                m[l] = take ? t : m[l];
            }
        }
    }
    for (int l = 0; l < XR; ++l) {
        if (XR == OUT_W || ox0 + l < OUT_W) {
            out[ox0 + l] = m[l];
        }
    }
#else
    real s[XR];
    int taps[XR];
    for (int l = 0; l < XR; ++l) {
        s[l] = (real)0.0f;
        taps[l] = 0;
    }
    for (int i = 0; i < KH; ++i) {
        const int iy = y0 + i;
        const bool row_in = iy >= 0 && iy < IN_H;
        const int row = clamp(iy, 0, IN_H - 1) * IN_W;
        for (int j = 0; j < KW; ++j) {
            for (int l = 0; l < XR; ++l) {
                const int ix = (ox0 + l) * SW - PW + j;
                const bool take = row_in && ix >= 0 && ix < IN_W;
                const real t = in[row + clamp(ix, 0, IN_W - 1)];
                s[l] += take ? t : (real)0.0f;
                taps[l] += take ? 1 : 0;
            }
        }
    }
    for (int l = 0; l < XR; ++l) {
        if (XR == OUT_W || ox0 + l < OUT_W) {
#if COUNT_INCLUDE_PAD
            const int x0 = (ox0 + l) * SW - PW;
            const int divisor = (min(y0 + KH, IN_H + PH_END) - y0) * (min(x0 + KW, IN_W + PW_END) - x0);
#else
            const int divisor = taps[l];
#endif
            out[ox0 + l] = s[l] / (real)divisor;
        }
    }
#endif
}
