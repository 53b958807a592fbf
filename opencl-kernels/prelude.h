/*
 * prelude.h: the text in front of every convcl kernel. ProgramCache puts it before each kernel
 * file's source (the kernel files do not include it), so the program cache's keys, in memory and
 * on disk, cover it. What it gives a kernel: the element type `real`, vectors of it and their
 * load/store/fma macros, the activation macro, the epilogue (bias and post-op chain) and the
 * bilinear sampling rule of the deformable kernels.
 *
 * Build options (-D), all optional (default in brackets). The host writes them in one place,
 * dev.convcl.opencl.KernelOptions:
 *   REAL, REAL_BYTES  the OpenCL C type of every tensor element and its size in bytes
 *                     [float, 4], from dev.convcl.DataType
 *   VW                width of the `realv` vectors: 1, 2, 4, 8 or 16 [1]
 *   HAS_BIAS          0 or 1: EPILOGUE adds the bias [0]
 *   POST_N            steps in the post-op chain, 0 to POST_MAX [0]
 *   POSTi_KIND        step i's kind, for i < POST_N: one of the POST_* codes below
 *   POSTi_A, POSTi_B  step i's parameters, float literals: an activation's alpha and beta
 *                     (dev.convcl.Activation), a sum's scale in A
 *
 * Defines:
 *   real, real2 .. real16   the element type and its vectors; realv: real when VW is 1, else realVW
 *   VLOAD(p), VSTORE(v, p), VFMA(a, b, c)    on realv; VLOADn, VSTOREn, VFMAn for n = 1, 2, 4, 8, 16
 *   VCALLn(f, x)            the unary built-in f applied to a realn x (n = 1, 2, 4, 8, 16)
 *   ACTIVATION(kind, T, N, x, a, b)   activation `kind` (a POST_* code) of x, of type T (real or
 *                           realN; N is its width, 1 for real), parameters a, b
 *   EPILOGUE(T, N, v, b, s) a statement: v += b (with HAS_BIAS), then every post-op step in order;
 *                           b is the bias, s the sum tensor's value at v's output index (an
 *                           expression that is evaluated only when the chain has a sum step)
 *   HAS_SUM                 1 when the chain has a sum step, else 0
 *   sample_cell, sample_inside, bilinear_taps, bilinear_combine   the deformable sampling rule
 *   store_head, EPILOGUE_STORE_HEAD   the epilogue and the store of a row's last, partial vector
 *
 * Vectors wider than the target's registers reach the built-ins (vloadn, vstoren, fma, exp, erf)
 * in register-wide pieces. Every OpenCL built-in is a function, and a vector wider than the
 * registers, passed to a function or returned by one, changes the x86 calling convention: clang
 * then warns ("AVX vector argument of type 'float16' ... without 'avx512f' enabled changes the
 * ABI") and prints "N warnings generated." on the process's stderr, e.g. on POCL's
 * pthread-haswell device (AVX2: 256-bit registers, 8 floats). The machine code is the same: the
 * compiler splits such vectors into register-wide pieces anyway. Arguments of these macros may be
 * evaluated more than once: pass variables or side-effect-free expressions.
 *
 * NaN: every activation is written with comparisons, which are false for NaN, never with
 * fmin/fmax/clamp, so NaN stays NaN exactly as dev.convcl.Activation.apply defines.
 */
#ifndef CONVCL_PRELUDE_H
#define CONVCL_PRELUDE_H

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

/* ------------------------------------------------------------------ the element type */

#ifndef REAL
#define REAL float
#endif
#ifndef REAL_BYTES
#define REAL_BYTES 4
#endif

typedef REAL real;
typedef CAT(REAL, 2) real2;
typedef CAT(REAL, 4) real4;
typedef CAT(REAL, 8) real8;
typedef CAT(REAL, 16) real16;

/* ------------------------------------------------------------------ vectors */

/* Bytes in one vector register of the target: clang defines __AVX512F__ / __AVX__ from the
   device's target CPU. Other targets pass any OpenCL vector without such a warning. */
