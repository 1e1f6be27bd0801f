// The Swift bindings against the sandbox: the same cases as the Kotlin suite
// (bindings/uniffi/kotlin/src/test/kotlin/wablock/): every conformance vector, the API, one
// error case per kind, the progress listener, cancel, a throwing listener, two threads.
//
// NOT RUN by `make test`: the build machine has no Swift compiler, so these tests are only
// kept in step with the generated API by hand, and count as not run (never as passing).
// Run them on a machine with Swift (see docs/mobile.md): `make swift` then, in
// bindings/uniffi/swift, `swift test`. Environment: WABLOCK_SANDBOX_BIN, WABLOCK_VECTORS,
// WABLOCK_CONFORMANCE_OUT override the workspace defaults.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest
import Wablock

// MARK: - workspace paths

private let workspace = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().appendingPathComponent("../../../..").standardized
private let env = ProcessInfo.processInfo.environment
private let sandboxBin = env["WABLOCK_SANDBOX_BIN"] ?? workspace.appendingPathComponent("target/debug/wablock-sandbox").path
private let vectorsDir = env["WABLOCK_VECTORS"] ?? workspace.appendingPathComponent("tests/conformance/vectors").path
private let conformanceOut = env["WABLOCK_CONFORMANCE_OUT"] ?? workspace.appendingPathComponent("build/conformance/swift").path

// MARK: - the sandbox process

/// `wablock-sandbox --port 0 --exit-on-stdin-eof`, started once; it exits with the test
/// process because its stdin pipe closes then.
final class Sandbox {
    static let shared = Sandbox()
    let baseUrl: String
    private let process = Process()
    private let stdin = Pipe()

    private init() {
        let stdout = Pipe()
        process.executableURL = URL(fileURLWithPath: sandboxBin)
        process.arguments = ["--port", "0", "--exit-on-stdin-eof"]
        process.standardInput = stdin
        process.standardOutput = stdout
        do { try process.run() } catch { fatalError("cannot start \(sandboxBin): \(error); run `cargo build -p wablock-sandbox`") }
        var line = Data()
        while true {
            let byte = stdout.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data([0x0A]) { break }
            line.append(byte)
        }
        baseUrl = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        precondition(baseUrl.hasPrefix("http://127.0.0.1:"), "unexpected sandbox line: \(baseUrl)")
    }

    /// One control request, synchronously; a non-2xx answer fails.
    @discardableResult
    func call(_ method: String, _ path: String, _ body: Any? = nil) throws -> Data {
        var req = URLRequest(url: URL(string: baseUrl + path)!)
        req.httpMethod = method
        req.timeoutInterval = 10
        if method != "GET" {
            req.setValue("application/json", forHTTPHeaderField: "content-type")
            req.httpBody = try JSONSerialization.data(withJSONObject: body ?? [String: Any](), options: [.fragmentsAllowed])
        }
        let done = DispatchSemaphore(value: 0)
        var result: (Data?, URLResponse?, Error?) = (nil, nil, nil)
        URLSession.shared.dataTask(with: req) { d, r, e in result = (d, r, e); done.signal() }.resume()
        done.wait()
        if let e = result.2 { throw e }
        let status = (result.1 as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            throw NSError(domain: "sandbox", code: status, userInfo: [NSLocalizedDescriptionKey: "\(method) \(path) -> \(status)"])
        }
        return result.0 ?? Data()
    }

    func reset() throws { try call("POST", "/_sandbox/reset", [String: Any]()) }
    func inbound(_ waId: String, phoneNumberId: String = "1000") throws {
        try call("POST", "/_sandbox/inbound", ["phone_number_id": phoneNumberId, "wa_id": waId])
    }
    func script(_ responses: [[String: Any]]) throws { try call("POST", "/_sandbox/script", ["responses": responses]) }
    func requests() throws -> [[String: Any]] {
        (try JSONSerialization.jsonObject(with: try call("GET", "/_sandbox/requests")) as? [[String: Any]]) ?? []
    }
}

// MARK: - canonical JSON, written by the core

/// Canonical JSON text of any JSONSerialization value (an expected result or request field),
/// written by the core's `canonicalJson`, so the runner never re-implements the form.
func canonical(_ v: Any?) -> String {
    let data = try! JSONSerialization.data(withJSONObject: v ?? NSNull(), options: [.fragmentsAllowed])
    return try! canonicalJson(text: String(decoding: data, as: UTF8.self))
}

// MARK: - error fields

