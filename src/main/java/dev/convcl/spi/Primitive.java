package dev.convcl.spi;

import dev.convcl.Arg;
import java.util.Map;

/**
 * An operation compiled for one backend: kernels built, scratch allocated. {@link #execute}
 * only issues work (no compilation, no allocation). Arguments arrive validated against the
 * descriptor and as memory of the primitive's backend. Calls are serialised by the caller.
 */
public interface Primitive extends AutoCloseable {

    /** The implementation and its configuration, e.g. {@code depthwise[vw=16 nv=4 th=4 wg=1x1]}. */
    String algorithm();

    /**
     * Makes {@code memory} the value of {@code role} for later calls that do not pass it; the
     * primitive may transform it now (pack weights, say), and then reads its contents only now: to
     * change the values, bind again (rewriting the bound memory in place need not reach later
     * calls). The caller keeps {@code memory} alive until it binds another or closes the
     * primitive. A bind that throws must leave the earlier binding of {@code role} in effect
     * (transform first, then store): the caller then releases {@code memory} and keeps its own
     * record of the role as it was. The default keeps the reference.
     */
    void bind(Arg role, Memory memory);

    /**
     * Whether calls still read the memory bound to {@code role} after {@link #bind} returned.
     * False when the primitive made its own copy at bind (packed weights, say): the caller may
     * then release that memory (the work bind queued keeps it until it has run), so a bound
     * constant is held once on the device, not twice. The default is true.
     */
    default boolean readsBound(Arg role) {
        return true;
    }

    /**
     * Bytes of device memory a call needs only while it runs (oneDNN's scratchpad: a GEMM's
     * zero-padded input copy, say), whose contents no later call reads; 0 when none. Until
     * {@link #useScratchpad} hands it one, the primitive holds its own, allocated at creation.
     */
    default long scratchpadBytes() {
        return 0;
    }

    /**
     * Bytes from the start of {@link Arg#SRC}'s buffer that a call reads when the buffer holds
     * that many: a kernel whose last tile runs past the end of the tensor (a GEMM's pixel vectors
     * along the flattened planes) reads such a buffer in place, and copies a smaller one into its
     * scratchpad, where the bytes after the tensor are zero. What it reads after the tensor only
     * reaches outputs it discards, so those bytes may hold anything. A compiled graph sizes the
     * buffer of each value to what its readers read, so that no call copies. 0 (the default): the
     * primitive never reads past the end of its source.
     */
    default long sourceReadBytes() {
        return 0;
    }

    /**
     * Makes later calls use {@code memory}, of at least {@link #scratchpadBytes()} bytes, as their
     * scratch, and releases the primitive's own: primitives whose calls are issued one after
     * another on one queue (a compiled graph's) share one buffer sized to the largest need. Each
     * call rewrites whatever of it the call reads. The caller keeps {@code memory} alive until it
     * closes the primitive. The default does nothing (no scratch).
     *
     * @throws IllegalArgumentException when {@code memory} is not this backend's or is too small
     */
    default void useScratchpad(Memory memory) {
    }

    /**
     * Makes later calls write {@link Arg#DST}'s channel {@code c} of image {@code n} to channel
     * {@code start + c * step} of a tensor of {@code channels} channels per image and the same
     * batch, height and width, whose buffer the calls then pass as {@link Arg#DST}; the tensor's
     * other channels are left as they are. This is how a compiled graph has a layer write its
     * part of a concatenation (step 1), or of a concatenation followed by a channel shuffle
     * (step = the shuffle's groups), in place, with no copy step. Returns false, changing
     * nothing, when the primitive cannot (the default); the caller then passes a tensor of
     * {@link Arg#DST}'s own shape, as before.
     *
     * @param channels the tensor's channels per image, at least {@code start + (K - 1) * step + 1}
     *                 for an output of K channels
     * @param start    the tensor's channel that receives output channel 0, at least 0
     * @param step     the spacing of the output's channels in the tensor, at least 1
     * @return whether later calls write the window
     * @throws IllegalArgumentException when the window does not fit in {@code channels}
     */
    default boolean writeChannelWindow(int channels, int start, int step) {
        return false;
    }

    /**
     * Makes later calls read {@link Arg#SRC}'s channel {@code c} of image {@code n} from channel
     * {@code start + c * step} of a tensor of {@code channels} channels per image and the same
     * batch, height and width, whose buffer the calls then pass as {@link Arg#SRC}: how a compiled
     * graph has a layer read a slice of a tensor (ShuffleNet's second half of {@code chunk}) in
     * place, with no copy step. Returns false, changing nothing, when the primitive cannot (the
     * default).
     *
     * @param channels the tensor's channels per image, at least {@code start + (C - 1) * step + 1}
     *                 for an input of C channels
     * @param start    the tensor's channel read as input channel 0, at least 0
     * @param step     the spacing of the input's channels in the tensor, at least 1
     * @return whether later calls read the window
     * @throws IllegalArgumentException when the window does not fit in {@code channels}
     */
    default boolean readChannelWindow(int channels, int start, int step) {
        return false;
    }

    /**
     * Checks a window of {@link #writeChannelWindow} (or {@link #readChannelWindow}) for a tensor of {@code k} channels.
     *
     * @throws IllegalArgumentException naming the values when the window leaves the tensor
     */
    static void checkChannelWindow(int k, int channels, int start, int step) {
        if (start < 0 || step < 1 || (long) start + (long) (k - 1) * step + 1 > channels) {
            throw new IllegalArgumentException("a channel window of start=" + start + " step=" + step + " for "
                    + k + " channels must lie within the tensor's " + channels + " channels");
        }
    }

    /**
     * Issues the work computing {@link Arg#DST} from the other arguments (and the bound ones for
     * roles {@code args} does not hold). Returns once the work is queued; the backend's
     * {@link Backend#read} or {@link Backend#finish} waits for it.
     *
     * @throws dev.convcl.DeviceException when the device refuses the work
     */
    void execute(Map<Arg, Memory> args);

    /**
     * Device time of the last {@link #execute}'s kernels in milliseconds, waiting for them to
     * finish; NaN where not measured (the CPU path).
     */
    default double lastKernelMillis() {
        return Double.NaN;
    }

    /**
     * Device time of everything the last {@link #execute} queued, in milliseconds: its kernels
     * ({@link #lastKernelMillis()}) and the copies and fills it made on the device (a GEMM plan's
     * copy into its padded input layout), waiting for them; NaN where not measured. What the
     * tuner ranks candidates by, since some candidates copy and others do not.
     */
    default double lastDeviceMillis() {
        return lastKernelMillis();
    }

    /** Releases device resources; idempotent, never throws. */
    @Override
    void close();
}
