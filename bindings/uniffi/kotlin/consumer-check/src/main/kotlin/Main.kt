// Blocks the users given as arguments and prints what happened to each, then counts the
// blocklist: the same output as examples/c and the Go example, so one check reads all three.
// The client comes from the environment (WABLOCK_PHONE_NUMBER_ID, WABLOCK_ACCESS_TOKEN,
// WABLOCK_BASE_URL, ...).
import com.sun.jna.NativeLibrary
import kotlin.system.exitProcess
import wablock.Client
import wablock.WablockException
import wablock.reasonCanonicalName

fun main(args: Array<String>) {
    // Where JNA found the native library: extracted from the wablock jar, not a path we gave it.
    println("native library ${NativeLibrary.getInstance("wablock_uniffi").file}")
    val status = try {
        Client.fromEnv().use { client ->
            val outcome = client.block(args.toList())
            for (s in outcome.succeeded) println("blocked     %-20s sent as %s".format(s.input, s.sent))
            for (f in outcome.failed) println("not blocked %-20s %s: %s".format(f.input, reasonCanonicalName(f.reason), f.hint))
            var n = 0
            client.blockedUsers(null).use { users -> while (users.next() != null) n++ }
            println("the blocklist holds $n users")
            if (outcome.failed.isEmpty()) 0 else 1
        }
    } catch (e: WablockException) {
        System.err.println("wablock: $e")
        2
    }
    exitProcess(status)
}
