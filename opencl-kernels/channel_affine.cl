/*
 * channel_affine.cl: y = post(x * scale[c] + shift[c]) over an NCHW tensor (an inference batch
 * norm that was not folded into a convolution, or a standalone activation with scale 1, shift 0),
 * as dev.convcl.ChannelAffine defines it.
 * A work-item computes VW adjacent elements of one (n, c) plane: the host picks VW so that it
 * divides H*W, so a vector never crosses into the next channel. Or, with PLANE=1, a whole plane:
 * vectors of VW, then the last H*W % VW elements one by one (CPU devices whose native width does
 * not divide H*W: Inception's 17x17 and 35x35 maps took one element a work-item, 0.08-0.1 ms for
 * 192 planes of 17x17 on POCL).
 *
 * Build options (-D), besides the prelude's (REAL, REAL_BYTES, POST_N, POSTi_*: the element type
 * and the epilogue, see prelude.h; HAS_BIAS is 0, the shift is added before the chain):
 *   VW         elements per vector, 1, 2, 4, 8 or 16 (the prelude's realv); dividing H*W unless PLANE
 *   PLANE      0 or 1 [0]: 1 gives a work-item a whole (n, c) plane
 * Kernel arguments: input [N, C, H, W], scale [C], shift [C], sum (the sum post-op's tensor, of
 *   the input's shape; any buffer without one), output [N, C, H, W], C, HW (H*W), VECTORS
 *   (N*C*H*W / VW; with PLANE the planes, N*C).
 * NDRange: 1-D, global round_up(VECTORS, local); work-items past VECTORS return.
 */
#ifndef PLANE
#define PLANE 0
#endif

__kernel void channel_affine(__global const real* restrict input,
                             __global const real* restrict scale,
                             __global const real* restrict shift,
                             __global const real* restrict sum,
                             __global real* restrict output,
                             const int C, const int HW, const int VECTORS)
{
    const size_t gid = get_global_id(0);
    if (gid >= (size_t)VECTORS) {
        return;
    }
#if PLANE
    const int c = (int)(gid % (size_t)C);
    const real a = scale[c];
    const real b = shift[c];
    const size_t base = gid * (size_t)HW;
    int x = 0;
    for (; x + VW <= HW; x += VW) {
        realv v = VFMA(VLOAD(input + base + x), (realv)(a), (realv)(b));
        EPILOGUE(realv, VW, v, 0, VLOAD(sum + base + x));
        VSTORE(v, output + base + x);
    }
    for (; x < HW; ++x) {
        real v = fma(input[base + x], a, b);
        EPILOGUE(real, 1, v, 0, sum[base + x]);
        output[base + x] = v;
    }
#else
    const size_t o = gid * VW;
    const int c = (int)((o / (size_t)HW) % (size_t)C);
    realv v = VFMA(VLOAD(input + o), (realv)(scale[c]), (realv)(shift[c]));
    EPILOGUE(realv, VW, v, 0, VLOAD(sum + o));
    VSTORE(v, output + o);
#endif
}
