package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.convcl.Convolution;
import dev.convcl.testing.Problems;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The tuning file: round trip, fallbacks, and the choice of tile per spec. No device needed. */
class TuningTableTest {
    static final OpenClDeviceInfo DEVICE = device("test-cpu", "CPU", "4.2");
    static final Convolution DENSE = Problems.parse("op=conv2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
    static final Convolution DENSE_SMALL = Problems.parse("op=conv2d n=1 c=256 h=14 w=14 k=256 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
    static final Convolution STRIDED_NARROW = Problems.parse("op=conv2d n=1 c=64 h=28 w=28 k=64 kh=3 kw=3 stride=3 pad=1 dil=1 groups=32");

    @TempDir
    Path dir;
    private ListAppender<ILoggingEvent> log;
    private Logger logger;

    static OpenClDeviceInfo device(String name, String type, String driver) {
        return new OpenClDeviceInfo(0, "Test Platform", name, "Test Vendor", type, driver, "OpenCL 3.0", "OpenCL C 1.2",
                2, 1000, 1L << 30, 64 * 1024, 1L << 28, 1024, false, true, 16, 16, null, null);
    }

    @BeforeEach
    void captureLog() {
        logger = (Logger) LoggerFactory.getLogger(TuningTable.class);
        log = new ListAppender<>();
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        logger.detachAppender(log);
    }

    private List<String> warnings() {
        return log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
    }

    /**
     * A tuning folder that cannot exist because the cache root names a file: the WARN names the
     * file and the setting, and does not advise {@code convcl tune}, which would fail the same way.
     * A corrupt file's WARN still does.
     */
    @Test
    void aCacheRootThatIsAFileIsNamedNotTunedAway() throws Exception {
        Path root = Files.writeString(dir.resolve("root-file"), "x");
        dev.convcl.testing.SystemProperties.run(dev.convcl.CacheDir.PROPERTY, root.toString(), () -> {
            TuningTable t = TuningTable.load(root.resolve("tuning"), DEVICE);
            assertTrue(t.entries().isEmpty());
            assertEquals(1, warnings().size(), warnings().toString());
            String w = warnings().get(0);
            assertTrue(w.contains("cannot be read") && w.contains(root + ", the cache root from -Dconvcl.cacheDir, is a file,"
                    + " not a folder; point it at a folder") && !w.contains("convcl tune"), w);
        });
        Files.writeString(TuningTable.fileFor(dir, DEVICE), "format=\\u12");
        TuningTable.load(dir, DEVICE);
        assertTrue(warnings().size() == 2 && warnings().get(1).contains("run `convcl tune` to rewrite it"), warnings().toString());
        // contents that are not UTF-8 are the contents too; a folder where the file should be is neither
        Files.write(TuningTable.fileFor(dir, DEVICE), new byte[] {'f', (byte) 0xff, (byte) 0xfe, '\n'});
        TuningTable.load(dir, DEVICE);
        assertTrue(warnings().size() == 3 && warnings().get(2).contains("run `convcl tune` to rewrite it"), warnings().toString());
        Path other = dir.resolve("other");
        Files.createDirectories(TuningTable.fileFor(other, DEVICE));
        TuningTable.load(other, DEVICE);
        assertTrue(warnings().size() == 4 && warnings().get(3).contains("it is a folder; remove it"), warnings().toString());
    }

    @Test
    void aSavedTableLoadsBackUnchanged() throws IOException {
        TuningTable t = TuningTable.empty(DEVICE)
                .with("dense", new TuningTable.Entry(GemmConfig.cm(16, 48, 9, 1), 123.4, DENSE.toString()))
                .with("grouped-narrow-smallhw", new TuningTable.Entry(GemmConfig.pv(8, 4, 32, 1), 7.5, "a; b"))
                .with("pointwise", new TuningTable.Entry(GemmConfig.lm(16, 8, 64, 32, 8), 99.0, ""));
        Path file = t.save(dir);
        assertEquals(TuningTable.fileFor(dir, DEVICE), file);
        if (Files.getFileStore(file).supportsFileAttributeView("posix")) { // readable as its folder is
            for (String[] c : new String[][] {{"rwxr-xr-x", "rw-r--r--"}, {"rwx------", "rw-------"}, {"rwxr-x---", "rw-r-----"}}) {
                Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString(c[0]));
                t.save(dir);
                assertEquals(c[1], java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), c[0]);
            }
        }
        String text = Files.readString(file);
        assertTrue(text.contains("gemm.dense=cm vw=16 tm=48 tn=9 ls=1"), text);
        assertTrue(text.contains("device=test-cpu"), text);

        TuningTable back = TuningTable.load(dir, DEVICE);
        assertEquals(t.entries(), back.entries());
        assertEquals(List.of(), warnings());
    }

    /**
     * The candidates a budget left out are written in their order (in canonical form), read back,
     * and make the class incomplete, which automatic tuning takes up again; without them the key
     * is not written and the class is complete.
     */
    @Test
    void untriedCandidatesRoundTripAndMakeTheClassIncomplete() throws IOException {
        TuningTable t = TuningTable.empty(DEVICE)
                .with("dense", new TuningTable.Entry(TuningTable.DEFAULTS, 300.0, DENSE.toString(), Map.of(),
                        List.of("pv vw=16 tm=8 tn=32 ls=1 order=pixels", "cm vw=16 tm=16 tn=28 ls=1")))
                .with("pointwise", new TuningTable.Entry(GemmConfig.pv(16, 4, 64, 1), 99.0, ""));
        Path file = t.save(dir);
        String text = Files.readString(file);
        assertTrue(text.contains("gemm.dense.untried=pv vw=16 tm=8 tn=32 ls=1; cm vw=16 tm=16 tn=28 ls=1\n"), text);
        assertFalse(text.contains("gemm.pointwise.untried"), text);

        TuningTable back = TuningTable.load(dir, DEVICE);
        assertEquals(t.entries(), back.entries());
        assertEquals(List.of("pv vw=16 tm=8 tn=32 ls=1", "cm vw=16 tm=16 tn=28 ls=1"),
                back.get("dense").orElseThrow().untried());
        assertFalse(back.complete(KernelFamily.GEMM, DENSE), "candidates were left out");
        assertTrue(back.covers(KernelFamily.GEMM, DENSE, DEVICE), "yet the entry applies: plans use it meanwhile");
        Convolution pointwise = Problems.parse("op=conv2d n=1 c=64 h=56 w=56 k=256 kh=1 kw=1 stride=1 pad=0 dil=1 groups=1");
        assertEquals("pointwise", KernelFamily.GEMM.classKey(pointwise));
        assertTrue(back.complete(KernelFamily.GEMM, pointwise));
        Convolution dilated = Problems.parse("op=conv2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=2 dil=2 groups=1");
        assertFalse(back.complete(KernelFamily.GEMM, dilated), "no entry is not complete");
        assertEquals(List.of(), warnings());

        // a candidate that does not parse is dropped with a warning; the entry and the rest stay
        Files.writeString(file, text.replace("gemm.dense.untried=pv vw=16", "gemm.dense.untried=pv vw=3"));
        TuningTable.Entry kept = TuningTable.load(dir, DEVICE).get("dense").orElseThrow();
        assertEquals(TuningTable.DEFAULTS, kept.config());
        assertEquals(List.of("cm vw=16 tm=16 tn=28 ls=1"), kept.untried());
        assertTrue(warnings().stream().anyMatch(w -> w.contains("gemm.dense") && w.contains("pv vw=3") && w.contains("is ignored")),
                warnings().toString());
    }

