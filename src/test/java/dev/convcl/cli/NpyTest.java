package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.HostTensor;
import dev.convcl.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    @TempDir
    Path dir;

    /** A .npy file with the given version, header dictionary and raw data, padded as numpy pads. */
    static byte[] npy(int major, String dict, byte[] data) {
        int lenBytes = major == 1 ? 2 : 4;
        int unpadded = 6 + 2 + lenBytes + dict.length() + 1;
        int total = (unpadded + 63) / 64 * 64;
        String header = dict + " ".repeat(total - unpadded) + "\n";
        ByteBuffer b = ByteBuffer.allocate(total + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (lenBytes == 2) {
            b.putShort((short) header.length());
        } else {
            b.putInt(header.length());
        }
        b.put(header.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    static byte[] floats(ByteOrder order, float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(order);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    static byte[] doubles(double... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double d : v) {
            b.putDouble(d);
        }
        return b.array();
    }

    private Path file(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private static float[] range(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i * 0.5f - 3;
        }
        return a;
    }

    @Test
    void writeThenReadKeepsShapeAndValues() throws IOException {
        for (int[] shape : new int[][] {{7}, {2, 3}, {1, 3, 5, 7}, {2, 1, 1, 1, 3}}) {
            int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            HostTensor t = Tensor.of(range(n), shape);
            Path f = dir.resolve("t" + shape.length + ".npy");
            Npy.write(f, t);
            HostTensor back = Npy.read(f);
            assertArrayEquals(shape, back.shape());
            assertArrayEquals(t.array(), back.array());
            // numpy's layout: the data starts at a multiple of 64 bytes
            assertEquals(0, (Files.size(f) - 4L * n) % 64, "header padding of " + Arrays.toString(shape));
        }
    }

    @Test
    void headerIsWhatNumpyWrites() {
        String h = new String(Npy.header(new int[] {5}), StandardCharsets.ISO_8859_1);
        assertTrue(h.contains("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }"), h);
        assertTrue(h.endsWith("\n"));
        String h4 = new String(Npy.header(new int[] {1, 2, 3, 4}), StandardCharsets.ISO_8859_1);
        assertTrue(h4.contains("'shape': (1, 2, 3, 4)"), h4);
    }

    @Test
    void readsVersion1And2And3HeadersAndFloat64() throws IOException {
        byte[] data = floats(ByteOrder.LITTLE_ENDIAN, 1f, -2f, 3.5f, 4f, 5f, 6f);
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        for (int major : new int[] {1, 2, 3}) {
            HostTensor t = Npy.read(file("v" + major + ".npy", npy(major, dict, data)));
            assertArrayEquals(new int[] {2, 3}, t.shape(), "version " + major);
            assertArrayEquals(new float[] {1f, -2f, 3.5f, 4f, 5f, 6f}, t.array(), "version " + major);
        }
        HostTensor d = Npy.read(file("f8.npy", npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                doubles(0.1, -1e-3, 12345.678))));
        assertArrayEquals(new float[] {0.1f, -1e-3f, 12345.678f}, d.array());
    }

    @Test
    void readsFilesThatNumpyWrote() throws IOException {
        // src/test/resources/npy: made by numpy (see README there)
        HostTensor a = Npy.read(resource("arange_2x3_f4.npy"));
        assertArrayEquals(new int[] {2, 3}, a.shape());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, a.array());
        HostTensor b = Npy.read(resource("linspace_4_f8_v2.npy"));
        assertArrayEquals(new int[] {4}, b.shape());
        assertArrayEquals(new float[] {-1f, -1f / 3, 1f / 3, 1f}, b.array(), 1e-7f);
        assertRefused(resource("arange_2x3_f4_fortran.npy"), "fortran_order");
        assertArrayEquals(new float[] {0, 1, 2}, Npy.read(resource("arange_3_i4.npy")).array()); // exact values
        assertRefused(resource("arange_3_f4_bigendian.npy"), "big-endian");
    }

    private static Path resource(String name) {
        try {
            return Path.of(NpyTest.class.getResource("/npy/" + name).toURI());
        } catch (java.net.URISyntaxException | NullPointerException e) {
            throw new AssertionError("test resource npy/" + name + " missing", e);
        }
    }

    private static void assertRefused(Path f, String problem) {
        Npy.NpyFormatException e = assertThrows(Npy.NpyFormatException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().startsWith(f.toString() + ": "), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(problem), "names the problem '" + problem + "': " + e.getMessage());
    }

    /** int64 (ONNX RoiAlign's batch indices, as numpy writes them) is read as exact float32 values. */
    @Test
    void readsInt64AsExactFloatsAndRefusesValuesWithoutOne() throws IOException {
        java.nio.ByteBuffer ok = java.nio.ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        ok.putLong(0).putLong(-3).putLong(1L << 24);
        HostTensor t = Npy.read(file("i8.npy", npy(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                ok.array())));
        assertArrayEquals(new int[] {3}, t.shape());
        assertArrayEquals(new float[] {0f, -3f, 16777216f}, t.array());
        java.nio.ByteBuffer big = java.nio.ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        big.putLong(1).putLong((1L << 24) + 1);
        assertRefused(file("i8big.npy", npy(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                big.array())), "element 1 = 16777217 has no exact float32 value");
    }

    @Test
    void refusesWhatItCannotRead() throws IOException {
        byte[] six = floats(ByteOrder.LITTLE_ENDIAN, 1, 2, 3, 4, 5, 6);
        assertRefused(file("magic.npy", "PK\u0003\u0004 not numpy at all".getBytes(StandardCharsets.ISO_8859_1)), "magic");
        assertRefused(file("empty.npy", new byte[0]), "magic");
        assertRefused(file("be.npy", npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (6,), }",
                floats(ByteOrder.BIG_ENDIAN, 1, 2, 3, 4, 5, 6))), "big-endian");
        assertRefused(file("fortran.npy", npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", six)),
                "fortran_order");
        assertRefused(file("u8.npy", npy(1, "{'descr': '<u8', 'fortran_order': False, 'shape': (3,), }", new byte[24])),
                "'<u8'");
        assertRefused(file("f2.npy", npy(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", new byte[6])),
                "'<f2'");
        assertRefused(file("struct.npy", npy(1, "{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (6,), }", six)),
                "structured");
        assertRefused(file("short.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", six)),
                "truncated data");
        assertRefused(file("long.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", six)),
                "header and data do not match");
        assertRefused(file("scalar.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
                floats(ByteOrder.LITTLE_ENDIAN, 1))), "0-d");
        assertRefused(file("zero.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", new byte[0])),
                "empty dimension");
        assertRefused(file("noshape.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, }", six)), "'shape'");
        assertRefused(file("garbled.npy", npy(1, "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (6,), }", six)),
                "does not parse");
        assertRefused(file("v9.npy", npy(1, "{}", new byte[0]).clone()), "'shape'");
        assertRefused(file("extra.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'foo': 1, }",
                six)), "header has key 'foo' besides 'descr', 'fortran_order' and 'shape'");
        assertRefused(file("huge.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,"
                + " ), }", six)), "the number 99999999999999999999999 at offset 51 is out of range (a dimension size is 0 to 2147483647)");
        assertRefused(file("int.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3000000000, ), }", six)),
                "shape entry 3000000000 is out of range (a dimension size is 0 to 2147483647)");
        byte[] v9 = npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", six);
        v9[6] = 9;
        assertRefused(file("v9b.npy", v9), "version 9.0");
        byte[] cut = Arrays.copyOf(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", six), 20);
        assertRefused(file("cut.npy", cut), "truncated header");
        assertRefused(dir.resolve("missing.npy"), "no such file");
        assertRefused(Files.createDirectories(dir.resolve("folder.npy")), "is a folder, not a .npy file");
    }

    @Test
    void readsAndWritesLargeArraysInChunks() throws IOException {
        // more than one 1 MiB chunk, so the chunk loop's edges are crossed
        float[] big = range(300_001);
        Path f = dir.resolve("big.npy");
        Npy.write(f, Tensor.of(big, 300_001));
        assertArrayEquals(big, Npy.read(f).array());
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        Npy.write(raw, Tensor.of(big, 300_001));
        assertEquals(Files.size(f), raw.size());
        double[] wide = new double[200_003];
        for (int i = 0; i < wide.length; i++) {
            wide[i] = i / 7.0;
        }
        HostTensor d = Npy.read(file("wide.npy", npy(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (200003,), }",
                doubles(wide))));
        for (int i = 0; i < wide.length; i += 9973) {
            assertEquals((float) wide[i], d.get(i), "element " + i);
        }
        assertEquals((float) wide[wide.length - 1], d.get(wide.length - 1));
    }
}
