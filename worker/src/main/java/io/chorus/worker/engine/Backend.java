package io.chorus.worker.engine;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.factory.Nd4jBackend;

/**
 * The one place that knows which ND4J backend this build of Chorus carries: the default build has the CPU
 * backend (nd4j-native), {@code mvn -Pcuda} the CUDA one (nd4j-cuda-11.6), never both. Code compiled into
 * every build names neither backend's classes: what it needs from the CPU backend's native environment it
 * reaches through here, by name, so the CUDA build compiles without the CPU backend on its class path.
 */
public final class Backend {
    /** The CPU backend's native environment (nd4j-native); absent from the CUDA build. */
    static final String CPU_ENVIRONMENT = "org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment";
    /** The CUDA backend (nd4j-cuda-11.6); absent from the CPU build. */
    static final String CUDA_BACKEND = "org.nd4j.linalg.jcublas.JCublasBackend";

    private Backend() {
    }

    /** {@code cuda} for the -Pcuda build, {@code cpu} otherwise; decided by the classes on the class path. */
    public static String built() {
        return present(CUDA_BACKEND) ? "cuda" : "cpu";
    }

    /** Whether this is the CUDA build (whether or not CUDA can load here). */
    public static boolean cudaBuild() {
        return "cuda".equals(built());
    }

    /**
     * Loads ND4J's backend, or says in one line why it cannot: the CUDA backend needs an NVIDIA GPU, its
     * driver and CUDA 11's libraries. Each backend is asked first whether it can run here, so its own first
     * answer is the cause (ND4J would only log it, and a second attempt says less); when none can, ND4J is
     * not initialized at all.
     *
     * @return the loaded backend's class name
     * @throws UnavailableException naming the build and the cause each backend gave
     */
    public static String load() {
        String l = loaded;
        if (l != null) {
            return l;
        }
        synchronized (Backend.class) {
            if (loaded == null) {
                Probe probe = probe();
                if (probe.available() == 0) {
                    throw new UnavailableException(built(), probe.causes(), null);
                }
                try {
                    loaded = Nd4j.getBackend().getClass().getName();
                } catch (Throwable e) {
                    throw new UnavailableException(built(), probe.causes(), e);
                }
            }
            return loaded;
        }
    }

    private static volatile String loaded;

    /** How many of the backends on the class path can run here, and what the others said. */
    record Probe(int available, List<String> causes) {
    }

    /** Asks each backend on the class path whether it can run here, as ND4J does when it starts. */
    static Probe probe() {
        List<String> causes = new ArrayList<>();
        int available = 0;
        try {
            for (Nd4jBackend b : ServiceLoader.load(Nd4jBackend.class)) {
                try {
                    if (b.isAvailable()) {
                        available++;
                    } else {
                        causes.add(b.getClass().getSimpleName() + ": not available");
                    }
                } catch (Throwable t) {
                    causes.add(b.getClass().getSimpleName() + ": " + rootMessage(t));
                }
            }
        } catch (Throwable t) {
            causes.add(rootMessage(t));
        }
        return new Probe(available, causes);
    }

    /** The innermost cause of {@code t}, as its class and message on one line. */
    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root.getMessage() == null ? "" : ": " + root.getMessage().strip().replaceAll("\\s+", " ");
        return root.getClass().getSimpleName() + msg;
    }

    /**
     * The CPU backend's {@code Nd4jCpu.Environment.isUseONEDNN()}: whether the loaded libnd4j has oneDNN
     * switched on; false on the CUDA build, which has no such environment.
     */
    public static boolean cpuOneDnnFlag() {
        MethodHandle h = CpuEnvironment.IS_USE_ONEDNN;
        if (h == null) {
            return false;
        }
        try {
            return (boolean) h.invoke();
        } catch (Throwable e) {
            throw new IllegalStateException("the CPU backend's environment did not answer isUseONEDNN()", e);
        }
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, Backend.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Looked up once, on first use: {@code Environment.getInstance().isUseONEDNN()}, or null without it. */
    private static final class CpuEnvironment {
        static final MethodHandle IS_USE_ONEDNN = lookUp();

        private static MethodHandle lookUp() {
            if (!present(CPU_ENVIRONMENT)) {
                return null;
            }
            try {
                Class<?> env = Class.forName(CPU_ENVIRONMENT, true, Backend.class.getClassLoader());
                MethodHandles.Lookup l = MethodHandles.publicLookup();
                MethodHandle instance = l.findStatic(env, "getInstance", MethodType.methodType(env));
                MethodHandle flag = l.findVirtual(env, "isUseONEDNN", MethodType.methodType(boolean.class));
                return MethodHandles.filterReturnValue(instance, flag);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(CPU_ENVIRONMENT + " has no getInstance().isUseONEDNN(): not the "
                        + "nd4j-native version Chorus was written for", e);
            }
        }
    }

    /** ND4J's backend cannot load in this JVM; the message is one line that names the cause. */
    public static final class UnavailableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnavailableException(String build, List<String> causes, Throwable e) {
            super(message(build, causes, e), e);
        }

        private static String message(String build, List<String> causes, Throwable e) {
            String why = !causes.isEmpty() ? String.join("; ", causes)
                    : e != null ? rootMessage(e) : "no ND4J backend on the class path";
            String needs = "cuda".equals(build)
                    ? "this is the CUDA build (-Pcuda): it needs an NVIDIA GPU, its driver (libcuda.so.1) and CUDA "
                    + "11's libcudart.so.11.0, libcublas.so.11, libcublasLt.so.11 and libcusolver.so.11 (README, GPUs)"
                    : "this is the CPU build: it needs Linux on x86-64 with AVX2";
            return "ND4J's " + build + " backend cannot load: " + why + "; " + needs;
        }
    }
}