    /** A file that is not UTF-8 text is named with the first bad byte and its offset, not the decoder's "Input length = 1". */
    @Test
    void aFileThatIsNotUtf8IsNamedWithItsFirstBadByte() throws IOException {
        Path file = TuningTable.empty(DEVICE).with("pointwise", new TuningTable.Entry(GemmConfig.pv(16, 4, 64, 1), 99.0, ""))
                .save(dir);
        byte[] text = Files.readAllBytes(file);
        byte[] bad = java.util.Arrays.copyOf(text, text.length + 3);
        bad[text.length] = 'x';
        bad[text.length + 1] = (byte) 0xff;
        bad[text.length + 2] = '\n';
        Files.write(file, bad);
        assertTrue(TuningTable.load(dir, DEVICE).entries().isEmpty());
        assertEquals(1, warnings().size(), warnings().toString());
        assertTrue(warnings().get(0).contains("cannot be read (not UTF-8 text: byte 0xff at offset " + (text.length + 1) + ")"),
                warnings().get(0));
    }

    @Test
    void configTextRoundTripsAndBadTextIsRejectedWithTheField() {
        for (GemmConfig c : List.of(GemmConfig.cm(16, 32, 14, 1), GemmConfig.pv(4, 3, 8, 64), GemmConfig.lm(8, 32, 32, 128, 8),
                GemmConfig.pv(16, 4, 64, 1).withOrder(GemmConfig.Order.CHANNELS))) {
            assertEquals(c, GemmConfig.parse(c.toString()));
        }
        // pixel order is the text without an order (tuning files written before it read the same)
        assertEquals("cm vw=16 tm=32 tn=14 ls=1", GemmConfig.cm(16, 32, 14, 1).toString());
        assertEquals(GemmConfig.cm(16, 32, 14, 1), GemmConfig.parse("cm vw=16 tm=32 tn=14 ls=1 order=pixels"));
        assertEquals("pv vw=16 tm=4 tn=64 ls=1 order=channels", GemmConfig.pv(16, 4, 64, 1).withOrder(GemmConfig.Order.CHANNELS).toString());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GemmConfig.parse("cm vw=16 tm=32 tn=14 ls=1 order=rows"))
                .getMessage().contains("order='rows'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GemmConfig.parse("lm wg=8x32 tm=32 tn=128 bk=8 order=channels"))
                .getMessage().contains("not lm"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GemmConfig.parse("cm vw=16 tm=24 tn=14 ls=1"))
                .getMessage().contains("tm=24"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GemmConfig.parse("xx vw=16"))
                .getMessage().contains("'xx'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GemmConfig.parse("lm wg=16x16 tm=64 tn=60 bk=16"))
                .getMessage().contains("64x60"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GemmConfig.parse("pv vw=3 tm=4 tn=8 ls=1"))
                .getMessage().contains("vw=3"));
    }

    @Test
    void noFileMeansDefaultsWithoutWarning() {
        TuningTable t = TuningTable.load(dir, DEVICE);
        assertTrue(t.entries().isEmpty());
        assertEquals(GemmDefaults.of(DENSE, true, 16), t.configFor(DENSE, DEVICE));
        assertEquals(List.of(), warnings());
    }

    @Test
    void aCorruptFileFallsBackToDefaultsWithOneWarning() throws IOException {
        Path file = TuningTable.fileFor(dir, DEVICE);
        String header = "format=3\ndevice=test-cpu\nplatform=Test Platform\ndriver=4.2\n";
        for (String body : List.of("gemm.dense=cm vw=16 tm=32 tn=zz ls=1\n", "gemm.bogus=cm vw=16 tm=32 tn=14 ls=1\n",
                "gemm.dense=warp9\n")) {
            Files.writeString(file, header + body, StandardCharsets.UTF_8);
            log.list.clear();
            TuningTable t = TuningTable.load(dir, DEVICE);
            assertTrue(t.entries().isEmpty(), body);
            assertEquals(GemmDefaults.of(DENSE, true, 16), t.configFor(DENSE, DEVICE));
            assertEquals(1, warnings().size(), body + ": " + warnings());
            assertTrue(warnings().get(0).contains(file.toString()), warnings().get(0));
        }
        Files.write(file, new byte[] {(byte) 0xff, 0, '=', '\\', 'u', 'z'});
        log.list.clear();
        assertTrue(TuningTable.load(dir, DEVICE).entries().isEmpty());
        assertEquals(1, warnings().size(), warnings().toString());
    }

    @Test
    void aFileOfAnotherDeviceOrFormatIsIgnoredWithAWarning() throws IOException {
        OpenClDeviceInfo other = device("other-gpu", "GPU", "4.2");
        TuningTable.empty(other).with("dense", new TuningTable.Entry(GemmConfig.lm(8, 8, 32, 32, 16), 5, "")).save(dir);
        Path foreign = TuningTable.fileFor(dir, other);
        assertNotEquals(TuningTable.fileFor(dir, DEVICE), foreign);
        // a copy of another device's file where this device's would be
        Files.copy(foreign, TuningTable.fileFor(dir, DEVICE));
        TuningTable t = TuningTable.load(dir, DEVICE);
        assertTrue(t.entries().isEmpty());
        assertTrue(warnings().size() == 1 && warnings().get(0).contains("another device"), warnings().toString());

        Files.writeString(TuningTable.fileFor(dir, DEVICE), "format=99\ndevice=test-cpu\n");
        log.list.clear();
        assertTrue(TuningTable.load(dir, DEVICE).entries().isEmpty());
        assertTrue(warnings().size() == 1 && warnings().get(0).contains("format=99"), warnings().toString());
    }

