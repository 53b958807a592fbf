/*
 * peak_fma.cl: the benchmark's yardstick. Each work-item runs 24 independent float16 fma chains
 * (enough to hide the fma latency on one core), so the kernel measures the fma throughput the
 * OpenCL device gives a plain kernel at that moment; the GEMM kernels are compared with it.
 * No build options. Arguments: out (one float per work-item, so nothing is optimised away),
 * iterations, a, b (chain factors; |a| < 1 keeps values finite and normal).
 */
__kernel void peak_fma(__global float* out, const int iterations, const float a, const float b)
{
    float16 acc[24];
#pragma unroll
    for (int i = 0; i < 24; ++i) {
        acc[i] = (float16)(i * 0.001f);
    }
    const float16 x = (float16)(a), y = (float16)(b);
    for (int it = 0; it < iterations; ++it) {
#pragma unroll
        for (int i = 0; i < 24; ++i) {
            acc[i] = fma(acc[i], x, y);
        }
    }
    float16 s = (float16)(0.0f);
#pragma unroll
    for (int i = 0; i < 24; ++i) {
        s += acc[i];
    }
    out[get_global_id(0)] = s.s0 + s.s7 + s.sf;
}
