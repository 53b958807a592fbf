package dev.convcl.examples;

import dev.convcl.ConvEngine;
import dev.convcl.ConvPlan;
import dev.convcl.ConvSpec;
import dev.convcl.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The README's library example: a dilated depthwise 3x3 convolution with bias and ReLU (the
 * layer of a DeepLab / DRN context module), planned once and run on a few frames. It compiles
 * with the tests, and {@code QuickStartTest} runs it, so the README cannot drift from the API.
 */
public final class QuickStart {
    private QuickStart() {
    }

    public static void main(String[] args) {
        Random random = new Random(1);
        List<float[]> frames = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            float[] frame = new float[32 * 56 * 56];
            for (int j = 0; j < frame.length; j++) {
                frame[j] = random.nextFloat();
            }
            frames.add(frame);
        }
        float[] weights = new float[32 * 3 * 3];
        for (int j = 0; j < weights.length; j++) {
            weights[j] = random.nextFloat() - 0.5f;
        }
        run(frames, weights, new float[32]);
    }

    /** The snippet: convolves each frame and returns the outputs. */
    static List<float[]> run(List<float[]> frames, float[] weights, float[] biases) {
        // 32 channels of 56x56, each convolved with its own 3x3 filter at dilation 2.
        ConvSpec spec = ConvSpec.depthwise(1, 32, 56, 56, 1)
                .kernel(3, 3).padding(2).dilation(2)
                .bias(true).relu(true)
                .build();
        Tensor weight = Tensor.of(weights, spec.weightShape());   // [32, 1, 3, 3]
        Tensor bias = Tensor.of(biases, spec.biasShape());        // [32]
        List<float[]> results = new ArrayList<>();

        try (ConvEngine engine = ConvEngine.create();             // OpenCL if there is a device, else pure Java
             ConvPlan plan = engine.plan(spec)) {                 // compile once ...
            for (float[] frame : frames) {                        // ... run many times
                Tensor output = Tensor.zeros(spec.outputShape()); // [1, 32, 56, 56]
                plan.execute(Tensor.of(frame, spec.inputShape()), weight, bias, output);
                results.add(output.array());
            }
            System.out.println(spec + " ran on " + plan.backend() + ": " + plan.deviceName()
                    + ", algorithm " + plan.algorithm());
        }
        return results;
    }
}