    @Test
    void theClassTileWinsThenTheDefaults() {
        GemmConfig base = GemmConfig.cm(16, 16, 28, 1);
        GemmConfig small = GemmConfig.cm(16, 48, 9, 1);
        TuningTable t = TuningTable.empty(DEVICE)
                .with("dense", new TuningTable.Entry(base, 1, ""))
                .with("dense-smallhw", new TuningTable.Entry(small, 1, ""))
                // pv cannot run stride 3: the defaults must be used instead
                .with("grouped-narrow-smallhw", new TuningTable.Entry(GemmConfig.pv(16, 8, 32, 1), 1, ""));
        assertEquals("grouped-narrow-smallhw", ProblemClass.keyOf(STRIDED_NARROW));
        assertEquals("dense", ProblemClass.keyOf(DENSE));
        assertEquals("dense-smallhw", ProblemClass.keyOf(DENSE_SMALL));
        assertEquals(base, t.configFor(DENSE, DEVICE));
        assertEquals(small, t.configFor(DENSE_SMALL, DEVICE));
        assertEquals(GemmDefaults.of(STRIDED_NARROW, true, 16), t.configFor(STRIDED_NARROW, DEVICE));
        assertThrows(IllegalArgumentException.class, () -> t.with("nonsense", new TuningTable.Entry(base, 1, "")));
    }

    /**
     * A class without an entry takes the device's rule, not the tile of its base class: a tile
     * measured on other sizes can run far off its best (a 1x1 on one pixel a image, ResNet-18's
     * fully connected layer, ran 4.5x slower on the {@code pointwise} tile than on its default).
     */
    @Test
    void aClassWithoutAnEntryTakesTheDefaultsNotItsBaseClassTile() {
        Convolution fc = Problems.parse("op=conv2d n=8 c=512 h=1 w=1 k=1000 kh=1 kw=1 bias=1");
        assertEquals("pointwise-smallhw", ProblemClass.keyOf(fc));
        TuningTable t = TuningTable.empty(DEVICE)
                .with("pointwise", new TuningTable.Entry(GemmConfig.pv(16, 4, 64, 1), 1, ""))
                .with("dense", new TuningTable.Entry(GemmConfig.cm(16, 48, 9, 1), 1, ""));
        assertEquals(DeviceProfile.of(DEVICE).gemm(fc), t.configFor(fc, DEVICE));
        assertEquals(DeviceProfile.of(DEVICE).gemm(DENSE_SMALL), t.configFor(DENSE_SMALL, DEVICE));
        assertFalse(t.covers(KernelFamily.GEMM, fc, DEVICE), "automatic tuning tunes the class");
        assertFalse(t.covers(KernelFamily.GEMM, DENSE_SMALL, DEVICE));
    }

    /**
     * A 1x1 layer whose chain has a sum step is of {@code pointwise-sum}: the tile tuned for
     * {@code pointwise} (timed without a sum) does not reach it, its own entry and per-problem
     * tiles do, and they survive a save and a load.
     */
    @Test
    void aSummedOneByOneHasAClassOfItsOwn() throws IOException {
        Convolution plain = Problems.parse("op=conv2d n=8 c=104 h=28 w=28 k=104 kh=1 kw=1 bias=1 post=relu");
        Convolution summed = Problems.parse("op=conv2d n=8 c=104 h=28 w=28 k=104 kh=1 kw=1 bias=1 post=sum+relu");
        Convolution summedSmall = Problems.parse("op=conv2d n=1 c=440 h=7 w=7 k=440 kh=1 kw=1 bias=1 post=sum+relu");
        Convolution dense = Problems.parse("op=conv2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 pad=1 post=sum+relu");
        assertEquals("pointwise", ProblemClass.keyOf(plain));
        assertEquals("pointwise-sum", ProblemClass.keyOf(summed));
        assertEquals("pointwise-sum-smallhw", ProblemClass.keyOf(summedSmall));
        assertEquals("dense", ProblemClass.keyOf(dense), "only the 1x1 classes have the variant");
        assertTrue(ProblemClass.isKey("pointwise-sum") && ProblemClass.isKey("pointwise-sum-smallhw"));
        assertFalse(ProblemClass.isKey("dense-sum"));
        // a projection shortcut that takes the block's output as its sum (DRN-C-26's 16 -> 32 at stride 2)
        Convolution strided = Problems.parse("op=conv2d n=1 c=16 h=224 w=224 k=32 kh=1 kw=1 stride=2 bias=1 post=sum+relu");
        Convolution stridedPlain = Problems.parse(strided.toString().replace("post=sum+relu", "post=relu"));
        assertEquals("pointwise-strided-sum", ProblemClass.keyOf(strided));
        assertEquals("pointwise-strided", ProblemClass.keyOf(stridedPlain));
        assertTrue(ProblemClass.isKey("pointwise-strided-sum") && ProblemClass.isKey("pointwise-strided-sum-smallhw"));
        assertTrue(TuningTable.problemKey(strided).endsWith(" post=sum"), TuningTable.problemKey(strided));
        assertEquals(GemmDefaults.of(stridedPlain, true, 16), GemmDefaults.of(strided, true, 16),
                "the strided variant keeps the class's defaults until tuned");
        GemmConfig stridedTile = GemmConfig.pv(16, 4, 64, 1);
        TuningTable withStrided = TuningTable.empty(DEVICE).with("pointwise-strided-sum",
                new TuningTable.Entry(stridedTile, 300, strided.toString()));
        assertEquals(stridedTile, withStrided.configFor(strided, DEVICE));
        assertEquals(GemmDefaults.of(stridedPlain, true, 16), withStrided.configFor(stridedPlain, DEVICE),
                "the summed variant's tile does not reach the plain strided class");

        GemmConfig pointwiseTile = GemmConfig.cm(16, 32, 14, 1);
        TuningTable t = TuningTable.empty(DEVICE).with("pointwise", new TuningTable.Entry(pointwiseTile, 200, plain.toString()));
        assertEquals(pointwiseTile, t.configFor(plain, DEVICE));
        assertEquals(GemmDefaults.of(summed, true, 16), t.configFor(summed, DEVICE), "the defaults, not pointwise's tile");
        assertFalse(t.covers(KernelFamily.GEMM, summed, DEVICE), "automatic tuning tunes the summed class");

        GemmConfig sumTile = GemmConfig.pv(16, 8, 32, 1);
        GemmConfig own = GemmConfig.pv(16, 4, 64, 1);
        Convolution other = Problems.parse("op=conv2d n=8 c=208 h=14 w=14 k=208 kh=1 kw=1 bias=1 post=sum");
        TuningTable both = t.with("pointwise-sum", new TuningTable.Entry(sumTile.toString(), 150, summed + "; " + other,
                java.util.Map.of(other.toString(), own.toString())));
        both.save(dir);
        TuningTable back = TuningTable.load(dir, DEVICE);
        assertEquals(both.entries(), back.entries());
        assertEquals(sumTile, back.configFor(summed, DEVICE));
        assertEquals(own, back.configFor(other, DEVICE), "the per-problem tile of a summed layer");
        assertEquals(own, back.configFor(Problems.parse(other.toString().replace("post=sum", "post=sum:0.5+relu")), DEVICE),
                "any chain with a sum is the same problem");
        assertEquals(pointwiseTile, back.configFor(plain, DEVICE));
        assertEquals(List.of(), warnings());
    }