/// The fields every `WablockError` case carries, whatever its kind.
struct ErrorFields {
    let errorMessage: String
    let httpStatus: UInt16?
    let code: Int64?
    let retryable: Bool
    let partial: Outcome?
    let notAttempted: [String]
    let fbtraceId: String?
}

func fields(_ e: WablockError) -> ErrorFields {
    switch e {
    case let .InvalidArgument(m, h, c, _, _, f, r, _, p, n, _), let .Auth(m, h, c, _, _, f, r, _, p, n, _),
         let .RateLimited(m, h, c, _, _, f, r, _, p, n, _), let .BlocklistFull(m, h, c, _, _, f, r, _, p, n, _),
         let .ConcurrentUpdate(m, h, c, _, _, f, r, _, p, n, _), let .Server(m, h, c, _, _, f, r, _, p, n, _),
         let .Rejected(m, h, c, _, _, f, r, _, p, n, _), let .Network(m, h, c, _, _, f, r, _, p, n, _),
         let .Timeout(m, h, c, _, _, f, r, _, p, n, _), let .Protocol(m, h, c, _, _, f, r, _, p, n, _),
         let .Internal(m, h, c, _, _, f, r, _, p, n, _), let .Cancelled(m, h, c, _, _, f, r, _, p, n, _):
        return ErrorFields(errorMessage: m, httpStatus: h, code: c, retryable: r, partial: p, notAttempted: n, fbtraceId: f)
    }
}

/// Runs `body`, which must throw a `WablockError` of `kind`; returns it.
func expectError(_ kind: ErrorKind, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) -> WablockError? {
    do {
        try body()
        XCTFail("expected \(kind), nothing was thrown", file: file, line: line)
    } catch let e as WablockError {
        XCTAssertEqual(e.kind(), kind, "\(e)", file: file, line: line)
        return e
    } catch {
        XCTFail("expected WablockError.\(kind), got \(error)", file: file, line: line)
    }
    return nil
}

final class Recorder: ProgressListener, @unchecked Sendable {
    private let lock = NSLock()
    private var _calls: [(UInt64, UInt64)] = []
    private let goOn: Bool
    init(goOn: Bool = true) { self.goOn = goOn }
    var calls: [(UInt64, UInt64)] { lock.lock(); defer { lock.unlock() }; return _calls }
    func onProgress(done: UInt64, total: UInt64) -> Bool {
        lock.lock(); _calls.append((done, total)); lock.unlock()
        return goOn
    }
}

// MARK: - conformance

