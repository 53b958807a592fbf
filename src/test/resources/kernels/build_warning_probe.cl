/*
 * build_warning_probe.cl: builds, with one compiler warning. KernelBuildWarningsOpenClTest checks
 * that ProgramCache keeps the log of such a build at DEBUG and shows nothing above it.
 */
#warning "build_warning_probe: an expected warning"

__kernel void probe(__global float* out)
{
    out[get_global_id(0)] = 1.0f;
}
