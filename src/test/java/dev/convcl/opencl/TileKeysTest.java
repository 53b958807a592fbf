package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The shared text form of tiles ({@link TileKeys}) and the tiles that print and read it. No device needed. */
class TileKeysTest {
    static final List<String> KEYS = List.of("vw", "th", "cb");

    @Test
    void formatPutsTheWordThenEachKeyWithItsValueInOrder() {
        assertEquals("plane vw=8 th=7 cb=1", TileKeys.format("plane", KEYS, 8, 7, 1));
        assertEquals("vw=8 th=7 wg=2x4", TileKeys.format("", List.of("vw", "th", "wg"), 8, 7, "2x4"));
        assertThrows(IllegalArgumentException.class, () -> TileKeys.format("plane", KEYS, 8, 7));
    }

    @Test
    void numbersReadsTheValuesInKeyOrderWhateverTheFieldOrderAndSpacing() {
        assertArrayEquals(new int[] {8, 7, 1}, TileKeys.numbers("  plane  cb=1 vw=8\tth=7 ", "plane", "p", KEYS));
        assertArrayEquals(new int[] {16, 2, 3}, TileKeys.numbers("th=2 vw=16 cb=3", "", "p", KEYS));
        assertTrue(TileKeys.startsWith(" rows vw=1", "rows"));
        assertFalse(TileKeys.startsWith("rowsx vw=1", "rows"));
    }

