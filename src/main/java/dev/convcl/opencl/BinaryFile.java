package dev.convcl.opencl;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The file in which {@link ProgramCache} keeps a program's device binary: an 80-byte header, then
 * the binary as the driver gave it ({@code CL_PROGRAM_BINARIES}).
 *
 * <pre>
 * offset  size  content
 *      0     8  magic "CVCLKB01" (ASCII; the last two characters are the format's version)
 *      8    32  SHA-256 of the program's key (device, platform, driver version, options, source),
 *               whose first 16 bytes, in hex, also name the file
 *     40     8  length of the binary in bytes (big-endian)
 *     48    32  SHA-256 of the binary
 *     80     -  the binary
 * </pre>
 *
 * {@link #check} refuses a file whose key is another program's (a file copied or renamed over
 * this one), whose length differs from the header's (cut short or appended to) or whose checksum
 * does not match (damaged), so that no such bytes reach the driver, which takes a binary on trust.
 */
final class BinaryFile {
    /**
     * The files' extension: not the {@code .bin} of the raw binaries written before this format, so
     * that an older convcl sharing the cache folder neither reads these nor replaces them.
     */
    static final String EXTENSION = ".kbin";
    static final int HEADER_BYTES = 80;
    private static final byte[] MAGIC = "CVCLKB01".getBytes(StandardCharsets.US_ASCII);
    private static final int DIGEST_BYTES = 32;

    private BinaryFile() {
    }

    /** The outcome of {@link #check}: the binary, or the problem and whether it is worth a WARN. */
    record Check(byte[] payload, String problem, boolean warn) {
        static Check ok(byte[] payload) {
            return new Check(payload, null, false);
        }

        static Check damaged(String problem) {
            return new Check(null, problem, true);
        }
    }

    /** The file's bytes for {@code binary} of the program whose key has the digest {@code keyDigest} (32 bytes). */
    static byte[] wrap(byte[] binary, byte[] keyDigest) {
        if (keyDigest.length != DIGEST_BYTES) {
            throw new IllegalArgumentException("a key digest has 32 bytes, not " + keyDigest.length);
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + binary.length);
        b.put(MAGIC).put(keyDigest).putLong(binary.length).put(sha256(binary)).put(binary);
        return b.array();
    }

    /**
     * Checks {@code file} (a whole file's bytes) against the program whose key has the digest
     * {@code keyDigest}. A file without the magic (not convcl's) is refused without a WARN; every
     * other refusal (an empty file or one cut inside the magic included) names what does not match
     * and asks for a WARN.
     */
    static Check check(byte[] file, byte[] keyDigest) {
        if (file.length < MAGIC.length && Arrays.equals(file, 0, file.length, MAGIC, 0, file.length)) {
            return Check.damaged(file.length == 0 ? "is empty" : "is cut short: " + file.length + " bytes, less than its "
                    + HEADER_BYTES + "-byte header");
        }
        if (file.length < MAGIC.length || !Arrays.equals(file, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return new Check(null, "is not in this version's format (no header: not a convcl file)", false);
        }
        if (file.length < HEADER_BYTES) {
            return Check.damaged("is cut short: " + file.length + " bytes, less than its " + HEADER_BYTES + "-byte header");
        }
        ByteBuffer b = ByteBuffer.wrap(file);
        b.position(MAGIC.length);
        byte[] key = new byte[DIGEST_BYTES];
        b.get(key);
        long length = b.getLong();
        byte[] sum = new byte[DIGEST_BYTES];
        b.get(sum);
        if (!MessageDigest.isEqual(key, keyDigest)) {
            return Check.damaged("belongs to another program (its key does not match the file's name: copied or"
                    + " renamed over it?)");
        }
        long actual = file.length - (long) HEADER_BYTES;
        if (length != actual) {
            return Check.damaged("has " + actual + " bytes of binary where its header says " + length
                    + (actual < length ? " (cut short)" : " (bytes appended)"));
        }
        byte[] payload = Arrays.copyOfRange(file, HEADER_BYTES, file.length);
        if (!MessageDigest.isEqual(sum, sha256(payload))) {
            return Check.damaged("is damaged: the SHA-256 of its " + actual + " bytes of binary does not match its header");
        }
        return Check.ok(payload);
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }
}
