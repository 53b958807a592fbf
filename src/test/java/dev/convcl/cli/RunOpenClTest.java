package dev.convcl.cli;

import dev.convcl.Convolution;
import dev.convcl.opencl.OpenClDeviceInfo;
import dev.convcl.testing.OpenClTestDevice;
import dev.convcl.testing.Problems;
import dev.convcl.testing.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code convcl run --device opencl:N}: the same files, the same results as the reference. */
class RunOpenClTest {
    @TempDir
    Path dir;

    @Test
    void conv2dAndDeform2dOnTheDeviceMatchReference() throws IOException {
        OpenClDeviceInfo device = OpenClTestDevice.require();
        String choice = "opencl:" + device.index();
        RunCommandTest.assertRunMatchesReference(dir,
                Problems.parse("op=conv2d n=2 c=6 h=9 w=7 k=4 kh=3 kw=2 stride=2,1 pad=1,0 dil=2,1 groups=2 bias=1"), choice);
        RunCommandTest.assertRunMatchesReference(dir,
                Problems.parse("op=deform2d n=1 c=6 h=7 w=6 k=4 kh=3 kw=2 stride=1,2 pad=1 dil=1 groups=2 og=3 mask=1 bias=1"),
                choice);
    }

    @Test
    void aDeviceThatDoesNotExistIsAnError() throws IOException {
        OpenClTestDevice.require();
        Convolution spec = Problems.parse("op=conv2d n=1 c=2 h=4 w=4 k=2 kh=3 kw=3");
        var cmd = RunCommandTest.commandFor(dir, spec, dev.convcl.testing.Tensors.args(spec, 1, true, 1), "opencl:99");
        Cli.Result r = Cli.run(cmd.toArray(String[]::new));
        Cli.assertUsageError(r, "no OpenCL device 99");
    }
}
