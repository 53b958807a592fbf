package dev.convcl;

import dev.convcl.cpu.CpuBackend;
import dev.convcl.spi.CompiledConv;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The CPU path's conv2d against the reference; see {@link Conv2dContract}. */
class CpuConv2dTest extends Conv2dContract {
    private static CpuBackend cpu;

    @BeforeAll
    static void open() {
        cpu = new CpuBackend();
    }

    @AfterAll
    static void close() {
        if (cpu != null) {
            cpu.close();
        }
    }

    @Override
    protected CompiledConv compile(ConvSpec spec) {
        return cpu.compile(spec);
    }
}
