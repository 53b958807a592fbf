package dev.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convcl.opencl.OpenClDiscovery;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

class MainTest {
    @Test
    void everySubcommandIsRegisteredAndHasHelp() {
        Cli.Result help = Cli.run("--help");
        assertEquals(0, help.code(), help.toString());
        for (String cmd : List.of("devices", "run", "bench", "peak", "verify", "tune")) {
            assertTrue(help.out().contains(cmd), cmd + " listed in --help: " + help);
            Cli.Result sub = Cli.run(cmd, "--help");
            assertEquals(0, sub.code(), sub.toString());
            assertTrue(sub.out().startsWith("Usage: convcl " + cmd), sub.toString());
        }
    }

    /**
     * picocli lists a command by the first element of its description and wraps each element as a
     * paragraph: so the first must be a whole sentence, and no element may end mid-sentence.
     */
    @Test
    void helpTextIsWhole() {
        CommandLine cl = Main.commandLine();
        Map<String, String> listed = commandSummaries(Cli.run("--help").out());
        assertEquals(cl.getSubcommands().keySet(), listed.keySet());
        for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
            String name = e.getKey();
            CommandSpec spec = e.getValue().getCommandSpec();
            String[] description = spec.usageMessage().description();
            assertTrue(description.length > 0, name);
            assertTrue(description[0].endsWith("."), name + ": the summary must be one whole sentence: " + description[0]);
            // picocli wraps at spaces and after punctuation: compare without the line breaks
            assertEquals(description[0].replaceAll("\\s+", ""), listed.get(name).replaceAll("\\s+", ""),
                    name + "'s summary in 'convcl --help'");
            for (String paragraph : description) {
                assertTrue(paragraph.matches("(?s).*[.:;]"), name + ": a description element ends mid-sentence: " + paragraph);
            }
            for (OptionSpec o : spec.options()) {
                for (String d : o.description()) {
                    assertTrue(d.endsWith("."), name + " " + o.longestName() + ": description ends mid-sentence: " + d);
                }
            }
            Cli.Result help = Cli.run(name, "--help");
            assertEquals(0, help.code(), help.toString());
            assertTrue(help.out().replaceAll("\\s+", "").contains(description[0].replaceAll("\\s+", "")), help.toString());
        }
    }

    /** docs/cli.md is the manual: every option of every command is named in it (as {@code --name}). */
    @Test
    void theManualNamesEveryOption() throws IOException {
        String docs = Files.readString(Path.of("docs", "cli.md"));
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : Main.commandLine().getSubcommands().entrySet()) {
            for (OptionSpec o : e.getValue().getCommandSpec().options()) {
                String name = o.longestName();
                if (!Pattern.compile("(?<![\\w-])" + Pattern.quote(name) + "(?![\\w-])").matcher(docs).find()) {
                    missing.add(e.getKey() + " " + name);
                }
            }
        }
        assertEquals(List.of(), missing, "options docs/cli.md does not name");
    }

    /**
     * What --help says of the files run reads and of bench --quick's time matches what they do:
     * the time is one measured run's, with what a first run spends, not a promise for every machine.
     * The number of quick problems it gives is counted in the bundled suite, so editing the suite
     * fails this test rather than leaving the help wrong.
     */
    @Test
    void helpSaysWhatTheOptionsDo() throws IOException {
        String run = Cli.run("run", "--help").out().replaceAll("\\s+", " ");
        assertTrue(run.contains("float32 or float64 (int32 and int64 too,"), run);
        String bench = Cli.run("bench", "--help").out().replaceAll("\\s+", " ");
        Matcher count = Pattern.compile("--quick Only the problems marked quick=1 \\((\\d+) in the bundled suite\\)\\.")
                .matcher(bench);
        assertTrue(count.find(), bench);
        long quick = BenchSuite.load(null).stream().filter(BenchSuite.Problem::quick).count();
        assertEquals(quick, Long.parseLong(count.group(1)),
                "bench --quick's help counts the bundled suite's quick=1 problems (" + BenchSuite.BUNDLED + ")");
        assertTrue(bench.contains("in the bundled suite). A first run also compiles the OpenCL kernels "
                + "and measures the peak; one such run took 50 s on a 2-core CPU."), bench);
        assertFalse(bench.contains("under a minute"), bench);
    }

    /** The "Commands:" section of {@code convcl --help}: name to its summary, wrapped lines joined. */
    static Map<String, String> commandSummaries(String help) {
        Map<String, String> summaries = new LinkedHashMap<>();
        String current = null;
        boolean inCommands = false;
        for (String line : help.split("\n")) {
            if (line.equals("Commands:")) {
                inCommands = true;
            } else if (inCommands && line.isBlank()) {
                break;
            } else if (inCommands) {
                Matcher m = Pattern.compile("^  (\\S+)\\s+(.*)$").matcher(line);
                if (line.startsWith("   ")) {
                    summaries.merge(current, line.strip(), (a, b) -> a + " " + b);
                } else if (m.matches()) {
                    current = m.group(1);
                    summaries.put(current, m.group(2).strip());
                }
            }
        }
        return summaries;
    }

    @Test
    void usageErrorsAreOneLineWithExitCodeTwo() {
        Cli.assertUsageError(Cli.run(), "a command is needed");
        Cli.assertUsageLine(Cli.run("frobnicate"), "convcl: unknown command 'frobnicate'; commands: devices, run, bench, "
                + "peak, verify, tune, help (see 'convcl --help')");
        Cli.assertUsageLine(Cli.run("bnech", "--quick"), "convcl: unknown command 'bnech'; commands: devices, run, bench, "
                + "peak, verify, tune, help (did you mean 'bench'?) (see 'convcl --help')");
        Cli.assertUsageLine(Cli.run("devices", "all"), "convcl devices: unexpected argument 'all': convcl devices takes "
                + "options only (see 'convcl devices --help')");
        Cli.assertUsageError(Cli.run("devices", "--verbose"), "Unknown option: '--verbose'");
        Cli.assertUsageError(Cli.run("verify", "--count", "many"), "--count many is not an integer");
        Cli.assertUsageLine(Cli.run("verify", "--count", "-1"), "convcl verify: --count -1 must be at least 1");
        Cli.assertUsageLine(Cli.run("verify", "--count", "0"), "convcl verify: --count 0 must be at least 1");
    }

    /** {@code convcl help COMMAND} prints that command's --help, {@code convcl help} the tool's. */
    @Test
    void helpNamesACommand() {
        for (String cmd : List.of("run", "bench")) {
            Cli.Result r = Cli.run("help", cmd);
            assertEquals(0, r.code(), r.toString());
            assertEquals(Cli.run(cmd, "--help").out(), r.out());
        }
        Cli.Result top = Cli.run("help");
        assertEquals(0, top.code(), top.toString());
        assertEquals(Cli.run("--help").out(), top.out());
        Cli.assertUsageLine(Cli.run("help", "bnech"), "convcl: unknown command 'bnech'; commands: devices, run, bench, "
                + "peak, verify, tune, help (did you mean 'bench'?) (see 'convcl --help')");
        Cli.Result debug = Cli.run("help", "run", "--debug");
        assertEquals(0, debug.code(), debug.toString());
        assertEquals(Cli.run("run", "--help").out(), debug.out());
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
