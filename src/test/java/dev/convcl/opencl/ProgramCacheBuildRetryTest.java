package dev.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which failed builds {@link ProgramCache} builds again: the compiler's own file trouble, never the source's. */
class ProgramCacheBuildRetryTest {
    @Test
    void theCompilerLosingItsOwnTemporaryFileIsBuiltAgain() {
        // the log POCL 3.1 gave on a fresh kernel cache (bench --filter drn.conv4, 2026-12-03)
        String log = "error: <invalid loc>: unable to rename temporary '/tmp/pcx/tempfile_Pxik23.preproc-6a336c6c.cl.tmp'"
                + " to output file '/tmp/pcx/tempfile_Pxik23.preproc.cl': 'No such file or directory'\n1 error generated.\n";
        assertTrue(ProgramCache.compilerLostItsOwnFile(log), log);
        assertTrue(ProgramCache.compilerLostItsOwnFile("error: unable to open output file 'x.bc': 'No space left on device'"));
    }

    @Test
    void aDiagnosticAboutTheSourceIsNotBuiltAgain() {
        for (String log : new String[] {
                "<source>:12:5: error: use of undeclared identifier 'TM'\n1 error generated.\n",
                "<source>:3:1: error: unknown type name 'float17'",
                "",
                null}) {
            assertFalse(ProgramCache.compilerLostItsOwnFile(log), String.valueOf(log));
        }
    }
}
