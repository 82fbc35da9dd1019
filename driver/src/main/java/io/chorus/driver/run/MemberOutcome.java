package io.chorus.driver.run;

import java.io.Serializable;

import io.chorus.worker.train.MemberStatus;

/**
 * What one task attempt reports back to the driver; the member's manifest holds everything else.
 *
 * @param member   member id
 * @param status   how the member ended
 * @param reason   why it diverged or failed (null if it finished)
 * @param executor Spark executor id of the attempt that ended it
 * @param host     host of that executor
 * @param pid      process id of that executor JVM
 * @param attempt  Spark's attempt number of the task (0 for the first)
 */
public record MemberOutcome(int member, MemberStatus status, String reason, String executor, String host, long pid,
                            int attempt) implements Serializable {

    public static MemberOutcome failed(int member, Throwable cause) {
        return new MemberOutcome(member, MemberStatus.FAILED, rootMessage(cause), null, null, -1, -1);
    }

    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root.getMessage();
        return root.getClass().getSimpleName() + (msg == null ? "" : ": " + msg.lines().findFirst().orElse(""));
    }
}
