package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.opencl.OpenClDiscovery;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class MainTest {
    @Test
    void everySubcommandIsRegisteredAndHasHelp() {
        Cli.Result help = Cli.run("--help");
        assertEquals(0, help.code(), help.toString());
        for (String cmd : List.of("devices", "run", "bench", "peak", "verify")) {
            assertTrue(help.out().contains(cmd), cmd + " listed in --help: " + help);
            Cli.Result sub = Cli.run(cmd, "--help");
            assertEquals(0, sub.code(), sub.toString());
            assertTrue(sub.out().startsWith("Usage: convcl " + cmd), sub.toString());
        }
    }

    @Test
    void usageErrorsAreOneLineWithExitCodeTwo() {
        Cli.assertUsageError(Cli.run(), "a command is needed");
        Cli.assertUsageError(Cli.run("frobnicate"), "Unmatched argument");
        Cli.assertUsageError(Cli.run("devices", "--verbose"), "Unknown option: '--verbose'");
        Cli.assertUsageError(Cli.run("verify", "--count", "many"), "'many' is not an int");
        Cli.assertUsageError(Cli.run("verify", "--count", "-1"), "--count -1 must not be negative");
    }

    @Test
    void versionIsPrinted() {
        Cli.Result r = Cli.run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("convcl "), r.toString());
    }

    @Test
    void devicesWithoutOpenClNamesTheCpuPath() {
        StringWriter text = new StringWriter();
        DevicesCommand.print(new OpenClDiscovery(List.of(), "no OpenCL platform found (test)"), "cpu (pure Java, 3 threads)",
                new PrintWriter(text, true));
        assertEquals("No OpenCL device: no OpenCL platform found (test).\n"
                + "convcl runs on the CPU path: cpu (pure Java, 3 threads); --device auto picks it.\n", text.toString());
    }

    @Test
    void devicesExitsZeroWhateverIsInstalled() {
        Cli.Result r = Cli.run("devices");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("CPU path") || r.out().contains("convcl runs on the CPU path"), r.toString());
    }

    @Test
    void bytesAreShownInBinaryUnits() {
        assertEquals("512 B", DevicesCommand.bytes(512));
        assertEquals("1.5 KiB", DevicesCommand.bytes(1536));
        assertEquals("2.0 GiB", DevicesCommand.bytes(2L << 30));
    }
}
