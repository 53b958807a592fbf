/*
 * squeeze_excitation.cl: the scale of a squeeze-and-excitation block, as
 * dev.convcl.SqueezeExcitation defines it (torchvision.ops.SqueezeExcitation's _scale): the mean
 * of each input plane, a 1x1 layer from C to S channels with its activation, a 1x1 layer back to
 * C with its activation; output [N, C] (the block's [N, C, 1, 1]), or with APPLY the block's output,
 * the input times those scales.
 * One work-group for NB images, in three stages split by barriers (four with APPLY): the work-items sum the
 * images' planes, a plane a work-item (its H*W contiguous values in vectors of VW, the last
 * H*W % VW one by one), into local memory; then each computes squeeze outputs (a row of fc1's
 * weights against each image's pooled values, in vectors of VW); then scales (a row of fc2's
 * weights against each image's squeeze outputs). A weight row is read from memory once a group
 * and from the cache for its other images: the weights are most of what the block reads (two 576
 * x 144 layers, 664 KB, in MobileNetV3-small), and a group an image read them N times.
 * Three launches of little work each (a global average pool, two 1x1 convolutions on 1x1 maps)
 * become one: on POCL each launch costs about 15 us of scheduling whatever it computes.
 *
 * Build options (-D), besides the prelude's REAL and REAL_BYTES:
 *   N           images
 *   NB          images a work-group computes (the last group may have fewer)
 *   C, S        channels and squeeze channels (with NB, the local arrays' sizes)
 *   HW          pixels of a plane (H*W)
 *   VW          width of the sums and dot products: 1, 2, 4, 8 or 16 (the prelude's realv)
 *   LOCAL       the work-group's size (the host's local size)
 *   ACT_KIND, ACT_A, ACT_B        the activation after fc1: a POST_* code of the prelude, or 0 for
 *                                 none, and its parameters (float literals)
 *   SCALE_KIND, SCALE_A, SCALE_B  the activation after fc2, likewise
 *   APPLY       0: the output is the scales; 1: the block's output, the input times its scales (a
 *               fourth stage: the scales kept in local memory where the pooled values were, each
 *               work-item a plane at a time)
 * Kernel arguments: input [N, C, H, W], w1 [S, C], b1 [S], w2 [C, S], b2 [C], output [N, C]
 * (APPLY=1: [N, C, H, W]).
 * NDRange: 1-D, global ceil(N / NB) * LOCAL, local LOCAL.
 */

/* The sum of a vector's lanes, halving it (a store and VW scalar adds cost as much as a short row's
 * multiply-adds); macros, as a function would take a vector wider than some targets' registers. */
#define HSUM2(v) ((v).x + (v).y)
#define HSUM4(v) HSUM2((v).lo + (v).hi)
#define HSUM8(v) HSUM4((v).lo + (v).hi)
#define HSUM16(v) HSUM8((v).lo + (v).hi)
#if VW > 1
#define HSUM(v) CAT(HSUM, VW)(v)
#endif

/* The sum of len values at p: vectors of VW in four running sums (an add waits on the one before
 * it only every fourth vector), then one by one. */
inline real sum_run(const __global real* restrict p, const int len)
{
    real s = (real)0.0f;
    int i = 0;
#if VW > 1
    realv acc = (realv)(0.0f), acc1 = acc, acc2 = acc, acc3 = acc;
    for (; i + 4 * VW <= len; i += 4 * VW) {
        acc += VLOAD(p + i);
        acc1 += VLOAD(p + i + VW);
        acc2 += VLOAD(p + i + 2 * VW);
        acc3 += VLOAD(p + i + 3 * VW);
    }
    for (; i + VW <= len; i += VW) {
        acc += VLOAD(p + i);
    }
    acc = (acc + acc1) + (acc2 + acc3);
    s = HSUM(acc);
#endif
    for (; i < len; ++i) {
        s += p[i];
    }
    return s;
}

