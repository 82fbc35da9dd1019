package io.chorus.driver.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test helper against the installed Chromium: page scripts, console log, screenshots. */
class HeadlessChromiumTest {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @TempDir
    static Path tmp;

    private static HeadlessChromium browser;

    @BeforeAll
    static void startBrowser() throws IOException {
        HeadlessChromium.requireOrSkip();
        browser = HeadlessChromium.start(tmp.resolve("chromium"));
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    private static Path page(String name, String body) throws IOException {
        return Files.writeString(tmp.resolve(name), "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + name
                + "</title></head><body>" + body + "</body></html>\n");
    }

    @Test
    void cleanPageReadsBackAndLogsNothingSevere() throws IOException {
        Path clean = page("clean.html", "<h1 id=\"title\">Ensemble report</h1><p>members: <span id=\"n\">42</span></p>"
                + "<div style=\"height:3000px\"></div>");
        browser.browserLog();
        browser.open(clean);

        assertEquals("Ensemble report", browser.script("return document.getElementById('title').textContent"));
        Object n = browser.script("return Number(document.getElementById(arguments[0]).textContent) + arguments[1]", "n", 1);
        assertEquals(43, ((Number) n).intValue());
        List<String> severe = browser.severeConsoleMessages();
        assertTrue(severe.isEmpty(), severe.toString());

        Path shot = tmp.resolve("clean.png");
        browser.screenshot(shot);
        byte[] png = Files.readAllBytes(shot);
        assertArrayEquals(PNG_MAGIC, Arrays.copyOf(png, 8));
        assertTrue(png.length > 2000, "PNG of " + png.length + " bytes");
        assertEquals(1280, pngWidth(png));

        Path full = tmp.resolve("clean-full.png");
        browser.fullPageScreenshot(full);
        byte[] fullPng = Files.readAllBytes(full);
        assertArrayEquals(PNG_MAGIC, Arrays.copyOf(fullPng, 8));
        assertTrue(pngHeight(fullPng) >= 3000, "full page height " + pngHeight(fullPng));
    }

    @Test
    void badPageReportsConsoleErrorAndMissingImage() throws IOException {
        Path bad = page("bad.html", "<p id=\"x\">bad</p><img src=\"missing.png\"><script>console.error(\"boom\");</script>");
        browser.browserLog();
        browser.open(bad);

        List<String> severe = browser.severeConsoleMessages();
        assertTrue(severe.stream().anyMatch(m -> m.contains("boom")), severe.toString());
        assertTrue(severe.stream().anyMatch(m -> m.contains("missing.png")), severe.toString());
    }

    private static int pngWidth(byte[] png) {
        return ByteBuffer.wrap(png, 16, 4).getInt();
    }

    private static int pngHeight(byte[] png) {
        return ByteBuffer.wrap(png, 20, 4).getInt();
    }
}
