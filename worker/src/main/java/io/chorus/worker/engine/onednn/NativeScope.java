package io.chorus.worker.engine.onednn;

import static io.chorus.worker.engine.onednn.OneDnn.check;
import static org.bytedeco.dnnl.global.dnnl.dnnl_f32;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_create_with_tag;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_get_size;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_set_data_handle;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_post_ops_destroy;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Owns native things (aligned buffers, memory descriptors, memory objects, primitive descriptors,
 * primitives, attributes) and frees all of them, newest first, in {@link #close()}. Nothing here waits
 * for the garbage collector: JavaCPP's own deallocators are bypassed by closing every pointer here.
 */
final class NativeScope implements AutoCloseable {
    private static final int ALIGN = 64;

    /** Native objects (buffers, descriptors, primitives...) owned by open scopes in this process. */
    private static final java.util.concurrent.atomic.AtomicLong LIVE = new java.util.concurrent.atomic.AtomicLong();
    /** Bytes of the buffers among them. */
    private static final java.util.concurrent.atomic.AtomicLong LIVE_BYTES = new java.util.concurrent.atomic.AtomicLong();

    private final Deque<Runnable> releases = new ArrayDeque<>() {
        @Override
        public void push(Runnable r) {
            super.push(r);
            LIVE.incrementAndGet();
        }

        @Override
        public Runnable pop() {
            Runnable r = super.pop();
            LIVE.decrementAndGet();
            return r;
        }
    };
    private final dnnl_stream stream;
    private boolean closed;

    static long liveObjects() {
        return LIVE.get();
    }

    static long liveBytes() {
        return LIVE_BYTES.get();
    }

    /** A scope whose primitives run on the process-wide stream. */
    NativeScope() {
        this(null);
    }

    /** A scope whose primitives run on {@code stream} (null: the process-wide one). */
    NativeScope(dnnl_stream stream) {
        this.stream = stream;
    }

    /** The stream the steps built in this scope execute on. */
    dnnl_stream stream() {
        return stream != null ? stream : OneDnn.get().stream();
    }

    /** A float buffer in native memory, 64-byte aligned (what oneDNN's kernels prefer). */
    record Buffer(long address, long bytes) {
        FloatBuffer floats() {
            return new BytePointer(new Raw(address)).capacity(bytes).limit(bytes).asByteBuffer()
                    .order(ByteOrder.nativeOrder()).asFloatBuffer();
        }

        Pointer pointer() {
            return new Raw(address);
        }

        /** The sub-buffer of {@code length} bytes starting {@code offset} bytes in. */
        Buffer bytes(long offset, long length) {
            if (offset < 0 || length < 0 || offset + length > bytes) {
                throw new IndexOutOfBoundsException(offset + "+" + length + " bytes in " + bytes);
            }
            return new Buffer(address + offset, length);
        }

        /** The sub-buffer starting {@code floatOffset} floats in. */
        Buffer slice(long floatOffset, long floats) {
            if (floatOffset < 0 || (floatOffset + floats) * Float.BYTES > bytes) {
                throw new IndexOutOfBoundsException(floatOffset + "+" + floats + " floats in " + bytes + " bytes");
            }
            return new Buffer(address + floatOffset * Float.BYTES, floats * Float.BYTES);
        }
    }

    /**
     * A oneDNN memory object over a buffer this scope or someone else owns; or, for an activation of an
     * inference plan, over no buffer yet: {@link #place} points it into the plan's shared arena later.
     */
    static final class Mem {
        private final dnnl_memory memory;
        private final dnnl_memory_desc desc;
        private Buffer buffer;

        Mem(dnnl_memory memory, dnnl_memory_desc desc, Buffer buffer) {
            this.memory = memory;
            this.desc = desc;
            this.buffer = buffer;
        }

        dnnl_memory memory() {
            return memory;
        }

        dnnl_memory_desc desc() {
            return desc;
        }

        Buffer buffer() {
            if (buffer == null) {
                throw new IllegalStateException("memory not placed in an arena yet");
            }
            return buffer;
        }

        /** Size of the memory in bytes, as its descriptor says. */
        long bytes() {
            return dnnl_memory_desc_get_size(desc);
        }

        /** Points the memory at {@code at} (which must hold {@link #bytes()}). */
        void place(Buffer at) {
            if (at.bytes() < bytes()) {
                throw new IllegalArgumentException(at.bytes() + " bytes for a " + bytes() + "-byte memory");
            }
            check(dnnl_memory_set_data_handle(memory, at.pointer()), "dnnl_memory_set_data_handle");
            buffer = at;
        }
    }

    /** A pointer at a given address; passing it to native code passes exactly that address. */
    static final class Raw extends Pointer {
        Raw(long address) {
            this.address = address;
        }
    }

    Buffer allocate(long bytes) {
        ensureOpen();
        long size = Math.max(bytes, 1) + ALIGN;
        BytePointer p = new BytePointer(size);
        p.fill(0);
        LIVE_BYTES.addAndGet(size);
        releases.push(() -> {
            p.close();
            LIVE_BYTES.addAndGet(-size);
        });
        long aligned = (p.address() + ALIGN - 1) / ALIGN * ALIGN;
        return new Buffer(aligned, bytes);
    }

    /** A plain f32 descriptor of the given logical dims and format tag (e.g. {@code dnnl_nchw}). */
    dnnl_memory_desc desc(long[] dims, int tag) {
        ensureOpen();
        dnnl_memory_desc md = new dnnl_memory_desc();
        check(dnnl_memory_desc_create_with_tag(md, dims.length, dims, dnnl_f32, tag),
                "dnnl_memory_desc_create_with_tag(" + java.util.Arrays.toString(dims) + ", tag " + tag + ")");
        releases.push(() -> dnnl_memory_desc_destroy(md));
        return md;
    }

    /** Adopts a descriptor some oneDNN call created for us. */
    dnnl_memory_desc adopt(dnnl_memory_desc md) {
        releases.push(() -> dnnl_memory_desc_destroy(md));
        return md;
    }

    /** New zeroed memory laid out as {@code md}. */
    Mem memory(dnnl_memory_desc md) {
        return wrap(md, allocate(dnnl_memory_desc_get_size(md)));
    }

    /** Memory over an existing buffer (which must be at least {@code md}'s size and outlive this scope). */
    Mem wrap(dnnl_memory_desc md, Buffer buffer) {
        ensureOpen();
        long need = dnnl_memory_desc_get_size(md);
        if (buffer.bytes() < need) {
            throw new IllegalArgumentException("buffer of " + buffer.bytes() + " bytes for a " + need + "-byte memory");
        }
        dnnl_memory m = new dnnl_memory();
        check(dnnl_memory_create(m, md, OneDnn.get().engine(), buffer.pointer()), "dnnl_memory_create");
        releases.push(() -> dnnl_memory_destroy(m));
        return new Mem(m, md, buffer);
    }

    /** Memory laid out as {@code md} over no buffer yet: {@link Mem#place} gives it one before use. */
    Mem deferred(dnnl_memory_desc md) {
        ensureOpen();
        dnnl_memory m = new dnnl_memory();
        check(dnnl_memory_create(m, md, OneDnn.get().engine(), null), "dnnl_memory_create(deferred)");
        releases.push(() -> dnnl_memory_destroy(m));
        return new Mem(m, md, null);
    }

    /** Memory whose descriptor views part of {@code buffer} (a sub-memory); no size check. */
    Mem view(dnnl_memory_desc md, Buffer buffer) {
        ensureOpen();
        dnnl_memory m = new dnnl_memory();
        check(dnnl_memory_create(m, md, OneDnn.get().engine(), buffer.pointer()), "dnnl_memory_create(view)");
        releases.push(() -> dnnl_memory_destroy(m));
        return new Mem(m, md, buffer);
    }

    /** Takes ownership of a primitive descriptor just created (status already checked). */
    dnnl_primitive_desc own(dnnl_primitive_desc pd) {
        releases.push(() -> dnnl_primitive_desc_destroy(pd));
        return pd;
    }

    dnnl_primitive_attr own(dnnl_primitive_attr attr) {
        releases.push(() -> dnnl_primitive_attr_destroy(attr));
        return attr;
    }

    dnnl_post_ops own(dnnl_post_ops ops) {
        releases.push(() -> dnnl_post_ops_destroy(ops));
        return ops;
    }

    dnnl_primitive primitive(dnnl_primitive_desc pd, String what) {
        ensureOpen();
        dnnl_primitive p = new dnnl_primitive();
        check(dnnl_primitive_create(p, pd), "dnnl_primitive_create(" + what + ")");
        releases.push(() -> dnnl_primitive_destroy(p));
        return p;
    }

    /** Registers any other release action, run in reverse order of registration. */
    void onClose(Runnable release) {
        releases.push(release);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("native scope already closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        while (!releases.isEmpty()) {
            try {
                releases.pop().run();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
