// Hand-written Swift idioms over the generated API (Wablock.swift, same module): `async`
// functions that honour task cancellation, and the blocklist as a `Sequence` and an
// `AsyncSequence`. They convert and delegate only; every rule and message is the Rust core's.
//
// NOT COMPILED HERE: the build machine has no Swift compiler. This file is written by hand
// against the generated API (`make swift` regenerates it; compare the signatures there), and
// has never been built. See docs/mobile.md.
import Foundation

extension Client {
    /// Blocks `users` off the caller's thread. Cancelling the task triggers the call's
    /// `CancelToken`: no new batch starts, batches in flight finish, and the call throws
    /// `WablockError.cancelled` with `partial` and `notAttempted` accounting for every input.
    public func block(_ users: [String], listener: ProgressListener? = nil) async throws -> Outcome {
        try await cancellable { try $0.block(users: users, listener: listener) }
    }

    /// Unblocks `users`; cancellation as for `block(_:listener:)`.
    public func unblock(_ users: [String], listener: ProgressListener? = nil) async throws -> Outcome {
        try await cancellable { try $0.unblock(users: users, listener: listener) }
    }

    /// One page of the blocklist; a cancelled task stops it before its request.
    public func listPage(limit: UInt32? = nil, after: String? = nil, before: String? = nil) async throws -> Page {
        try await cancellable { try $0.listPage(limit: limit, after: after, before: before) }
    }

    /// Whether `user` is on the blocklist (walks the whole list); a cancelled task stops it
    /// before its next page.
    public func isBlocked(_ user: String) async throws -> Bool {
        try await cancellable { try $0.isBlocked(user: user) }
    }

    /// Every blocked user, `pageSize` per request, in Swift's own iteration form:
    ///
    ///     for result in client.blockedUserSequence() { let user = try result.get() … }
    ///
    /// Each element is a `Result` because `Sequence` cannot throw: an error that ends the
    /// walk is its last element.
    public func blockedUserSequence(pageSize: UInt32? = nil) -> BlockedUserSequence {
        BlockedUserSequence(client: self, pageSize: pageSize)
    }

    /// Every blocked user as an `AsyncThrowingStream`: `for try await user in
    /// client.blockedUserStream() { … }`. Each page is fetched off the caller's thread;
    /// cancelling the consuming task stops the walk before its next page.
    public func blockedUserStream(pageSize: UInt32? = nil) -> AsyncThrowingStream<BlockedUser, Error> {
        let token = CancelToken()
        let users = withCancel(token: token).blockedUsers(pageSize: pageSize)
        return AsyncThrowingStream { continuation in
            continuation.onTermination = { _ in token.cancel() }
            DispatchQueue.global(qos: .userInitiated).async {
                do {
                    while let user = try users.next() {
                        if case .terminated = continuation.yield(user) { return }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }

    /// Runs the blocking `work` on a global queue with a fresh `CancelToken`, which task
    /// cancellation triggers (at once if the task is already cancelled).
    private func cancellable<T>(_ work: @escaping (Client) throws -> T) async throws -> T {
        let token = CancelToken()
        let scoped = withCancel(token: token)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
                DispatchQueue.global(qos: .userInitiated).async {
                    continuation.resume(with: Result { try work(scoped) })
                }
            }
        } onCancel: {
            token.cancel()
        }
    }
}

/// The blocklist as a `Sequence` of `Result<BlockedUser, Error>`; see
/// `Client.blockedUserSequence(pageSize:)`. Each iteration walks the list afresh.
public struct BlockedUserSequence: Sequence {
    let client: Client
    let pageSize: UInt32?

    public func makeIterator() -> Iterator {
        Iterator(source: client.blockedUsers(pageSize: pageSize))
    }

    public struct Iterator: IteratorProtocol {
        let source: BlockedUsersIterator
        var ended = false

        public mutating func next() -> Result<BlockedUser, Error>? {
            if ended { return nil }
            do {
                guard let user = try source.next() else {
                    ended = true
                    return nil
                }
                return .success(user)
            } catch {
                ended = true
                return .failure(error)
            }
        }
    }
}
