// Coroutines over the blocking UniFFI API: hand-written, compiled with the generated bindings.
// Each call runs on Dispatchers.IO with its own CancelToken; cancelling the coroutine triggers
// the token, so the core stops the call before its next batch, page, request or retry.
package wablock

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.asExecutor
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlinx.coroutines.withContext

/**
 * The coroutine face of a [Client]: `suspend` functions that run the blocking call on
 * [Dispatchers.IO], never on the caller's thread, and honour coroutine cancellation.
 *
 * When the calling coroutine is cancelled (`job.cancel()`, `withTimeout`, a cancelled scope),
 * the call's [CancelToken] is triggered at once: no new batch, page, request or retry starts;
 * requests in flight finish. The function then waits for the call to end (so nothing is sent
 * after it returns) and throws the coroutine's own [CancellationException], with the core's
 * [WablockException.Cancelled] (its `partial` and `notAttempted`, every input accounted for)
 * attached as suppressed: see [cancelledCall].
 *
 * A call that fails on its own throws its [WablockException] as the blocking call does.
 */
class AsyncClient(
    /** The blocking client every call goes through; it may be shared. */
    val client: Client,
) : AutoCloseable {
    companion object {
        /** An [AsyncClient] of Meta's Cloud API for one phone number. */
        @JvmStatic
        @JvmOverloads
        @Throws(WablockException::class)
        fun meta(phoneNumberId: String, accessToken: String, options: ClientOptions? = null): AsyncClient =
            AsyncClient(Client.meta(phoneNumberId, accessToken, options))

        /** An [AsyncClient] of 360dialog's API. */
        @JvmStatic
        @JvmOverloads
        @Throws(WablockException::class)
        fun dialog360(apiKey: String, options: ClientOptions? = null): AsyncClient =
            AsyncClient(Client.dialog360(apiKey, options))

        /** An [AsyncClient] from the `WABLOCK_*` environment variables, then [options]. */
        @JvmStatic
        @JvmOverloads
        @Throws(WablockException::class)
        fun fromEnv(options: ClientOptions? = null): AsyncClient = AsyncClient(Client.fromEnv(options))
    }

    /** Blocks [users]; see [Client.block]. */
    suspend fun block(users: List<String>, listener: ProgressListener? = null): Outcome =
        cancellable { it.block(users, listener) }

    /** Unblocks [users]; see [Client.unblock]. */
    suspend fun unblock(users: List<String>, listener: ProgressListener? = null): Outcome =
        cancellable { it.unblock(users, listener) }

    /** One page of the blocklist; see [Client.listPage]. */
    suspend fun listPage(limit: UInt? = null, after: String? = null, before: String? = null): Page =
        cancellable { it.listPage(limit, after, before) }

    /** Whether [user] is on the blocklist (walks the whole list); see [Client.isBlocked]. */
    suspend fun isBlocked(user: String): Boolean = cancellable { it.isBlocked(user) }

    /**
     * Every blocked user as a cold [Flow], `pageSize` per request, each page fetched on
     * [Dispatchers.IO] when the collector needs it. Cancelling the collector stops the walk
     * before its next page.
     */
    fun blockedUsers(pageSize: UInt? = null): Flow<BlockedUser> = flow {
        CancelToken().use { token ->
            client.withCancel(token).use { scoped ->
                scoped.blockedUsers(pageSize).use { users ->
                    while (true) {
                        val user = awaitBlocking(token) { users.next() } ?: break
                        emit(user)
                    }
                }
            }
        }
    }

    /** Closes the underlying [client]. */
    override fun close() = client.close()

    private suspend fun <T> cancellable(work: (Client) -> T): T =
        CancelToken().use { token ->
            client.withCancel(token).use { scoped -> awaitBlocking(token) { work(scoped) } }
        }
}

/** This client's coroutine face (calls share its connections). */
fun Client.coroutines(): AsyncClient = AsyncClient(this)

/**
 * The core's `CANCELLED` error behind a cancelled [AsyncClient] call, with its `partial`
 * outcome and `notAttempted` inputs; `null` when the call had not failed that way (it finished
 * just as the coroutine was cancelled, or failed otherwise).
 */
val CancellationException.cancelledCall: WablockException.Cancelled?
    get() = suppressed.filterIsInstance<WablockException.Cancelled>().firstOrNull()

/**
 * Runs the blocking [work] on [Dispatchers.IO] and suspends until it ends. Cancelling the
 * caller triggers [token] synchronously (in the canceller's thread), then waits for [work] to
 * end before rethrowing the cancellation, [work]'s own failure attached as suppressed.
 */
internal suspend fun <T> awaitBlocking(token: CancelToken, work: () -> T): T {
    currentCoroutineContext().ensureActive()
    val done = CompletableDeferred<Result<T>>()
    Dispatchers.IO.asExecutor().execute { done.complete(runCatching(work)) }
    try {
        suspendCancellableCoroutine<Unit> { cont ->
            cont.invokeOnCancellation { token.cancel() }
            done.invokeOnCompletion { cont.resumeWith(Result.success(Unit)) }
        }
    } catch (e: CancellationException) {
        val ended = withContext(NonCancellable) { done.await() }
        ended.exceptionOrNull()?.let { if (it !== e) e.addSuppressed(it) }
        throw e
    }
    return done.await().getOrThrow()
}
