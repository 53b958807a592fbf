/* What an OpenCL CPU device (POCL's pthread driver) gains from splitting a small kernel over its
 * threads, and what one launch and wait costs: the floor under a network of many small kernels.
 *
 * A kernel whose work-items each run a chain of `work` dependent multiply-adds (about 4 cycles
 * each, no memory traffic) is launched 100 times back to back on an in-order queue, then the
 * queue is finished; the median over 41 rounds of the time a launch is printed. For each total
 * amount of work the same chain is run as 1 work-group, as 2 of half the length and as 16 of a
 * sixteenth: with T the time as one work-group and t the time split, a device that starts both
 * threads at once gives t = T/2; "late" is t - T/2, the time the second thread joined after the
 * first (POCL's pthread driver lets a thread that finds no work sleep on a condition variable,
 * and wakes it when the next kernel is queued). Then a single launch followed by clFinish: the
 * latency of one call on the device (the host's wait included).
 *
 * Build and run:  gcc -O2 pocl_split.c -o pocl_split -lOpenCL && ./pocl_split [DEVICE]
 * (POCL_SIGFPE_HANDLER=0 as for convcl; DEVICE is the index of an OpenCL device over all platforms,
 * in the order convcl numbers them for --device opencl:N, default 0.)
 * The last line, "summary: launch_us= late_us= call_us= device=", is what scripts/perf-report
 * keeps. late_us counts only the lines where splitting paid (the split ran in under 3/4 of the
 * one-group time): where it did not (one core, or a busy machine) the threads did not run side by
 * side, "late" would be half the work, and the summary says late_us=n/a.
 * Run on a quiet machine. See docs/PERFORMANCE.md, "POCL's second thread, kernel by kernel". */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ROUNDS 41
#define LAUNCHES 100

static const char *SOURCE =
    "kernel void chain(global float* a, int work) {\n"
    "    size_t i = get_global_id(0);\n"
    "    float x = a[i];\n"
    "    for (int j = 0; j < work; j++) x = x * 1.0001f + 0.5f;\n"
    "    a[i] = x;\n"
    "}\n";

static cl_command_queue queue;
static cl_kernel kernel;

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void check(cl_int err, const char *what) {
    if (err != CL_SUCCESS) {
        fprintf(stderr, "pocl_split: %s failed with OpenCL error %d\n", what, err);
        exit(1);
    }
}

/* Median microseconds a launch of `groups` work-groups of one work-item, each running `work`
   steps, when `launches` are queued before each finish. */
static double launch_us(size_t groups, int work, int launches) {
    size_t one = 1;
    double t[ROUNDS];
    check(clSetKernelArg(kernel, 1, sizeof(int), &work), "clSetKernelArg");
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now_us();
        for (int i = 0; i < launches; i++) {
            check(clEnqueueNDRangeKernel(queue, kernel, 1, NULL, &groups, &one, 0, NULL, NULL), "launch");
        }
        check(clFinish(queue), "clFinish");
        t[r] = (now_us() - t0) / launches;
    }
    qsort(t, ROUNDS, sizeof(double), by_value);
    return t[ROUNDS / 2];
}

/* The index-th device over all platforms, in platform order. */
static cl_device_id device_at(int index) {
    cl_platform_id platforms[16];
    cl_uint count = 0;
    check(clGetPlatformIDs(16, platforms, &count), "clGetPlatformIDs");
    for (cl_uint p = 0; p < count && p < 16; p++) {
        cl_device_id devices[64];
        cl_uint n = 0;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 64, devices, &n) != CL_SUCCESS) {
            continue;
        }
        if (n > 64) {
            n = 64;
        }
        if (index < (int)n) {
            return devices[index];
        }
        index -= (int)n;
    }
    fprintf(stderr, "pocl_split: no OpenCL device with that index\n");
    exit(1);
}

int main(int argc, char **argv) {
    cl_device_id device = device_at(argc > 1 ? atoi(argv[1]) : 0);
    cl_int err;
    char name[256];
    cl_uint units;
    clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof name, name, NULL);
    clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL);
    cl_context context = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
    check(err, "clCreateContext");
    queue = clCreateCommandQueue(context, device, 0, &err);
    check(err, "clCreateCommandQueue");
    cl_program program = clCreateProgramWithSource(context, 1, &SOURCE, NULL, &err);
    check(err, "clCreateProgramWithSource");
    check(clBuildProgram(program, 1, &device, "", NULL, NULL), "clBuildProgram");
    kernel = clCreateKernel(program, "chain", &err);
    check(err, "clCreateKernel");
    cl_mem buffer = clCreateBuffer(context, CL_MEM_READ_WRITE, 16 * sizeof(float), NULL, &err);
    check(err, "clCreateBuffer");
    float zeros[16] = {0};
    check(clEnqueueWriteBuffer(queue, buffer, CL_TRUE, 0, sizeof zeros, zeros, 0, NULL, NULL), "write");
    check(clSetKernelArg(kernel, 0, sizeof buffer, &buffer), "clSetKernelArg");

    printf("device: %s, %u compute units; medians of %d rounds of %d launches\n", name, units, ROUNDS, LAUNCHES);
    printf("%10s %12s %12s %12s %10s %10s\n", "work", "1 group us", "2 groups us", "16 groups us", "late(2) us",
           "late(16) us");
    launch_us(16, 1000, LAUNCHES); /* warm-up: the kernel's work-group functions are built on first use */
    int works[] = {4000, 16000, 40000, 100000, 200000, 400000};
    enum { WORKS = sizeof works / sizeof works[0] };
    double late[2 * WORKS];
    int lates = 0;
    for (size_t w = 0; w < sizeof works / sizeof works[0]; w++) {
        double one = launch_us(1, works[w], LAUNCHES);
        double two = launch_us(2, works[w] / 2, LAUNCHES);
        double sixteen = launch_us(16, works[w] / 16, LAUNCHES);
        printf("%10d %12.1f %12.1f %12.1f %10.1f %10.1f\n", works[w], one, two, sixteen, two - one / 2,
               sixteen - one / 2);
        /* Long enough that a split pays, and it did (the threads ran side by side): what is left
           over half the work is the lateness. */
        if (works[w] >= 40000 && units > 1) {
            if (two < 0.75 * one) {
                late[lates++] = two - one / 2;
            }
            if (sixteen < 0.75 * one) {
                late[lates++] = sixteen - one / 2;
            }
        }
    }
    double single = launch_us(1, 0, 1);
    double launch = launch_us(1, 0, LAUNCHES);
    printf("one launch and clFinish (no work): %.1f us; back to back: %.1f us a launch\n", single, launch);
    /* One line for scripts (scripts/perf-report): a launch back to back, the median lateness of the
       other threads over the lines of 40000 steps and more where splitting paid, one launch and its
       wait, the device. */
    printf("summary: launch_us=%.1f", launch);
    if (lates > 0) {
        qsort(late, lates, sizeof(double), by_value);
        printf(" late_us=%.1f", lates % 2 ? late[lates / 2] : (late[lates / 2 - 1] + late[lates / 2]) / 2);
    } else {
        printf(" late_us=n/a");
    }
    printf(" call_us=%.1f device=%s\n", single, name);
    clReleaseMemObject(buffer);
    clReleaseKernel(kernel);
    clReleaseProgram(program);
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
    return 0;
}