    @Test
    void numbersRejectsAWrongWordMissingOrExtraFieldsAndNonIntegers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TileKeys.numbers("rows vw=8 th=7 cb=1", "plane", "depthwise-plane", KEYS));
        assertEquals("depthwise-plane tile 'rows vw=8 th=7 cb=1' must start with 'plane'", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TileKeys.numbers("plane vw=8 th=7", "plane", "p", KEYS));
        assertThrows(IllegalArgumentException.class, () -> TileKeys.numbers("plane vw=8 th=7 cb=1 xc=2", "plane", "p", KEYS));
        assertThrows(IllegalArgumentException.class, () -> TileKeys.numbers("plane vw=8 th=x cb=1", "plane", "p", KEYS));
        assertThrows(IllegalArgumentException.class, () -> TileKeys.numbers("plane vw=8 th cb=1", "plane", "p", KEYS));
    }

    /** Each tile that uses the shared form prints the text it reads back, and that text is the documented one. */
    @Test
    void everyTileReadsBackWhatItPrints() {
        DepthwisePlanePlan.Tile plane = new DepthwisePlanePlan.Tile(16, 14, 14, 1);
        assertEquals("plane vw=16 th=14 xc=14 cb=1", plane.toString());
        assertEquals(plane, DepthwisePlanePlan.Tile.parse(plane.toString()));
        DepthwiseRowsPlan.Tile rows = new DepthwiseRowsPlan.Tile(16, 2, 4, 1);
        assertEquals("rows vw=16 nv=2 th=4 cb=1", rows.toString());
        assertEquals(rows, DepthwiseRowsPlan.Tile.parse(rows.toString()));
        DeformGemmPlan.Tile deform = new DeformGemmPlan.Tile(8, 2, 4, 3, 2, 5, 64);
        assertEquals("vw=8 pv=2 npt=4 kt=3 nkt=2 cc=5 wg=64", deform.toString());
        assertEquals(deform, DeformGemmPlan.Tile.parse(deform.toString()));
        DepthwisePlan.Tile staged = new DepthwisePlan.Tile(4, 2, 3, 8, 2);
        assertEquals("vw=4 nv=2 th=3 wg=8x2", staged.toString());
        assertEquals(staged, DepthwisePlan.Tile.parse(staged.toString()));
        assertEquals(new DepthwiseRowsPlan.Tile(8, 2, 3, 4), DepthwiseRowsPlan.Tile.parse(" rows vw=8 nv=2 th=3 cb=4 "));
        assertEquals(new DepthwisePlanePlan.Tile(8, 7, 7, 4), DepthwisePlanePlan.Tile.parse(" plane vw=8 th=7 xc=7 cb=4 "));
        assertThrows(IllegalArgumentException.class, () -> DepthwiseRowsPlan.Tile.parse("vw=8 nv=2 th=3 cb=4"));
        assertThrows(IllegalArgumentException.class, () -> DepthwiseRowsPlan.Tile.parse("rows vw=8 nv=2 th=3"));
        assertThrows(IllegalArgumentException.class, () -> DepthwisePlanePlan.Tile.parse("vw=8 th=7 xc=7 cb=4"));
        assertThrows(IllegalArgumentException.class, () -> DepthwisePlanePlan.Tile.parse("plane vw=8 th=7 cb=4"));
        assertThrows(IllegalArgumentException.class, () -> DepthwisePlanePlan.Tile.parse(rows.toString()));
        assertThrows(IllegalArgumentException.class, () -> DepthwiseRowsPlan.Tile.parse(plane.toString()));
        DepthwiseMapPlan.Tile map = new DepthwiseMapPlan.Tile(16, 2, 7, 4);
        assertEquals("map vw=16 nv=2 th=7 cb=4", map.toString());
        assertEquals(map, DepthwiseMapPlan.Tile.parse(map.toString()));
        assertEquals(new DepthwiseMapPlan.Tile(8, 1, 7, 2), DepthwiseMapPlan.Tile.parse(" map vw=8 nv=1 th=7 cb=2 "));
        assertThrows(IllegalArgumentException.class, () -> DepthwiseMapPlan.Tile.parse("vw=8 nv=1 th=7 cb=2"));
        assertThrows(IllegalArgumentException.class, () -> DepthwiseMapPlan.Tile.parse("map vw=8 th=7 cb=2"));
        assertThrows(IllegalArgumentException.class, () -> DepthwiseMapPlan.Tile.parse(plane.toString()));
    }

    /** The depthwise family tells its four kernels apart by the first word and reads each tile with its own parser. */
    @Test
    void theDepthwiseKindOfATextIsTheKernelOfItsFirstWord() {
        assertEquals(KernelFamily.DepthwiseKind.PLANE, KernelFamily.depthwiseKind(" plane vw=8 th=7 xc=7 cb=1"));
        assertEquals(KernelFamily.DepthwiseKind.ROWS, KernelFamily.depthwiseKind("rows vw=8 nv=2 th=3 cb=4"));
        assertEquals(KernelFamily.DepthwiseKind.MAP, KernelFamily.depthwiseKind("map vw=8 nv=1 th=7 cb=4"));
        assertEquals(new DepthwiseMapPlan.Tile(8, 1, 7, 4), KernelFamily.depthwiseTile("map vw=8 nv=1 th=7 cb=4"));
        assertEquals(KernelFamily.DepthwiseKind.STAGED, KernelFamily.depthwiseKind("maps vw=8"));
        assertEquals(KernelFamily.DepthwiseKind.STAGED, KernelFamily.depthwiseKind("vw=4 nv=2 th=3 wg=8x2"));
        assertEquals(KernelFamily.DepthwiseKind.STAGED, KernelFamily.depthwiseKind("planes vw=8"));
        assertEquals(new DepthwisePlanePlan.Tile(8, 7, 7, 1), KernelFamily.depthwiseTile("plane vw=8 th=7 xc=7 cb=1"));
        assertEquals(new DepthwiseRowsPlan.Tile(8, 2, 3, 4), KernelFamily.depthwiseTile("rows vw=8 nv=2 th=3 cb=4"));
        assertEquals(new DepthwisePlan.Tile(4, 2, 3, 8, 2), KernelFamily.depthwiseTile("vw=4 nv=2 th=3 wg=8x2"));
        assertThrows(IllegalArgumentException.class, () -> KernelFamily.depthwiseTile("planes vw=8 th=7 xc=7 cb=1"));
    }
}