#if !defined(__x86_64__) && !defined(__i386__)
#define VREG_BYTES 64
#elif defined(__AVX512F__)
#define VREG_BYTES 64
#elif defined(__AVX__)
#define VREG_BYTES 32
#else
#define VREG_BYTES 16
#endif
#define VREG_REALS (VREG_BYTES / REAL_BYTES)

#define VLOAD1(p) (*(p))
#define VSTORE1(v, p) (*(p) = (v))
#define VFMA1(a, b, c) fma((a), (b), (c))
#define VCALL1(f, x) f(x)
#define VLOAD2(p) vload2(0, (p))
#define VSTORE2(v, p) vstore2((v), 0, (p))
#define VFMA2(a, b, c) fma((a), (b), (c))
#define VCALL2(f, x) f(x)
#define VLOAD4(p) vload4(0, (p))
#define VSTORE4(v, p) vstore4((v), 0, (p))
#define VFMA4(a, b, c) fma((a), (b), (c))
#define VCALL4(f, x) f(x)

#if VREG_REALS >= 8
#define VLOAD8(p) vload8(0, (p))
#define VSTORE8(v, p) vstore8((v), 0, (p))
#define VFMA8(a, b, c) fma((a), (b), (c))
#define VCALL8(f, x) f(x)
#else
#define VLOAD8(p) ((real8)(VLOAD4(p), VLOAD4((p) + 4)))
#define VSTORE8(v, p) do { VSTORE4((v).lo, (p)); VSTORE4((v).hi, (p) + 4); } while (0)
#define VFMA8(a, b, c) ((real8)(VFMA4((a).lo, (b).lo, (c).lo), VFMA4((a).hi, (b).hi, (c).hi)))
#define VCALL8(f, x) ((real8)(VCALL4(f, (x).lo), VCALL4(f, (x).hi)))
#endif

#if VREG_REALS >= 16
#define VLOAD16(p) vload16(0, (p))
#define VSTORE16(v, p) vstore16((v), 0, (p))
#define VFMA16(a, b, c) fma((a), (b), (c))
#define VCALL16(f, x) f(x)
#else
#define VLOAD16(p) ((real16)(VLOAD8(p), VLOAD8((p) + 8)))
#define VSTORE16(v, p) do { VSTORE8((v).lo, (p)); VSTORE8((v).hi, (p) + 8); } while (0)
#define VFMA16(a, b, c) ((real16)(VFMA8((a).lo, (b).lo, (c).lo), VFMA8((a).hi, (b).hi, (c).hi)))
#define VCALL16(f, x) ((real16)(VCALL8(f, (x).lo), VCALL8(f, (x).hi)))
#endif

#if !defined(VW) || VW == 1
typedef real realv;
#define VLOAD(p) VLOAD1(p)
#define VSTORE(v, p) VSTORE1(v, p)
#define VFMA(a, b, c) VFMA1(a, b, c)
#else
typedef CAT(real, VW) realv;
#define VLOAD(p) CAT(VLOAD, VW)(p)
#define VSTORE(v, p) CAT(VSTORE, VW)(v, p)
#define VFMA(a, b, c) CAT(VFMA, VW)(a, b, c)
#endif

/* ------------------------------------------------------------------ register tiles and NDRanges */

/* Unrolled loops over a register tile of realv; ROWS, COLS and N are build-time constants, so each
 * expands to straight-line code:
 *   TILE_ZERO(ACC, ROWS, COLS)   ACC[r][v] = 0 for r < ROWS, v < COLS
 *   VLOAD_ROW(DST, SRC, N)       DST[v] = the v-th vector of VW reals from SRC on, for v < N
 *   VFMA_ROW(ROW, S, X, N)       ROW[v] = fma(S, X[v], ROW[v]), for v < N
 *   VFMA_ROW_XS(ROW, S, X, N)    ROW[v] = fma(X[v], S, ROW[v]), for v < N: the same value (the
 *                                product is exact), the factors in the order a kernel was tuned with */
