package wablock

import java.nio.file.Path
import java.time.Instant
import java.util.concurrent.TimeUnit
import javax.crypto.Mac
import javax.crypto.spec.SecretKeySpec
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/**
 * The 24-hour window through the Kotlin bindings, on the sandbox with the 24-hour rule on and
 * a SQLite store in a temp dir: a user who has not written in 24 hours is refused and queued,
 * and blocked when the signed webhook of their next message is ingested.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WindowTest {
    private val number = "1000"
    private val stale = "+16505550000"
    private val appSecret = "sandbox-app-secret"

    @TempDir
    lateinit var dir: Path

    private fun options() = ClientOptions(baseUrl = Sandbox.baseUrl, maxAttempts = 1u, readTimeoutMs = 10_000u)

    private fun store() = dir.resolve("window.db").toString()

    /** A window over the temp store with a client for [number]. */
    private fun openWindow(token: String = "sandbox-token", secret: String? = appSecret): Window =
        Client.meta(number, token, options()).use { client ->
            // The window keeps its own reference to the client.
            Window(store(), mapOf(number to client), secret)
        }

    private fun blockedCount(): Int {
        val req = java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("${Sandbox.baseUrl}/_sandbox/state?phone_number_id=$number"),
        ).GET().build()
        val body = java.net.http.HttpClient.newHttpClient().send(req, java.net.http.HttpResponse.BodyHandlers.ofString()).body()
        return JSONObject(body).getInt("blocked_count")
    }

    /** The user writes in: the webhook body Meta would deliver, and its X-Hub-Signature-256. */
    private fun inbound(waId: String): Pair<String, String> {
        val hook = JSONObject(Sandbox.post("/_sandbox/inbound", JSONObject().put("phone_number_id", number).put("wa_id", waId)))
        return hook.getString("webhook_body") to hook.getString("signature")
    }

    private fun sign(body: ByteArray): String {
        val mac = Mac.getInstance("HmacSHA256")
        mac.init(SecretKeySpec(appSecret.toByteArray(), "HmacSHA256"))
        return "sha256=" + mac.doFinal(body).joinToString("") { "%02x".format(it) }
    }

    @BeforeEach
    fun reset() {
        Sandbox.reset()
    }

    @Test
    fun `a refused block waits for the user's next signed message`() {
        openWindow().use { window ->
            // 1. The user has not written in 24 hours: refused, and queued.
            val result = window.blockWhenPossible(number, listOf(stale))
            assertEquals(listOf(stale), result.queued)
            assertEquals(Reason.REENGAGEMENT_REQUIRED, result.outcome.failed.single().reason)
            val queued = window.pending().single()
            assertEquals(Triple(number, "16505550000", stale), Triple(queued.phoneNumberId, queued.user, queued.input))
            assertEquals(WindowState.Unknown, window.window(number, stale))
            val json = JSONObject(result.toCanonicalJson())
            assertEquals(stale, json.getJSONArray("queued").getString(0))
            assertEquals("REENGAGEMENT_REQUIRED", json.getJSONObject("outcome").getJSONArray("failed").getJSONObject(0).getString("reason"))
            assertEquals(0, blockedCount())

            // 2. They write; a tampered payload is refused and records nothing.
            val (body, signature) = inbound(stale)
            val tampered = body.replace("Hello from the sandbox", "Hello from someone else")
            assertNotEquals(body, tampered)
            val e = assertThrows<WindowException.Signature> { window.ingest(tampered.toByteArray(), signature) }
            assertEquals("SIGNATURE", e.kindName())
            assertTrue(e.toString().startsWith("SIGNATURE: "), e.toString())
            assertFalse("$e ${e.message} ${e.errorMessage}".contains(appSecret))
            // The crate's JSON, in the core's error shape, as every language prints it.
            val error = JSONObject(e.toCanonicalJson()).getJSONObject("error")
            assertEquals("SIGNATURE", error.getString("kind"))
            assertEquals(e.errorMessage, error.getString("message"))
            assertTrue(error.isNull("http_status"), error.toString())
            assertEquals(0, error.getJSONArray("not_attempted").length())
            assertFalse(e.toCanonicalJson().contains(appSecret))
            // No signature at all is refused the same way.
            assertThrows<WindowException.Signature> { window.ingest(body.toByteArray()) }
            assertEquals(1, window.pending().size)
            assertEquals(WindowState.Unknown, window.window(number, stale))
            assertEquals(0, blockedCount())

            // 3. The signed payload of the message opens the window and makes the queued block.
            val report = window.ingest(body.toByteArray(), signature)
            assertEquals(1u, report.messages)
            assertEquals(1u, report.newMessages)
            val block = report.blocks.single()
            assertEquals(stale, block.input)
            assertFalse(block.stillPending)
            assertNull(block.error)
            assertEquals("16505550000", block.outcome!!.succeeded.single().waId)
            val ingestJson = JSONObject(report.toCanonicalJson()).getJSONObject("ingest")
            assertEquals("16505550000", ingestJson.getJSONArray("blocks").getJSONObject(0)
                .getJSONObject("outcome").getJSONArray("succeeded").getJSONObject(0).getString("wa_id"))
            assertEquals(1, blockedCount())
            val state = window.window(number, stale)
            assertTrue(state is WindowState.OpenUntil && state.until.isAfter(Instant.now()), "$state")

            // 4. The queue is empty.
            assertEquals(emptyList<PendingBlock>(), window.pending())
            assertEquals("{\"pending\":[]}", window.pending().toCanonicalJson())

            // 5. Meta redelivers the same payload: nothing new, no request to the API.
            val requestsBefore = Sandbox.requests().length()
            val again = window.ingest(body.toByteArray(), signature)
            assertEquals(IngestReport(messages = 1u, newMessages = 0u, blocks = emptyList()), again)
            assertEquals("{\"ingest\":{\"blocks\":[],\"messages\":1,\"new_messages\":0}}", again.toCanonicalJson())
            assertEquals(requestsBefore, Sandbox.requests().length())
            assertEquals(emptyList<PendingBlock>(), window.pending())
            assertEquals(1, blockedCount())
        }
    }

    @Test
    fun `a store location that is not one is refused`() {
        Client.meta(number, "sandbox-token", options()).use { client ->
            val e = assertThrows<WindowException.InvalidArgument> { Window("mysql://host/db", mapOf(number to client)) }
            assertTrue(e.toString().startsWith("INVALID_ARGUMENT: "), e.toString())
            assertTrue(e.errorMessage.contains("postgres://"), e.errorMessage)
            assertThrows<WindowException.InvalidArgument> { Window("  ", mapOf(number to client)) }
            // A directory is no SQLite file: the store itself fails.
            val s = assertThrows<WindowException.Store> { Window(dir.toString(), mapOf(number to client)) }
            assertEquals("STORE", s.kindName())
        }
    }

    @Test
    fun `a malformed body is refused and records nothing`() {
        openWindow().use { window ->
            val body = "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":[{\"field\":\"messages\"," +
                "\"value\":{\"metadata\":{\"phone_number_id\":\"1000\"},\"messages\":[{\"from\":\"16505550000\"," +
                "\"type\":\"text\"}]}}]}]}"
            val e = assertThrows<WindowException.Malformed> { window.ingest(body.toByteArray(), sign(body.toByteArray())) }
            assertTrue(e.toString().startsWith("MALFORMED: "), e.toString())
            val notJson = "not json".toByteArray()
            assertThrows<WindowException.Malformed> { window.ingest(notJson, sign(notJson)) }
            assertEquals(WindowState.Unknown, window.window(number, stale))
        }
    }

    @Test
    fun `other refusals keep the crate's kinds and the core's accounting`() {
        // A whole-call failure: the core's error, every user accounted for, nothing queued.
        openWindow(token = "not-the-token").use { window ->
            val e = assertThrows<WindowException.Block> { window.blockWhenPossible(number, listOf(stale, "+16505551234")) }
            val core = e.blockError
            assertTrue(core is WablockException.Auth, "$core")
            core as WablockException.Auth
            val accounted = core.notAttempted + core.partial?.failed.orEmpty().map { it.input }
            assertEquals(listOf(stale, "+16505551234").sorted(), accounted.sorted())
            assertEquals("BLOCK: $core", e.toString())
            assertFalse(e.toString().contains("not-the-token"))
            // BLOCK's JSON is the core error's own, with its accounting.
            assertEquals(core.toCanonicalJson(), e.toCanonicalJson())
            assertEquals("AUTH", JSONObject(e.toCanonicalJson()).getJSONObject("error").getString("kind"))
            assertFalse(e.toCanonicalJson().contains("not-the-token"))
            assertEquals(emptyList<PendingBlock>(), window.pending())
        }
        openWindow().use { window ->
            assertThrows<WindowException.InvalidArgument> { window.blockWhenPossible("2000", listOf(stale)) }
            assertThrows<WindowException.InvalidArgument> { window.cancelPending(number, emptyList()) }
            assertThrows<WindowException.InvalidArgument> { window.window(number, "not a user") }
            window.blockWhenPossible(number, listOf(stale))
            val cancelled = window.cancelPending(number, listOf(stale, "+16505551234", "nope"))
            assertEquals(listOf(stale), cancelled.cancelled)
            assertEquals(listOf("+16505551234"), cancelled.notPending)
            assertEquals(listOf("nope"), cancelled.invalid.map { it.input })
            assertEquals(emptyList<PendingBlock>(), window.pending())
        }
    }

    @Test
    fun `a block with no client for its number stays queued until process_pending makes it`() {
        openWindow().use { window ->
            window.blockWhenPossible(number, listOf(stale))
            val (body, signature) = inbound(stale)
            // Another receiver over the same store, with no client for the number.
            Window(store(), emptyMap(), appSecret, java.time.Duration.ofSeconds(30)).use { receiver ->
                val block = receiver.ingest(body.toByteArray(), signature).blocks.single()
                assertTrue(block.stillPending)
                assertNull(block.outcome)
                assertTrue(block.error is WablockException.InvalidArgument, "${block.error}")
                assertEquals(listOf(stale), (block.error as WablockException.InvalidArgument).notAttempted)
                val json = JSONObject(block.toCanonicalJson())
                assertEquals("INVALID_ARGUMENT", json.getJSONObject("error").getString("kind"))
            }
            assertEquals(1, window.pending().size)
            val made = window.processPending().single()
            assertFalse(made.stillPending)
            assertEquals(stale, made.outcome!!.succeeded.single().input)
            assertEquals(emptyList<PendingBlock>(), window.pending())
            assertEquals(1, blockedCount())
        }
    }

    @Test
    fun `suspend forms run the same flow off the caller's thread`(): Unit = runBlocking {
        val caller = Thread.currentThread()
        Client.meta(number, "sandbox-token", options()).use { client ->
            AsyncWindow.open(store(), mapOf(number to client), appSecret).use { aw ->
                // runBlocking has one thread: the ticker only runs while the call waits elsewhere.
                Sandbox.post("/_sandbox/config", JSONObject().put("latency_ms", 300))
                var ticks = 0
                val ticker = launch {
                    while (true) {
                        delay(10)
                        ticks++
                    }
                }
                assertEquals(listOf(stale), aw.blockWhenPossible(number, listOf(stale)).queued)
                ticker.cancelAndJoin()
                assertTrue(ticks >= 5, "the call held the caller's thread ($ticks ticks)")
                Sandbox.post("/_sandbox/config", JSONObject().put("latency_ms", 0))
                val (body, signature) = inbound(stale)
                assertThrows<WindowException.Signature> { runBlocking { aw.ingest(body.toByteArray(), "sha256=00") } }
                val report = aw.ingest(body.toByteArray(), signature)
                assertEquals(stale, report.blocks.single().outcome!!.succeeded.single().input)
                assertTrue(aw.window(number, stale) is WindowState.OpenUntil)
                assertEquals(emptyList<PendingBlock>(), aw.pending())
                assertEquals(emptyList<QueuedBlockResult>(), aw.processPending())
                assertEquals(listOf(stale), aw.cancelPending(number, listOf(stale)).notPending)
                assertEquals(caller, Thread.currentThread())
            }
        }
        assertEquals(1, blockedCount())
    }

    @Test
    fun `a cancelled coroutine stops a 64,000-user blockWhenPossible part-way and queues nothing`(): Unit = runBlocking {
        // The 24-hour rule is on: every user is refused, and would be queued.
        val users = (0 until 64_000).map { "1650%07d".format(2_000_000 + it) }
        val parallelism = 2
        val batched = options().copy(maxBatch = 1000u, parallelism = parallelism.toUInt())
        Client.meta(number, "sandbox-token", batched).use { client ->
            AsyncWindow.open(store(), mapOf(number to client), appSecret).use { aw ->
                Sandbox.post("/_sandbox/config", JSONObject().put("latency_ms", 20))
                var caught: CancellationException? = null
                val job = launch(Dispatchers.Default) {
                    try {
                        aw.blockWhenPossible(number, users)
                    } catch (e: CancellationException) {
                        caught = e
                        throw e
                    }
                }
                while (posts() < 4) delay(5)
                // Cancelling triggers the call's token synchronously: no new batch starts.
                job.cancel()
                val atCancel = posts()
                job.join()
                val atEnd = posts()
                assertTrue(atEnd - atCancel <= parallelism, "requests after the cancel: $atCancel then $atEnd")
                assertTrue(atEnd < 64, "the call was not stopped: $atEnd requests")
                // The call ended CANCELLED, with every input accounted for once.
                val cancelled = caught?.cancelledWindowCall ?: error("no CANCELLED error attached to $caught")
                assertEquals(ErrorKind.CANCELLED, cancelled.kind())
                val refused = cancelled.partial?.failed.orEmpty()
                assertTrue(refused.all { it.reason == Reason.REENGAGEMENT_REQUIRED })
                assertTrue(cancelled.partial?.succeeded.orEmpty().isEmpty())
                assertEquals(atEnd * 1000, refused.size)
                assertEquals(users.sorted(), (refused.map { it.input } + cancelled.notAttempted).sorted())
                // It failed as a whole: nothing is queued, and nothing is sent after it ended.
                assertEquals(emptyList<PendingBlock>(), aw.pending())
                assertEquals(atEnd, posts(), "a request was sent after the call returned")

                // A call whose coroutine is already cancelled does not start.
                Sandbox.post("/_sandbox/config", JSONObject().put("latency_ms", 0))
                val requests = Sandbox.requests().length()
                val never = async { aw.blockWhenPossible(number, listOf(stale)) }
                never.cancel()
                assertThrows<CancellationException> { runBlocking { never.await() } }
                assertEquals(requests, Sandbox.requests().length())
            }
        }
    }

    @Test
    fun `a cancelled ingest takes up no further queued block, and the rest is made later`(): Unit = runBlocking {
        val users = listOf("+16505550000", "+16505550001", "+16505550002")
        Client.meta(number, "sandbox-token", options()).use { client ->
            AsyncWindow.open(store(), mapOf(number to client), appSecret).use { aw ->
                assertEquals(users, aw.blockWhenPossible(number, users).queued)
                // All three write in. A receiver with no client records the first two (their
                // blocks stay queued); the third's payload then opens every window at once.
                val hooks = users.map { inbound(it.removePrefix("+")) }
                Window(store(), emptyMap(), appSecret).use { recorder ->
                    hooks.take(2).forEach { (body, signature) ->
                        assertTrue(recorder.ingest(body.toByteArray(), signature).blocks.all { it.stillPending })
                    }
                }
                assertEquals(3, aw.pending().size)
                // A token cancelled before the call: nothing is recorded, nothing is sent.
                val (body, signature) = hooks[2]
                val before = posts()
                CancelToken().use { token ->
                    token.cancel()
                    aw.window.withCancel(token).use { cancelled ->
                        val e = assertThrows<WindowException.Block> { cancelled.ingest(body.toByteArray(), signature) }
                        assertTrue(e.blockError is WablockException.Cancelled, "${e.blockError}")
                        assertThrows<WindowException.Block> { cancelled.processPending() }
                    }
                }
                assertEquals(WindowState.Unknown, aw.window(number, users[2]))
                assertEquals(before, posts())

                // Cancelled while the first queued block's request is in flight: that block is
                // made, and the other two are not taken up.
                Sandbox.post("/_sandbox/config", JSONObject().put("latency_ms", 300))
                val call = async(Dispatchers.Default) { aw.ingest(body.toByteArray(), signature) }
                while (posts() == before) delay(5)
                call.cancel()
                assertThrows<CancellationException> { runBlocking { call.await() } }
                assertEquals(before + 1, posts())
                assertEquals(1, blockedCount())
                val left = aw.pending()
                assertEquals(2, left.size)
                assertTrue(left.all { it.claimOwner == null }, "$left")
                assertTrue(aw.window(number, users[2]) is WindowState.OpenUntil)

                // Nothing was lost: processPending makes the other two.
                Sandbox.post("/_sandbox/config", JSONObject().put("latency_ms", 0))
                val made = aw.processPending()
                assertEquals(2, made.size)
                assertTrue(made.none { it.stillPending })
                assertEquals(emptyList<PendingBlock>(), aw.pending())
                assertEquals(3, blockedCount())
            }
        }
    }

    /** Block requests the sandbox received (its control calls left out). */
    private fun posts() = Sandbox.requests().map { it as JSONObject }
        .count { it.getString("method") == "POST" && !it.getString("path").startsWith("/_sandbox/") }
}
