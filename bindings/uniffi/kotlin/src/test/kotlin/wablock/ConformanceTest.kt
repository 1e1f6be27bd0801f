package wablock

import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.fail

/**
 * Runs every conformance vector (tests/conformance/README.md) through the Kotlin bindings
 * against the sandbox binary, and writes each canonical result to
 * build/conformance/kotlin/<file>.json for `make conformance-compare`.
 */
class ConformanceTest {
    private val vectorsDir = File(System.getProperty("wablock.vectors") ?: "tests/conformance/vectors")
    private val outDir = File(System.getProperty("wablock.conformance.out") ?: "build/conformance/kotlin")
    private val http: HttpClient = HttpClient.newHttpClient()

    private fun vectorFiles(): List<File> =
        (vectorsDir.listFiles { f -> f.isFile && f.name.endsWith(".json") } ?: emptyArray()).sortedBy { it.name }

    @Test
    fun `the vectors are there`() {
        // An empty or misplaced vector directory would make the suite pass vacuously.
        assertTrue(vectorFiles().isNotEmpty(), "no conformance vectors in $vectorsDir")
    }

    @TestFactory
    fun vectors(): List<DynamicTest> = vectorFiles().map { file ->
        DynamicTest.dynamicTest(file.nameWithoutExtension) { check(file) }
    }

    private fun check(file: File) {
        val vector = JSONObject(file.readText())
        val actual = run(vector)
        outDir.mkdirs()
        File(outDir, file.nameWithoutExtension + ".json").writeText(actual)

        val problems = mutableListOf<String>()
        val expect = vector.getJSONObject("expect")
        val want = canonical(expect.get("result"))
        if (want != actual) problems += "result differs:\n  expected $want\n  got      $actual"
        expect.optJSONArray("requests")?.let { wantRequests ->
            val got = Sandbox.requests().let { if (vector.has("fleet")) FleetVectors.byPath(it) else it }
            if (wantRequests.length() != got.length()) {
                problems += "expected ${wantRequests.length()} request(s), the sandbox saw ${got.length()}: " +
                    (0 until got.length()).joinToString { got.getJSONObject(it).let { r -> "${r.opt("method")} ${r.opt("path")}" } }
            }
            for (i in 0 until minOf(wantRequests.length(), got.length())) {
                val w = wantRequests.getJSONObject(i)
                val g = got.getJSONObject(i)
                for (k in w.keySet().sorted()) {
                    val wv = canonical(w.opt(k))
                    val gv = canonical(g.opt(k))
                    if (wv != gv) problems += "request $i $k: expected $wv, got $gv"
                }
            }
        }
        val knownBug = vector.optString("known_core_bug", "")
        when {
            knownBug.isNotEmpty() && problems.isEmpty() ->
                fail("marked known_core_bug ($knownBug) but now passes: the marker is stale")
            knownBug.isNotEmpty() ->
                println("EXPECTED FAILURE ${file.name} (known_core_bug: $knownBug)\n  " + problems.joinToString("\n  "))
            problems.isNotEmpty() -> fail("${file.name}: " + problems.joinToString("\n"))
        }
    }

    /** Canonical JSON text of any org.json value, written by the core (`canonicalJson`). */
    private fun canonical(value: Any?): String = canonicalJson(JSONObject.valueToString(value))

    /** Resets the sandbox, applies the setup, builds the client, runs the operation. */
    private fun run(vector: JSONObject): String {
        Sandbox.reset()
        val setup = vector.optJSONArray("setup") ?: JSONArray()
        for (i in 0 until setup.length()) control(setup.getJSONObject(i))
        if (vector.has("fleet")) return FleetVectors.run(vector) { buildClient(it) }
        val client = try {
            buildClient(vector.optJSONObject("client") ?: JSONObject())
        } catch (e: WablockException) {
            return e.toCanonicalJson()
        }
        return client.use { runOperation(it, vector.getJSONObject("operation")) }
    }