    /**
     * GEMM's {@code -smallhw} classes count the output pixels of the whole batch (the batch
     * multiplies the work-groups); depthwise and deform-gemm count a plane's.
     */
    @Test
    void theGemmSmallClassCountsTheBatch() {
        Convolution stage4 = Problems.parse("op=conv2d n=1 c=512 h=7 w=7 k=512 kh=3 kw=3 pad=1");
        assertEquals("dense-smallhw", ProblemClass.keyOf(stage4));
        assertEquals("dense-smallhw", ProblemClass.keyOf(Problems.parse(stage4.toString().replace("n=1", "n=5"))),
                "5 x 49 = 245 pixels");
        assertEquals("dense", ProblemClass.keyOf(Problems.parse(stage4.toString().replace("n=1", "n=6"))),
                "6 x 49 = 294 pixels");
        assertEquals("dense", ProblemClass.keyOf(Problems.parse(stage4.toString().replace("n=1", "n=8"))));
        Convolution dw = Problems.parse("op=conv2d n=8 c=64 h=14 w=14 k=64 kh=3 kw=3 pad=1 groups=64");
        assertEquals("small-smallhw", KernelFamily.DEPTHWISE.classKey(dw));
        Convolution dcn = Problems.parse("op=deform2d n=8 c=64 h=14 w=14 k=64 kh=3 kw=3 pad=1");
        assertEquals("deform-smallhw", KernelFamily.DEFORM.classKey(dcn));
    }

    /**
     * An entry tuned on a problem that now belongs to another class (a file written when GEMM's
     * small classes ignored the batch) is left out with one WARN; an entry whose basis does not
     * read as problems is kept.
     */
    @Test
    void anEntryTunedOnProblemsOfAnotherClassIsIgnoredWithAWarning() throws IOException {
        Path file = TuningTable.fileFor(dir, DEVICE);
        Files.writeString(file, "format=3\ndevice=test-cpu\nplatform=Test Platform\ndriver=4.2\n"
                + "gemm.dense-smallhw=pv vw=16 tm=8 tn=32 ls=1\n"
                + "gemm.dense-smallhw.basis=op=conv2d n=1 c=256 h=14 w=14 k=256 kh=3 kw=3 pad=1 bias=1; "
                + "op=conv2d n=8 c=512 h=7 w=7 k=512 kh=3 kw=3 pad=1 bias=1\n"
                + "gemm.dense=cm vw=16 tm=16 tn=28 ls=1\n"
                + "gemm.dense.basis=my own guess\n"
                + "depthwise.small-smallhw=vw=8 nv=2 th=6 wg=1x1\n"
                + "depthwise.small-smallhw.basis=op=conv2d n=8 c=64 h=14 w=14 k=64 kh=3 kw=3 pad=1 groups=64\n",
                StandardCharsets.UTF_8);
        TuningTable t = TuningTable.load(dir, DEVICE);
        assertEquals(List.of("depthwise.small-smallhw", "gemm.dense"), List.copyOf(t.entries().keySet()));
        assertEquals(DeviceProfile.of(DEVICE).gemm(DENSE_SMALL), t.configFor(DENSE_SMALL, DEVICE));
        assertEquals(1, warnings().size(), warnings().toString());
        assertTrue(warnings().get(0).contains("gemm.dense-smallhw (op=conv2d n=8 c=512 h=7 w=7 k=512 kh=3 kw=3 stride=1 "
                + "pad=1 dil=1 groups=1 is dense)") && warnings().get(0).contains("ignored"), warnings().get(0));
    }

    @Test
    void defaultsFollowTheDeviceStyle() {
        OpenClDeviceInfo gpu = device("gpu", "GPU", "1");
        TuningTable t = TuningTable.empty(gpu);
        assertEquals(GemmConfig.Kind.LM, t.configFor(DENSE, gpu).kind());
        assertEquals(GemmConfig.Kind.CM, TuningTable.empty(DEVICE).configFor(DENSE, DEVICE).kind());
        Convolution narrow = Problems.parse("op=conv2d n=1 c=128 h=56 w=56 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32");
        assertEquals(GemmConfig.Kind.PV, TuningTable.empty(DEVICE).configFor(narrow, DEVICE).kind());
        Convolution eight = Problems.parse("op=conv2d n=1 c=256 h=28 w=28 k=256 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32");
        assertEquals(GemmConfig.pv(16, 4, 64, 1), TuningTable.empty(DEVICE).configFor(eight, DEVICE));
        // pixel vectors need stride_w = 1: a strided narrow group gets a channel vector of its width
        assertEquals(GemmConfig.cm(2, 2, 28, 1), TuningTable.empty(DEVICE).configFor(STRIDED_NARROW, DEVICE));
    }

    static final Convolution DW = Problems.parse("op=conv2d n=1 c=128 h=56 w=56 k=128 kh=31 kw=31 stride=1 pad=15 dil=1 groups=128");
    static final Convolution DCN = Problems.parse("op=deform2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1 og=1 mask=1");

