/*
 * guard_probe.cl (tests only): writes out[0 .. n+extra-1]; with extra > 0 it writes past the end
 * of a buffer of n floats, which the guard mode of DeviceBuffer must report.
 * No build options. Kernel arguments: out, n, extra. NDRange: any global size >= n + extra.
 */
__kernel void write_past_end(__global float* out, const int n, const int extra)
{
    const int i = get_global_id(0);
    if (i < n + extra) {
        out[i] = 1.0f;
    }
}
