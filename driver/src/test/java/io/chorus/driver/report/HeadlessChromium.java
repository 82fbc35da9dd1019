package io.chorus.driver.report;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Assumptions;

/**
 * Headless Chromium driven through chromedriver with the W3C WebDriver HTTP protocol.
 * One instance is one chromedriver process with one browser session.
 */
public final class HeadlessChromium implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration LOAD_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_SCREENSHOT_HEIGHT = 16000;
    private static final int START_ATTEMPTS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process driver;
    private final Thread shutdownHook;
    private final HttpClient http;
    private final URI base;
    private final String session;
    private String logEndpoint;
    private boolean closed;

    private HeadlessChromium(Process driver, HttpClient http, URI base, String session) {
        this.driver = driver;
        this.http = http;
        this.base = base;
        this.session = session;
        this.shutdownHook = new Thread(() -> destroy(driver), "headless-chromium-cleanup");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** True when Chromium and chromedriver are installed and executable. */
    public static boolean available() {
        return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    }

    /**
     * Returns when Chromium is available. Otherwise fails with an AssertionError when CI is "true"
     * (environment variable or system property), and skips the calling test when it is not.
     */
    public static void requireOrSkip() {
        if (available()) {
            return;
        }
        String msg = "Headless Chromium tests need executable " + CHROMIUM + " and " + CHROMEDRIVER
                + " (Debian packages chromium and chromium-driver)";
        if ("true".equalsIgnoreCase(System.getenv("CI")) || "true".equalsIgnoreCase(System.getProperty("CI"))) {
            throw new AssertionError(msg + "; they are required when CI=true");
        }
        Assumptions.assumeTrue(false, msg);
    }

    /**
     * Starts chromedriver on a free loopback port and opens a browser session.
     * chromedriver writes its log to workDir/chromedriver.log and its console output to
     * workDir/chromedriver.out; the browser profile is a new directory under workDir.
     */
    public static HeadlessChromium start(Path workDir) throws IOException {
        Files.createDirectories(workDir);
        Path log = workDir.resolve("chromedriver.log");
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        // The free port can be taken by someone else before chromedriver binds it; chromedriver then exits, and we retry.
        for (int attempt = 1; ; attempt++) {
            int port = freePort();
            Process driver = new ProcessBuilder(CHROMEDRIVER.toString(), "--port=" + port, "--log-path=" + log)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(workDir.resolve("chromedriver.out").toFile()))
                    .start();
            URI base = URI.create("http://127.0.0.1:" + port + "/");
            try {
                if (!awaitReady(driver, http, base, log)) {
                    if (attempt < START_ATTEMPTS) {
                        continue;
                    }
                    throw new IllegalStateException("chromedriver exited with code " + driver.exitValue()
                            + " during startup " + START_ATTEMPTS + " times; see " + log);
                }
                Path profile = Files.createTempDirectory(workDir, "chromium-profile-");
                JsonNode value = check("POST", "session", send(http, "POST", base.resolve("session"), capabilities(profile)));
                return new HeadlessChromium(driver, http, base, value.path("sessionId").asText());
            } catch (IOException | RuntimeException | Error e) {
                destroy(driver);
                throw e;
            }
        }
    }

    /** Navigates to the file and waits until document.readyState is "complete". */
    public void open(Path htmlFile) {
        command("POST", "url", Map.of("url", htmlFile.toAbsolutePath().toUri().toString()));
        long deadline = System.nanoTime() + LOAD_TIMEOUT.toNanos();
        while (!"complete".equals(script("return document.readyState"))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("page did not finish loading within " + LOAD_TIMEOUT + ": " + htmlFile);
            }
            sleep(50);
        }
    }

    /**
     * Runs js as the body of a function with the given arguments and returns its result as
     * Map, List, String, Number, Boolean or null.
     */
    public Object script(String js, Object... args) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("script", js);
        body.put("args", args == null ? List.of() : args);
        return JSON.convertValue(command("POST", "execute/sync", body), Object.class);
    }

    /**
     * Browser console entries (level, message, timestamp, source) logged since the previous call;
     * chromedriver hands each entry out once.
     */
    public List<Map<String, Object>> browserLog() {
        Map<String, Object> body = Map.of("type", "browser");
        if (logEndpoint == null) {
            // "se/log" is chromedriver's current path for the legacy log command, "log" the older one.
            Reply reply = call("POST", "se/log", body);
            if (reply.status() == 404 || "unknown command".equals(reply.value().path("error").asText())) {
                logEndpoint = "log";
            } else {
                logEndpoint = "se/log";
                return JSON.convertValue(check("POST", "se/log", reply), new TypeReference<>() { });
            }
        }
        return JSON.convertValue(command("POST", logEndpoint, body), new TypeReference<>() { });
    }

    /** Messages of the browser console entries with level SEVERE since the previous log read. */
    public List<String> severeConsoleMessages() {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> entry : browserLog()) {
            if ("SEVERE".equals(entry.get("level"))) {
                out.add(String.valueOf(entry.get("message")));
            }
        }
        return out;
    }

    /** Writes a PNG of the current viewport. */
    public void screenshot(Path png) throws IOException {
        byte[] bytes = Base64.getMimeDecoder().decode(command("GET", "screenshot", null).asText());
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(png, bytes);
    }

    /**
     * Writes a PNG of the whole document, up to 16000 pixels high: the window is resized so the
     * viewport holds the document's scroll height, and restored afterwards.
     */
    public void fullPageScreenshot(Path png) throws IOException {
        JsonNode rect = command("GET", "window/rect", null);
        int width = rect.path("width").asInt();
        int height = rect.path("height").asInt();
        Number docHeight = (Number) script("return Math.max(document.documentElement.scrollHeight,"
                + " document.body ? document.body.scrollHeight : 0)");
        Number chrome = (Number) script("return window.outerHeight - window.innerHeight");
        int target = Math.min(MAX_SCREENSHOT_HEIGHT, docHeight.intValue() + Math.max(0, chrome.intValue()));
        try {
            command("POST", "window/rect", Map.of("width", width, "height", Math.max(target, height)));
            screenshot(png);
        } finally {
            command("POST", "window/rect", Map.of("width", width, "height", height));
        }
    }

    /** Ends the session and stops chromedriver and its child processes. Never throws. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            HttpRequest request = HttpRequest.newBuilder(base.resolve("session/" + session))
                    .timeout(CLOSE_TIMEOUT)
                    .DELETE()
                    .build();
            http.send(request, HttpResponse.BodyHandlers.discarding());
        } catch (IOException | RuntimeException e) {
            // The processes are stopped below regardless.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        destroy(driver);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down.
        }
    }

    private JsonNode command(String method, String path, Object body) {
        return check(method, path, call(method, path, body));
    }

    private Reply call(String method, String path, Object body) {
        try {
            return send(http, method, base.resolve("session/" + session + "/" + path), body);
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + ": " + e, e);
        }
    }

    private record Reply(int status, JsonNode value) {
    }

    private static Reply send(HttpClient http, String method, URI uri, Object body) throws IOException {
        HttpRequest.BodyPublisher publisher = body == null
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json; charset=utf-8")
                .method(method, publisher)
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + method + " " + uri, e);
        }
        JsonNode value;
        try {
            value = JSON.readTree(response.body()).path("value");
        } catch (IOException e) {
            // A body that is not JSON is kept as the error message.
            ObjectNode error = JSON.createObjectNode();
            error.put("error", "HTTP " + response.statusCode());
            error.put("message", response.body());
            value = error;
        }
        return new Reply(response.statusCode(), value.isMissingNode() ? NullNode.getInstance() : value);
    }

    private static JsonNode check(String method, String path, Reply reply) {
        JsonNode error = reply.value().path("error");
        if (reply.status() >= 400 || (error.isTextual() && !error.asText().isEmpty())) {
            String code = error.isTextual() ? error.asText() : "error";
            String message = reply.value().path("message").asText();
            // chromedriver's messages usually begin with the error code already.
            String detail = message.startsWith(code) ? message : code + ": " + message;
            throw new IllegalStateException("WebDriver " + method + " " + path + " failed (HTTP " + reply.status() + "): " + detail);
        }
        return reply.value();
    }

    private static Map<String, Object> capabilities(Path profile) {
        Map<String, Object> chromeOptions = new LinkedHashMap<>();
        chromeOptions.put("binary", CHROMIUM.toString());
        chromeOptions.put("args", List.of(
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-quic",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--window-size=1280,2000",
                "--user-data-dir=" + profile.toAbsolutePath()));
        Map<String, Object> caps = new LinkedHashMap<>();
        caps.put("browserName", "chrome");
        caps.put("goog:chromeOptions", chromeOptions);
        caps.put("goog:loggingPrefs", Map.of("browser", "ALL"));
        return Map.of("capabilities", Map.of("alwaysMatch", caps));
    }

    /**
     * Polls GET /status until chromedriver reports ready and returns true; returns false when chromedriver
     * exits first, and fails when the timeout passes.
     */
    private static boolean awaitReady(Process driver, HttpClient http, URI base, Path log) {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (driver.isAlive()) {
            try {
                HttpRequest request = HttpRequest.newBuilder(base.resolve("status"))
                        .timeout(Duration.ofSeconds(2))
                        .GET()
                        .build();
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && JSON.readTree(response.body()).path("value").path("ready").asBoolean()) {
                    return true;
                }
            } catch (IOException e) {
                // Not listening yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for chromedriver", e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("chromedriver not ready within " + STARTUP_TIMEOUT + "; see " + log);
            }
            sleep(100);
        }
        return false;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Terminates the process and its descendants, forcibly after 5 s. */
    private static void destroy(Process process) {
        try {
            // Descendants are listed first: once chromedriver is gone, they are no longer its descendants.
            List<ProcessHandle> children = process.descendants().toList();
            process.destroy();
            children.forEach(ProcessHandle::destroy);
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            for (ProcessHandle child : children) {
                try {
                    child.onExit().get(5, TimeUnit.SECONDS);
                } catch (Exception e) {
                    child.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            process.destroyForcibly();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