    /**
     * A class's depthwise tile is timed on the class's basis (MobileNetV2's 112x112 stride-2 layer
     * for {@code small-strided}) and used on every problem of the class: on a narrower output it
     * drops the vectors past the row and takes rows instead (0.458 ms against 0.161 ms a call on POCL
     * for the 56x56 stride-2 layer); a problem it covers keeps it as it is.
     */
    @Test
    void aDepthwiseClassTileIsFittedToANarrowerProblem() {
        Convolution wide = Problems.parse("op=conv2d n=1 c=96 h=112 w=112 k=96 kh=3 kw=3 stride=2 pad=1 dil=1 groups=96");
        Convolution narrow = Problems.parse("op=conv2d n=1 c=144 h=56 w=56 k=144 kh=3 kw=3 stride=2 pad=1 dil=1 groups=144");
        Convolution seven = Problems.parse("op=conv2d n=1 c=960 h=7 w=7 k=960 kh=3 kw=3 stride=1 pad=1 dil=1 groups=960");
        KernelFamily f = KernelFamily.DEPTHWISE;
        assertEquals("small-strided", f.classKey(wide));
        assertEquals(f.classKey(wide), f.classKey(narrow));
        String tile = "vw=16 nv=4 th=2 wg=1x1";
        TuningTable t = TuningTable.empty(DEVICE).with(f, "small-strided", new TuningTable.Entry(tile, 30, wide.toString()));
        // 56 outputs a row: 4 vectors of 16 cover it, the tile stays
        assertEquals(Optional.of(tile), t.configOrDefault(f, wide, DEVICE), wide.toString());
        // 28 outputs a row: 2 vectors; the 2 freed take 2 more rows (th x nv = 8), 7 tiles of 4 rows
        assertEquals(Optional.of("vw=16 nv=2 th=4 wg=1x1"), t.configOrDefault(f, narrow, DEVICE), narrow.toString());
        // fitting is its own fit, and rows are balanced over the height (8 rows on 7: one tile of 7)
        assertEquals("vw=16 nv=2 th=4 wg=1x1", f.fitted(narrow, f.fitted(narrow, tile)));
        assertEquals("vw=8 nv=1 th=7 wg=1x1", f.fitted(seven, "vw=8 nv=2 th=8 wg=1x1"));
        // the row-reuse kernel drops vectors and balances rows, but takes no rows for them (its
        // accumulators are sized to the registers)
        assertEquals("rows vw=16 nv=2 th=2 cb=2", f.fitted(narrow, "rows vw=16 nv=4 th=2 cb=2"));
        assertEquals("rows vw=8 nv=1 th=7 cb=4", f.fitted(seven, "rows vw=8 nv=2 th=8 cb=4"));
        // a problem's own tile is fitted too (the tuner timed it fitted), other families are not touched
        TuningTable own = t.with(f, "small-strided", new TuningTable.Entry(tile, 30, wide + "; " + narrow,
                java.util.Map.of(TuningTable.problemKey(narrow), "vw=8 nv=8 th=2 wg=1x1")));
        assertEquals(Optional.of("vw=8 nv=4 th=4 wg=1x1"), own.configOrDefault(f, narrow, DEVICE));
        assertEquals("cm vw=16 tm=16 tn=28 ls=1", KernelFamily.GEMM.fitted(narrow, "cm vw=16 tm=16 tn=28 ls=1"));
        assertEquals(List.of(), warnings());
    }

    /**
     * Fitted, a tile can stage more input than the tile as tuned (rows for the vectors it dropped,
     * under a kernel far wider than tall): when that exceeds the device's local memory (64 KiB
     * here) the table uses the tile as tuned, which fits, not the device's default.
     */
    @Test
    void aFittedTileTooBigForLocalMemoryFallsBackToTheTileAsTuned() {
        // 1 x 31 taps 100 apart: 3001 staged columns a row; 10 outputs a row, 16 rows
        Convolution wide = Problems.parse("op=conv2d n=1 c=2 h=16 w=3010 k=2 kh=1 kw=31 stride=1 pad=0 dil=1,100 groups=2");
        KernelFamily f = KernelFamily.DEPTHWISE;
        String tile = "vw=16 nv=8 th=1 wg=1x1";
        String fitted = f.fitted(wide, tile);
        assertEquals("vw=16 nv=1 th=8 wg=1x1", fitted);
        assertTrue(f.unsuitable(wide, fitted, DEVICE).isPresent(), fitted + " needs more than 64 KiB");
        assertTrue(f.unsuitable(wide, tile, DEVICE).isEmpty(), tile + " fits");
        TuningTable t = TuningTable.empty(DEVICE).with(f, f.classKey(wide), new TuningTable.Entry(tile, 10, wide.toString()));
        assertEquals(Optional.of(tile), t.configOrDefault(f, wide, DEVICE));
        assertEquals(List.of(), warnings());
    }

