// The fleet through the Swift bindings, against the sandbox: the same cases as the Kotlin
// FleetTest, and the fleet vectors for the conformance runner in WablockTests.swift.
//
// NOT RUN by `make test`: the build machine has no Swift compiler (see WablockTests.swift and
// docs/mobile.md); kept in step with the generated API by hand, and counted as not run.
import Foundation
import XCTest
import Wablock

private func fleetOptions() -> ClientOptions {
    ClientOptions(baseUrl: Sandbox.shared.baseUrl, readTimeoutMs: 5000, maxAttempts: 3,
                  initialBackoffMs: 1, maxBackoffMs: 20, jitter: false, parallelism: 4)
}

/// The client of a vector-style `client` object, with the README's defaults.
func fleetVectorClient(_ spec: [String: Any]) throws -> Client {
    let int = { (d: [String: Any], k: String, def: Int) -> Int in (d[k] as? NSNumber)?.intValue ?? def }
    let str = { (d: [String: Any], k: String, def: String) -> String in (d[k] as? String) ?? def }
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
    return str(spec, "provider", "meta") == "360dialog"
        ? try Client.dialog360(apiKey: str(spec, "api_key", "sandbox-key"), options: options)
        : try Client.meta(phoneNumberId: str(spec, "phone_number_id", "1000"),
                          accessToken: str(spec, "access_token", "sandbox-token"), options: options)
}

/// A fleet vector's canonical result (tests/conformance/README.md, "Fleet vectors").
func runFleetVector(_ vector: [String: Any]) -> String {
    let defaults = (vector["client"] as? [String: Any]) ?? [:]
    do {
        var members: [FleetMember] = []
        for m in vector["fleet"] as! [[String: Any]] {
            var spec = defaults
            for (k, v) in (m["client"] as? [String: Any]) ?? [:] { spec[k] = v }
            members.append(FleetMember(label: m["label"] as! String, client: try fleetVectorClient(spec)))
        }
        let fleet = try Fleet(members: members, totalParallelism: (vector["total_parallelism"] as? NSNumber).map { $0.uint32Value })
        let op = vector["operation"] as! [String: Any]
        switch op["op"] as! String {
        case "fleet_block": return try fleet.block(users: op["users"] as! [String]).toCanonicalJson()
        case "fleet_unblock": return try fleet.unblock(users: op["users"] as! [String]).toCanonicalJson()
        case "fleet_is_blocked": return try fleet.isBlocked(user: op["user"] as! String).toCanonicalJson()
        case "fleet_blocked_users":
            return try fleet.blockedUsers(pageSize: (op["page_size"] as? NSNumber).map { $0.uint32Value }).toCanonicalJson()
        case let other: return "unknown fleet operation \(other)"
        }
    } catch let e as WablockError {
        return e.toCanonicalJson()
    } catch {
        return "unexpected \(error)"
    }
}

/// Numbers run in parallel: each number's requests in their own order (a stable sort by path).
func requestsByPath(_ requests: [[String: Any]]) -> [[String: Any]] {
    requests.enumerated().sorted { a, b in
        let (pa, pb) = ((a.element["path"] as? String) ?? "", (b.element["path"] as? String) ?? "")
        return pa != pb ? pa < pb : a.offset < b.offset
    }.map { $0.element }
}

final class FleetTests: XCTestCase {
    private let numbers = ["1001", "1002", "1003"]

    override func setUp() {
        try! Sandbox.shared.reset()
        try! Sandbox.shared.call("POST", "/_sandbox/config", ["open": true])
    }

    private func threeNumbers(refused: String? = nil) throws -> Fleet {
        let members = try numbers.map { n in
            FleetMember(label: n, client: try Client.meta(phoneNumberId: n, accessToken: n == refused ? "not-the-token" : "sandbox-token",
                                                          options: fleetOptions()))
        }
        return try Fleet(members: members, totalParallelism: 6)
    }

    private func blockedCount(_ n: String) throws -> Int {
        let data = try Sandbox.shared.call("GET", "/_sandbox/state?phone_number_id=\(n)")
        return ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["blocked_count"] as? NSNumber)?.intValue ?? -1
    }

    func testThreeNumbersBlock2500UsersWithEveryInputAccountedFor() throws {
        let users = (0..<2500).map { String(format: "+1 650 %07d", 1_000_000 + $0) } + ["not a number", "+1 650 1000000"]
        let results = try threeNumbers().block(users: users)
        XCTAssertEqual(results.entries().map { $0.label }, numbers)
        for e in results.entries() {
            XCTAssertNil(e.error)
            let outcome = try XCTUnwrap(e.outcome)
            let accounted = outcome.succeeded.map { $0.input } + outcome.failed.map { $0.input }
            XCTAssertEqual(accounted.sorted(), users.sorted(), e.label)
            XCTAssertEqual(outcome.succeeded.count, 2501)
            XCTAssertEqual(outcome.failed.map { $0.reason }, [.invalidUser])
            XCTAssertEqual(outcome.requests, 3)
            XCTAssertEqual(try blockedCount(e.label), 2500)
        }
    }

    func testOneRefusedTokenLeavesTheOtherNumbersOutcomes() throws {
        let users = ["+16505550001", "+16505550002", "+16505550003"]
        let fleet = try threeNumbers(refused: "1002")
        let results = try fleet.block(users: users)
        let bad = try XCTUnwrap(results.get(label: "1002"))
        XCTAssertNil(bad.outcome)
        XCTAssertEqual(try XCTUnwrap(bad.error).kind(), .auth)
        XCTAssertEqual(fields(try XCTUnwrap(bad.error)).notAttempted, users)
        for n in ["1001", "1003"] { XCTAssertEqual(results.get(label: n)?.outcome?.succeeded.count, 3) }
        XCTAssertEqual(try blockedCount("1002"), 0)
        let walk = try fleet.blockedUsers(pageSize: 2)
        XCTAssertEqual(walk.users().first?.blockedOn, ["1001", "1003"])
        XCTAssertEqual(walk.errors().map { $0.label }, ["1002"])
        let answers = try fleet.isBlocked(user: "16505550002", labels: ["1003", "1002"])
        XCTAssertEqual(answers.entries().map { $0.label }, ["1003", "1002"])
        XCTAssertEqual(answers.get(label: "1003")?.isBlocked, true)
        _ = expectError(.invalidArgument) { _ = try fleet.block(users: users, labels: ["9999"]) }
    }
}
