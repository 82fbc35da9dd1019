package io.chorus.worker.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HadoopFilesTest {
    @TempDir
    File tmp;

    private FileSystem fs(Path p) throws IOException {
        return HadoopFiles.fileSystem(p, new Configuration());
    }

    @Test
    void localPathsUseTheRawFileSystemSoNoChecksumFilesAppear() throws IOException {
        Path target = new Path(tmp.toURI().toString(), "manifest.json");
        FileSystem fs = fs(target);
        assertTrue(fs instanceof RawLocalFileSystem, fs.getClass().getName());
        HadoopFiles.writeAtomically(fs, target, "{}".getBytes(StandardCharsets.UTF_8));
        String[] names = tmp.list();
        assertArrayEquals(new String[] {"manifest.json"}, names, "no .crc or temporary files are left behind");
    }

    @Test
    void writeAtomicallyReplacesTheWholeFile() throws IOException {
        Path target = new Path(tmp.getAbsolutePath(), "m.json");
        FileSystem fs = fs(target);
        HadoopFiles.writeAtomically(fs, target, "first version, longer".getBytes(StandardCharsets.UTF_8));
        HadoopFiles.writeAtomically(fs, target, "second".getBytes(StandardCharsets.UTF_8));
        assertEquals("second", new String(HadoopFiles.readAll(fs, target), StandardCharsets.UTF_8));
        assertEquals(1, tmp.list().length);
    }

    @Test
    void renameNewRefusesToReplace() throws IOException {
        Path a = new Path(tmp.getAbsolutePath(), "a");
        Path b = new Path(tmp.getAbsolutePath(), "b");
        FileSystem fs = fs(a);
        HadoopFiles.writeAtomically(fs, a, new byte[] {1});
        HadoopFiles.writeAtomically(fs, b, new byte[] {2});
        IOException e = assertThrows(IOException.class, () -> HadoopFiles.renameNew(fs, a, b));
        assertTrue(e.getMessage().contains("refusing to replace"), e.getMessage());
        assertArrayEquals(new byte[] {2}, HadoopFiles.readAll(fs, b));
        assertTrue(fs.exists(a));
    }

    @Test
    void sha256MatchesTheKnownDigestOfAbc() throws IOException {
        // FIPS 180-2, appendix B.1
        String abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assertEquals(abc, HadoopFiles.sha256("abc".getBytes(StandardCharsets.US_ASCII)));
        File f = new File(tmp, "abc");
        Files.writeString(f.toPath(), "abc");
        Path p = new Path(f.getAbsolutePath());
        assertEquals(abc, HadoopFiles.sha256(fs(p), p));
    }

    @Test
    void readingAMissingFileNamesIt() throws IOException {
        Path p = new Path(tmp.getAbsolutePath(), "missing.json");
        IOException e = assertThrows(IOException.class, () -> HadoopFiles.readAll(fs(p), p));
        assertTrue(e.getMessage().contains("missing.json"), e.getMessage());
        assertFalse(fs(p).exists(p));
    }

    @Test
    void isWithinComparesWholeNamesResolvesDotDotAndFollowsLinks() throws IOException {
        Configuration conf = new Configuration();
        File in = new File(tmp, "in");
        Files.createDirectories(in.toPath());
        Files.createDirectories(new File(tmp, "other").toPath());
        Files.createSymbolicLink(new File(tmp, "link").toPath(), in.toPath());
        Path dir = new Path(in.getAbsolutePath());
        assertTrue(HadoopFiles.isWithin(dir, dir, conf));
        assertTrue(HadoopFiles.isWithin(new Path(in.getAbsolutePath(), "x/y"), dir, conf));
        assertTrue(HadoopFiles.isWithin(new Path(tmp.getAbsolutePath(), "other/../in/z"), dir, conf));
        assertTrue(HadoopFiles.isWithin(new Path(tmp.getAbsolutePath(), "link/z"), dir, conf), "through a link");
        assertFalse(HadoopFiles.isWithin(new Path(tmp.getAbsolutePath(), "in2"), dir, conf), "a longer name");
        assertFalse(HadoopFiles.isWithin(new Path(tmp.getAbsolutePath()), dir, conf), "the parent");
    }
}