    /**
     * Fitting is its own fit, never widens or heightens a tile past what it was, and leaves no
     * vector wholly past the output row and no row tile wholly past the output's height, over a
     * grid of tiles (CPU and GPU shapes) and problems.
     */
    @Test
    void fittingIsIdempotentAndOnlyTrims() {
        java.util.Random r = new java.util.Random(20261202L);
        int[] widths = {1, 2, 4, 8, 16};
        for (int i = 0; i < 20_000; i++) {
            int oh = 1 + r.nextInt(120);
            int ow = 1 + r.nextInt(120);
            int k = 1 + 2 * r.nextInt(4);
            Convolution s = Problems.parse("op=conv2d n=1 c=2 h=" + oh + " w=" + ow + " k=2 kh=" + k + " kw=" + k
                    + " stride=1 pad=" + (k / 2) + " dil=1 groups=2");
            int vw = widths[r.nextInt(widths.length)];
            DepthwisePlan.Tile t = new DepthwisePlan.Tile(vw, 1 + r.nextInt(8), 1 + r.nextInt(10),
                    r.nextBoolean() ? 1 : 1 + r.nextInt(16), r.nextBoolean() ? 1 : 1 + r.nextInt(8));
            DepthwisePlan.Tile f = t.fittedTo(s);
            String what = t + " on " + s + " -> " + f;
            assertEquals(f, f.fittedTo(s), what);
            assertTrue(f.vw() == t.vw() && f.wgx() == t.wgx() && f.wgy() == t.wgy() && f.nv() <= t.nv(), what);
            assertTrue(f.nv() == 1 || (f.nv() - 1) * f.vw() * f.wgx() < ow, "a vector past the row: " + what);
            assertTrue(f.th() <= Math.max(t.th(), Math.min(8, t.th() * t.nv() / f.nv())), what);
            int rowsPerGroup = ceil(oh, f.wgy());
            assertTrue(ceil(rowsPerGroup, f.th()) * f.th() - rowsPerGroup < ceil(rowsPerGroup, f.th()),
                    "rows balanced: " + what);
            DepthwiseMapPlan.Tile mt = new DepthwiseMapPlan.Tile(vw, 1 + r.nextInt(8), 1 + r.nextInt(16), 1 + r.nextInt(4));
            DepthwiseMapPlan.Tile mf = mt.fittedTo(s);
            String mwhat = mt + " on " + s + " -> " + mf;
            assertEquals(mf, mf.fittedTo(s), mwhat);
            assertTrue(mf.th() <= oh && mf.cb() == mt.cb(), mwhat);
            assertTrue(mf.nv() == 1 || (mf.nv() - 1) * mf.vw() < ow, "a vector past the row: " + mwhat);
            assertTrue(mf.nv() * mf.th() <= Math.max(mt.nv() * mt.th(), mf.nv()), "more accumulators: " + mwhat);
            assertTrue(ow > DepthwiseMapPlan.MAX_VECTORS * mf.vw() || mf.unsuitable(s).isEmpty(), mwhat);
            DepthwiseRowsPlan.Tile rt = new DepthwiseRowsPlan.Tile(vw, 1 + r.nextInt(8), 1 + r.nextInt(10), 1 + r.nextInt(8));
            DepthwiseRowsPlan.Tile rf = rt.fittedTo(s);
            assertEquals(rf, rf.fittedTo(s), rt + " on " + s);
            assertTrue(rf.nv() <= rt.nv() && rf.th() <= rt.th() && rf.cb() == rt.cb(), rt + " on " + s + " -> " + rf);
        }
    }

    /**
     * A class's map tile on a problem of the class with wider rows runs fitted (more vectors, fewer
     * rows); on one the kernel cannot run (more than 81 taps) the default takes it, and that is not
     * a fault of the table or the device (outOfShape: logged at debug, not warned).
     */
    @Test
    void aMapTileOfAClassRunsItsWiderRowsFittedAndLeavesTheShapesItCannotRunToTheDefault() {
        String tile = "map vw=16 nv=1 th=14 cb=1";
        Convolution wide = Problems.parse("op=conv2d n=1 c=4 h=2 w=100 k=4 kh=3 kw=3 pad=1 groups=4");
        assertEquals("map vw=16 nv=7 th=2 cb=1", KernelFamily.DEPTHWISE.fitted(wide, tile));
        assertEquals(java.util.Optional.empty(), KernelFamily.DEPTHWISE.unsuitable(wide,
                KernelFamily.DEPTHWISE.fitted(wide, tile), DeviceProfileTest.AVX512));
        Convolution many = Problems.parse("op=conv2d n=1 c=4 h=9 w=9 k=4 kh=11 kw=11 pad=5 groups=4");
        assertTrue(KernelFamily.DEPTHWISE.unsuitable(many, KernelFamily.DEPTHWISE.fitted(many, tile),
                DeviceProfileTest.AVX512).isPresent());
        assertTrue(KernelFamily.DEPTHWISE.outOfShape(many, tile));
        assertTrue(KernelFamily.DEPTHWISE.outOfShape(Problems.parse(
                "op=conv2d n=1 c=4 h=9 w=9 k=4 kh=3 kw=3 stride=2 pad=1 groups=4"), "plane vw=8 th=5 xc=3 cb=1"));
        assertFalse(KernelFamily.DEPTHWISE.outOfShape(many, "vw=16 nv=1 th=4 wg=1x1"));
        assertFalse(KernelFamily.DEPTHWISE.outOfShape(wide, KernelFamily.DEPTHWISE.fitted(wide, tile)));
        assertFalse(KernelFamily.GEMM.outOfShape(wide, "cm vw=16 tm=32 tn=14 ls=1"));
    }

    private static int ceil(int a, int b) {
        return (a + b - 1) / b;
    }

    @Test
    void depthwiseAndDeformableEntriesRoundTripAndAreUsed() throws IOException {
        String dw = "vw=8 nv=2 th=6 wg=1x1";
        String dcn = "vw=16 pv=1 npt=1 kt=8 nkt=8 cc=8 wg=1";
        assertEquals("huge", KernelFamily.DEPTHWISE.classKey(DW));
        assertEquals("deform", KernelFamily.DEFORM.classKey(DCN));
        TuningTable t = TuningTable.empty(DEVICE)
                .with(KernelFamily.DEPTHWISE, "huge", new TuningTable.Entry(dw, 50, DW.toString()))
                .with(KernelFamily.DEFORM, "deform", new TuningTable.Entry(dcn, 40, DCN.toString()))
                .with("dense", new TuningTable.Entry(GemmConfig.cm(16, 16, 28, 1), 1, ""));
        String text = Files.readString(t.save(dir));
        assertTrue(text.contains("depthwise.huge=" + dw) && text.contains("deform-gemm.deform=" + dcn)
                && text.contains("gemm.dense=cm vw=16 tm=16 tn=28 ls=1") && text.contains("format=" + TuningTable.FORMAT), text);
        TuningTable back = TuningTable.load(dir, DEVICE);
        assertEquals(t.entries(), back.entries());
        assertEquals(Optional.of(dw), back.configOrDefault(KernelFamily.DEPTHWISE, DW, DEVICE));
        assertEquals(Optional.of(dcn), back.configOrDefault(KernelFamily.DEFORM, DCN, DEVICE));
        // no entry for the class: the device's default
        Convolution dw3 = Problems.parse("op=conv2d n=1 c=32 h=112 w=112 k=32 kh=3 kw=3 stride=1 pad=1 dil=1 groups=32");
        assertEquals(DeviceProfile.of(DEVICE).depthwiseConfig(dw3).map(Object::toString),
                back.configOrDefault(KernelFamily.DEPTHWISE, dw3, DEVICE));
        assertThrows(IllegalArgumentException.class,
                () -> t.with(KernelFamily.DEPTHWISE, "huge", new TuningTable.Entry("cm vw=16 tm=32 tn=14 ls=1", 1, "")));
        assertEquals(List.of(), warnings());
    }

