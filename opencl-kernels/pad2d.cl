/*
 * pad2d.cl: constant padding of the last two axes of an [N, C, H, W] tensor, as dev.convcl.Pad2d
 * (torch.nn.functional.pad, mode "constant") defines it: output [N, C, TOP+H+BOTTOM,
 * LEFT+W+RIGHT] holds the input at (TOP, LEFT) and VALUE everywhere else (any float, infinities
 * included: the value a max pooling after it must not pick). Values are moved bit for bit.
 * One work-item writes one output element.
 *
 * Build options (-D), besides the prelude's REAL and REAL_BYTES:
 *   TOP, LEFT  padding above and left of the input (the padding below and right is implied by
 *              OH and OW)
 * Kernel arguments: input [N, C, H, W], output [N, C, OH, OW], VALUE, H, W, OH, OW, TOTAL
 *   (N*C*OH*OW).
 * NDRange: 1-D, global round_up(TOTAL, local); work-items past TOTAL return.
 */
__kernel void pad2d(__global const real* restrict input,
                    __global real* restrict output,
                    const real VALUE,
                    const int H, const int W, const int OH, const int OW, const int TOTAL)
{
    ITEM_OR_RETURN(o, TOTAL);
    const int4 p = unravel4(o, 1, OH, OW); /* (plane, 0, oy, ox) */
    const int iy = p.s2 - TOP;
    const int ix = p.s3 - LEFT;
    output[o] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? input[((size_t)p.s0 * H + iy) * W + ix] : VALUE;
}
