/*
 * peak.cl: the device's measured limits, fp32 FMA rate and memory bandwidth, against which
 * `convcl bench` reports each result as a share (`convcl peak` prints them).
 *
 * Build options (-D) (the prelude's are not used):
 *   VEC   width of the accumulators: 1, 2, 4, 8 or 16 (floatVEC)
 *   ACC   independent accumulators per work-item: the FMA pipelines interleave ACC chains, so
 *         no FMA waits for the previous one's result (ACC >= pipeline latency x FMA units)
 *   The host (Peak.fmaConfigs) picks a few (VEC, ACC) shapes from what the device reports and
 *   keeps the fastest: on a CPU, VEC is the native float width (8 on AVX2, 16 on AVX-512) and
 *   VEC/native x ACC + 2 must fit the vector registers (16 on AVX2, 32 on AVX-512), or the
 *   accumulators spill and the "peak" measures the stack (float16 x 16 on AVX2: a third of the
 *   FMA limit).
 *
 * peak_fma(out, rounds, a, b): every work-item runs `rounds` rounds of ACC independent
 *   acc = fma(acc, a, b) on floatVEC, i.e. 2*VEC*ACC flops a round, then stores the sum of
 *   its accumulators so the compiler cannot drop the work. With 0 < a < 1 the accumulators
 *   converge to b / (1 - a) and stay normal numbers (denormals would slow a CPU down).
 *   `rounds` is an argument so the loop cannot be folded at compile time.
 *   NDRange: any 1-D size; out has one float per work-item.
 *
 * peak_triad(dst, x, y, s, n): dst[i] = x[i] + s * y[i] over float4, i < n: 48 bytes moved
 *   per work-item (two reads, one write). NDRange: n rounded up to the local size.
 */

/* fp32 by definition: float, not the prelude's real (CAT is the prelude's). */
#if VEC == 1
#define FLOATV float
#else
#define FLOATV CAT(float, VEC)
#endif

__kernel void peak_fma(__global float* restrict out, const int rounds, const float a, const float b)
{
    const int gid = get_global_id(0);
    FLOATV acc[ACC];
    #pragma unroll
    for (int i = 0; i < ACC; i++) {
        acc[i] = (FLOATV)((float)(gid & 7) + (float)i);
    }
    const FLOATV va = (FLOATV)(a);
    const FLOATV vb = (FLOATV)(b);
    for (int r = 0; r < rounds; r++) {
        #pragma unroll
        for (int i = 0; i < ACC; i++) {
            acc[i] = fma(acc[i], va, vb);
        }
    }
    FLOATV sum = acc[0];
    #pragma unroll
    for (int i = 1; i < ACC; i++) {
        sum += acc[i];
    }
    float total = 0.0f;
    const float* lanes = (const float*)&sum;
    for (int l = 0; l < VEC; l++) {
        total += lanes[l];
    }
    out[gid] = total;
}

__kernel void peak_triad(__global float4* restrict dst, __global const float4* restrict x,
                         __global const float4* restrict y, const float s, const int n)
{
    const int i = get_global_id(0);
    if (i < n) {
        dst[i] = x[i] + s * y[i];
    }
}
