package dev.convcl.onnx;

import java.util.List;

/**
 * ONNX {@code RoiAlign} (opsets 10 and 16) in average mode: torchvision's {@code roi_align} with the
 * batch indices given apart from the boxes.
 *
 * @param name          the node's name
 * @param input         the feature map value, {@code [N, C, H, W]}
 * @param rois          the boxes value, {@code [K, 4]} rows {@code (x1, y1, x2, y2)} in input-image coordinates
 * @param batchIndices  the batch index of each box, {@code [K]} (an integer input read as exact float values)
 * @param output        the output value, {@code [K, C, outH, outW]}
 * @param outputShape   {@code [K, C, outH, outW]}
 * @param spatialScale  input-image coordinates to map coordinates
 * @param samplingRatio samples per bin row and column; 0 for adaptive
 * @param aligned       {@code coordinate_transformation_mode = half_pixel} (torchvision's {@code aligned=True})
 */
public record RoiAlignNode(String name, String input, String rois, String batchIndices, String output,
                           Shape outputShape, float spatialScale, int samplingRatio, boolean aligned) implements Node {

    /** {@code [input, rois, batchIndices]}. */
    @Override
    public List<String> inputs() {
        return List.of(input, rois, batchIndices);
    }

    @Override
    public String describe() {
        return "RoiAlign '" + name + "' " + String.join(", ", inputs()) + " -> " + output + " " + outputShape
                + " spatial_scale=" + spatialScale + " sampling_ratio=" + samplingRatio + " aligned=" + aligned;
    }
}
