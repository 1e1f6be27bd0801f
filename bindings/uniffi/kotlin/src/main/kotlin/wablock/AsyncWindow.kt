// The 24-hour window for Kotlin on JVM servers: coroutine forms and canonical JSON over the
// generated Window API (build/uniffi/kotlin). They convert and delegate only: every rule,
// error and message comes from the Rust crate wablock-window (docs/window.md).
package wablock

import java.time.Duration
import kotlinx.coroutines.CancellationException

/**
 * The coroutine face of a [Window]: `suspend` functions that run the blocking call on
 * [kotlinx.coroutines.Dispatchers.IO], never on the caller's thread, and honour coroutine
 * cancellation as [AsyncClient] does, through [Window.withCancel].
 *
 * When the calling coroutine is cancelled, the call's [CancelToken] is triggered at once:
 * [blockWhenPossible] starts no new batch and queues nothing (the core's
 * [WablockException.Cancelled], every input in its `partial` or `notAttempted`); [ingest] and
 * [processPending] take up no further queued block (a block whose request is in flight ends as
 * the server answers; the rest stays queued for the next webhook or [processPending]). The
 * function waits for the call to end, then throws the coroutine's own
 * [CancellationException], with what the call failed with attached as suppressed (see
 * [cancelledWindowCall]). A call whose coroutine is already cancelled does not start.
 * [window], [pending] and [cancelPending] are single store operations: they finish.
 *
 * A call that fails on its own throws what the blocking call throws ([WindowException]).
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

    private suspend fun <T> io(work: (Window) -> T): T =
        CancelToken().use { token ->
            window.withCancel(token).use { scoped -> awaitBlocking(token) { work(scoped) } }
        }
}

/**
 * The core's `CANCELLED` error behind a cancelled [AsyncWindow] call (`blockWhenPossible`
 * stopped part-way, or a call refused before it started), with its `partial` outcome and
 * `notAttempted` inputs; `null` when the call had not failed that way (it returned its result
 * just as the coroutine was cancelled, or failed otherwise).
 */
val CancellationException.cancelledWindowCall: WablockException.Cancelled?
    get() = suppressed.filterIsInstance<WindowException.Block>()
        .map { it.blockError }
        .filterIsInstance<WablockException.Cancelled>()
        .firstOrNull()

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
