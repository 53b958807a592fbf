/*
 * vectors.h: float vectors for the tiled kernels, which include it (#include "vectors.h";
 * ProgramCache puts the text in place, so the program needs no include path).
 *
 * Defines, for the build option VW (1, 2, 4, 8 or 16; 1 when not defined):
 *   floatv            float when VW is 1, else floatVW
 *   VLOAD(p)          VW adjacent floats from p (any alignment of a float)
 *   VSTORE(v, p)      a statement: VW adjacent floats to p
 *   VFMA(a, b, c)     fma(a, b, c) lane by lane, for floatv operands
 * and the same for a fixed width n = 2, 4, 8, 16: VLOADn(p), VSTOREn(v, p), VFMAn(a, b, c).
 *
 * Why not vload16 and fma directly: every OpenCL built-in is a function, and a vector wider than
 * the target's vector registers, passed to a function or returned by one, changes the x86 calling
 * convention. clang then warns ("AVX vector argument of type 'float16' ... without 'avx512f'
 * enabled changes the ABI") and prints "N warnings generated." on the process's stderr, e.g. on
 * POCL's pthread-haswell device (AVX2: 256-bit registers, 8 floats). So a vector wider than the
 * registers reaches the built-ins in register-wide pieces. The machine code is the same: the
 * compiler splits such vectors into register-wide pieces anyway. Arguments of VSTOREn and VFMAn
 * may be evaluated more than once: pass variables or side-effect-free expressions.
 */
#ifndef CONVCL_VECTORS_H
#define CONVCL_VECTORS_H

/* Floats in one vector register of the target: clang defines __AVX512F__ / __AVX__ from the
   device's target CPU. Other targets pass any OpenCL vector without such a warning. */
#if !defined(__x86_64__) && !defined(__i386__)
#define VREG_FLOATS 16
#elif defined(__AVX512F__)
#define VREG_FLOATS 16
#elif defined(__AVX__)
#define VREG_FLOATS 8
#else
#define VREG_FLOATS 4
#endif

#define VLOAD1(p) (*(p))
#define VSTORE1(v, p) (*(p) = (v))
#define VFMA1(a, b, c) fma((a), (b), (c))
#define VLOAD2(p) vload2(0, (p))
#define VSTORE2(v, p) vstore2((v), 0, (p))
#define VFMA2(a, b, c) fma((a), (b), (c))
#define VLOAD4(p) vload4(0, (p))
#define VSTORE4(v, p) vstore4((v), 0, (p))
#define VFMA4(a, b, c) fma((a), (b), (c))

#if VREG_FLOATS >= 8
#define VLOAD8(p) vload8(0, (p))
#define VSTORE8(v, p) vstore8((v), 0, (p))
#define VFMA8(a, b, c) fma((a), (b), (c))
#else
#define VLOAD8(p) ((float8)(VLOAD4(p), VLOAD4((p) + 4)))
#define VSTORE8(v, p) do { VSTORE4((v).lo, (p)); VSTORE4((v).hi, (p) + 4); } while (0)
#define VFMA8(a, b, c) ((float8)(VFMA4((a).lo, (b).lo, (c).lo), VFMA4((a).hi, (b).hi, (c).hi)))
#endif

#if VREG_FLOATS >= 16
#define VLOAD16(p) vload16(0, (p))
#define VSTORE16(v, p) vstore16((v), 0, (p))
#define VFMA16(a, b, c) fma((a), (b), (c))
#else
#define VLOAD16(p) ((float16)(VLOAD8(p), VLOAD8((p) + 8)))
#define VSTORE16(v, p) do { VSTORE8((v).lo, (p)); VSTORE8((v).hi, (p) + 8); } while (0)
#define VFMA16(a, b, c) ((float16)(VFMA8((a).lo, (b).lo, (c).lo), VFMA8((a).hi, (b).hi, (c).hi)))
#endif

#define VECTORS_CAT_(a, b) a##b
#define VECTORS_CAT(a, b) VECTORS_CAT_(a, b)

#if !defined(VW) || VW == 1
typedef float floatv;
#define VLOAD(p) VLOAD1(p)
#define VSTORE(v, p) VSTORE1(v, p)
#define VFMA(a, b, c) VFMA1(a, b, c)
#else
typedef VECTORS_CAT(float, VW) floatv;
#define VLOAD(p) VECTORS_CAT(VLOAD, VW)(p)
#define VSTORE(v, p) VECTORS_CAT(VSTORE, VW)(v, p)
#define VFMA(a, b, c) VECTORS_CAT(VFMA, VW)(a, b, c)
#endif

#endif /* CONVCL_VECTORS_H */