#define TILE_ZERO(ACC, ROWS, COLS)                                                                \
    _Pragma("unroll") for (int r_ = 0; r_ < (ROWS); ++r_) {                                       \
        _Pragma("unroll") for (int v_ = 0; v_ < (COLS); ++v_) {                                   \
            (ACC)[r_][v_] = (realv)(0.0f);                                                        \
        }                                                                                          \
    }
#define VLOAD_ROW(DST, SRC, N)                                                                    \
    _Pragma("unroll") for (int v_ = 0; v_ < (N); ++v_) {                                          \
        (DST)[v_] = VLOAD((SRC) + v_ * VW);                                                       \
    }
#define VFMA_ROW(ROW, S, X, N)                                                                    \
    _Pragma("unroll") for (int v_ = 0; v_ < (N); ++v_) {                                          \
        (ROW)[v_] = VFMA((S), (X)[v_], (ROW)[v_]);                                                \
    }
#define VFMA_ROW_XS(ROW, S, X, N)                                                                 \
    _Pragma("unroll") for (int v_ = 0; v_ < (N); ++v_) {                                          \
        (ROW)[v_] = VFMA((X)[v_], (S), (ROW)[v_]);                                                \
    }

/* The start of a kernel over a 1-D NDRange of COUNT items, its global size rounded up to the local
 * size (no non-uniform work-groups): declares `const int I`, the work-item's item; a work-item
 * past COUNT returns (compared unsigned: the rounded-up range may pass 2^31). */
#define ITEM_OR_RETURN(I, COUNT)                                                                  \
    const size_t I##_gid = get_global_id(0);                                                       \
    if (I##_gid >= (size_t)(COUNT)) {                                                              \
        return;                                                                                    \
    }                                                                                              \
    const int I = (int)I##_gid

/* The indices of linear index O in a row-major array of shape [*, D1, D2, D3], outermost first:
 * (.s0, .s1, .s2, .s3); e.g. (n, c, y, x) of an element of an NCHW tensor. */
inline int4 unravel4(const int o, const int d1, const int d2, const int d3)
{
    const int i3 = o % d3;
    int r = o / d3;
    const int i2 = r % d2;
    r /= d2;
    return (int4)(r / d1, r % d1, i2, i3);
}

/* ------------------------------------------------------------------ activations and post-ops */

/* The post-op codes of -DPOSTi_KIND: POST_ followed by the name of dev.convcl.Activation.Kind,
   and POST_SUM for dev.convcl.Sum. */
#define POST_RELU 1
#define POST_CLIP 2
#define POST_LEAKY_RELU 3
#define POST_SIGMOID 4
#define POST_SILU 5
#define POST_GELU 6
#define POST_HARDSIGMOID 7
#define POST_HARDSWISH 8
#define POST_SUM 9
#define POST_MAX 8 /* steps a chain may have */

/* clamp(t, 0, 1) with comparisons: NaN stays NaN. */
#define ACT_CLAMP01(T, t) ((t) < (T)(0.0f) ? (T)(0.0f) : ((t) > (T)(1.0f) ? (T)(1.0f) : (t)))

/*
 * The activation `kind` (a POST_* code, a compile-time constant) of x, with parameters a and b,
 * as dev.convcl.Activation defines each kind. T is x's type, real or realN, and N its width (1
 * for real), which splits exp and erf into register-wide pieces. The compiler keeps the one arm
 * `kind` selects.
 */
#define ACTIVATION(kind, T, N, x, a, b)                                                           \
    ((kind) == POST_RELU ? ((x) < (T)(0.0f) ? (T)(0.0f) : (x))                                    \
   : (kind) == POST_CLIP ? ((x) < (T)(a) ? (T)(a) : ((x) > (T)(b) ? (T)(b) : (x)))                \
   : (kind) == POST_LEAKY_RELU ? ((x) < (T)(0.0f) ? (T)(a) * (x) : (x))                           \
   : (kind) == POST_SIGMOID ? (T)(1.0f) / ((T)(1.0f) + CAT(VCALL, N)(exp, -(x)))                  \
   : (kind) == POST_SILU ? (x) / ((T)(1.0f) + CAT(VCALL, N)(exp, -(x)))                           \
   : (kind) == POST_GELU ? (T)(0.5f) * (x) * ((T)(1.0f) + CAT(VCALL, N)(erf, (x) * (T)(M_SQRT1_2_F))) \
   : (kind) == POST_HARDSIGMOID ? ACT_CLAMP01(T, (T)(a) * (x) + (T)(b))                           \
   : (kind) == POST_HARDSWISH ? (x) * ACT_CLAMP01(T, (x) / (T)(6.0f) + (T)(0.5f))                \
   : (x))

