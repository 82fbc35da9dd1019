package io.chorus.worker.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The backend facts every build compiles against, as the CPU build (the one tests run on) answers them.
 * The CUDA build's side is checked by bench/gpu-smoke: built in CI, refused with exit 2 where CUDA cannot
 * load, and trained on a GPU where one exists.
 */
class BackendTest {
    @Test
    void theCpuBuildLoadsTheCpuBackendAndReachesItsOneDnnFlagByName() {
        assertEquals("cpu", Backend.built());
        assertFalse(Backend.cudaBuild());
        assertEquals("org.nd4j.linalg.cpu.nativecpu.CpuBackend", Backend.load());
        assertTrue(Backend.cpuOneDnnFlag(), "the linux-x86_64-onednn-avx2 build has oneDNN on");
        assertEquals("onednn", Engine.name());
        Backend.Probe probe = Backend.probe();
        assertEquals(1, probe.available(), "nd4j-native alone is on the class path, and runs here");
        assertTrue(probe.causes().isEmpty(), "no backend failed: " + probe.causes());
    }

    @Test
    void theShimDlFourJLooksUpAnswersFromTheSameFlag() {
        assertEquals(Backend.cpuOneDnnFlag(), org.nd4j.nativeblas.Nd4jCpu.Environment.getInstance().isUseMKLDNN());
    }

    @Test
    void anUnavailableBackendIsOneLineNamingEachCauseAndWhatTheBuildNeeds() {
        UnsatisfiedLinkError root = new UnsatisfiedLinkError("libcublas.so.11: cannot open shared object file:\n No such file");
        RuntimeException wrapped = new RuntimeException("ND4J failed", new IllegalStateException("load", root));
        assertEquals("UnsatisfiedLinkError: libcublas.so.11: cannot open shared object file: No such file",
                Backend.rootMessage(wrapped));

        String cuda = new Backend.UnavailableException("cuda", List.of("JCublasBackend: " + Backend.rootMessage(wrapped)),
                wrapped).getMessage();
        assertFalse(cuda.contains("\n"), cuda);
        assertTrue(cuda.startsWith("ND4J's cuda backend cannot load: JCublasBackend: UnsatisfiedLinkError: "
                + "libcublas.so.11"), cuda);
        assertTrue(cuda.contains("CUDA build (-Pcuda)") && cuda.contains("libcuda.so.1") && cuda.contains("libcusolver.so.11"), cuda);

        String cpu = new Backend.UnavailableException("cpu", List.of(), new IOException("no nd4jcpu")).getMessage();
        assertEquals("ND4J's cpu backend cannot load: IOException: no nd4jcpu; this is the CPU build: it needs Linux "
                + "on x86-64 with AVX2", cpu);
        assertTrue(new Backend.UnavailableException("cpu", List.of(), null).getMessage()
                .startsWith("ND4J's cpu backend cannot load: no ND4J backend on the class path; "));
    }
}
