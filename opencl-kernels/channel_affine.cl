/*
 * channel_affine.cl: y = post(x * scale[c] + shift[c]) over an NCHW tensor (an inference batch
 * norm that was not folded into a convolution, or a standalone activation with scale 1, shift 0),
 * as dev.convcl.ChannelAffine defines it.
 * A work-item computes VW adjacent elements of one (n, c) plane: the host picks VW so that it
 * divides H*W, so a vector never crosses into the next channel.
 *
 * Build options (-D), besides the prelude's (REAL, REAL_BYTES, POST_N, POSTi_*: the element type
 * and the epilogue, see prelude.h; HAS_BIAS is 0, the shift is added before the chain):
 *   VW         elements per work-item, 1, 2, 4, 8 or 16, dividing H*W (the prelude's realv)
 * Kernel arguments: input [N, C, H, W], scale [C], shift [C], sum (the sum post-op's tensor, of
 *   the input's shape; any buffer without one), output [N, C, H, W], C, HW (H*W), VECTORS
 *   (N*C*H*W / VW).
 * NDRange: 1-D, global round_up(VECTORS, local); work-items past VECTORS return.
 */
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
    const size_t o = gid * VW;
    const int c = (int)((o / (size_t)HW) % (size_t)C);
    realv v = VFMA(VLOAD(input + o), (realv)(scale[c]), (realv)(shift[c]));
    EPILOGUE(realv, VW, v, 0, VLOAD(sum + o));
    VSTORE(v, output + o);
}
