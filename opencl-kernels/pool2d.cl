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
 *                      or 2: a work-item computes a whole row (CPU devices), the window's input
 *                      rows first reduced into one private row padded with the operation's
 *                      neutral, then every output in vectors from it, KW taps each (the last
 *                      vector overlaps the one before). Or XR == VW:
 *                      the run is one vector (tests, strides above 2). In runs of one vector each
 *                      tap's XR inputs are then one vector load at stride 1, two loads and their
 *                      even lanes at stride 2, a gather otherwise or where the run's taps reach
 *                      the padding (lanes outside the input take the neighbour of the operation:
 *                      -inf for max, 0 for average); a run past the row's end stores lane by lane.
 *                      Per-lane selects and gathers of the scalar form cost 3-6 ms on POCL for
 *                      Inception's 288x35x35 3x3 average pools.
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
/* The VW inputs of one tap of a run: lane l reads rp[x + l * SW], or NEUTRAL outside [0, IN_W). */
#define NEUTRAL_MAX (-INFINITY)
#define NEUTRAL_AVG ((real)0.0f)
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

#define WHOLE_ROWS (XR == OUT_W && SW <= 2)
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
#elif VW > 1 && WHOLE_ROWS
    /* A whole row, staged: the window's input rows are reduced into one private row first (the
     * max, or the sum, of each column over the rows inside the image), padded with the
     * operation's neutral (ROW_W columns: input column x at PW + x), and the outputs are then
     * taken from it in vectors, KW taps each with no edge test: each tap is one load (two and
     * their even lanes at stride 2); vectors at columns 0, VW, ... and a last one overlapping the
     * one before (OUT_W >= VW; pooling twice writes the same values). An average divides each
     * lane by its own window's count. Reducing the rows first does a window's KH x KW taps in
     * KH - 1 + KW vector operations a column instead of KH x KW. Kernel medians on POCL (Zen 5,
     * 2 threads), against taps read window row by window row (vectors from the input where
     * their taps lay inside the row, the row's edge outputs one by one): ResNet's 3x3/2 max pool
     * of 64x112x112 0.14-0.20 ms against 0.37-0.41, Inception's of 64x147x147 0.33-0.40 against
     * 0.61-1.13 and of 768x17x17 0.11 against 0.20-0.23, its 3x3 average pools of 64x35x35 and
     * 192x17x17 0.07-0.08 and 0.09-0.11 against 0.10 and 0.15-0.18; 288x35x35's max pool
     * 0.13-0.15 against 0.12-0.20. (Output by output, 768x17x17's average pool took 0.68-0.89.) */
    (void)ox0;
#define NVEC ((OUT_W + VW - 1) / VW)
#define ROW_W (OUT_W * SW + (KW - 1) * DW)
#define NEUTRAL (POOL_MAX ? NEUTRAL_MAX : NEUTRAL_AVG)
    real row[ROW_W];
    /* the window's rows inside the image: i in [iLo, iHi) */
    const int iLo = y0 >= 0 ? 0 : (DH - 1 - y0) / DH;
    const int iHi = IN_H - y0 > 0 ? min(KH, (IN_H - y0 + DH - 1) / DH) : 0;
    const int rows_in = max(0, iHi - iLo);
    /* the input's columns [0, n) go to [PW, PW + n); the rest of the row is padding */
    const int n = min(IN_W, ROW_W - PW);
    for (int b = 0; b < PW; ++b) {
        row[b] = NEUTRAL;
    }
    for (int b = PW + n; b < ROW_W; ++b) {
        row[b] = NEUTRAL;
    }
    if (rows_in == 0) {
        for (int b = PW; b < PW + n; ++b) {
            row[b] = NEUTRAL;
        }
    } else if (n >= VW) {
        /* a vector of columns at a time, down the rows in registers; the last vector overlaps
           the one before (it writes the same values) */
        const __global real* rp = in + (y0 + iLo * DH) * IN_W;
        for (int x = 0;; x += VW) {
            const int xx = min(x, n - VW);
            realv a = VLOAD(rp + xx);
            for (int i = 1; i < rows_in; ++i) {
                const realv t = VLOAD(rp + i * DH * IN_W + xx);
#if POOL_MAX
                a = select(a, t, (t > a) | (t != t)); /* NaN taken, and kept: nothing is > NaN */
#else
                a += t;
#endif
            }
            VSTORE(a, row + PW + xx);
            if (xx == n - VW) {
                break;
            }
        }
    } else {
        const __global real* rp = in + (y0 + iLo * DH) * IN_W;
        for (int x = 0; x < n; ++x) {
            real a = rp[x];
            for (int i = 1; i < rows_in; ++i) {
                const real t = rp[i * DH * IN_W + x];
#if POOL_MAX
                a = t > a || t != t ? t : a;
#else
                a += t;
#endif
            }
            row[PW + x] = a;
        }
    }
    realv acc[NVEC];
    for (int v = 0; v < NVEC; ++v) {
        const int c = min(v * VW, OUT_W - VW);
        realv a = (realv)(NEUTRAL);
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
            a = select(a, t, (t > a) | (t != t));
#else
            a += t;
#endif
        }
        acc[v] = a;
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
        VSTORE(acc[v], out + c);
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
#elif VW > 1
    const int xb = ox0 * SW - PW; /* lane 0's input column at tap column 0 */
#if POOL_MAX
    realv m = (realv)(NEUTRAL_MAX);
    for (int i = 0; i < KH; ++i) {
        const int iy = y0 + i * DH;
        if (iy < 0 || iy >= IN_H) {
            continue;
        }
        for (int j = 0; j < KW; ++j) {
            const realv t = pool_taps(in + iy * IN_W, xb + j * DW, NEUTRAL_MAX);
            m = select(m, t, (t > m) | (t != t)); /* NaN taken, and kept: nothing is > NaN */
        }
    }
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
