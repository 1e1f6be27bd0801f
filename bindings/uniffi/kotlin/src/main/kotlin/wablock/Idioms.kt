// Hand-written Kotlin idioms over the UniFFI-generated API (build/uniffi/kotlin, compiled
// together with this file by pom.xml). They convert and delegate only: every rule, error and
// message comes from the Rust core.
package wablock

/**
 * Static factories for Java callers: `Clients.meta("1000", token)` instead of
 * `Client.Companion.meta(...)`. Kotlin callers may use either.
 */
object Clients {
    /** A client of Meta's Cloud API for one phone number. */
    @JvmStatic
    @JvmOverloads
    @Throws(WablockException::class)
    fun meta(phoneNumberId: String, accessToken: String, options: ClientOptions? = null): Client =
        Client.meta(phoneNumberId, accessToken, options)

    /** A client of 360dialog's API; the key belongs to one phone number. */
    @JvmStatic
    @JvmOverloads
    @Throws(WablockException::class)
    fun dialog360(apiKey: String, options: ClientOptions? = null): Client = Client.dialog360(apiKey, options)

    /** A client from the `WABLOCK_*` environment variables, then [options]. */
    @JvmStatic
    @JvmOverloads
    @Throws(WablockException::class)
    fun fromEnv(options: ClientOptions? = null): Client = Client.fromEnv(options)
}

/**
 * `for (user in client.blockedUsers()) { … }`: the blocklist in Kotlin's own iteration form.
 * Each step may fetch a page; an error ending the walk is thrown from `hasNext()`.
 */
operator fun BlockedUsersIterator.iterator(): Iterator<BlockedUser> {
    val source = this
    return object : Iterator<BlockedUser> {
        private var lookahead: BlockedUser? = null
        private var ended = false

        override fun hasNext(): Boolean {
            if (lookahead != null) return true
            if (ended) return false
            lookahead = source.next()
            if (lookahead == null) ended = true
            return lookahead != null
        }

        override fun next(): BlockedUser {
            if (!hasNext()) throw NoSuchElementException("the blocklist has no more users")
            return lookahead!!.also { lookahead = null }
        }
    }
}

/**
 * The blocklist as a lazy [Sequence], one page fetched per [BlockedUsersIterator.next] as it
 * is consumed: `client.blockedUsers().asSequence().filter { … }.take(10)`. It can be iterated
 * once. The native iterator is freed when the walk ends, when it fails, or by the garbage
 * collector if the sequence is abandoned early; `use { }` the iterator to free it at once.
 */
fun BlockedUsersIterator.asSequence(): Sequence<BlockedUser> {
    val source = this
    return Sequence { source.iterator() }.constrainOnce()
}

/** Every blocked user, `pageSize` per request, as a lazy [Sequence]: see [asSequence]. */
fun Client.blockedUserSequence(pageSize: UInt? = null): Sequence<BlockedUser> = blockedUsers(pageSize).asSequence()

/**
 * Runs [call] with [onProgress] as its progress listener. A lambda that throws stops the call
 * at the next batch, as returning `false` does, and its own exception is rethrown here, with
 * the call's `WablockException.Cancelled` (its `partial` and `notAttempted`) attached as
 * suppressed so that nothing is lost. (A [ProgressListener] object that throws, passed to the
 * generated `block`, ends the call as `WablockException.Cancelled`.)
 */
internal inline fun <T> withListener(
    noinline onProgress: (done: ULong, total: ULong) -> Boolean,
    call: (ProgressListener) -> T,
): T {
    var thrown: Throwable? = null
    val listener = object : ProgressListener {
        override fun onProgress(done: ULong, total: ULong): Boolean =
            try {
                onProgress(done, total)
            } catch (t: Throwable) {
                synchronized(this) { if (thrown == null) thrown = t }
                false
            }
    }
    val result = try {
        call(listener)
    } catch (e: WablockException) {
        val own = synchronized(listener) { thrown }
        if (own != null) {
            own.addSuppressed(e)
            throw own
        }
        throw e
    }
    synchronized(listener) { thrown }?.let { throw it }
    return result
}

/** Blocks [users], calling [onProgress] after each batch; see [withListener] for exceptions. */
@Throws(WablockException::class)
fun Client.block(users: List<String>, onProgress: (done: ULong, total: ULong) -> Boolean): Outcome =
    withListener(onProgress) { block(users, it) }

/** Unblocks [users], calling [onProgress] after each batch; see [withListener] for exceptions. */
@Throws(WablockException::class)
fun Client.unblock(users: List<String>, onProgress: (done: ULong, total: ULong) -> Boolean): Outcome =
    withListener(onProgress) { unblock(users, it) }
