package io.chorus.driver.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.chorus.driver.CliRun;
import io.chorus.driver.ExitCode;

/**
 * What every hostile-input case asserts: the command is refused with exit 2, its message names the culprit,
 * no stack trace reaches the console, and every file that existed before is byte for byte as it was.
 */
public final class Hostile {
    private static final Pattern STACK_FRAME = Pattern.compile("(?m)^\\s+at [\\w$.<>/]+\\(");

    private Hostile() {
    }

    /** SHA-256 of every regular file under each root (symbolic links are not followed), by path. */
    public static Map<Path, String> checksums(Path... roots) {
        Map<Path, String> sums = new TreeMap<>();
        for (Path root : roots) {
            if (Files.isRegularFile(root, LinkOption.NOFOLLOW_LINKS)) {
                sums.put(root, sha256(root));
                continue;
            }
            if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(root)) {
                files.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).forEach(p -> sums.put(p, sha256(p)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return sums;
    }

    /** Every file of {@code before} still exists with the same content. */
    public static void assertUnchanged(Map<Path, String> before) {
        for (Map.Entry<Path, String> e : before.entrySet()) {
            if (!Files.isRegularFile(e.getKey(), LinkOption.NOFOLLOW_LINKS)) {
                fail(e.getKey() + " existed before the command and is gone");
            }
            assertEquals(e.getValue(), sha256(e.getKey()), e.getKey() + " was changed by a refused command");
        }
    }

    /** Exit 2, a message naming each culprit, and no stack trace on either stream. */
    public static void assertRefused(CliRun r, String... culprits) {
        assertEquals(ExitCode.BAD_INPUT, r.code(), "expected exit 2; out:\n" + r.out() + "\nerr:\n" + r.err());
        assertNoStackTrace(r);
        assertTrue(r.err().startsWith("chorus: "), "the answer starts with 'chorus: ': " + r.err());
        for (String c : culprits) {
            assertTrue(r.err().contains(c), "the message names " + c + ": " + r.err());
        }
    }

    public static void assertNoStackTrace(CliRun r) {
        assertFalse(STACK_FRAME.matcher(r.err()).find(), "a stack trace on the console:\n" + r.err());
        assertFalse(STACK_FRAME.matcher(r.out()).find(), "a stack trace on the console:\n" + r.out());
    }

    /** Runs {@code args} and asserts it is refused naming {@code culprits}, with every file under {@code watched} intact. */
    public static CliRun refused(Path[] watched, String[] culprits, String... args) {
        Map<Path, String> before = checksums(watched);
        CliRun r = CliRun.of(args);
        assertRefused(r, culprits);
        assertUnchanged(before);
        return r;
    }

    public static String sha256(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
