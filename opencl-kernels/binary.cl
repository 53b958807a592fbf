/*
 * binary.cl: y = post(a OP b) with numpy broadcasting, as dev.convcl.Binary defines it (the
 * residual add, the squeeze-excitation scale x * s[N, C, 1, 1], sub and div).
 * The host collapses the output's shape to at most 4 dimensions [O0, O1, O2, O3] in which each
 * operand is either read along a dimension or broadcast over it (stride 0). A work-item computes a
 * run of RUN adjacent outputs of one row (along O3): vectors of VW while VW of the run are left,
 * then the run's last outputs one by one, so a row of any length vectorises (the squeeze-excitation
 * scale's rows of 7x7 = 49 are 3 vectors of 16 and 1 output); an operand that is broadcast along
 * the row is one value splatted over the vector. The host gives a CPU-like device long runs (a
 * work-item's start, its row index and its unravelling cost more there than a few vectors) and a
 * GPU runs of one vector (RUN = VW dividing O3: neighbouring work-items read neighbouring vectors).
 *
 * Build options (-D), besides the prelude's (REAL, REAL_BYTES, POST_N, POSTi_*: the element type
 * and the epilogue, see prelude.h; HAS_BIAS is 0):
 *   OP         1 add, 2 sub, 3 mul, 4 div
 *   VW         outputs per vector, 1, 2, 4, 8 or 16 (the prelude's realv)
 *   RUN        outputs per work-item along a row, 1 to O3
 *   A_VEC      1 when a is read along the last dimension (stride 1), 0 when broadcast over it
 *   B_VEC      the same for b
 * Kernel arguments: a, b, sum (the sum post-op's tensor, of the output's shape; any buffer without
 *   one), output, O1, O2, O3 (the collapsed output's last three dimensions), SA0, SA1, SA2 and
 *   SB0, SB1, SB2 (a's and b's element strides along O0, O1, O2; 0 where broadcast), ITEMS
 *   (O0 * O1 * O2 * ceil(O3 / RUN), the runs).
 * NDRange: 1-D, global round_up(ITEMS, local); work-items past ITEMS return.
 */
#if OP == 1
#define APPLY(x, y) ((x) + (y))
#elif OP == 2
#define APPLY(x, y) ((x) - (y))
#elif OP == 3
#define APPLY(x, y) ((x) * (y))
#elif OP == 4
#define APPLY(x, y) ((x) / (y))
#else
#error "OP must be 1 (add), 2 (sub), 3 (mul) or 4 (div)"
#endif

__kernel void binary(__global const real* restrict a,
                     __global const real* restrict b,
                     __global const real* restrict sum,
                     __global real* restrict output,
                     const int O1, const int O2, const int O3,
                     const int SA0, const int SA1, const int SA2,
                     const int SB0, const int SB1, const int SB2,
                     const int ITEMS)
{
    ITEM_OR_RETURN(item, ITEMS);
    const int runs = (O3 + RUN - 1) / RUN;
    const int row = item / runs;            /* the row: (i0 * O1 + i1) * O2 + i2 */
    const int x0 = (item - row * runs) * RUN;
    const int n = min(RUN, O3 - x0);
    const int i2 = row % O2;
    const int r = row / O2;
    const int i1 = r % O1;
    const int i0 = r / O1;
    const int o = row * O3 + x0;
#if A_VEC
    const __global real* pa = a + i0 * SA0 + i1 * SA1 + i2 * SA2 + x0;
#else
    const real sa = a[i0 * SA0 + i1 * SA1 + i2 * SA2];
#endif
#if B_VEC
    const __global real* pb = b + i0 * SB0 + i1 * SB1 + i2 * SB2 + x0;
#else
    const real sb = b[i0 * SB0 + i1 * SB1 + i2 * SB2];
#endif
    int k = 0;
    for (; k + VW <= n; k += VW) {
#if A_VEC
        const realv x = VLOAD(pa + k);
#else
        const realv x = (realv)(sa);
#endif
#if B_VEC
        const realv y = VLOAD(pb + k);
#else
        const realv y = (realv)(sb);
#endif
        realv v = APPLY(x, y);
        EPILOGUE(realv, VW, v, 0, VLOAD(sum + o + k));
        VSTORE(v, output + o + k);
    }
#if VW > 1
    for (; k < n; ++k) {
#if A_VEC
        const real x = pa[k];
#else
        const real x = sa;
#endif
#if B_VEC
        const real y = pb[k];
#else
        const real y = sb;
#endif
        real v = APPLY(x, y);
        EPILOGUE(real, 1, v, 0, sum[o + k]);
        output[o + k] = v;
    }
#endif
}
