/*
 * binary.cl: y = post(a OP b) with numpy broadcasting, as dev.convcl.Binary defines it (the
 * residual add, the squeeze-excitation scale x * s[N, C, 1, 1], sub and div).
 * The host collapses the output's shape to at most 4 dimensions [O0, O1, O2, O3] in which each
 * operand is either read along a dimension or broadcast over it (stride 0); a work-item computes
 * VW adjacent outputs along the last dimension: VW divides O3, and an operand that is broadcast
 * along it is one value splatted over the vector.
 *
 * Build options (-D), besides the prelude's (REAL, REAL_BYTES, POST_N, POSTi_*: the element type
 * and the epilogue, see prelude.h; HAS_BIAS is 0):
 *   OP         1 add, 2 sub, 3 mul, 4 div
 *   VW         outputs per work-item, 1, 2, 4, 8 or 16, dividing O3 (the prelude's realv)
 *   A_VEC      1 when a is read along the last dimension (stride 1), 0 when broadcast over it
 *   B_VEC      the same for b
 * Kernel arguments: a, b, sum (the sum post-op's tensor, of the output's shape; any buffer without
 *   one), output, O1, O2, O3 (the collapsed output's last three dimensions), SA0, SA1, SA2 and
 *   SB0, SB1, SB2 (a's and b's element strides along O0, O1, O2; 0 where broadcast), VECTORS
 *   (outputs / VW).
 * NDRange: 1-D, global round_up(VECTORS, local); work-items past VECTORS return.
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
                     const int VECTORS)
{
    ITEM_OR_RETURN(vector, VECTORS);
    const int o = vector * VW;
    const int4 i = unravel4(o, O1, O2, O3);
    const int ia = i.s0 * SA0 + i.s1 * SA1 + i.s2 * SA2;
    const int ib = i.s0 * SB0 + i.s1 * SB1 + i.s2 * SB2;
#if A_VEC
    const realv x = VLOAD(a + ia + i.s3);
#else
    const realv x = (realv)(a[ia]);
#endif
#if B_VEC
    const realv y = VLOAD(b + ib + i.s3);
#else
    const realv y = (realv)(b[ib]);
#endif
    realv v = APPLY(x, y);
    EPILOGUE(realv, VW, v, 0, VLOAD(sum + o));
    VSTORE(v, output + o);
}
