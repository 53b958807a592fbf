package dev.convcl.examples;

import dev.convcl.Activation;
import dev.convcl.Arg;
import dev.convcl.Args;
import dev.convcl.Conv2d;
import dev.convcl.DeviceTensor;
import dev.convcl.Engine;
import dev.convcl.Plan;
import dev.convcl.PostOps;
import dev.convcl.Sum;
import dev.convcl.Tensor;

public class QuickStart {
    public static void main(String[] args) {
        // A ResNet basic block, 64 channels of 56x56: y = relu(conv(relu(conv(x) + b)) + b + x)
        Conv2d conv1 = Conv2d.builder().input(1, 64, 56, 56).output(64).kernel(3, 3).padding(1)
                .bias(true).postOps(Activation.relu()).build();
        Conv2d conv2 = conv1.withPostOps(PostOps.of(new Sum(1f), Activation.relu()));
        float[] image = pattern(64 * 56 * 56, 7, 1f);           // stand-ins for real data
        float[] weights = pattern(64 * 64 * 3 * 3, 5, 1f / 64);
        float[] biases = pattern(64, 3, 1f);

        try (Engine engine = Engine.create();                   // OpenCL if there is a device
             Plan block1 = engine.plan(conv1);                  // compiled once ...
             Plan block2 = engine.plan(conv2)) {
            for (Plan p : new Plan[] {block1, block2}) {        // constants: copied once
                p.bind(Arg.WEIGHTS, Tensor.of(weights, conv1.weightShape()));
                p.bind(Arg.BIAS, Tensor.of(biases, conv1.biasShape()));
            }
            try (DeviceTensor x = engine.upload(Tensor.of(image, conv1.inputShape()));
                 DeviceTensor h = engine.allocate(conv1.outputShape());
                 DeviceTensor y = engine.allocate(conv2.outputShape())) {
                block1.execute(Args.of(Arg.SRC, x, Arg.DST, h));              // queued
                block2.execute(Args.of(Arg.SRC, h, Arg.SUM, x, Arg.DST, y));  // queued after it
                float[] out = y.toArray();                                    // waits, copies back
                int at = (2 * 56 + 28) * 56 + 30;                 // NCHW index of y[0, 2, 28, 30]
                System.out.println(conv2);
                System.out.println("y[0, 2, 28, 30:34] = " + out[at] + " " + out[at + 1] + " "
                        + out[at + 2] + " " + out[at + 3]);
            }
            System.out.println("engine: " + engine.deviceName());
            System.out.println("plans: " + block1.algorithm() + " on " + block1.backend() + ", "
                    + block2.algorithm() + " on " + block2.backend());
        }
    }

    /** {@code n} values {@code (i % period - period / 2) * scale}: small, exact numbers. */
    static float[] pattern(int n, int period, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i % period - period / 2) * scale;
        }
        return v;
    }
}
