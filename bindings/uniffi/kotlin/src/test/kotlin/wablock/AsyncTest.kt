package wablock

import java.util.concurrent.TimeUnit
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.assertThrows

/** AsyncClient against the sandbox: suspend functions, coroutine cancellation, Flow. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AsyncTest {
    private val token = "sandbox-token"
    private val parallelism = 2u

    private fun options(latencyFree: Boolean = false) = ClientOptions(
        baseUrl = Sandbox.baseUrl, maxAttempts = 1u, readTimeoutMs = 10_000u, connectTimeoutMs = 2000u,
        maxBatch = 1000u, parallelism = if (latencyFree) 1u else parallelism,
    )

    /** 64,000 distinct valid numbers: 64 batches of 1,000. */
    private val users = (0 until 64_000).map { "1650%07d".format(2_000_000 + it) }

    private fun postCount() = Sandbox.requests().count { (it as JSONObject).getString("method") == "POST" }

    private fun assertAccounted(e: WablockException.Cancelled, requests: Int) {
        // No partial outcome when no batch had finished.
        val answered = e.partial?.let { p -> p.succeeded.map { it.input } + p.failed.map { it.input } }.orEmpty()
        // Every input exactly once, in partial or in not_attempted.
        assertEquals(users.size, answered.size + e.notAttempted.size)
        assertEquals(users.toSet(), (answered + e.notAttempted).toSet())
        // The batches sent all finished: their users are answered, the rest never sent.
        assertEquals(requests * 1000, answered.size)
    }

    @BeforeEach
    fun reset() {
        Sandbox.reset()
        Sandbox.post("/_sandbox/config", JSONObject().put("latency_ms", 20))
    }

    @Test
    fun `suspend calls run off the caller's thread and return what the blocking calls return`(): Unit = runBlocking {
        Sandbox.post("/_sandbox/config", JSONObject().put("latency_ms", 0))
        listOf("16505550001", "16505550002").forEach { Sandbox.inbound(it) }
        AsyncClient.meta("1000", token, options()).use { ac ->
            val caller = Thread.currentThread()
            var ranOn: Thread? = null
            val outcome = ac.block(listOf("16505550001", "16505550002", "nope"), object : ProgressListener {
                override fun onProgress(done: ULong, total: ULong): Boolean {
                    ranOn = Thread.currentThread()
                    return true
                }
            })
            assertEquals(2, outcome.succeeded.size)
            assertNotEquals(caller, ranOn, "the call ran on the caller's thread")
            assertTrue(ac.isBlocked("+1 650 555 0002"))
            assertEquals(1, ac.listPage(limit = 1u).users.size)
            assertEquals(listOf("16505550001", "16505550002"), ac.blockedUsers(pageSize = 1u).map { it.waId!! }.toList())
            assertEquals(2, ac.unblock(listOf("16505550001", "16505550002")).succeeded.size)
            assertThrows<WablockException.InvalidArgument> { runBlocking { ac.block(emptyList()) } }
        }
    }

    @Test
    fun `cancelling the coroutine stops a 64,000-user block part-way, every input accounted for`(): Unit = runBlocking {
        AsyncClient.meta("1000", token, options()).use { ac ->
            var caught: CancellationException? = null
            val job = launch(Dispatchers.Default) {
                try {
                    ac.block(users)
                } catch (e: CancellationException) {
                    caught = e
                    throw e
                }
            }
            while (postCount() < 4) delay(5)
            // Cancelling triggers the core's token synchronously: from here on, no new batch
            // starts. Batches already sent (at most `parallelism`, perhaps not logged yet) finish.
            job.cancel()
            val atCancel = postCount()
            job.join()
            val atEnd = postCount()
            assertTrue(atEnd - atCancel <= parallelism.toInt(), "requests after the cancel: $atCancel then $atEnd")
            assertTrue(atEnd < 64, "the call was not stopped: $atEnd requests")
            val cancelled = caught?.cancelledCall ?: error("no CANCELLED error attached to $caught")
            assertEquals(ErrorKind.CANCELLED, cancelled.kind())
            assertAccounted(cancelled, atEnd)
            assertEquals(atEnd, postCount(), "a request was sent after the call returned")
        }
    }

    @Test
    fun `withTimeout bounds a 64,000-user block, and the client deadline gives TIMEOUT`(): Unit = runBlocking {
        AsyncClient.meta("1000", token, options()).use { ac ->
            // 64 batches, two at a time, 20 ms each: at least 640 ms; the timeout is 500 ms.
            var caught: CancellationException? = null
            assertThrows<TimeoutCancellationException> {
                runBlocking {
                    withTimeout(500) {
                        try {
                            ac.block(users)
                        } catch (e: CancellationException) {
                            caught = e
                            throw e
                        }
                    }
                }
            }
            val requests = postCount()
            assertTrue(requests < 64, "$requests requests")
            assertAccounted(caught?.cancelledCall ?: error("no CANCELLED error attached to $caught"), requests)
        }
        Sandbox.reset()
        Sandbox.script(JSONObject().put("status", 200).put("delay_ms", 400)
            .put("json", JSONObject().put("data", org.json.JSONArray()).put("paging", JSONObject())))
        AsyncClient.meta("1000", token, options().copy(deadlineMs = 100u)).use { ac ->
            assertThrows<WablockException.Timeout> { runBlocking { ac.listPage() } }
        }
    }

    @Test
    fun `the blocklist as a Flow, and a cancelled collector stops before the next page`(): Unit = runBlocking {
        val listed = (1..5).map { "1650555100$it" }
        listed.forEach { Sandbox.inbound(it) }
        AsyncClient.meta("1000", token, options()).use { ac ->
            ac.block(listed)
            assertEquals(listed, ac.blockedUsers(pageSize = 2u).map { it.waId!! }.toList())
            // take(3) needs two pages of two; the collector then stops, and no third page is
            // fetched.
            val before = Sandbox.requests().length()
            assertEquals(listed.take(3), ac.blockedUsers(pageSize = 2u).take(3).map { it.waId!! }.toList())
            assertEquals(before + 2, Sandbox.requests().length())
        }
    }
}
