package dev.convcl.opencl;

import dev.convcl.Convolution;
import java.util.function.Supplier;

/**
 * A convolution plan whose kernel a tuned {@link KernelTile} shapes ({@link DepthwisePlan},
 * {@link DeformGemmPlan}): it builds the kernel with the tile's options once the tile is known to
 * suit the convolution and the device, and names itself {@code family[tile]}.
 *
 * @param <S> the tile type
 */
abstract class TiledConvPlan<S extends KernelTile> extends KernelPrimitive<Convolution> {
    private final KernelFamily family;
    final S tile;

    /**
     * Builds {@code kernel} of {@code kernelFile} with {@code options} and the tile's.
     *
     * @param unsupported why {@code spec} is not the family's ({@code "<rule>: <spec>"} is thrown),
     *                    or null when it is
     * @throws IllegalArgumentException when {@code spec} is not the family's or the tile does not
     *                                  fit the device
     */
    TiledConvPlan(OpenClContext ctx, Convolution spec, S tile, KernelFamily family, String kernelFile, String kernel,
            String unsupported, Supplier<KernelOptions> options) {
        super(ctx, spec, ctx.programs().kernel(kernelFile, checkedOptions(ctx, spec, tile, unsupported, options), kernel));
        this.family = family;
        this.tile = tile;
    }

    private static String checkedOptions(OpenClContext ctx, Convolution spec, KernelTile tile, String unsupported,
            Supplier<KernelOptions> options) {
        if (unsupported != null) {
            throw new IllegalArgumentException(unsupported + ": " + spec);
        }
        if (!tile.fits(spec, ctx.info())) {
            throw new IllegalArgumentException("tile " + tile + " needs " + tile.localBytes(spec)
                    + " bytes of local memory and " + tile.workGroupSize() + " work-items; the device has "
                    + ctx.info().localMemBytes() + " and " + ctx.info().maxWorkGroup() + ": " + spec);
        }
        return tile.addTo(options.get()).toString();
    }

    S tile() {
        return tile;
    }

    @Override
    public String algorithm() {
        return family.key() + "[" + tile + "]";
    }
}
