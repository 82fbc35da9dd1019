package io.chorus.worker.engine.onednn;

import static io.chorus.worker.engine.onednn.OneDnn.check;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_execute;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_primitive;

/** One action of a compiled plan: a oneDNN primitive with its arguments bound once, or a bit of Java. */
interface Step {
    void run();

    /** The memories this step reads or writes (what an inference plan's arena must keep apart). */
    default List<NativeScope.Mem> memories() {
        return List.of();
    }

    /** A primitive and its (argument kind, memory) pairs; the argument array is built once, here. */
    static Step primitive(NativeScope scope, dnnl_primitive p, String what, Object... kindMemPairs) {
        int n = kindMemPairs.length / 2;
        dnnl_exec_arg_t args = new dnnl_exec_arg_t(n);
        scope.onClose(args::close);
        List<NativeScope.Mem> used = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            dnnl_memory m;
            if (kindMemPairs[2 * i + 1] instanceof NativeScope.Mem mem) {
                m = mem.memory();
                used.add(mem);
            } else {
                m = (dnnl_memory) kindMemPairs[2 * i + 1];
            }
            args.getPointer(i).arg((Integer) kindMemPairs[2 * i]).memory(m);
        }
        var stream = scope.stream();
        List<NativeScope.Mem> memories = List.copyOf(used);
        return new Step() {
            @Override
            public List<NativeScope.Mem> memories() {
                return memories;
            }

            @Override
            public void run() {
                check(dnnl_primitive_execute(p, stream, n, args), what);
            }

            @Override
            public String toString() {
                return what;
            }
        };
    }
}
