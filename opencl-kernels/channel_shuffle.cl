/*
 * channel_shuffle.cl: ShuffleNet's channel shuffle of an [N, C, H, W] tensor in G groups, as
 * dev.convcl.ChannelShuffle (torch.nn.functional.channel_shuffle) defines it: output channel o is
 * input channel (o % G) * (C / G) + o / G (a reshape to [N, G, C/G, H, W], a transpose of the two
 * group axes, and a reshape back). Values are moved bit for bit.
 * A work-item moves VW adjacent elements of one output plane (the host picks VW dividing H*W).
 *
 * Build options (-D), besides the prelude's REAL and REAL_BYTES:
 *   VW         elements per work-item, 1, 2, 4, 8 or 16 (the prelude's realv)
 *   G          groups (divides C)
 * Kernel arguments: input [N, C, H, W], output [N, C, H, W], C, HW (H*W), VECTORS (N*C*H*W / VW).
 * NDRange: 1-D, global round_up(VECTORS, local); work-items past VECTORS return.
 */
__kernel void channel_shuffle(__global const real* restrict input,
                              __global real* restrict output,
                              const int C, const int HW, const int VECTORS)
{
    ITEM_OR_RETURN(vector, VECTORS);
    const int o = vector * VW;
    const int plane = o / HW;
    const int i = o - plane * HW;
    const int n = plane / C;
    const int oc = plane - n * C;
    const int ic = (oc % G) * (C / G) + oc / G;
    const realv v = VLOAD(input + ((size_t)n * C + ic) * HW + i);
    VSTORE(v, output + o);
}