    private fun control(step: JSONObject) {
        val method = step.optString("method", "POST")
        val body = if (step.has("body") && !step.isNull("body")) step.get("body").toString() else "{}"
        val req = HttpRequest.newBuilder(URI.create(Sandbox.baseUrl + step.getString("path")))
            .timeout(Duration.ofSeconds(10))
            .header("content-type", "application/json")
            .method(method, if (method == "GET") HttpRequest.BodyPublishers.noBody() else HttpRequest.BodyPublishers.ofString(body))
            .build()
        val resp = http.send(req, HttpResponse.BodyHandlers.ofString())
        check(resp.statusCode() in 200..299) { "setup $method ${step.getString("path")} -> ${resp.statusCode()}: ${resp.body()}" }
    }

    private fun JSONObject.long(key: String, default: Long): Long = if (isNull(key)) default else getLong(key)
    private fun JSONObject.str(key: String, default: String): String = if (isNull(key)) default else getString(key)

    /** The client of a vector's `client` object, with the README's defaults. */
    private fun buildClient(spec: JSONObject): Client {
        val retry = spec.optJSONObject("retry") ?: JSONObject()
        val options = ClientOptions(
            baseUrl = Sandbox.baseUrl,
            apiVersion = spec.str("api_version", "v25.0"),
            connectTimeoutMs = spec.long("connect_timeout_ms", 2000).toULong(),
            readTimeoutMs = spec.long("read_timeout_ms", 2000).toULong(),
            deadlineMs = if (spec.isNull("deadline_ms")) null else spec.getLong("deadline_ms").toULong(),
            maxAttempts = retry.long("max_attempts", 4).toUInt(),
            initialBackoffMs = retry.long("initial_backoff_ms", 1).toULong(),
            maxBackoffMs = retry.long("max_backoff_ms", 50).toULong(),
            jitter = if (retry.isNull("jitter")) false else retry.getBoolean("jitter"),
            maxBatch = spec.long("max_batch", 1000).toUInt(),
            parallelism = spec.long("parallelism", 1).toUInt(),
            maxResponseBytes = spec.long("max_response_bytes", 8388608).toULong(),
            listRestartBudget = spec.long("list_restart_budget", 3).toUInt(),
        )
        return when (val provider = spec.str("provider", "meta")) {
            "meta" -> Client.meta(spec.str("phone_number_id", "1000"), spec.str("access_token", "sandbox-token"), options)
            "360dialog" -> Client.dialog360(spec.str("api_key", "sandbox-key"), options)
            else -> error("client.provider $provider is not meta or 360dialog")
        }
    }

    /** The canonical result of a vector's operation: the core's JSON, or a composite of it. */
    private fun runOperation(client: Client, op: JSONObject): String {
        fun optUInt(key: String): UInt? = if (op.isNull(key)) null else op.getLong(key).toUInt()
        fun optStr(key: String): String? = if (op.isNull(key)) null else op.getString(key)
        return when (val name = op.getString("op")) {
            "block", "unblock" -> {
                val users = op.getJSONArray("users").map { it as String }
                try {
                    outcomeToCanonicalJson(if (name == "block") client.block(users) else client.unblock(users))
                } catch (e: WablockException) {
                    e.toCanonicalJson()
                }
            }
            "list_page" -> try {
                pageToCanonicalJson(client.listPage(optUInt("limit"), optStr("after"), optStr("before")))
            } catch (e: WablockException) {
                e.toCanonicalJson()
            }
            "blocked_users" -> {
                // The walk's shape is the core's: the runner only collects what the iterator gave.
                val users = mutableListOf<BlockedUser>()
                var error: WablockException? = null
                client.blockedUsers(optUInt("page_size")).use { it ->
                    while (true) {
                        val user = try {
                            it.next()
                        } catch (e: WablockException) {
                            error = e
                            null
                        } ?: break
                        users += user
                    }
                }
                blockedUsersCanonicalJson(users, error)
            }
            "is_blocked" -> try {
                isBlockedCanonicalJson(client.isBlocked(op.getString("user")))
            } catch (e: WablockException) {
                e.toCanonicalJson()
            }
            else -> error("unknown operation $name")
        }
    }
}
