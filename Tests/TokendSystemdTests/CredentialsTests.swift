import Glibc
import Testing
@testable import TokendSystemd

@Suite("credentials")
struct CredentialsTests {
    @Test("names that could escape $CREDENTIALS_DIRECTORY are rejected", arguments: [
        "", ".", "..", "../master.key", "../../etc/shadow", "a/b", "/etc/passwd", "tokend-master-key/", "x\0y",
        String(repeating: "k", count: 256),
    ])
    func traversalRejected(name: String) {
        let credentials = Credentials(directory: "/run/credentials/tokend.service")
        #expect(!Credentials.isValidName(name))
        #expect(throws: SystemdError.invalidCredentialName(name)) { try credentials.path(for: name) }
        #expect(throws: SystemdError.invalidCredentialName(name)) { try credentials.read(name) }
    }

    @Test("valid names resolve under the directory")
    func paths() throws {
        let credentials = Credentials(environment: ["CREDENTIALS_DIRECTORY": "/run/credentials/tokend.service"])
        #expect(try credentials.path(for: "tokend-master-key") == "/run/credentials/tokend.service/tokend-master-key")
        #expect(try credentials.path(for: "box-api-key.main") == "/run/credentials/tokend.service/box-api-key.main")
        #expect(try Credentials(directory: "/creds/").path(for: "k") == "/creds/k")
        #expect(Credentials.isValidName("..hidden"))
    }

    @Test("without a (absolute) directory credentials are unavailable")
    func unavailable() {
        #expect(throws: SystemdError.credentialsUnavailable) { try Credentials(environment: [:]).path(for: "k") }
        #expect(throws: SystemdError.credentialsUnavailable) {
            try Credentials(environment: ["CREDENTIALS_DIRECTORY": "relative/dir"]).path(for: "k")
        }
    }

    @Test("reads bytes and text; missing, oversized and symlinked credentials fail")
    func read() throws {
        let directory = try TemporaryDirectory()
        let key = (0..<32).map { UInt8($0 * 7 % 256) }
        try directory.write("tokend-master-key", key, mode: 0o400)
        try directory.write("box-api-key", Array("abc123\n".utf8), mode: 0o400)
        try directory.write("target", Array("secret".utf8))
        #expect(symlink(directory.file("target"), directory.file("link")) == 0)

        let credentials = Credentials(environment: ["CREDENTIALS_DIRECTORY": directory.path])
        #expect(try credentials.read("tokend-master-key") == key)
        #expect(try credentials.readString("box-api-key") == "abc123")
        #expect(throws: SystemdError.credentialNotFound("absent")) { try credentials.read("absent") }
        #expect(throws: SystemdError.credentialTooLarge("tokend-master-key", limit: 16)) {
            try credentials.read("tokend-master-key", maximumSize: 16)
        }
        #expect(throws: SystemdError.systemCall("open credential 'link'", errno: ELOOP)) {
            try credentials.read("link")
        }
    }
}