/* One post-op step on v: an activation, or the sum step v + scale * s. */
#define POST_OP(kind, T, N, v, s, a, b) \
    ((kind) == POST_SUM ? (v) + (T)(a) * (s) : ACTIVATION(kind, T, N, v, a, b))

#ifndef HAS_BIAS
#define HAS_BIAS 0
#endif
#ifndef POST_N
#define POST_N 0
#endif
#if POST_N < 0 || POST_N > POST_MAX
#error "POST_N must be 0 to POST_MAX"
#endif
/* Each step's kind must be a code (and these checks make the kinds part of a build's code path). */
#if POST_N > 0 && (POST0_KIND < POST_RELU || POST0_KIND > POST_SUM)
#error "POST0_KIND is not a POST_* code"
#endif
#if POST_N > 1 && (POST1_KIND < POST_RELU || POST1_KIND > POST_SUM)
#error "POST1_KIND is not a POST_* code"
#endif
#if POST_N > 2 && (POST2_KIND < POST_RELU || POST2_KIND > POST_SUM)
#error "POST2_KIND is not a POST_* code"
#endif
#if POST_N > 3 && (POST3_KIND < POST_RELU || POST3_KIND > POST_SUM)
#error "POST3_KIND is not a POST_* code"
#endif
#if POST_N > 4 && (POST4_KIND < POST_RELU || POST4_KIND > POST_SUM)
#error "POST4_KIND is not a POST_* code"
#endif
#if POST_N > 5 && (POST5_KIND < POST_RELU || POST5_KIND > POST_SUM)
#error "POST5_KIND is not a POST_* code"
#endif
#if POST_N > 6 && (POST6_KIND < POST_RELU || POST6_KIND > POST_SUM)
#error "POST6_KIND is not a POST_* code"
#endif
#if POST_N > 7 && (POST7_KIND < POST_RELU || POST7_KIND > POST_SUM)
#error "POST7_KIND is not a POST_* code"
#endif

#define POST_IS_SUM(i) (POST_N > i && POST##i##_KIND == POST_SUM)
#if POST_IS_SUM(0) || POST_IS_SUM(1) || POST_IS_SUM(2) || POST_IS_SUM(3) || POST_IS_SUM(4) \
    || POST_IS_SUM(5) || POST_IS_SUM(6) || POST_IS_SUM(7)
#define HAS_SUM 1
#else
#define HAS_SUM 0
#endif

#define POST_STEP(i, T, N, v, s) (v) = POST_OP(POST##i##_KIND, T, N, v, s, POST##i##_A, POST##i##_B)
#define POST_CHAIN1(T, N, v, s) POST_STEP(0, T, N, v, s)
#define POST_CHAIN2(T, N, v, s) POST_CHAIN1(T, N, v, s); POST_STEP(1, T, N, v, s)
#define POST_CHAIN3(T, N, v, s) POST_CHAIN2(T, N, v, s); POST_STEP(2, T, N, v, s)
#define POST_CHAIN4(T, N, v, s) POST_CHAIN3(T, N, v, s); POST_STEP(3, T, N, v, s)
#define POST_CHAIN5(T, N, v, s) POST_CHAIN4(T, N, v, s); POST_STEP(4, T, N, v, s)
#define POST_CHAIN6(T, N, v, s) POST_CHAIN5(T, N, v, s); POST_STEP(5, T, N, v, s)
#define POST_CHAIN7(T, N, v, s) POST_CHAIN6(T, N, v, s); POST_STEP(6, T, N, v, s)
#define POST_CHAIN8(T, N, v, s) POST_CHAIN7(T, N, v, s); POST_STEP(7, T, N, v, s)
#if POST_N == 0
#define POST_CHAIN(T, N, v, s) ((void)0)
#else
#define POST_CHAIN(T, N, v, s) CAT(POST_CHAIN, POST_N)(T, N, v, s)
#endif

