package io.chorus.worker.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The warning a resume gives when it cannot continue bit for bit: another engine, thread count or ISA. */
class ResumeDriftTest {

    private static Attempt attempt(int number, String engine, Integer threads, String isa) {
        return new Attempt(number, "driver", "host", 1, "2026-12-02T00:00:00Z", 0, engine, "failed", List.of(), threads, isa);
    }

    @Test
    void theSameEngineThreadsAndIsaSayNothing() {
        var log = List.of(attempt(1, "onednn", 1, "avx512_core_bf16"));
        assertTrue(MemberTrainer.resumeDrift(log, "onednn", 1, "avx512_core_bf16").isEmpty());
        assertTrue(MemberTrainer.resumeDrift(List.of(), "onednn", 1, "avx2").isEmpty(), "nothing recorded");
        assertTrue(MemberTrainer.resumeDrift(List.of(attempt(1, null, null, null)), "onednn", 1, "avx2").isEmpty(),
                "an attempt from before engines were recorded");
    }

    @Test
    void anotherIsaThreadCountOrEngineIsNamedAgainstTheLatestAttempt() {
        var log = List.of(attempt(2, "onednn", 1, "avx512_core_bf16"), attempt(1, "dl4j-onednn", 2, null));
        String isa = MemberTrainer.resumeDrift(log, "onednn", 1, "avx2").orElseThrow();
        assertTrue(isa.contains("ISA avx2") && isa.contains("attempt 2") && isa.contains("ISA avx512_core_bf16"), isa);
        String threads = MemberTrainer.resumeDrift(log, "onednn", 2, "avx512_core_bf16").orElseThrow();
        assertTrue(threads.contains("with 2 thread(s)") && threads.contains("with 1 thread(s)"), threads);
        String engine = MemberTrainer.resumeDrift(log, "dl4j-onednn", 1, null).orElseThrow();
        assertTrue(engine.startsWith("resumes on dl4j-onednn"), engine);
        assertEquals(MemberTrainer.resumeDrift(log, "onednn", 1, "avx2"),
                MemberTrainer.resumeDrift(List.of(log.get(1), log.get(0)), "onednn", 1, "avx2"), "order of the log");
    }
}
