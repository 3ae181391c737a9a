import Foundation
import TokendFakeProviders

// tokend-fake-providers [--port N] [--api-key K] [--logon-user EMAIL:PASSWORD]…
// Serves every FogBugz and Box logoff variant of providers.md on 127.0.0.1 for local development, and FogBugz
// `cmd=logon` for the people given with --logon-user (docs/providers-logon.md).
// Tokens are unknown (already logged off) unless issued; --live-all treats every token as live once.
var port = 8801
var options = FakeProviderOptions(apiKey: "dev-api-key", recordCalls: false)
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--port": port = Int(arguments.popFirst() ?? "") ?? port
    case "--api-key": options.apiKey = arguments.popFirst() ?? options.apiKey
    case "--logon-user":
        let pair = (arguments.popFirst() ?? "").split(separator: ":", maxSplits: 1).map(String.init)
        guard pair.count == 2 else {
            FileHandle.standardError.write(Data("tokend-fake-providers: --logon-user needs EMAIL:PASSWORD\n".utf8))
            exit(2)
        }
        options.logonUsers.append(FakeLogonUser(email: pair[0], password: pair[1], fullName: pair[0]))
    default:
        FileHandle.standardError.write(Data("usage: tokend-fake-providers [--port N] [--api-key K] [--logon-user EMAIL:PASSWORD]\n".utf8))
        exit(2)
    }
}
let server = try await FakeProviderServer.start(options, port: port)
print("fake providers on \(server.baseURL): FogBugz XML \(server.baseURL)/api.asp, JSON \(server.baseURL)/f/api/0/jsonapi, Box 1.0 \(server.boxBaseURL), OAuth2 \(server.baseURL)/oauth2/revoke")
while true { try await Task.sleep(for: .seconds(3600)) }
