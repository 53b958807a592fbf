/*
 * channel_copy.cl: copies channels [SRC_START, SRC_START + count) of an [N, Cs, H, W] source into
 * channels DST_START + i * dst_step (i < count) of an [N, Cd, H, W] destination, as
 * dev.convcl.ChannelCopy defines it (concatenation along channels is one copy per input, split and
 * slice one per output, a concatenation followed by a channel shuffle of g groups one copy per
 * input with dst_step = g). The other channels of the destination are not touched. Values are
 * moved bit for bit.
 * In NCHW the copied channels of one batch element are one contiguous run of count*H*W elements
 * in the source, and in the destination too when dst_step is 1: a work-item then moves VW
 * adjacent elements of the run (the host picks VW dividing count*H*W). With DST_STRIDED the
 * destination's planes lie dst_step planes apart: a work-item moves a chunk of CHUNK adjacent
 * elements of one plane (CHUNK divides H*W): on CPU devices a small plane whole, or a large one
 * in chunks of at least 64 elements, in vectors of VW and the chunk's last CHUNK mod VW elements
 * one by one (a work-item per element of ShuffleNet's 7x7 planes cost more in its index
 * arithmetic than in its copy: 38 us for 116 planes on POCL); on GPUs CHUNK = VW, so
 * neighbouring work-items touch neighbouring addresses.
 *
 * Build options (-D), besides the prelude's REAL and REAL_BYTES:
 *   VW           elements per vector, 1, 2, 4, 8 or 16 (the prelude's realv)
 *   DST_STRIDED  0 (default): dst_step is 1 and the run is contiguous in both tensors;
 *                1: the destination's planes are DST_CHANNEL_STEP planes apart
 *   CHUNK        with DST_STRIDED: elements a work-item moves (default VW)
 * Kernel arguments: source, destination, SRC_OFFSET (SRC_START*H*W), SRC_STEP (Cs*H*W),
 *   DST_OFFSET (DST_START*H*W), DST_STEP (Cd*H*W), RUN (work-items per batch element: count*H*W
 *   / VW, or with DST_STRIDED count*H*W / CHUNK), ITEMS (N*RUN), PLANE_CHUNKS (H*W / CHUNK; read
 *   with DST_STRIDED only), DST_CHANNEL_STEP (dst_step; read with DST_STRIDED only).
 * NDRange: 1-D, global round_up(ITEMS, local); work-items past ITEMS return.
 */
#ifndef DST_STRIDED
#define DST_STRIDED 0
#endif

#ifndef CHUNK
#define CHUNK VW
#endif

__kernel void channel_copy(__global const real* restrict src,
                           __global real* restrict dst,
                           const int SRC_OFFSET, const int SRC_STEP,
                           const int DST_OFFSET, const int DST_STEP,
                           const int RUN, const int ITEMS,
                           const int PLANE_CHUNKS, const int DST_CHANNEL_STEP)
{
    ITEM_OR_RETURN(item, ITEMS);
    const int n = item / RUN;
#if DST_STRIDED
    const int r = item - n * RUN;
    const int c = r / PLANE_CHUNKS;
    const int k = r - c * PLANE_CHUNKS;
    const int plane = PLANE_CHUNKS * CHUNK;
    const __global real* s = src + (size_t)n * SRC_STEP + SRC_OFFSET + (size_t)c * plane + k * CHUNK;
    __global real* d = dst + (size_t)n * DST_STEP + DST_OFFSET + (size_t)c * DST_CHANNEL_STEP * plane + k * CHUNK;
    int o = 0;
    for (; o + VW <= CHUNK; o += VW) {
        VSTORE(VLOAD(s + o), d + o);
    }
    for (; o < CHUNK; ++o) {
        d[o] = s[o];
    }
#else
    const int i = (item - n * RUN) * VW;
    const realv v = VLOAD(src + (size_t)n * SRC_STEP + SRC_OFFSET + i);
    VSTORE(v, dst + (size_t)n * DST_STEP + DST_OFFSET + i);
#endif
}