final class ConformanceTests: XCTestCase {
    func testEveryVector() throws {
        let sandbox = Sandbox.shared
        let files = try FileManager.default.contentsOfDirectory(atPath: vectorsDir).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertFalse(files.isEmpty, "no conformance vectors in \(vectorsDir)")
        try FileManager.default.createDirectory(atPath: conformanceOut, withIntermediateDirectories: true)
        for file in files {
            let vector = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: vectorsDir + "/" + file))) as! [String: Any]
            try sandbox.reset()
            for step in (vector["setup"] as? [[String: Any]]) ?? [] {
                try sandbox.call(step["method"] as? String ?? "POST", step["path"] as! String, step["body"] is NSNull ? nil : step["body"])
            }
            let actual = run(vector)
            let stem = (file as NSString).deletingPathExtension
            try actual.write(toFile: conformanceOut + "/" + stem + ".json", atomically: true, encoding: .utf8)

            var problems: [String] = []
            let expect = vector["expect"] as! [String: Any]
            let want = canonical(expect["result"])
            if want != actual { problems.append("result differs:\n  expected \(want)\n  got      \(actual)") }
            if let wantRequests = expect["requests"] as? [[String: Any]] {
                let log = try sandbox.requests()
                let got = vector["fleet"] != nil ? requestsByPath(log) : log
                if got.count != wantRequests.count { problems.append("expected \(wantRequests.count) request(s), saw \(got.count)") }
                for (i, (w, g)) in zip(wantRequests, got).enumerated() {
                    for k in w.keys.sorted() where canonical(w[k]) != canonical(g[k]) {
                        problems.append("request \(i) \(k): expected \(canonical(w[k])), got \(canonical(g[k]))")
                    }
                }
            }
            if let bug = vector["known_core_bug"] as? String {
                XCTAssertFalse(problems.isEmpty, "\(file): marked known_core_bug (\(bug)) but now passes")
            } else {
                XCTAssertTrue(problems.isEmpty, "\(file): " + problems.joined(separator: "\n"))
            }
        }
    }

    private func int(_ d: [String: Any], _ k: String, _ def: Int) -> Int { (d[k] as? NSNumber)?.intValue ?? def }
    private func str(_ d: [String: Any], _ k: String, _ def: String) -> String { (d[k] as? String) ?? def }

    private func run(_ vector: [String: Any]) -> String {
        if vector["fleet"] != nil { return runFleetVector(vector) }  // FleetTests.swift
        let spec = (vector["client"] as? [String: Any]) ?? [:]
        let retry = (spec["retry"] as? [String: Any]) ?? [:]
        let options = ClientOptions(
            baseUrl: Sandbox.shared.baseUrl,
            apiVersion: str(spec, "api_version", "v25.0"),
            connectTimeoutMs: UInt64(int(spec, "connect_timeout_ms", 2000)),
            readTimeoutMs: UInt64(int(spec, "read_timeout_ms", 2000)),
            deadlineMs: (spec["deadline_ms"] as? NSNumber).map { $0.uint64Value },
            maxAttempts: UInt32(int(retry, "max_attempts", 4)),
            initialBackoffMs: UInt64(int(retry, "initial_backoff_ms", 1)),
            maxBackoffMs: UInt64(int(retry, "max_backoff_ms", 50)),
            jitter: (retry["jitter"] as? Bool) ?? false,
            maxBatch: UInt32(int(spec, "max_batch", 1000)),
            parallelism: UInt32(int(spec, "parallelism", 1)),
            maxResponseBytes: UInt64(int(spec, "max_response_bytes", 8_388_608)),
            listRestartBudget: UInt32(int(spec, "list_restart_budget", 3))
        )
        let client: Client
        do {
            client = str(spec, "provider", "meta") == "360dialog"
                ? try Client.dialog360(apiKey: str(spec, "api_key", "sandbox-key"), options: options)
                : try Client.meta(phoneNumberId: str(spec, "phone_number_id", "1000"),
                                  accessToken: str(spec, "access_token", "sandbox-token"), options: options)
        } catch let e as WablockError {
            return e.toCanonicalJson()
        } catch {
            return "unexpected \(error)"
        }
        let op = vector["operation"] as! [String: Any]
        let u32 = { (k: String) -> UInt32? in (op[k] as? NSNumber).map { $0.uint32Value } }
        do {
            switch op["op"] as! String {
            case "block": return outcomeToCanonicalJson(outcome: try client.block(users: op["users"] as! [String]))
            case "unblock": return outcomeToCanonicalJson(outcome: try client.unblock(users: op["users"] as! [String]))
            case "list_page":
                return pageToCanonicalJson(page: try client.listPage(limit: u32("limit"), after: op["after"] as? String, before: op["before"] as? String))
            case "blocked_users":
                // The walk's shape is the core's: the runner only collects what the iterator gave.
                var users: [BlockedUser] = []
                var error: WablockError? = nil
                let it = client.blockedUsers(pageSize: u32("page_size"))
                do {
                    while let u = try it.next() { users.append(u) }
                } catch let e as WablockError {
                    error = e
                }
                return blockedUsersCanonicalJson(users: users, error: error)
            case "is_blocked":
                return isBlockedCanonicalJson(blocked: try client.isBlocked(user: op["user"] as! String))
            case let other: return "unknown operation \(other)"
            }
        } catch let e as WablockError {
            return e.toCanonicalJson()
        } catch {
            return "unexpected \(error)"
        }
    }
}

// MARK: - API

final class ApiTests: XCTestCase {
    let sandbox = Sandbox.shared

    override func setUpWithError() throws { try sandbox.reset() }

    func options(maxAttempts: UInt32 = 2, readTimeoutMs: UInt64 = 2000, maxBatch: UInt32? = nil,
                 parallelism: UInt32 = 1, baseUrl: String? = nil) -> ClientOptions {
        ClientOptions(baseUrl: baseUrl ?? sandbox.baseUrl, connectTimeoutMs: 2000, readTimeoutMs: readTimeoutMs,
                      maxAttempts: maxAttempts, initialBackoffMs: 1, maxBackoffMs: 20, jitter: false,
                      maxBatch: maxBatch, parallelism: parallelism)
    }

    func client(_ o: ClientOptions? = nil, token: String = "sandbox-token") throws -> Client {
        try Client.meta(phoneNumberId: "1000", accessToken: token, options: o ?? options())
    }

