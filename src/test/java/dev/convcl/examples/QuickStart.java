package dev.convcl.examples;

import dev.convcl.Activation;
import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Conv2d;
import dev.convcl.Engine;
import dev.convcl.HostTensor;
import dev.convcl.Plan;
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
        // 32 channels of 56x56, each convolved with its own 3x3 filter at dilation 2, then bias and ReLU.
        Conv2d conv = Conv2d.depthwise(1, 32, 56, 56, 1)
                .kernel(3, 3).padding(2).dilation(2)
                .bias(true).postOps(Activation.relu())
                .build();
        List<float[]> results = new ArrayList<>();

        try (Engine engine = Engine.create();                        // OpenCL if there is a device, else pure Java
             Plan plan = engine.plan(conv)) {                        // compile once ...
            plan.bind(Arg.WEIGHTS, Tensor.of(weights, conv.weightShape()));  // [32, 1, 3, 3], copied once
            plan.bind(Arg.BIAS, Tensor.of(biases, conv.biasShape()));        // [32]
            for (float[] frame : frames) {                           // ... run many times
                HostTensor output = Tensor.zeros(conv.outputShape()); // [1, 32, 56, 56]
                plan.execute(Args.of(Arg.SRC, Tensor.of(frame, conv.inputShape()), Arg.DST, output));
                results.add(output.array());
            }
            System.out.println(conv + " ran on " + plan.backend() + ": " + plan.deviceName()
                    + ", algorithm " + plan.algorithm());
        }
        return results;
    }
}
