package wablock

import java.util.concurrent.TimeUnit
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import org.junit.jupiter.api.assertThrows

/** The fleet through the Kotlin bindings, on the sandbox. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FleetTest {
    private val numbers = listOf("1001", "1002", "1003")

    private fun options() = ClientOptions(
        baseUrl = Sandbox.baseUrl, maxAttempts = 3u, initialBackoffMs = 1u, maxBackoffMs = 20u,
        jitter = false, readTimeoutMs = 5000u, parallelism = 4u,
    )

    /** A fleet of 1001-1003; [refused] gets a wrong token. */
    private fun threeNumbers(refused: String? = null): Fleet {
        val clients = numbers.map { Client.meta(it, if (it == refused) "not-the-token" else "sandbox-token", options()) }
        try {
            return Fleet(numbers.zip(clients).map { (n, c) -> FleetMember(n, c) }, 6u)
        } finally {
            clients.forEach { it.close() } // the fleet keeps its own reference to each client
        }
    }

    private fun blockedCount(number: String): Int {
        val req = java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("${Sandbox.baseUrl}/_sandbox/state?phone_number_id=$number"),
        ).GET().build()
        val body = java.net.http.HttpClient.newHttpClient().send(req, java.net.http.HttpResponse.BodyHandlers.ofString()).body()
        return JSONObject(body).getInt("blocked_count")
    }

    @BeforeEach
    fun openSandbox() {
        Sandbox.reset()
        Sandbox.post("/_sandbox/config", JSONObject().put("open", true))
    }

    @Test
    fun `a fleet of three blocks 2,500 users with every input accounted for on every number`() {
        val users = (0 until 2500).map { "+1 650 %07d".format(1_000_000 + it) } + listOf("not a number", "+1 650 1000000")
        threeNumbers().use { fleet ->
            fleet.block(users).use { results ->
                val entries = results.entries()
                assertEquals(numbers, entries.map { it.label })
                for (e in entries) {
                    assertNull(e.error)
                    val outcome = e.outcome!!
                    val accounted = outcome.succeeded.map { it.input } + outcome.failed.map { it.input }
                    assertEquals(users.sorted(), accounted.sorted(), e.label)
                    assertEquals(2501, outcome.succeeded.size)
                    assertEquals(listOf("not a number" to Reason.INVALID_USER), outcome.failed.map { it.input to it.reason })
                    assertEquals(3u, outcome.requests)
                    assertEquals(2500, blockedCount(e.label))
                }
            }
        }
    }

    @Test
    fun `one number's refused token leaves the other numbers' outcomes`() {
        val users = listOf("+16505550001", "+16505550002", "+16505550003")
        threeNumbers(refused = "1002").use { fleet ->
            fleet.block(users).use { results ->
                val bad = results.get("1002")!!
                val err = bad.error as WablockException.Auth
                assertEquals(users, err.notAttempted)
                assertNull(bad.outcome)
                for (n in listOf("1001", "1003")) assertEquals(3, results.get(n)!!.outcome!!.succeeded.size)
                val json = JSONObject(results.toCanonicalJson()).getJSONObject("fleet")
                assertEquals("AUTH", json.getJSONObject("1002").getJSONObject("error").getString("kind"))
                assertEquals("block", json.getJSONObject("1001").getJSONObject("outcome").getString("operation"))
            }
            assertEquals(0, blockedCount("1002"))
            fleet.blockedUsers(2u).use { walk ->
                assertEquals(listOf("1001", "1003"), walk.users()[0].blockedOn)
                assertEquals(3, walk.users().size)
                assertEquals(listOf("1002"), walk.errors().map { it.label })
                assertTrue(walk.errors()[0].error is WablockException.Auth)
            }
            fleet.isBlocked("16505550002", listOf("1003", "1002")).use { answers ->
                assertEquals(listOf("1003", "1002"), answers.entries().map { it.label })
                assertEquals(true, answers.get("1003")!!.isBlocked)
            }
            val e = assertThrows<WablockException.InvalidArgument> { fleet.block(users, listOf("9999")) }
            assertTrue(e.errorMessage.contains("\"9999\""), e.errorMessage)
        }
    }

    @Test
    fun `labels are checked by the core`() {
        Client.meta("1001", "sandbox-token", options()).use { c ->
            val e = assertThrows<WablockException.InvalidArgument> { Fleet(listOf(FleetMember("a", c), FleetMember("a", c))) }
            assertTrue(e.errorMessage.contains("used twice"), e.errorMessage)
        }
        Fleet.meta(numbers, "sandbox-token", options(), 1u).use { fleet ->
            assertEquals(numbers, fleet.labels())
        }
    }
}