    /**
     * Formats 1 and 2 ranked GEMM tiles on calls that packed the weights each time: their GEMM
     * entries go (one warning naming them), format 2's depthwise and deformable entries stay.
     */
    @Test
    void gemmEntriesRankedWithPackingAreDroppedWithOneWarning() throws IOException {
        Path file = TuningTable.fileFor(dir, DEVICE);
        String device = "device=test-cpu\nplatform=Test Platform\ndriver=4.2\n";
        Files.writeString(file, "format=2\n" + device + "gemm.dense=cm vw=16 tm=16 tn=28 ls=1\ngemm.dense.gflops=90\n"
                + "gemm.pointwise=cm vw=8 tm=8 tn=12 ls=1\ndepthwise.huge=vw=8 nv=2 th=6 wg=1x1\n", StandardCharsets.UTF_8);
        TuningTable t = TuningTable.load(dir, DEVICE);
        assertEquals(List.of("depthwise.huge"), List.copyOf(t.entries().keySet()));
        assertEquals(GemmDefaults.of(DENSE, true, 16), t.configFor(DENSE, DEVICE));
        assertEquals(1, warnings().size(), warnings().toString());
        assertTrue(warnings().get(0).contains(file.toString()) && warnings().get(0).contains("gemm.dense, gemm.pointwise")
                && warnings().get(0).contains("format=2"), warnings().get(0));
        // saved again, the file has the current format and no stale entry
        String text = Files.readString(t.save(dir));
        assertTrue(text.contains("format=" + TuningTable.FORMAT) && !text.contains("gemm.") && text.contains("depthwise.huge"),
                text);

        Files.writeString(file, "format=1\n" + device + "class.dense=cm vw=16 tm=16 tn=28 ls=1\n", StandardCharsets.UTF_8);
        log.list.clear();
        assertTrue(TuningTable.load(dir, DEVICE).entries().isEmpty());
        assertEquals(1, warnings().size(), warnings().toString());
        assertTrue(warnings().get(0).contains("class.dense") && warnings().get(0).contains("format=1"), warnings().get(0));
    }

