package wablock

import java.net.ServerSocket
import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.assertThrows

/** The Kotlin API against the sandbox: operations, one exception class per kind, progress, threads. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ApiTest {
    private val token = "sandbox-token"

    /** Small, fast retries so that fault tests finish in milliseconds. */
    private fun options(vararg tweaks: (ClientOptions) -> ClientOptions): ClientOptions =
        tweaks.fold(
            ClientOptions(
                baseUrl = Sandbox.baseUrl, maxAttempts = 2u, initialBackoffMs = 1u, maxBackoffMs = 20u,
                jitter = false, readTimeoutMs = 2000u, connectTimeoutMs = 2000u, parallelism = 1u,
            ),
        ) { o, f -> f(o) }

    private fun client(o: ClientOptions = options()) = Client.meta("1000", token, o)

    private fun graphError(status: Int, code: Int, message: String) = JSONObject()
        .put("status", status)
        .put("json", JSONObject().put("error", JSONObject()
            .put("message", message).put("type", "OAuthException").put("code", code).put("fbtrace_id", "TraceKotlin")))

    @BeforeEach
    fun reset() = Sandbox.reset()

    @Test
    fun `block, list, iterate, check and unblock`() {
        val users = listOf("16505550001", "16505550002", "16505550003")
        users.forEach { Sandbox.inbound(it) }
        client().use { c ->
            val outcome = c.block(listOf("+1 (650) 555-0001", "16505550002", "16505550003", "16505550002", "nope"))
            assertEquals(Operation.BLOCK, outcome.operation)
            assertEquals(listOf("+1 (650) 555-0001", "16505550002", "16505550003", "16505550002"), outcome.succeeded.map { it.input })
            assertEquals("+16505550001", outcome.succeeded[0].sent)
            assertEquals("16505550001", outcome.succeeded[0].waId)
            val invalid = outcome.failed.single()
            assertEquals("nope", invalid.input)
            assertEquals(Reason.INVALID_USER, invalid.reason)
            assertNull(invalid.sent)
            assertEquals(reasonHint(Reason.INVALID_USER), invalid.hint)
            assertEquals("INVALID_USER", reasonCanonicalName(invalid.reason))
            assertEquals(1u, outcome.requests)
            // The JSON is the core's: key-sorted, compact, with the outcome wrapper.
            val json = JSONObject(outcomeToCanonicalJson(outcome)).getJSONObject("outcome")
            assertEquals("block", json.getString("operation"))
            assertEquals(4, json.getJSONArray("succeeded").length())

            val page = c.listPage(limit = 2u)
            assertEquals(listOf("16505550001", "16505550002"), page.users.map { it.waId })
            assertTrue(page.hasMore)
            assertNotNull(page.after)
            val next = c.listPage(limit = 2u, after = page.after)
            assertEquals(listOf("16505550003"), next.users.map { it.waId })
            assertTrue(JSONObject(pageToCanonicalJson(next)).has("page"))

            val seen = mutableListOf<String?>()
            c.blockedUsers(pageSize = 2u).use { it ->
                while (true) seen += (it.next() ?: break).waId
                assertNull(it.next(), "an exhausted iterator stays exhausted")
            }
            assertEquals(users, seen)

            assertTrue(c.isBlocked("+1 650 555 0003"))
            val removed = c.unblock(listOf("16505550003"))
            assertEquals(Operation.UNBLOCK, removed.operation)
            assertEquals(listOf("16505550003"), removed.succeeded.map { it.input })
            assertFalse(c.isBlocked("16505550003"))
        }
    }

    @Test
    fun `360dialog client speaks its dialect`() {
        Sandbox.inbound("16505550001", phoneNumberId = "100000000360360")
        Client.dialog360("sandbox-key", options()).use { c ->
            assertEquals(listOf("16505550001"), c.block(listOf("16505550001")).succeeded.map { it.waId })
        }
        val req = Sandbox.requests().getJSONObject(0)
        assertEquals("/block_users", req.getString("path"))
        assertEquals("d360", req.getString("auth"))
    }

    @Test
    fun `per-user refusal is an outcome, not an exception`() {
        client().use { c ->
            val failure = c.block(listOf("16505559999")).failed.single()
            assertEquals(Reason.REENGAGEMENT_REQUIRED, failure.reason)
            assertEquals(131047L, failure.code)
        }
    }

    @Test
    fun `INVALID_ARGUMENT for an empty list and for a bad configuration`() {
        client().use { c ->
            val e = assertThrows<WablockException.InvalidArgument> { c.block(emptyList()) }
            assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind())
            assertEquals("INVALID_ARGUMENT", e.kindName())
            assertEquals(1u, e.kind().code())
            assertFalse(e.retryable)
            assertTrue(e.errorMessage.isNotEmpty())
            assertEquals("INVALID_ARGUMENT", JSONObject(e.toCanonicalJson()).getJSONObject("error").getString("kind"))
        }
        assertThrows<WablockException.InvalidArgument> { client(options({ it.copy(maxBatch = 0u) })) }
        assertThrows<WablockException.InvalidArgument> { client(options({ it.copy(baseUrl = "ftp://example.com") })) }
        // A cursor the core refuses before any request.
        client().use { c -> assertThrows<WablockException.InvalidArgument> { c.listPage(after = "") } }
        assertEquals(0, Sandbox.requests().length(), "nothing is sent for a caller error")
    }

    @Test
    fun `AUTH carries every field and never the token`() {
        val secret = "EAAG-very-secret-token"
        Client.meta("1000", secret, options()).use { c ->
            val e = assertThrows<WablockException.Auth> { c.block(listOf("+1 650 555 0001", "16505550002")) }
            assertEquals(401.toUShort(), e.httpStatus)
            assertEquals(190L, e.code)
            assertNotNull(e.fbtraceId)
            assertFalse(e.retryable)
            assertNull(e.partial)
            assertEquals(listOf("+1 650 555 0001", "16505550002"), e.notAttempted)
            // toString() is the core's Display, Graph code included, as in every language.
            assertEquals("AUTH: ${e.errorMessage} (code 190)", e.toString())
            for (text in listOf(e.message, e.toString(), e.errorMessage, e.toCanonicalJson(), c.toString())) {
                assertFalse(text.orEmpty().contains(secret), "token leaked in: $text")
            }
        }
    }

    @Test
    fun `RATE_LIMITED after the retries, with a retryable flag`() {
        val throttled = graphError(400, 130429, "Rate limit hit")
        Sandbox.script(throttled, throttled)
        client().use { c ->
            val e = assertThrows<WablockException.RateLimited> { c.block(listOf("16505550001")) }
            assertEquals(130429L, e.code)
            assertTrue(e.retryable)
            assertEquals(ErrorKind.RATE_LIMITED, e.kind())
        }
        assertEquals(2, Sandbox.requests().length(), "max_attempts = 2")
    }

    @Test
    fun `SERVER, REJECTED and BLOCKLIST_FULL by Graph code`() {
        client(options({ it.copy(maxAttempts = 1u) })).use { c ->
            Sandbox.script(graphError(500, 131000, "Something went wrong"))
            assertThrows<WablockException.Server> { c.block(listOf("16505550001")) }
            Sandbox.script(graphError(400, 100, "Invalid parameter"))
            val rejected = assertThrows<WablockException.Rejected> { c.block(listOf("16505550001")) }
            assertEquals(100L, rejected.code)
            assertEquals("TraceKotlin", rejected.fbtraceId)
            Sandbox.script(graphError(400, 139101, "Blocklist limit reached"))
            assertThrows<WablockException.BlocklistFull> { c.block(listOf("16505550001")) }
            Sandbox.script(graphError(400, 139102, "Blocklist concurrent update"))
            assertThrows<WablockException.ConcurrentUpdate> { c.listPage() }
        }
    }

    @Test
    fun `NETWORK on a closed port`() {
        val port = ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()).use { it.localPort }
        client(options({ it.copy(baseUrl = "http://127.0.0.1:$port", maxAttempts = 1u) })).use { c ->
            val e = assertThrows<WablockException.Network> { c.block(listOf("16505550001")) }
            assertTrue(e.retryable)
            assertEquals(listOf("16505550001"), e.notAttempted)
        }
    }

    @Test
    fun `TIMEOUT on a slow answer`() {
        Sandbox.script(JSONObject().put("status", 200).put("body", "{}").put("delay_ms", 1500))
        client(options({ it.copy(readTimeoutMs = 200u, maxAttempts = 1u) })).use { c ->
            // Had the delay ended first, the empty answer would be an outcome (every user
            // UNCONFIRMED), not an exception: TIMEOUT means the read timeout ended the call.
            val e = assertThrows<WablockException.Timeout> { c.block(listOf("16505550001")) }
            assertTrue(e.retryable)
            assertEquals(listOf("16505550001"), e.notAttempted)
        }
        assertEquals(1, Sandbox.requests().length(), "max_attempts = 1: one request, no retry")
    }

    @Test
    fun `PROTOCOL on a body that is not JSON`() {
        Sandbox.script(JSONObject().put("status", 200).put("body", "<html>not json</html>"))
        client(options({ it.copy(maxAttempts = 1u) })).use { c ->
            val e = assertThrows<WablockException.Protocol> { c.block(listOf("16505550001")) }
            assertFalse(e.retryable)
            assertEquals(200.toUShort(), e.httpStatus)
        }
    }

    /** Records every call; returns [goOn] for it. */
    private class Recorder(val goOn: (ULong, ULong) -> Boolean = { _, _ -> true }) : ProgressListener {
        val calls: MutableList<Pair<ULong, ULong>> = Collections.synchronizedList(mutableListOf())
        override fun onProgress(done: ULong, total: ULong): Boolean {
            calls += done to total
            return goOn(done, total)
        }
    }

    @Test
    fun `progress callback reports every batch`() {
        val users = (1..5).map { "1650555000$it" }
        users.forEach { Sandbox.inbound(it) }
        val recorder = Recorder()
        client(options({ it.copy(maxBatch = 2u) })).use { c ->
            val outcome = c.block(users + "not a phone", recorder)
            assertEquals(5, outcome.succeeded.size)
        }
        assertEquals(3, Sandbox.requests().length(), "5 users in batches of 2")
        assertTrue(recorder.calls.isNotEmpty())
        assertTrue(recorder.calls.all { it.second == 5uL }, "total counts the distinct valid users: ${recorder.calls}")
        assertEquals(recorder.calls.map { it.first }.sorted(), recorder.calls.map { it.first }, "done only grows")
        assertEquals(5uL, recorder.calls.last().first)
    }

    @Test
    fun `CANCELLED when the callback returns false, with partial and not_attempted`() {
        val users = (1..6).map { "1650555000$it" }
        users.forEach { Sandbox.inbound(it) }
        val recorder = Recorder { _, _ -> false }
        client(options({ it.copy(maxBatch = 2u) })).use { c ->
            val e = assertThrows<WablockException.Cancelled> { c.block(users, recorder) }
            assertEquals(ErrorKind.CANCELLED, e.kind())
            assertEquals(12u, e.kind().code())
            val partial = e.partial ?: error("a cancelled call carries the partial outcome")
            // Every input is accounted for exactly once, between partial and not_attempted.
            val accounted = partial.succeeded.map { it.input } + partial.failed.map { it.input } + e.notAttempted
            assertEquals(users.sorted(), accounted.sorted())
            assertTrue(e.notAttempted.isNotEmpty())
        }
        assertEquals(1, recorder.calls.size, "no batch starts after a cancel")
        assertEquals(1, Sandbox.requests().length())
    }

    @Test
    fun `a throwing listener ends the call as CANCELLED, with accounting and no panic`() {
        val users = (1..4).map { "1650555000$it" }
        users.forEach { Sandbox.inbound(it) }
        val thrower = object : ProgressListener {
            override fun onProgress(done: ULong, total: ULong): Boolean = throw IllegalStateException("listener bug")
        }
        client(options({ it.copy(maxBatch = 1u) })).use { c ->
            // CANCELLED, not INTERNAL: no panic happened (a caught panic is INTERNAL, and its
            // hook is what printed the trace).
            val e = assertThrows<WablockException.Cancelled> { c.block(users, thrower) }
            val partial = e.partial ?: error("a cancelled call carries the partial outcome")
            val accounted = partial.succeeded.map { it.input } + partial.failed.map { it.input } + e.notAttempted
            assertEquals(users.sorted(), accounted.sorted())
            assertEquals(1, partial.succeeded.size, "one batch, then the listener threw")
            assertTrue(c.isBlocked("16505550001"), "the client is still usable")
        }
        assertEquals(1, Sandbox.requests().count { (it as JSONObject).getString("method") == "POST" })
    }

    @Test
    fun `a throwing lambda listener rethrows its own exception, with the accounting suppressed`() {
        val users = (1..4).map { "1650555000$it" }
        users.forEach { Sandbox.inbound(it) }
        client(options({ it.copy(maxBatch = 1u) })).use { c ->
            val e = assertThrows<IllegalStateException> { c.block(users) { _, _ -> throw IllegalStateException("mine") } }
            assertEquals("mine", e.message)
            val cancelled = e.suppressed.single() as WablockException.Cancelled
            val partial = cancelled.partial!!
            assertEquals(users.sorted(), (partial.succeeded.map { it.input } + cancelled.notAttempted).sorted())
            val seen = mutableListOf<ULong>()
            assertEquals(4, c.unblock(users) { done, _ -> seen += done; true }.succeeded.size)
            assertEquals(listOf(1uL, 2uL, 3uL, 4uL), seen)
        }
    }

    @Test
    fun `the blocklist in a for loop and as a Sequence, and Java factories`() {
        val users = (1..5).map { "1650555000$it" }
        users.forEach { Sandbox.inbound(it) }
        Clients.meta("1000", token, options()).use { c ->
            c.block(users)
            val looped = mutableListOf<String>()
            for (u in c.blockedUsers(pageSize = 2u)) looped += u.waId!!
            assertEquals(users, looped)
            val pagesBefore = Sandbox.requests().length()
            // Lazy: taking two users of a page size of 2 fetches exactly one page.
            assertEquals(users.take(2), c.blockedUserSequence(pageSize = 2u).take(2).map { it.waId!! }.toList())
            assertEquals(pagesBefore + 1, Sandbox.requests().length())
        }
        assertThrows<WablockException.InvalidArgument> { Clients.meta("1000", token, options({ it.copy(maxBatch = 0u) })) }
    }

    @Test
    fun `one client used from two threads at once`() {
        val a = (1..40).map { "165055510%02d".format(it) }
        val b = (1..40).map { "165055520%02d".format(it) }
        (a + b).forEach { Sandbox.inbound(it) }
        client(options({ it.copy(maxBatch = 5u, parallelism = 2u) })).use { c ->
            val pool = Executors.newFixedThreadPool(2)
            try {
                val start = CountDownLatch(1)
                val jobs = listOf(a, b).map { users ->
                    pool.submit<Outcome> {
                        start.await()
                        c.block(users, Recorder())
                    }
                }
                start.countDown()
                val outcomes = jobs.map { it.get(30, TimeUnit.SECONDS) }
                assertEquals(a, outcomes[0].succeeded.map { it.input })
                assertEquals(b, outcomes[1].succeeded.map { it.input })
                assertTrue(outcomes.all { it.failed.isEmpty() })
            } finally {
                pool.shutdownNow()
            }
            val listed = mutableSetOf<String>()
            c.blockedUsers(pageSize = 25u).use { it -> while (true) listed += (it.next() ?: break).waId!! }
            assertEquals((a + b).toSet(), listed)
        }
        assertEquals(16, Sandbox.requests().count { (it as JSONObject).getString("method") == "POST" })
    }

    @Test
    fun `the iterator ends after an error`() {
        Sandbox.script(graphError(401, 190, "Error validating access token"))
        client().use { c ->
            c.blockedUsers().use { it ->
                assertThrows<WablockException.Auth> { it.next() }
                assertNull(it.next())
            }
        }
    }
}
