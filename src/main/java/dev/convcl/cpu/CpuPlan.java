package dev.convcl.cpu;

import dev.convcl.spi.CompiledConv;

/** A compiled CPU algorithm that states its working memory. */
interface CpuPlan extends CompiledConv {

    /**
     * The most bytes of scratch one {@link #execute} call holds at a time beyond the caller's
     * tensors (and beyond the copies of them made when a tensor wraps a buffer instead of an
     * array): per-task arrays times the tasks that run at once, plus per-call arrays, the
     * kernels' own arrays included. At most {@link Scratch#boundFloats} floats.
     */
    long scratchBytes();
}