    func graphError(_ status: Int, _ code: Int, _ message: String) -> [String: Any] {
        ["status": status, "json": ["error": ["message": message, "type": "OAuthException", "code": code, "fbtrace_id": "TraceSwift"]]]
    }

    func testBlockListIterateCheckUnblock() throws {
        let users = ["16505550001", "16505550002", "16505550003"]
        for u in users { try sandbox.inbound(u) }
        let c = try client()
        let outcome = try c.block(users: ["+1 (650) 555-0001", "16505550002", "16505550003", "16505550002", "nope"])
        XCTAssertEqual(outcome.operation, .block)
        XCTAssertEqual(outcome.succeeded.map(\.input), ["+1 (650) 555-0001", "16505550002", "16505550003", "16505550002"])
        XCTAssertEqual(outcome.succeeded[0].sent, "+16505550001")
        XCTAssertEqual(outcome.failed.count, 1)
        XCTAssertEqual(outcome.failed[0].reason, .invalidUser)
        XCTAssertNil(outcome.failed[0].sent)
        XCTAssertEqual(outcome.failed[0].hint, reasonHint(reason: .invalidUser))
        XCTAssertEqual(outcome.requests, 1)
        XCTAssertTrue(outcomeToCanonicalJson(outcome: outcome).hasPrefix("{\"outcome\":"))

        let page = try c.listPage(limit: 2)
        XCTAssertEqual(page.users.map(\.waId), ["16505550001", "16505550002"])
        XCTAssertTrue(page.hasMore)
        let next = try c.listPage(limit: 2, after: page.after)
        XCTAssertEqual(next.users.map(\.waId), ["16505550003"])

        let it = c.blockedUsers(pageSize: 2)
        var seen: [String?] = []
        while let u = try it.next() { seen.append(u.waId) }
        XCTAssertNil(try it.next())
        XCTAssertEqual(seen, users)

        XCTAssertTrue(try c.isBlocked(user: "+1 650 555 0003"))
        XCTAssertEqual(try c.unblock(users: ["16505550003"]).succeeded.map(\.input), ["16505550003"])
        XCTAssertFalse(try c.isBlocked(user: "16505550003"))
    }

    func test360dialog() throws {
        try sandbox.inbound("16505550001", phoneNumberId: "100000000360360")
        let c = try Client.dialog360(apiKey: "sandbox-key", options: options())
        XCTAssertEqual(try c.block(users: ["16505550001"]).succeeded.map(\.waId), ["16505550001"])
        XCTAssertEqual(try sandbox.requests()[0]["auth"] as? String, "d360")
    }

    func testInvalidArgument() throws {
        let c = try client()
        let e = expectError(.invalidArgument) { _ = try c.block(users: []) }
        XCTAssertEqual(e?.kindName(), "INVALID_ARGUMENT")
        XCTAssertEqual(e?.kind().code(), 1)
        _ = expectError(.invalidArgument) { _ = try self.client(ClientOptions(baseUrl: self.sandbox.baseUrl, maxBatch: 0)) }
        _ = expectError(.invalidArgument) { _ = try c.listPage(after: "") }
        XCTAssertEqual(try sandbox.requests().count, 0)
    }

    func testAuthCarriesFieldsNotTheToken() throws {
        let secret = "EAAG-very-secret-token"
        let c = try client(token: secret)
        guard let e = (expectError(.auth) { _ = try c.block(users: ["+1 650 555 0001", "16505550002"]) }) else { return }
        let f = fields(e)
        XCTAssertEqual(f.httpStatus, 401)
        XCTAssertEqual(f.code, 190)
        XCTAssertFalse(f.retryable)
        XCTAssertNil(f.partial)
        XCTAssertEqual(f.notAttempted, ["+1 650 555 0001", "16505550002"])
        // The description is the core's Display, Graph code included, as in every language.
        XCTAssertEqual(e.description, "AUTH: \(f.errorMessage) (code 190)")
        for text in [String(describing: e), e.localizedDescription, e.toCanonicalJson(), String(describing: c)] {
            XCTAssertFalse(text.contains(secret), text)
        }
    }

    func testRateLimited() throws {
        let throttled = graphError(400, 130429, "Rate limit hit")
        try sandbox.script([throttled, throttled])
        let c = try client()
        let e = expectError(.rateLimited) { _ = try c.block(users: ["16505550001"]) }
        XCTAssertEqual(e.map(fields)?.retryable, true)
        XCTAssertEqual(try sandbox.requests().count, 2)
    }

