package io.chorus.driver.run;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.chorus.worker.train.MemberTrainer;

/**
 * Injected faults, for testing recovery on the real training path in whatever JVM trains a member: package
 * private, reached only through {@link MemberTask}'s fault setting. Set with the Spark setting (or, in-process,
 * the system property) {@value MemberTask#FAULTS}, a semicolon-separated list
 * of {@code KIND:member=M,iteration=I[,attempt=A]}:
 * <ul>
 *   <li>{@code crash}: the task throws before update {@code I} of member {@code M};</li>
 *   <li>{@code nan}: a parameter of member {@code M} becomes NaN before update {@code I}.</li>
 * </ul>
 * With {@code attempt=A} the fault fires only in Spark task attempt {@code A} (0 is the first), so a retry
 * recovers. Empty means no faults, which is the only setting a production job has.
 */
record Faults(List<Fault> faults) implements java.io.Serializable {
    static final String KEY = MemberTask.FAULTS;
    public static final Faults NONE = new Faults(List.of());

    public record Fault(String kind, int member, long iteration, Integer attempt) implements java.io.Serializable {
    }

    /** Thrown by an injected crash. */
    public static final class InjectedFault extends RuntimeException {
        public InjectedFault(String message) {
            super(message);
        }
    }

    public static Faults parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return NONE;
        }
        List<Fault> out = new ArrayList<>();
        for (String f : spec.split(";")) {
            String[] kindArgs = f.trim().split(":", 2);
            String kind = kindArgs[0].trim().toLowerCase(Locale.ROOT);
            if (!kind.equals("crash") && !kind.equals("nan") || kindArgs.length != 2) {
                throw new IllegalArgumentException(KEY + ": cannot read fault '" + f + "'");
            }
            Integer member = null;
            Long iteration = null;
            Integer attempt = null;
            for (String kv : kindArgs[1].split(",")) {
                String[] p = kv.trim().split("=", 2);
                switch (p[0]) {
                    case "member" -> member = Integer.parseInt(p[1]);
                    case "iteration" -> iteration = Long.parseLong(p[1]);
                    case "attempt" -> attempt = Integer.parseInt(p[1]);
                    default -> throw new IllegalArgumentException(KEY + ": unknown field '" + p[0] + "' in '" + f + "'");
                }
            }
            if (member == null || iteration == null) {
                throw new IllegalArgumentException(KEY + ": '" + f + "' needs member= and iteration=");
            }
            out.add(new Fault(kind, member, iteration, attempt));
        }
        return new Faults(List.copyOf(out));
    }

    /** The hook that fires this member's faults in the given task attempt. */
    public MemberTrainer.IterationHook hook(int member, int attempt) {
        List<Fault> mine = faults.stream()
                .filter(f -> f.member() == member && (f.attempt() == null || f.attempt() == attempt)).toList();
        if (mine.isEmpty()) {
            return MemberTrainer.IterationHook.NONE; // lets the oneDNN engine keep its parameters native
        }
        return (net, iteration) -> {
            for (Fault f : mine) {
                if (f.iteration() == iteration) {
                    if (f.kind().equals("crash")) {
                        throw new InjectedFault("injected crash of member " + member + " before update " + iteration
                                + " (attempt " + attempt + ")");
                    }
                    net.params().putScalar(0, Double.NaN);
                }
            }
        };
    }
}
