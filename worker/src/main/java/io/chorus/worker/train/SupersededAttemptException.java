package io.chorus.worker.train;

import java.io.IOException;

/**
 * This attempt of a member lost the race: a newer attempt of the same member (a Spark retry or a
 * speculative copy) has started, or another attempt already ended the member. The attempt stops without
 * listing anything more, so exactly one attempt's commits count from then on; {@link MemberTrainer} then
 * waits for the member to end instead of failing.
 */
public final class SupersededAttemptException extends IOException {
    public SupersededAttemptException(String message) {
        super(message);
    }
}