    func testServerRejectedBlocklistFullConcurrentUpdate() throws {
        let c = try client(options(maxAttempts: 1))
        try sandbox.script([graphError(500, 131000, "Something went wrong")])
        _ = expectError(.server) { _ = try c.block(users: ["16505550001"]) }
        try sandbox.script([graphError(400, 100, "Invalid parameter")])
        let rejected = expectError(.rejected) { _ = try c.block(users: ["16505550001"]) }
        XCTAssertEqual(rejected.map(fields)?.fbtraceId, "TraceSwift")
        try sandbox.script([graphError(400, 139101, "Blocklist limit reached")])
        _ = expectError(.blocklistFull) { _ = try c.block(users: ["16505550001"]) }
        try sandbox.script([graphError(400, 139102, "Blocklist concurrent update")])
        _ = expectError(.concurrentUpdate) { _ = try c.listPage() }
    }

    func testNetworkOnAClosedPort() throws {
        // Port 9 (discard) has no listener on a developer machine's loopback.
        let c = try client(options(maxAttempts: 1, baseUrl: "http://127.0.0.1:9"))
        let e = expectError(.network) { _ = try c.block(users: ["16505550001"]) }
        XCTAssertEqual(e.map(fields)?.notAttempted, ["16505550001"])
    }

    func testTimeout() throws {
        try sandbox.script([["status": 200, "body": "{}", "delay_ms": 1500]])
        let c = try client(options(maxAttempts: 1, readTimeoutMs: 200))
        // Had the delay ended first, the empty answer would be an outcome (every user
        // UNCONFIRMED), not an error: TIMEOUT means the read timeout ended the call.
        let e = expectError(.timeout) { _ = try c.block(users: ["16505550001"]) }
        XCTAssertEqual(e.map(fields)?.notAttempted, ["16505550001"])
        XCTAssertEqual(try sandbox.requests().count, 1)
    }

    func testProtocol() throws {
        try sandbox.script([["status": 200, "body": "<html>not json</html>"]])
        let c = try client(options(maxAttempts: 1))
        let e = expectError(.protocol) { _ = try c.block(users: ["16505550001"]) }
        XCTAssertEqual(e.map(fields)?.httpStatus, 200)
    }

    func testProgress() throws {
        let users = (1...5).map { "1650555000\($0)" }
        for u in users { try sandbox.inbound(u) }
        let recorder = Recorder()
        let outcome = try client(options(maxBatch: 2)).block(users: users + ["not a phone"], listener: recorder)
        XCTAssertEqual(outcome.succeeded.count, 5)
        XCTAssertEqual(try sandbox.requests().count, 3)
        let calls = recorder.calls
        XCTAssertFalse(calls.isEmpty)
        XCTAssertTrue(calls.allSatisfy { $0.1 == 5 })
        XCTAssertEqual(calls.map(\.0), calls.map(\.0).sorted())
        XCTAssertEqual(calls.last?.0, 5)
    }

    func testCancelled() throws {
        let users = (1...6).map { "1650555000\($0)" }
        for u in users { try sandbox.inbound(u) }
        let recorder = Recorder(goOn: false)
        let c = try client(options(maxBatch: 2))
        guard let e = (expectError(.cancelled) { _ = try c.block(users: users, listener: recorder) }) else { return }
        XCTAssertEqual(e.kind().code(), 12)
        let f = fields(e)
        let partial = try XCTUnwrap(f.partial)
        let accounted = partial.succeeded.map(\.input) + partial.failed.map(\.input) + f.notAttempted
        XCTAssertEqual(accounted.sorted(), users.sorted())
        XCTAssertFalse(f.notAttempted.isEmpty)
        XCTAssertEqual(recorder.calls.count, 1)
        XCTAssertEqual(try sandbox.requests().count, 1)
    }

    func testThrowingListenerEndsTheCallAsCancelled() throws {
        final class Thrower: ProgressListener, @unchecked Sendable {
            struct Bug: Error {}
            func onProgress(done: UInt64, total: UInt64) throws -> Bool { throw Bug() }
        }
        let users = (1...4).map { "1650555000\($0)" }
        for u in users { try sandbox.inbound(u) }
        let c = try client(options(maxBatch: 1))
        // CANCELLED, not INTERNAL: a listener that throws stops the call as `false` does.
        guard let e = (expectError(.cancelled) { _ = try c.block(users: users, listener: Thrower()) }) else { return }
        let f = fields(e)
        let partial = try XCTUnwrap(f.partial)
        XCTAssertEqual((partial.succeeded.map(\.input) + f.notAttempted).sorted(), users.sorted())
        XCTAssertEqual(try sandbox.requests().count, 1)
    }

