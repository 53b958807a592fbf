package dev.convcl.cli;

import dev.convcl.DeviceChoice;
import dev.convcl.cpu.CpuBackend;
import dev.convcl.opencl.AutoTune;
import dev.convcl.opencl.OpenClDeviceInfo;
import dev.convcl.opencl.OpenClDiscovery;
import dev.convcl.setting.Setting;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Command;

/** {@code convcl devices}: every OpenCL platform and device, and which one {@code auto} picks. */
@Command(name = "devices", description = {
        "Lists every OpenCL platform and device, with what each reports about itself.",
        "Also names the device '--device auto' picks: the first GPU, else accelerator, else CPU device; "
                + "the CPU path when there is none. Exits 0 also when there is no OpenCL at all."})
final class DevicesCommand extends CliCommand {

    @Override
    public Integer call() {
        String cpuPath;
        try (CpuBackend cpu = new CpuBackend()) {
            cpuPath = cpu.deviceName();
        }
        OpenClDiscovery found = OpenClDiscovery.discover();
        print(found, cpuPath, out());
        defaultNote(found, out());
        try {
            AutoTune.checkSettings();
        } catch (IllegalArgumentException e) { // a listing, not a command that runs: said, not refused
            out().println(e.getMessage() + "; the other commands refuse it");
        }
        return 0;
    }

    /**
     * Where {@code -Dconvcl.device} or {@code $CONVCL_DEVICE} sets the other commands' default
     * device, what it picks, or why they refuse it: this command is where a user looks when they do.
     */
    private static void defaultNote(OpenClDiscovery found, PrintWriter out) {
        Optional<Setting> setting = deviceSetting();
        if (setting.isEmpty()) {
            return;
        }
        String value = setting.get().value();
        String set = setting.get().source() + "=" + value.strip();
        DeviceChoice choice;
        try {
            choice = DeviceChoice.parse(value);
        } catch (IllegalArgumentException e) {
            out.println(set + " is the default of the other commands, which refuse it: " + e.getMessage()
                    + "; --device overrides it");
            return;
        }
        int index = choice.deviceIndex();
        if (index >= 0 && (!found.available() || index >= found.devices().size())) {
            out.println(set + " is the default of the other commands, which refuse it: there is no OpenCL device "
                    + index + (found.available() ? " (there are " + found.devices().size() + ")" : "")
                    + "; --device overrides it");
        } else if (choice.kind() == DeviceChoice.Kind.OPENCL && !found.available()) {
            out.println(set + " is the default of the other commands, which refuse it: there is no OpenCL device; "
                    + "--device overrides it");
        } else {
            String picked = switch (choice.kind()) {
                case CPU -> "the CPU path";
                case AUTO -> found.best().map(d -> "opencl:" + d.index()).orElse("the CPU path");
                case OPENCL -> "opencl:" + (index >= 0 ? index : found.best().map(OpenClDeviceInfo::index).orElse(0));
            };
            out.println(set + " is the default of the other commands: they run on " + picked
                    + " without --device");
        }
    }

    /** The listing of {@code found}; {@code cpuPath} names the pure-Java path. */
    static void print(OpenClDiscovery found, String cpuPath, PrintWriter out) {
        if (!found.available()) {
            out.println("No OpenCL device: " + found.unavailable() + ".");
            out.println("convcl runs on the CPU path: " + cpuPath + "; --device auto picks it.");
            return;
        }
        Optional<OpenClDeviceInfo> best = found.best();
        Object platform = null;
        for (OpenClDeviceInfo d : found.devices()) {
            if (!d.platform().equals(platform)) {
                platform = d.platform();
                Object p = platform;
                long count = found.devices().stream().filter(x -> x.platform().equals(p)).count();
                out.println("Platform: " + d.platformName() + " (" + Plural.of(count, "device") + ")");
            }
            boolean picked = best.isPresent() && best.get().index() == d.index();
            out.println("  opencl:" + d.index() + "  " + d.name() + (picked ? "   <- auto" : ""));
            row(out, "type", d.type());
            row(out, "vendor", d.vendor());
            row(out, "compute units", Integer.toString(d.computeUnits()));
            row(out, "clock", d.clockMhz() + " MHz");
            row(out, "global memory", bytes(d.globalMemBytes()));
            row(out, "local memory", bytes(d.localMemBytes()));
            row(out, "max allocation", bytes(d.maxAllocBytes()));
            row(out, "max work-group", Long.toString(d.maxWorkGroup()));
            row(out, "OpenCL C", d.openclCVersion());
            row(out, "device version", d.version());
            row(out, "driver", d.driverVersion());
            row(out, "fp16 / fp64", (d.fp16() ? "yes" : "no") + " / " + (d.fp64() ? "yes" : "no"));
        }
        out.println("CPU path: " + cpuPath + " (--device cpu)");
        best.ifPresent(d -> out.println("--device auto picks opencl:" + d.index() + " (" + d.name() + ", " + d.type() + ")"));
    }

    private static void row(PrintWriter out, String key, String value) {
        out.printf(Locale.ROOT, "      %-15s %s%n", key, value);
    }

    /** 1536 -> "1.5 KiB", in binary units as drivers report them. */
    static String bytes(long b) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? b + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