    /**
     * A class whose defaults won is kept as {@code defaults}: its plans take the device's rule
     * (not the base class's entry), and the class counts as covered, so automatic tuning does
     * not run it again.
     */
    @Test
    void aDefaultsEntryMeansTheDevicesRuleAndCountsAsTuned() throws IOException {
        Convolution dense7 = Problems.parse("op=conv2d n=1 c=64 h=7 w=7 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        assertEquals("dense-smallhw", KernelFamily.GEMM.classKey(dense7));
        TuningTable t = TuningTable.empty(DEVICE)
                .with("dense", new TuningTable.Entry(GemmConfig.cm(8, 8, 12, 1), 5, ""))
                .with(KernelFamily.GEMM, "dense-smallhw", new TuningTable.Entry(" Defaults", 7, dense7.toString()));
        t.save(dir);
        TuningTable back = TuningTable.load(dir, DEVICE);
        assertEquals(t.entries(), back.entries());
        assertEquals(TuningTable.DEFAULTS, back.entries().get("gemm.dense-smallhw").config());
        assertTrue(back.tuned(KernelFamily.GEMM, dense7, DEVICE).isEmpty(), "not the base class's entry");
        assertEquals(DeviceProfile.of(DEVICE).gemm(dense7), back.configFor(dense7, DEVICE));
        assertTrue(back.covers(KernelFamily.GEMM, dense7, DEVICE) && back.covers(KernelFamily.GEMM, DENSE, DEVICE));
        assertFalse(TuningTable.empty(DEVICE).covers(KernelFamily.GEMM, DENSE, DEVICE));
        assertEquals(List.of(), warnings());
    }

    @Test
    void aCorruptEntryIsIgnoredWithAWarningAndTheOthersAreUsed() throws IOException {
        Path file = TuningTable.fileFor(dir, DEVICE);
        String header = "format=3\ndevice=test-cpu\nplatform=Test Platform\ndriver=4.2\n";
        String good = "depthwise.huge=vw=8 nv=2 th=6 wg=1x1\n";
        for (String bad : List.of("depthwise.large=vw=8 nv=two th=6 wg=1x1\n", "depthwise.enormous=vw=8 nv=2 th=6 wg=1x1\n",
                "deform-gemm.deform=vw=3 pv=1 npt=1 kt=8 nkt=8 cc=8 wg=1\n", "winograd.dense=f(2,3)\n",
                "gemm.dense=vw=8 nv=2 th=6 wg=1x1\n")) {
            Files.writeString(file, header + bad + good, StandardCharsets.UTF_8);
            log.list.clear();
            TuningTable t = TuningTable.load(dir, DEVICE);
            assertEquals(List.of("depthwise.huge"), List.copyOf(t.entries().keySet()), bad);
            assertEquals(Optional.of("vw=8 nv=2 th=6 wg=1x1"), t.configOrDefault(KernelFamily.DEPTHWISE, DW, DEVICE));
            assertEquals(1, warnings().size(), bad + ": " + warnings());
            String key = bad.substring(0, bad.indexOf('='));
            assertTrue(warnings().get(0).contains(file.toString()) && warnings().get(0).contains(key)
                    && warnings().get(0).contains("ignored"), warnings().get(0));
        }
    }

    @Test
    void anEntryTheDeviceCannotRunIsSkippedWithAWarning() {
        // 32 x 64 work-items: more than this device's 1024
        TuningTable t = TuningTable.empty(DEVICE)
                .with(KernelFamily.DEPTHWISE, "huge", new TuningTable.Entry("vw=1 nv=1 th=1 wg=32x64", 1, ""));
        assertEquals(DeviceProfile.of(DEVICE).depthwiseConfig(DW).map(Object::toString),
                t.configOrDefault(KernelFamily.DEPTHWISE, DW, DEVICE));
        assertEquals(1, warnings().size(), warnings().toString());
        assertTrue(warnings().get(0).contains("depthwise.huge") && warnings().get(0).contains("2048 work-items"),
                warnings().get(0));
        // an entry the problem cannot run does not count as tuned: automatic tuning tunes the class for it
        assertFalse(t.covers(KernelFamily.DEPTHWISE, DW, DEVICE));
    }

    /**
     * A problem the class's tile served clearly worse keeps its own tile (or the device's
     * default): it round-trips through the file, applies to that problem whatever its bias and
     * epilogue, and to no other problem of the class.
     */
    @Test
    void aProblemsOwnTileOverridesItsClassOnlyForThatProblem() throws IOException {
        Convolution other = Problems.parse("op=conv2d n=1 c=128 h=28 w=28 k=128 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        Convolution dense7 = Problems.parse("op=conv2d n=1 c=512 h=7 w=7 k=512 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        Convolution another7 = Problems.parse("op=conv2d n=1 c=64 h=7 w=7 k=64 kh=3 kw=3 stride=1 pad=1 dil=1 groups=1");
        GemmConfig classTile = GemmConfig.pv(16, 8, 32, 1);
        GemmConfig own = GemmConfig.cm(16, 16, 28, 1);
        TuningTable t = TuningTable.empty(DEVICE)
                .with("dense", new TuningTable.Entry(classTile.toString(), 150, DENSE + "; " + other,
                        java.util.Map.of(DENSE.toString().replace("bias=0", "bias=1"), " " + own + " ")))
                .with("dense-smallhw", new TuningTable.Entry(classTile.toString(), 140, DENSE_SMALL + "; " + dense7,
                        java.util.Map.of(TuningTable.problemKey(dense7), "Defaults")));
        t.save(dir);
        String text = Files.readString(TuningTable.fileFor(dir, DEVICE), StandardCharsets.UTF_8);
        assertTrue(text.contains("gemm.dense.problems=" + TuningTable.problemKey(DENSE) + " -> " + own + "\n"), text);
        TuningTable back = TuningTable.load(dir, DEVICE);
        assertEquals(t.entries(), back.entries());
        assertEquals(own.toString(), back.entries().get("gemm.dense").perProblem().get(TuningTable.problemKey(DENSE)));
        assertEquals(own, t.configFor(DENSE, DEVICE), "the key is made the problem's key in memory too");
        assertThrows(IllegalArgumentException.class, () -> t.with("dense", new TuningTable.Entry(classTile.toString(), 1,
                "", java.util.Map.of(TuningTable.problemKey(dense7), own.toString()))), "a dense-smallhw problem");

        assertEquals(own, back.configFor(DENSE, DEVICE));
        assertEquals(own, back.configFor(Problems.parse(DENSE.toString().replace("bias=0", "bias=1 post=relu")), DEVICE),
                "bias and epilogue do not change the problem");
        assertEquals(classTile, back.configFor(other, DEVICE));
        assertEquals(classTile, back.configFor(Problems.parse(DENSE.toString().replace("n=1", "n=2")), DEVICE),
                "another batch is another problem");
        // defaults for one problem: the device's rule, and still covered
        assertEquals(DeviceProfile.of(DEVICE).gemm(dense7), back.configFor(dense7, DEVICE));
        assertTrue(back.tuned(KernelFamily.GEMM, dense7, DEVICE).isEmpty());
        assertTrue(back.covers(KernelFamily.GEMM, dense7, DEVICE));
        assertEquals(classTile, back.configFor(DENSE_SMALL, DEVICE));
        assertEquals(classTile, back.configFor(another7, DEVICE));
        assertEquals(List.of(), warnings());
    }

    /**
     * Hand-edited per-problem tiles: a pair that does not read (no arrow, a problem that does not
     * parse or belongs to another family, a tile that does not parse) is left out with a WARN
     * naming it; the entry's other pairs and its class tile are kept.
     */
    @Test
    void aCorruptPerProblemTileIsIgnoredWithAWarningAndTheRestIsUsed() throws IOException {
        Path file = TuningTable.fileFor(dir, DEVICE);
        String header = "format=3\ndevice=test-cpu\nplatform=Test Platform\ndriver=4.2\ngemm.dense=pv vw=16 tm=8 tn=32 ls=1\n";
        String good = TuningTable.problemKey(DENSE) + " bias=1 -> cm vw=16 tm=16 tn=28 ls=1";
        for (String bad : List.of("op=conv2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 pad=1 cm vw=16 tm=16 tn=28 ls=1",
                "op=conv2d n=1 c=64 h=56 w=zero k=64 kh=3 kw=3 pad=1 -> cm vw=16 tm=16 tn=28 ls=1",
                "op=conv2d n=1 c=64 h=56 w=56 k=64 kh=3 kw=3 pad=1 groups=64 -> cm vw=16 tm=16 tn=28 ls=1",
                "op=conv2d n=1 c=64 h=56 w=57 k=64 kh=3 kw=3 pad=1 -> cm vw=16 tm=sixteen tn=28 ls=1",
                "op=conv2d n=1 c=512 h=7 w=7 k=512 kh=3 kw=3 pad=1 -> cm vw=16 tm=16 tn=28 ls=1")) {
            Files.writeString(file, header + "gemm.dense.problems=" + bad + "; " + good + "\n", StandardCharsets.UTF_8);
            log.list.clear();
            TuningTable t = TuningTable.load(dir, DEVICE);
            assertEquals(java.util.Map.of(TuningTable.problemKey(DENSE), "cm vw=16 tm=16 tn=28 ls=1"),
                    t.entries().get("gemm.dense").perProblem(), bad);
            assertEquals(GemmConfig.cm(16, 16, 28, 1), t.configFor(DENSE, DEVICE), bad);
            assertEquals(GemmConfig.pv(16, 8, 32, 1),
                    t.configFor(Problems.parse(DENSE.toString().replace("w=56", "w=57")), DEVICE), bad);
            assertEquals(1, warnings().size(), bad + ": " + warnings());
            assertTrue(warnings().get(0).contains(file.toString()) && warnings().get(0).contains("gemm.dense")
                    && warnings().get(0).contains("ignored"), warnings().get(0));
        }
    }

    /** A problem's own tile the device cannot run is skipped with a WARN; the class's tile applies. */
    @Test
    void aProblemsOwnTileTheDeviceCannotRunFallsBackToTheClassTile() {
        TuningTable t = TuningTable.empty(DEVICE).with(KernelFamily.DEPTHWISE, "huge", new TuningTable.Entry(
                "vw=8 nv=2 th=6 wg=1x1", 1, "", java.util.Map.of(TuningTable.problemKey(DW), "vw=1 nv=1 th=1 wg=32x64")));
        assertEquals(Optional.of("vw=8 nv=2 th=6 wg=1x1"), t.configOrDefault(KernelFamily.DEPTHWISE, DW, DEVICE));
        assertEquals(1, warnings().size(), warnings().toString());
        assertTrue(warnings().get(0).contains("depthwise.huge=vw=1 nv=1 th=1 wg=32x64 (the tile of " + TuningTable.problemKey(DW) + ")")
                && warnings().get(0).contains("2048 work-items"), warnings().get(0));
    }
}