    func testTwoThreads() throws {
        let a = (1...40).map { String(format: "165055510%02d", $0) }
        let b = (1...40).map { String(format: "165055520%02d", $0) }
        for u in a + b { try sandbox.inbound(u) }
        let c = try client(options(maxBatch: 5, parallelism: 2))
        var results: [Int: Result<Outcome, Error>] = [:]
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let r = Result { try c.block(users: i == 0 ? a : b, listener: Recorder()) }
            lock.lock(); results[i] = r; lock.unlock()
        }
        XCTAssertEqual(try results[0]!.get().succeeded.map(\.input), a)
        XCTAssertEqual(try results[1]!.get().succeeded.map(\.input), b)
        var listed = Set<String>()
        let it = c.blockedUsers(pageSize: 25)
        while let u = try it.next() { listed.insert(u.waId!) }
        XCTAssertEqual(listed, Set(a + b))
    }

    func testIteratorEndsAfterAnError() throws {
        try sandbox.script([graphError(401, 190, "Error validating access token")])
        let it = try client().blockedUsers(pageSize: nil)
        _ = expectError(.auth) { _ = try it.next() }
        XCTAssertNil(try it.next())
    }
}

// MARK: - async functions, task cancellation, Sequence (Sources/Wablock/Idioms.swift)

final class AsyncTests: XCTestCase {
    let sandbox = Sandbox.shared
    /// 64,000 distinct valid numbers: 64 batches of 1,000.
    let users = (0..<64_000).map { String(format: "1650%07d", 2_000_000 + $0) }

    override func setUpWithError() throws {
        try sandbox.reset()
        try sandbox.call("POST", "/_sandbox/config", ["latency_ms": 20])
    }

    func client(deadlineMs: UInt64? = nil) throws -> Client {
        try Client.meta(phoneNumberId: "1000", accessToken: "sandbox-token", options: ClientOptions(
            baseUrl: sandbox.baseUrl, readTimeoutMs: 10_000, deadlineMs: deadlineMs, maxAttempts: 1,
            maxBatch: 1000, parallelism: 2))
    }

    func posts() throws -> Int { try sandbox.requests().filter { ($0["method"] as? String) == "POST" }.count }

    func assertAccounted(_ error: Error, requests: Int) throws {
        guard let e = error as? WablockError, e.kind() == .cancelled else { return XCTFail("want CANCELLED, got \(error)") }
        let f = fields(e)
        let answered = (f.partial?.succeeded.map(\.input) ?? []) + (f.partial?.failed.map(\.input) ?? [])
        XCTAssertEqual(answered.count, requests * 1000, "the batches sent all finished")
        XCTAssertEqual((answered + f.notAttempted).sorted(), users.sorted(), "every input exactly once")
    }

    func testCancelledTaskStopsA64000UserBlock() async throws {
        let c = try client()
        let task = Task { try await c.block(users) }
        while try posts() < 4 { try await Task.sleep(nanoseconds: 5_000_000) }
        task.cancel()
        let atCancel = try posts()
        let result = await task.result
        let atEnd = try posts()
        XCTAssertLessThanOrEqual(atEnd - atCancel, 2, "only batches in flight finish")
        XCTAssertLessThan(atEnd, 64)
        guard case .failure(let error) = result else { return XCTFail("an outcome after a cancel") }
        try assertAccounted(error, requests: atEnd)
    }

    func testDeadlineIsHonoured() async throws {
        try sandbox.script([["status": 200, "json": ["data": [], "paging": [:]], "delay_ms": 400]])
        do {
            _ = try await client(deadlineMs: 100).listPage()
            XCTFail("no TIMEOUT")
        } catch let e as WablockError {
            XCTAssertEqual(e.kind(), .timeout)
        }
    }

    func testTheBlocklistAsASequenceAndAStream() async throws {
        let listed = (1...5).map { "1650555100\($0)" }
        for u in listed { try sandbox.inbound(u) }
        let c = try client()
        _ = try await c.block(listed)
        var looped: [String] = []
        for result in c.blockedUserSequence(pageSize: 2) { looped.append(try result.get().waId!) }
        XCTAssertEqual(looped, listed)
        var streamed: [String] = []
        for try await user in c.blockedUserStream(pageSize: 2) { streamed.append(user.waId!) }
        XCTAssertEqual(streamed, listed)
    }
}
