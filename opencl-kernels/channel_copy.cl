/*
 * channel_copy.cl: copies channels [SRC_START, SRC_START + count) of an [N, Cs, H, W] source into
 * channels [DST_START, DST_START + count) of an [N, Cd, H, W] destination, as
 * dev.convcl.ChannelCopy defines it (concatenation along channels is one copy per input, split and
 * slice one per output). The other channels of the destination are not touched. Values are moved
 * bit for bit.
 * In NCHW the copied channels of one batch element are one contiguous run of count*H*W elements
 * in both tensors; a work-item moves VW adjacent elements of a run (the host picks VW dividing
 * count*H*W).
 *
 * Build options (-D), besides the prelude's REAL and REAL_BYTES:
 *   VW         elements per work-item, 1, 2, 4, 8 or 16 (the prelude's realv)
 * Kernel arguments: source, destination, SRC_OFFSET (SRC_START*H*W), SRC_STEP (Cs*H*W),
 *   DST_OFFSET (DST_START*H*W), DST_STEP (Cd*H*W), RUN (count*H*W / VW, vectors per batch
 *   element), VECTORS (N*RUN).
 * NDRange: 1-D, global round_up(VECTORS, local); work-items past VECTORS return.
 */
__kernel void channel_copy(__global const real* restrict src,
                           __global real* restrict dst,
                           const int SRC_OFFSET, const int SRC_STEP,
                           const int DST_OFFSET, const int DST_STEP,
                           const int RUN, const int VECTORS)
{
    ITEM_OR_RETURN(vector, VECTORS);
    const int n = vector / RUN;
    const int i = (vector - n * RUN) * VW;
    const realv v = VLOAD(src + (size_t)n * SRC_STEP + SRC_OFFSET + i);
    VSTORE(v, dst + (size_t)n * DST_STEP + DST_OFFSET + i);
}
