package io.chorus.worker.engine.onednn;

import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_engine_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_default_flags;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_wait;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;

import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.dnnl_version_t;
import org.bytedeco.dnnl.global.dnnl;

/**
 * The process-wide oneDNN CPU engine and its one in-order stream, created on first use and kept for the
 * life of the JVM (they own no per-network memory). Every call into oneDNN's C API goes through
 * {@link #check} so a failing status becomes an exception naming the call.
 *
 * <p>Threads: oneDNN's CPU runtime is OpenMP, sized by {@code OMP_NUM_THREADS} when the JVM starts; it
 * shares one libgomp with ND4J. The stream is not meant for concurrent use: one engine network trains on
 * one thread at a time.
 */
public final class OneDnn {
    private static volatile OneDnn instance;

    private final dnnl_engine engine;
    private final dnnl_stream stream;

    private OneDnn() {
        engine = new dnnl_engine();
        check(dnnl_engine_create(engine, dnnl_cpu, 0), "dnnl_engine_create(cpu)");
        stream = new dnnl_stream();
        check(dnnl_stream_create(stream, engine, dnnl_stream_default_flags), "dnnl_stream_create");
    }

    /** The shared engine and stream, loading the native library on first call. */
    public static OneDnn get() {
        OneDnn o = instance;
        if (o == null) {
            synchronized (OneDnn.class) {
                if (instance == null) {
                    instance = new OneDnn();
                }
                o = instance;
            }
        }
        return o;
    }

    dnnl_engine engine() {
        return engine;
    }

    dnnl_stream stream() {
        return stream;
    }

    void await() {
        check(dnnl_stream_wait(stream), "dnnl_stream_wait");
    }

    /** oneDNN's version as {@code major.minor.patch}, e.g. 3.8.1. */
    public static String version() {
        get();
        dnnl_version_t v = dnnl.dnnl_version();
        return v.major() + "." + v.minor() + "." + v.patch();
    }

    /**
     * The instruction set oneDNN's CPU kernels use in this process ({@code dnnl_get_effective_cpu_isa}),
     * by its oneDNN name without the prefix, e.g. {@code avx512_core_bf16} or {@code avx2}; capped by
     * {@code ONEDNN_MAX_CPU_ISA}. Results are bitwise reproducible only on the same ISA and thread count.
     */
    public static String cpuIsa() {
        get();
        int isa = dnnl.dnnl_get_effective_cpu_isa();
        String best = null;
        for (java.lang.reflect.Field f : dnnl.class.getFields()) {
            if (f.getName().startsWith("dnnl_cpu_isa_") && f.getType() == int.class
                    && !f.getName().contains("hints") && !f.getName().contains("prefer")
                    && java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                try {
                    if (f.getInt(null) == isa) {
                        String n = f.getName().substring("dnnl_cpu_isa_".length());
                        // Aliases share a value: prefer the avx512_core_* spelling to the avx10_1_* one.
                        best = best == null || best.startsWith("avx10") && !n.startsWith("avx10") ? n : best;
                    }
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return best != null ? best : "0x" + Integer.toHexString(isa);
    }

    /**
     * Channels per block of oneDNN's blocked activation layouts on this CPU: 16 with AVX-512 (nChw16c),
     * 8 below it (nChw8c).
     */
    static int channelBlock() {
        int b = channelBlock;
        if (b == 0) {
            String isa = cpuIsa();
            b = isa.startsWith("avx512") || isa.startsWith("avx10") ? 16 : 8;
            channelBlock = b;
        }
        return b;
    }

    private static volatile int channelBlock;

    /** Throws unless {@code status} is {@code dnnl_success}. */
    static void check(int status, String what) {
        if (status != dnnl_success) {
            throw new OneDnnException(what + " failed with oneDNN status " + statusName(status));
        }
    }

    private static String statusName(int status) {
        return switch (status) {
            case 1 -> "out_of_memory (1)";
            case 2 -> "invalid_arguments (2)";
            case 3 -> "unimplemented (3)";
            case 4 -> "last_impl_reached (4)";
            case 5 -> "runtime_error (5)";
            case 6 -> "not_required (6)";
            default -> String.valueOf(status);
        };
    }
}
