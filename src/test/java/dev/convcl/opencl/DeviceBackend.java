package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.Convolution;
import dev.convcl.spi.Primitive;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.Primitives;
import dev.convcl.testing.Problems;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The raw OpenCL backend of the test device for a test class that drives plans directly (no
 * engine, no fallback): register it as {@code @RegisterExtension static final DeviceBackend DEVICE
 * = new DeviceBackend();}. It opens the backend before the class's tests (skipping them, or
 * failing them under {@code CONVCL_REQUIRE_OPENCL=1}, without a device) and closes it after. Also
 * the checks the kernel tests share: the tiles a plan may be given, and that closing a plan
 * releases what it took.
 */
final class DeviceBackend implements BeforeAllCallback, AfterAllCallback {
    private OpenClBackend backend;

    /** The backend; open while the class's tests run. */
    OpenClBackend backend() {
        return backend;
    }

    /** The backend's context. */
    OpenClContext context() {
        return backend.context();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        backend = new OpenClBackend(OpenClTestDevice.require());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (backend != null) {
            backend.close();
            backend = null;
        }
    }

    /** Whether a tile runs a problem on a device ({@code Tile::fits}). */
    interface TileFits<T> {
        boolean fits(T tile, Convolution spec, OpenClDeviceInfo device);
    }

    /** A plan of a problem with a given tile (the plan's constructor). */
    interface TilePlan<T> {
        Primitive plan(OpenClContext ctx, Convolution spec, T tile);
    }

    /**
     * Every tile a plan may be given on this device matches the reference on each of
     * {@code specs}: the device's own {@code candidates}, then those a GPU would get ({@link
     * PlanChecks#asGpu}) that fit this device too, at least {@code minTiles} of them; the seeds
     * count up from {@code seed}.
     */
    <T> void assertEveryTileMatches(String[] specs, long seed, double offsetScale, int minTiles,
                                    BiFunction<Convolution, OpenClDeviceInfo, List<T>> candidates, TileFits<T> fits,
                                    TilePlan<T> plans) {
        OpenClDeviceInfo device = context().info();
        for (String line : specs) {
            Convolution spec = Problems.parse(line);
            Set<T> tiles = new LinkedHashSet<>(candidates.apply(spec, device));
            for (T t : candidates.apply(spec, PlanChecks.asGpu(device))) {
                if (fits.fits(t, spec, device)) {
                    tiles.add(t);
                }
            }
            assertTrue(tiles.size() >= minTiles, "expected the CPU and GPU candidate lists, got " + tiles);
            for (T t : tiles) {
                try (Primitive plan = plans.plan(context(), spec, t)) {
                    PlanChecks.checkIntegersAndFloats(backend, spec, plan, seed++, offsetScale);
                }
            }
        }
    }

    /** A plan selection compiles for {@code spec} holds OpenCL objects until closed, and closing twice is quiet. */
    void assertClosingReleasesEverything(Convolution spec) {
        int before = context().liveObjects();
        Primitive plan = Primitives.compile(backend, spec);
        assertTrue(context().liveObjects() > before);
        plan.close();
        plan.close();
        assertEquals(before, context().liveObjects(),
                "objects left after closing " + plan.algorithm() + " for " + spec);
    }

    /**
     * Selection on this backend compiles each of {@code specs} with an implementation whose
     * algorithm starts with {@code algorithmPrefix}, and the plan matches the reference on integer
     * and float data, once per offset scale, the seeds counting up from {@code seed}.
     */
    void assertSelectionPicksAndMatches(String algorithmPrefix, String[] specs, long seed, double... offsetScales) {
        for (String line : specs) {
            Convolution spec = Problems.parse(line);
            try (Primitive plan = Primitives.compile(backend, spec)) {
                assertTrue(plan.algorithm().startsWith(algorithmPrefix),
                        spec + ": selection chose " + plan.algorithm());
                for (double offsetScale : offsetScales) {
                    PlanChecks.checkIntegersAndFloats(backend, spec, plan, seed++, offsetScale);
                }
            }
        }
    }

    /**
     * On this device, the candidate tiles for {@code spec} are not empty, the default tile comes
     * first, and every listed tile fits.
     *
     * @return the candidates
     */
    <T> List<T> assertCandidatesFitDefaultFirst(Convolution spec,
                                                BiFunction<Convolution, OpenClDeviceInfo, List<T>> candidates,
                                                BiFunction<Convolution, OpenClDeviceInfo, Optional<T>> defaultTile,
                                                TileFits<T> fits) {
        OpenClDeviceInfo device = context().info();
        List<T> tiles = candidates.apply(spec, device);
        assertFalse(tiles.isEmpty());
        assertEquals(defaultTile.apply(spec, device).orElseThrow(), tiles.get(0));
        for (T t : tiles) {
            assertTrue(fits.fits(t, spec, device), t + " listed but does not fit " + device);
        }
        return tiles;
    }
}
