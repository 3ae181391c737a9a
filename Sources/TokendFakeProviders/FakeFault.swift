/// A scripted misbehaviour of ``FakeProviderServer``, consumed by the next matching call(s).
public enum FakeFault: Sendable, Hashable {
    /// Answer `status` with an optional `Retry-After` value and `body` (default: a small HTML page).
    case status(Int, retryAfter: String? = nil, body: String? = nil, contentType: String = "text/html; charset=utf-8")
    /// Answer the endpoint's own error for `code`: FogBugz XML `<error code=…>`, FogBugz JSON `errors[0].code`,
    /// Box REST/XML/SOAP `status`, OAuth2 400 `{"error": code}`. The token stays live.
    case errorCode(String)
    /// Answer a SOAP 1.1 fault with faultcode `SOAP-ENV:<code>` (e.g. `Client`, `Server`).
    case soapFault(code: String, message: String = "fault", status: Int = 500)
    /// Answer a redirect to `location` (never a logoff).
    case redirect(location: String, status: Int = 301)
    /// Read the request and never answer.
    case hang
    /// Send the head and part of the body, then stall forever.
    case stallMidBody
    /// Send the head and part of the body, then reset the connection (TCP RST via SO_LINGER 0).
    case resetMidBody

    /// A proxy or portal HTML page with `status`.
    public static func html(status: Int = 200) -> FakeFault {
        .status(status, body: "<!DOCTYPE html><html><head><title>Portal</title></head><body><p>Please sign in<br></body></html>")
    }

    /// A raw `body` with `status` and `contentType` (defaults to XML).
    public static func body(_ body: String, status: Int = 200, contentType: String = "text/xml; charset=utf-8") -> FakeFault {
        .status(status, body: body, contentType: contentType)
    }
}
