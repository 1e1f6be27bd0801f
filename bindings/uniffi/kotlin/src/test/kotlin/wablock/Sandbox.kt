package wablock

import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.concurrent.TimeUnit
import org.json.JSONArray
import org.json.JSONObject

/**
 * The `wablock-sandbox` binary, started once per test JVM. It runs with
 * `--exit-on-stdin-eof`, so it stops when the JVM (which holds its stdin) exits, even if the
 * JVM is killed.
 */
object Sandbox {
    val baseUrl: String by lazy { start() }

    private lateinit var process: Process
    private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()

    private fun start(): String {
        val binary = System.getProperty("wablock.sandbox")
            ?: error("system property wablock.sandbox (path of the wablock-sandbox binary) is not set")
        check(File(binary).canExecute()) { "no sandbox binary at $binary: run `cargo build -p wablock-sandbox`" }
        process = ProcessBuilder(binary, "--port", "0", "--exit-on-stdin-eof")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start()
        val first = BufferedReader(InputStreamReader(process.inputStream)).readLine()
            ?: error("the sandbox exited before printing its URL")
        check(first.startsWith("http://127.0.0.1:")) { "unexpected first sandbox line: $first" }
        Runtime.getRuntime().addShutdownHook(Thread {
            process.outputStream.close()
            process.waitFor(2, TimeUnit.SECONDS)
            process.destroy()
        })
        return first.trim()
    }

    /** POSTs [body] to a control endpoint (`/_sandbox/…`) and fails on a non-2xx answer. */
    fun post(path: String, body: Any = JSONObject()): String {
        val req = HttpRequest.newBuilder(URI.create(baseUrl + path))
            .timeout(Duration.ofSeconds(10))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build()
        val resp = http.send(req, HttpResponse.BodyHandlers.ofString())
        check(resp.statusCode() in 200..299) { "POST $path -> ${resp.statusCode()}: ${resp.body()}" }
        return resp.body()
    }

    fun reset() {
        post("/_sandbox/reset")
    }

    fun inbound(waId: String, phoneNumberId: String = "1000") {
        post("/_sandbox/inbound", JSONObject().put("phone_number_id", phoneNumberId).put("wa_id", waId))
    }

    /** Queues scripted responses for the next API requests. */
    fun script(vararg responses: JSONObject) {
        post("/_sandbox/script", JSONObject().put("responses", JSONArray(responses.toList())))
    }

    /** The API requests logged since the last reset. */
    fun requests(): JSONArray {
        val req = HttpRequest.newBuilder(URI.create("$baseUrl/_sandbox/requests"))
            .timeout(Duration.ofSeconds(10)).GET().build()
        val resp = http.send(req, HttpResponse.BodyHandlers.ofString())
        check(resp.statusCode() == 200) { "GET /_sandbox/requests -> ${resp.statusCode()}" }
        return JSONArray(resp.body())
    }
}
