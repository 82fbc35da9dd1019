package io.chorus.worker.data;

import static io.chorus.worker.data.IdxFiles.gzip;
import static io.chorus.worker.data.IdxFiles.images3;
import static io.chorus.worker.data.IdxFiles.labels;
import static io.chorus.worker.data.IdxFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataFilesTest {

    @TempDir
    Path work;

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "message should mention '" + p + "': " + e.getMessage());
        }
    }

    /** A data directory with a 3-image train set (gzip) and a 1-image test set (raw). */
    private static Path populate(Path dir) {
        write(dir, "train-images-idx3-ubyte.gz", gzip(images3(3, 1, 2, 1, 2, 3, 4, 5, 6)));
        write(dir, "train-labels-idx1-ubyte.gz", gzip(labels(0, 1, 2)));
        write(dir, "t10k-images-idx3-ubyte", images3(1, 1, 2, 9, 8));
        write(dir, "t10k-labels-idx1-ubyte", labels(2));
        return dir;
    }

    @Test
    void existingDirectoryIsReturnedUnchanged() throws IOException {
        Path dir = Files.createDirectories(work.resolve("somewhere/fashion"));
        assertEquals(dir.toString(), DataFiles.resolveDir(dir.toString(), work));
        String uri = dir.toUri().toString();
        assertEquals(uri, DataFiles.resolveDir(uri, work));
    }

    @Test
    void existingRelativeDirectoryIsMadeAbsolute() throws IOException {
        Path dir = Files.createDirectories(work.resolve("rel/fashion"));
        assertEquals(dir.toString(), DataFiles.resolveDir("rel/fashion", work));
    }

    @Test
    void missingDirectoryFallsBackToDataSubdirectoryNamedLikeIt() throws IOException {
        Path fallback = populate(work.resolve("data/fashion-mnist"));
        populate(work.resolve("data")); // lower priority
        String missing = work.resolve("no/such/fashion-mnist").toString();
        assertEquals(fallback.toString(), DataFiles.resolveDir(missing, work));
        assertEquals(fallback.toString(), DataFiles.resolveDir("/no/such/fashion-mnist/", work));
        assertEquals(fallback.toString(), DataFiles.resolveDir("file:///no/such/fashion-mnist", work));
    }

    @Test
    void missingDirectoryFallsBackToData() throws IOException {
        Path data = populate(work.resolve("data"));
        Files.createDirectories(work.resolve("data/fashion-mnist")); // exists but empty: skipped
        assertEquals(data.toString(), DataFiles.resolveDir("/usr/share/no-such-dir/fashion-mnist", work));
    }

    @Test
    void nothingFoundListsEveryPlaceLookedAt() throws IOException {
        Files.createDirectories(work.resolve("data")); // exists, but without IDX files
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> DataFiles.resolveDir("/no/such/fashion-mnist", work));
        assertMentions(e, "/no/such/fashion-mnist", work.resolve("data/fashion-mnist").toString(),
                work.resolve("data").toString(), "holds no IDX file", "scripts/get-data");
    }

    @Test
    void nonLocalUrisAreReturnedAsIs() throws IOException {
        assertEquals("hdfs://namenode:8020/data/fashion", DataFiles.resolveDir("hdfs://namenode:8020/data/fashion", work));
        assertEquals("s3a://bucket/fashion", DataFiles.resolveDir("s3a://bucket/fashion", work));
        assertTrue(DataFiles.isLocal("/a/b"));
        assertTrue(DataFiles.isLocal("a/b"));
        assertTrue(DataFiles.isLocal("file:/a/b"));
        assertFalse(DataFiles.isLocal("hdfs://nn/a"));
    }

    @Test
    void loadsTrainAndTestFromGzipOrRawFiles() throws IOException {
        Path dir = populate(work.resolve("fashion"));
        Configuration conf = new Configuration();
        ImageData train = DataFiles.loadTrain(dir.toString(), 3, conf);
        assertEquals(new ImageShape(1, 2, 1), train.shape());
        assertArrayEquals(IdxFiles.bytes(1, 2, 3, 4, 5, 6), train.pixels());
        assertArrayEquals(new int[] {0, 1, 2}, train.labels());
        ImageData test = DataFiles.loadTest(dir.toUri().toString(), 3, conf);
        assertArrayEquals(IdxFiles.bytes(9, 8), test.pixels());
        assertArrayEquals(new int[] {2}, test.labels());
    }

    @Test
    void loadsFromResolvedFallback() throws IOException {
        populate(work.resolve("data/fashion"));
        String dir = DataFiles.resolveDir("/nowhere/fashion", work);
        ImageData train = DataFiles.load(dir, DataFiles.TRAIN_IMAGES, DataFiles.TRAIN_LABELS, 3, new Configuration());
        assertEquals(3, train.size());
    }

    @Test
    void missingFileListsBothNamesLookedFor() throws IOException {
        Path dir = work.resolve("partial");
        write(dir, "train-images-idx3-ubyte", images3(1, 1, 1, 0));
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> DataFiles.loadTrain(dir.toString(), 10, new Configuration()));
        assertMentions(e, "train-labels-idx1-ubyte", "train-labels-idx1-ubyte.gz", "partial");
    }

    @Test
    void aDirectoryWhereAnIdxFileBelongsIsSaidToBeOne() throws IOException {
        Path dir = populate(work.resolve("fashion"));
        Files.delete(dir.resolve("t10k-labels-idx1-ubyte"));
        Files.createDirectories(dir.resolve("t10k-labels-idx1-ubyte"));
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> DataFiles.loadTest(dir.toString(), 3, new Configuration()));
        assertMentions(e, "t10k-labels-idx1-ubyte is a directory, expected an IDX file");
        Files.createDirectories(dir.resolve("t10k-labels-idx1-ubyte.gz"));
        e = assertThrows(FileNotFoundException.class, () -> DataFiles.loadTest(dir.toString(), 3, new Configuration()));
        assertMentions(e, "t10k-labels-idx1-ubyte is a directory, expected an IDX file",
                "t10k-labels-idx1-ubyte.gz is a directory");
    }

    @Test
    void symbolicLinksThatLeadNowhereUsableAreSaidToBeSo() throws IOException {
        Path dir = populate(work.resolve("fashion"));
        Path images = dir.resolve("train-images-idx3-ubyte.gz");
        Files.delete(images);
        Files.createSymbolicLink(images, images.getFileName());
        FileNotFoundException loop = assertThrows(FileNotFoundException.class,
                () -> DataFiles.loadTrain(dir.toString(), 3, new Configuration()));
        assertMentions(loop, "train-images-idx3-ubyte.gz is a symbolic link loop, expected an IDX file",
                "train-images-idx3-ubyte does not exist either");

        Files.delete(images);
        Files.createSymbolicLink(images, work.resolve("gone"));
        assertEquals("is a symbolic link to " + work.resolve("gone") + ", which does not exist", DataFiles.notAFile(images));
        Files.createDirectories(work.resolve("gone"));
        assertEquals("is a symbolic link to " + work.resolve("gone") + ", which is a directory", DataFiles.notAFile(images));
        assertEquals(null, DataFiles.notAFile(work.resolve("nothing-here")));
        assertEquals(null, DataFiles.notAFile(dir.resolve("train-labels-idx1-ubyte.gz")), "a regular file");
    }
}
