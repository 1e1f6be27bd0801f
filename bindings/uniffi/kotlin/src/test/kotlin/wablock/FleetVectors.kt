package wablock

import org.json.JSONArray
import org.json.JSONObject

/**
 * Fleet vectors (tests/conformance/README.md, "Fleet vectors") for the Kotlin runner: each
 * member's client is the vector's client with the member's keys laid over it, the fleet is
 * built through the bindings, and the result is the core's canonical JSON.
 */
object FleetVectors {
    fun run(vector: JSONObject, buildClient: (JSONObject) -> Client): String {
        val defaults = vector.optJSONObject("client") ?: JSONObject()
        val clients = mutableListOf<Client>()
        try {
            val members = vector.getJSONArray("fleet").map { m ->
                m as JSONObject
                val spec = JSONObject(defaults.toString())
                val own = m.optJSONObject("client") ?: JSONObject()
                for (k in own.keySet()) spec.put(k, own.get(k))
                val client = buildClient(spec).also { clients += it }
                FleetMember(m.getString("label"), client)
            }
            val total = if (vector.isNull("total_parallelism")) null else vector.getLong("total_parallelism").toUInt()
            val fleet = Fleet(members, total)
            return fleet.use { runOperation(it, vector.getJSONObject("operation")) }
        } catch (e: WablockException) {
            return e.toCanonicalJson()
        } finally {
            clients.forEach { it.close() }
        }
    }

    private fun runOperation(fleet: Fleet, op: JSONObject): String = when (val name = op.getString("op")) {
        "fleet_block", "fleet_unblock" -> {
            val users = op.getJSONArray("users").map { it as String }
            (if (name == "fleet_block") fleet.block(users) else fleet.unblock(users)).use { it.toCanonicalJson() }
        }
        "fleet_is_blocked" -> fleet.isBlocked(op.getString("user")).use { it.toCanonicalJson() }
        "fleet_blocked_users" -> {
            val pageSize = if (op.isNull("page_size")) null else op.getLong("page_size").toUInt()
            fleet.blockedUsers(pageSize).use { it.toCanonicalJson() }
        }
        else -> error("unknown fleet operation $name")
    }

    /** Numbers run in parallel: each number's requests in their own order (a stable sort). */
    fun byPath(requests: JSONArray): JSONArray =
        JSONArray((0 until requests.length()).map { requests.getJSONObject(it) }.sortedBy { it.optString("path") })
}
