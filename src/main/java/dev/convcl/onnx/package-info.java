/**
 * ONNX import: a model file in, an {@link dev.convcl.onnx.OnnxGraph} of convcl layers out
 * ({@link dev.convcl.onnx.OnnxImporter#read(java.nio.file.Path)}). Internal to convcl: the graph
 * runtime lowers the nodes; the protobuf classes ({@code dev.convcl.onnx.proto}, generated at build
 * time from {@code src/main/proto}) never leave this package.
 *
 * <h2>Stages</h2>
 * <ol>
 *   <li>Parse with protobuf-java (its recursion limit and length checks hold); the opset of the
 *       standard domain must be 9 to 20.</li>
 *   <li>Check the structure: names written once, every value read written by someone, no cycle;
 *       order the nodes topologically.</li>
 *   <li>Read initializers (raw_data, typed fields, external files inside the model's folder), each
 *       size checked against the data present and a total cap before allocation.</li>
 *   <li>Lower each node in order with the input shapes fixed: shapes inferred, shape arithmetic
 *       folded to constants, Identity/Dropout/Cast-to-float dropped as aliases.</li>
 *   <li>Patterns: GELU, SiLU, hardswish, channel shuffle, flatten, Pad into Conv/pool, MatMul + Add
 *       into a linear layer with bias; dead nodes dropped.</li>
 *   <li>One {@link dev.convcl.onnx.OnnxModelException} listing every node that could not be
 *       imported, or the graph.</li>
 * </ol>
 *
 * <h2>Operators (standard domain) and attributes</h2>
 * <ul>
 *   <li>{@code Conv}: auto_pad (NOTSET, VALID, SAME_UPPER, SAME_LOWER), dilations, group, kernel_shape, pads
 *       (begin/end, asymmetric), strides; 2-D, constant W and B -> {@link dev.convcl.onnx.ConvNode}</li>
 *   <li>{@code DeformConv} (opset 19): X, W, offset, optional B and mask; dilations, group, kernel_shape,
 *       offset_group, pads, strides -> {@link dev.convcl.onnx.DeformConvNode}</li>
 *   <li>{@code RoiAlign} (opsets 10 and 16; mode avg only, ONNX's max is not torchvision's):
 *       output_height, output_width, sampling_ratio (0 adaptive), spatial_scale,
 *       coordinate_transformation_mode (half_pixel, the opset-16 default, is torchvision's aligned=True;
 *       output_half_pixel, and opset 10, aligned=False); batch_indices INT64 or INT32 as a graph input
 *       (given at run time as float values) or a Cast of a runtime value, either read by RoiAlign only
 *       -> {@link dev.convcl.onnx.RoiAlignNode}, run as torchvision's roi_align on {@code [K, 5]} rois</li>
 *   <li>{@code BatchNormalization}: epsilon, momentum (ignored), training_mode 0, spatial 1; extra outputs
 *       unused -> {@link dev.convcl.onnx.BatchNormNode}</li>
 *   <li>{@code Relu}, {@code Sigmoid}, {@code HardSigmoid} (alpha, beta), {@code HardSwish}, {@code LeakyRelu}
 *       (alpha), {@code Clip} (min/max attributes before opset 11, constant inputs from 11), {@code Gelu}
 *       (opset 20, approximate "none"), {@code Erf} only inside GELU's pattern
 *       -> {@link dev.convcl.onnx.ActivationNode}</li>
 *   <li>{@code Add}, {@code Sub}, {@code Mul}, {@code Div} with NumPy broadcasting (constant operands
 *       allowed; all-constant ones folded) -> {@link dev.convcl.onnx.BinaryNode}</li>
 *   <li>{@code Concat} (axis) -> {@link dev.convcl.onnx.ConcatNode}; {@code Split} (axis; split attribute
 *       before 13, input from 13, num_outputs from 18) and {@code Slice} (attributes before 10, inputs
 *       starts/ends/axes/steps from 10, positive steps) -> {@link dev.convcl.onnx.SliceNode}s</li>
 *   <li>{@code Pad} (mode constant; attributes before 11, inputs pads/constant_value/axes from 11; spatial
 *       axes of 4-D) -> folded into the following Conv (zero), AveragePool (zero, counting the padding)
 *       or MaxPool (-inf) where exact, else {@link dev.convcl.onnx.PadNode}</li>
 *   <li>{@code Reshape} (allowzero), {@code Flatten} (axis), {@code Squeeze}/{@code Unsqueeze} (axes as
 *       attribute before 13, input from 13), {@code Transpose} (perm) -> {@link dev.convcl.onnx.FlattenNode},
 *       {@link dev.convcl.onnx.ReshapeNode}, {@link dev.convcl.onnx.ChannelShuffleNode}; a Transpose that
 *       moves data is supported only inside a channel shuffle</li>
 *   <li>{@code MaxPool} (auto_pad, ceil_mode, dilations, kernel_shape, pads, storage_order, strides; Indices
 *       unused), {@code AveragePool} (auto_pad, ceil_mode, count_include_pad, dilations, kernel_shape, pads,
 *       strides), {@code GlobalAveragePool}, {@code GlobalMaxPool}, {@code ReduceMean} over axes 2 and 3
 *       (axes attribute, or input from 18; keepdims) -> {@link dev.convcl.onnx.PoolNode}</li>
 *   <li>{@code Gemm} (alpha, beta, transB; transA 0; constant B and C) and {@code MatMul} by a constant
 *       matrix (a following Add of a constant vector becomes the bias) -> {@link dev.convcl.onnx.LinearNode}</li>
 *   <li>{@code Identity}, {@code Dropout} (ratio, seed; training_mode false; mask unused), {@code Cast} to
 *       FLOAT of a runtime value: aliases, no node</li>
 *   <li>{@code Gather} of a runtime value along axis 1 with constant, 1-D, consecutive indices (how
 *       torchvision's exporter splits roi_align's rois) -> {@link dev.convcl.onnx.SliceNode}</li>
 *   <li>Folded to constants: {@code Constant} (value, value_float(s), value_int(s)), {@code Shape} (start,
 *       end), {@code Gather} (axis), {@code Unsqueeze}, {@code Squeeze}, {@code Concat}, {@code Cast} (to),
 *       {@code Reshape}, {@code Slice}, {@code Split}, {@code Transpose}, {@code ConstantOfShape} (value),
 *       {@code Add}/{@code Sub}/{@code Mul}/{@code Div} on constants</li>
 * </ul>
 *
 * <h2>Limits</h2>
 * Tensors of at most 8 dimensions and 2^31-9 elements; runtime tensors (inputs and every computed
 * value) of at most 2^31-1 elements with every dimension at least 1; all constants together at most
 * {@link dev.convcl.onnx.OnnxImporter.Options#maxConstantBytes()} (4 GiB by default); model files at
 * most 2 GiB (protobuf's limit; larger models keep tensors in external data files).
 */
package dev.convcl.onnx;