#if HAS_BIAS
#define EPILOGUE_BIAS(T, v, b) ((v) += (T)(b))
#else
#define EPILOGUE_BIAS(T, v, b) ((void)0)
#endif

/* The epilogue of every kernel: bias, then the post-op chain, on v in place. */
#define EPILOGUE(T, N, v, b, s) \
    do {                        \
        EPILOGUE_BIAS(T, v, b); \
        POST_CHAIN(T, N, v, s); \
    } while (0)

/* ------------------------------------------------------------------ deformable sampling */

/*
 * The integer cell of base + d: base + floor(d), saturated. Exact unless the true cell is outside
 * the int range; a saturated cell is outside the image, because the host guarantees that the
 * padded height and width stay below 2^31 (so -PH <= base <= H + PH_END - 1), likewise for W.
 * The fraction d - floor(d) depends on the offset alone, so no bits are lost on wide or tall maps.
 */
inline int sample_cell(int base, real d)
{
    return add_sat(base, convert_int_sat(floor(d)));
}

/* Whether -1 < cell + frac < size, for 0 <= frac <= 1: a point exactly on -1 or size is outside. */
inline bool sample_inside(int cell, real frac, int size)
{
    return cell >= -1 && cell < size && (cell >= 0 || frac > (real)0.0f);
}

/*
 * The bilinear sample at (by + dy, bx + dx) of an H x W image, in which each neighbour outside the
 * image counts as zero: its four neighbours (y0, x0), (y0, x0+1), (y0+1, x0), (y0+1, x0+1) get the
 * flat indices tap[0..3] (0 for a neighbour outside the image) and the weights w[0..3]; bit q of
 * the result says whether neighbour q is inside. The sample is
 * bilinear_combine(w, v) with v[q] = image[tap[q]] where bit q is set, else 0. It is zero (weights
 * 0) unless -1 < y < H and -1 < x < W, an infinite offset being outside; NaN (weights NaN) when dy
 * or dx is NaN.
 */
inline int bilinear_taps(int by, real dy, int bx, real dx, int H, int W, int tap[4], real w[4])
{
    tap[0] = tap[1] = tap[2] = tap[3] = 0;
    if (isnan(dy) || isnan(dx)) {
        w[0] = w[1] = w[2] = w[3] = (real)NAN; /* times zero neighbours: a NaN sample */
        return 0;
    }
    const int y0 = sample_cell(by, dy), x0 = sample_cell(bx, dx);
    const real ly = dy - floor(dy), lx = dx - floor(dx);
    if (!(sample_inside(y0, ly, H) && sample_inside(x0, lx, W))) {
        w[0] = w[1] = w[2] = w[3] = (real)0.0f;
        return 0;
    }
    const real hy = (real)1.0f - ly, hx = (real)1.0f - lx;
    w[0] = hy * hx;
    w[1] = hy * lx;
    w[2] = ly * hx;
    w[3] = ly * lx;
    /* -1 <= y0 <= H-1 and -1 <= x0 <= W-1 hold inside. */
    const bool top = y0 >= 0, bottom = y0 + 1 < H;
    const bool left = x0 >= 0, right = x0 + 1 < W;
    const int idx = y0 * W + x0;
    int ok = 0;
    if (top && left) {
        tap[0] = idx;
        ok |= 1;
    }
    if (top && right) {
        tap[1] = idx + 1;
        ok |= 2;
    }
    if (bottom && left) {
        tap[2] = idx + W;
        ok |= 4;
    }
    if (bottom && right) {
        tap[3] = idx + W + 1;
        ok |= 8;
    }
    return ok;
}