/* The dot product of len weights at w with len values at v (local memory), four running sums as
 * above (one chain of fused multiply-adds ran at the FMA's latency: 17 us for MobileNetV3's 576 x
 * 144 layers on POCL). */
inline real dot_run(const __global real* restrict w, const __local real* v, const int len)
{
    real s = (real)0.0f;
    int i = 0;
#if VW > 1
    realv acc = (realv)(0.0f), acc1 = acc, acc2 = acc, acc3 = acc;
    for (; i + 4 * VW <= len; i += 4 * VW) {
        acc = VFMA(VLOAD(w + i), VLOAD(v + i), acc);
        acc1 = VFMA(VLOAD(w + i + VW), VLOAD(v + i + VW), acc1);
        acc2 = VFMA(VLOAD(w + i + 2 * VW), VLOAD(v + i + 2 * VW), acc2);
        acc3 = VFMA(VLOAD(w + i + 3 * VW), VLOAD(v + i + 3 * VW), acc3);
    }
    for (; i + VW <= len; i += VW) {
        acc = VFMA(VLOAD(w + i), VLOAD(v + i), acc);
    }
    acc = (acc + acc1) + (acc2 + acc3);
    s = HSUM(acc);
#endif
    for (; i < len; ++i) {
        s = fma(w[i], v[i], s);
    }
    return s;
}

__kernel __attribute__((reqd_work_group_size(LOCAL, 1, 1)))
void squeeze_excitation(__global const real* restrict input,
                        __global const real* restrict w1,
                        __global const real* restrict b1,
                        __global const real* restrict w2,
                        __global const real* restrict b2,
                        __global real* restrict output)
{
    __local real pooled[NB * C]; /* with APPLY, the scales once the squeeze outputs are computed */
    __local real hidden[NB * S];
    const int n0 = get_group_id(0) * NB;
    const int nb = min(NB, N - n0);
    const int t = get_local_id(0);
    const __global real* x = input + (size_t)n0 * C * HW;
    for (int q = t; q < nb * C; q += LOCAL) {
        pooled[q] = sum_run(x + (size_t)q * HW, HW) / (real)HW;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    /* a weight row, read once from memory, then from the cache for each image of the group */
    for (int j = t; j < S; j += LOCAL) {
        const __global real* row = w1 + (size_t)j * C;
        const real bias = b1[j];
        for (int b = 0; b < nb; ++b) {
            const real z = bias + dot_run(row, pooled + b * C, C);
            hidden[b * S + j] = ACTIVATION(ACT_KIND, real, 1, z, ACT_A, ACT_B);
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = t; k < C; k += LOCAL) {
        const __global real* row = w2 + (size_t)k * S;
        const real bias = b2[k];
        for (int b = 0; b < nb; ++b) {
            const real y = bias + dot_run(row, hidden + b * S, S);
#if APPLY
            /* pooled was last read before the barrier above: its slot now holds the scale */
            pooled[b * C + k] = ACTIVATION(SCALE_KIND, real, 1, y, SCALE_A, SCALE_B);
#else
            output[(size_t)(n0 + b) * C + k] = ACTIVATION(SCALE_KIND, real, 1, y, SCALE_A, SCALE_B);
#endif
        }
    }
#if APPLY
    barrier(CLK_LOCAL_MEM_FENCE);
    /* the block's output: each plane times its scale, in vectors of VW, the last HW % VW one by one */
    __global real* out = output + (size_t)n0 * C * HW;
    for (int q = t; q < nb * C; q += LOCAL) {
        const real sc = pooled[q];
        const __global real* p = x + (size_t)q * HW;
        __global real* o = out + (size_t)q * HW;
        int i = 0;
#if VW > 1
        for (; i + VW <= HW; i += VW) {
            VSTORE(VLOAD(p + i) * sc, o + i);
        }
#endif
        for (; i < HW; ++i) {
            o[i] = p[i] * sc;
        }
    }
#endif
}
