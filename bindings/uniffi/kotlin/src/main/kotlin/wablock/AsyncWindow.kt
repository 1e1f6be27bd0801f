// The 24-hour window for Kotlin on JVM servers: coroutine forms and canonical JSON over the
// generated Window API (build/uniffi/kotlin). They convert and delegate only: every rule,
// error and message comes from the Rust crate wablock-window (docs/window.md).
package wablock

import java.time.Duration
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/**
 * The coroutine face of a [Window]: `suspend` functions that run the blocking call on
 * [Dispatchers.IO], never on the caller's thread, and throw what the blocking call throws
 * ([WindowException]).
 *
 * A window call is short and settles its store rows before it returns, so it is not stopped
 * half-way: when the calling coroutine is cancelled, a call not yet started does not start,
 * and a call in flight runs to its end (its blocks made and recorded in the store, as the
 * blocking call would) before the coroutine's `CancellationException` is thrown. Queued blocks
 * are never lost either way: what was not taken up stays queued.
 */
class AsyncWindow(
    /** The blocking window every call goes through; it may be shared. */
    val window: Window,
) : AutoCloseable {
    companion object {
        /** An [AsyncWindow] over a new [Window]; see the [Window] constructor. */
        @JvmStatic
        @JvmOverloads
        @Throws(WindowException::class)
        fun open(
            store: String?,
            clients: Map<String, Client>,
            appSecret: String? = null,
            lease: Duration? = null,
        ): AsyncWindow = AsyncWindow(Window(store, clients, appSecret, lease))
    }

    /** Blocks [users] now, queueing those refused for the 24-hour rule; see [Window.blockWhenPossible]. */
    suspend fun blockWhenPossible(phoneNumberId: String, users: List<String>): WhenPossible =
        io { it.blockWhenPossible(phoneNumberId, users) }

    /** Verifies, records and acts on a webhook's raw [body]; see [Window.ingest]. */
    suspend fun ingest(body: ByteArray, signature: String? = null): IngestReport = io { it.ingest(body, signature) }

    /** Whether [user]'s 24-hour window on [phoneNumberId] is open; see [Window.window]. */
    suspend fun window(phoneNumberId: String, user: String): WindowState = io { it.window(phoneNumberId, user) }

    /** Every queued block, oldest first; see [Window.pending]. */
    suspend fun pending(): List<PendingBlock> = io { it.pending() }

    /** Removes the queued blocks of [users]; see [Window.cancelPending]. */
    suspend fun cancelPending(phoneNumberId: String, users: List<String>): CancelledPending =
        io { it.cancelPending(phoneNumberId, users) }

    /** Takes up the queued blocks whose window is open; see [Window.processPending]. */
    suspend fun processPending(): List<QueuedBlockResult> = io { it.processPending() }

    /** Closes the underlying [window] (and its store connection). */
    override fun close() = window.close()

    private suspend fun <T> io(work: (Window) -> T): T = withContext(Dispatchers.IO) { work(window) }
}

/** This window's coroutine face (same store, same clients). */
fun Window.coroutines(): AsyncWindow = AsyncWindow(this)

/** `{"outcome": {…}, "queued": […]}`: the crate's canonical JSON (the CLI's `block --when-possible --json`). */
fun WhenPossible.toCanonicalJson(): String = whenPossibleToCanonicalJson(this)

/** `{"ingest": {"blocks": […], "messages": n, "new_messages": n}}`: the crate's canonical JSON (the CLI's `webhook ingest --json`). */
@Throws(WindowException::class)
fun IngestReport.toCanonicalJson(): String = ingestReportToCanonicalJson(this)

/** One block result's canonical JSON, as in [IngestReport.toCanonicalJson]. */
@Throws(WindowException::class)
fun QueuedBlockResult.toCanonicalJson(): String = queuedBlockResultToCanonicalJson(this)

/** `{"pending": [{…}…]}`: the crate's canonical JSON of the queue (the CLI's `pending --json`). */
fun List<PendingBlock>.toCanonicalJson(): String = pendingToCanonicalJson(this)
