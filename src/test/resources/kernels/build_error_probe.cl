/*
 * build_error_probe.cl: does not build (an undeclared name). KernelBuildWarningsOpenClTest checks
 * that ProgramCache's exception carries the compiler's log.
 */
__kernel void probe(__global float* out)
{
    out[get_global_id(0)] = build_error_probe_undeclared;
}