/* The sample from the four weights and the four neighbour values (0 for those outside). */
inline real bilinear_combine(real w0, real w1, real w2, real w3, real v0, real v1, real v2, real v3)
{
    return w0 * v0 + w1 * v1 + w2 * v2 + w3 * v3;
}

/* The arguments every NCHW convolution kernel ends with (conv2d_direct, depthwise, deform2d_direct,
 * deform2d_gemm), after its input tensors: the weights [K][C/groups][KH][KW], the bias [K] (any
 * buffer without HAS_BIAS), the sum post-op's tensor, of the output's shape (any buffer without
 * one), the output [N][K][OH][OW], then the call's sizes. */
#define CONV_TAIL_ARGS                                                                            \
    __global const real* restrict weight, __global const real* restrict bias,                    \
    __global const real* restrict sum, __global real* restrict output,                           \
    const int N, const int C, const int H, const int W, const int K, const int OH, const int OW

/* The start of a direct kernel (NDRange (round_up(OW, lx), round_up(OH, ly), N*K), one work-item
 * an output element): declares the element's column ox, row oy, nk = n*K + k, image n, output
 * channel k and its group g (KG output channels a group); a work-item past OW or OH returns. */
#define DIRECT_OUTPUT_ELEMENT()                                                                   \
    const int ox = get_global_id(0);                                                               \
    const int oy = get_global_id(1);                                                               \
    const int nk = get_global_id(2);                                                               \
    if (ox >= OW || oy >= OH) {                                                                    \
        return;                                                                                    \
    }                                                                                              \
    const int n = nk / K;                                                                          \
    const int k = nk - n * K;                                                                      \
    const int g = k / KG

/* ------------------------------------------------------------ a row's last, partial vector */

/*
 * Stores the first n (< VW) of the reals at lanes (a private copy of a row's last, partial vector)
 * to out as one run each of 8, 4, 2 and 1 that n holds, not one by one; runs of VW or more are
 * left out at compile time. The vector itself is not an argument: a vector wider than the
 * registers (a float16 without AVX-512) changes the calling convention and clang warns.
 */
inline void store_head(__global real* out, const real* lanes, int n)
{
    int o = 0;
#if VW > 8
    if (n & 8) {
        VSTORE8(VLOAD8(lanes + o), out + o);
        o += 8;
    }
#endif
#if VW > 4
    if (n & 4) {
        VSTORE4(VLOAD4(lanes + o), out + o);
        o += 4;
    }
#endif
#if VW > 2
    if (n & 2) {
        VSTORE2(VLOAD2(lanes + o), out + o);
        o += 2;
    }
#endif
    if (n & 1) {
        out[o] = lanes[o];
    }
}

/* Declares SV, the realv of the sum post-op's tensor at s[0 .. n-1] (s a pointer to the first of
   the n elements), zero in the lanes from n on; zero without a sum step (s is not read then). */
#if HAS_SUM
#define PARTIAL_SUM(SV, s, n)                                                                     \
    real SV##_l[VW];                                                                              \
    for (int l_ = 0; l_ < VW; ++l_) {                                                             \
        SV##_l[l_] = l_ < (n) ? (s)[l_] : (real)0.0f;                                             \
    }                                                                                             \
    const realv SV = VLOAD(SV##_l)
#else
#define PARTIAL_SUM(SV, s, n) const realv SV = (realv)(0.0f)
#endif

/* A statement: the epilogue (bias b, the sum tensor's values from s on) on all VW lanes of the
   realv v, the lanes past n zero in the sum, then v's first n (< VW) lanes stored to out. v is
   changed; n is evaluated more than once. */
#define EPILOGUE_STORE_HEAD(v, b, s, out, n)                                                      \
    do {                                                                                          \
        PARTIAL_SUM(sv_, s, n);                                                                   \
        EPILOGUE(realv, VW, v, b, sv_);                                                           \
        real lanes_[VW];                                                                          \
        VSTORE(v, lanes_);                                                                        \
        store_head((out), lanes_, (n));                                                           \
    } while (0)

#endif /* CONVCL_PRELUDE_H */
