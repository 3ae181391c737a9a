/// The provider documents the fake answers with (providers.md §1–§4).
enum FakeReplies {
    static let xmlType = "text/xml; charset=utf-8"
    static let jsonType = "application/json; charset=utf-8"

    static func apiXML(prefix: String) -> FakeAction {
        .text(
            200, xmlType,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><response><version>8</version><minversion>1</minversion><url>"
                + FakeWire.xmlEscape(prefix) + "</url></response>"
        )
    }

    static func fogbugzOK() -> FakeAction {
        .text(200, xmlType, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><response></response>")
    }

    static func fogbugzError(_ code: String, _ message: String) -> FakeAction {
        .text(
            200, xmlType,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><error code=\"\(FakeWire.xmlEscape(code))\"><![CDATA[\(message)]]></error></response>"
        )
    }

    static func jsonOK() -> FakeAction {
        .text(200, jsonType, "{\"data\":{},\"errors\":[],\"warnings\":[],\"meta\":{},\"errorCode\":null,\"maxCacheAge\":null}")
    }

    static func jsonError(_ code: String, _ message: String) -> FakeAction {
        .text(
            200, jsonType,
            "{\"data\":{},\"errors\":[{\"message\":\"\(FakeWire.jsonEscape(message))\",\"detail\":null,\"code\":\"\(FakeWire.jsonEscape(code))\"}],"
                + "\"warnings\":[],\"meta\":{},\"errorCode\":400,\"maxCacheAge\":null}"
        )
    }

    static func boxStatus(_ status: String) -> FakeAction {
        .text(
            200, xmlType,
            "<?xml version='1.0' encoding='UTF-8' ?>\n<response>\n<status>\(FakeWire.xmlEscape(status))</status>\n</response>"
        )
    }

    static let soapOpen =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\""
        + " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
        + " xmlns:SOAP-ENC=\"http://schemas.xmlsoap.org/soap/encoding/\" xmlns:ns4=\"urn:boxnet\""
        + " SOAP-ENV:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">\n<SOAP-ENV:Body>\n"
    static let soapClose = "</SOAP-ENV:Body>\n</SOAP-ENV:Envelope>"

    static func soapStatus(_ status: String) -> FakeAction {
        .text(
            200, xmlType,
            soapOpen + "<ns4:logoutResponse>\n<status xsi:type=\"xsd:string\">\(FakeWire.xmlEscape(status))</status></ns4:logoutResponse>\n"
                + soapClose
        )
    }

    static func soapFault(code: String, message: String, status: Int) -> FakeAction {
        .text(
            status, xmlType,
            soapOpen + "<SOAP-ENV:Fault><faultcode>SOAP-ENV:\(FakeWire.xmlEscape(code))</faultcode><faultstring>"
                + FakeWire.xmlEscape(message) + "</faultstring></SOAP-ENV:Fault>\n" + soapClose
        )
    }

    static func oauthError(_ error: String, status: Int = 400) -> FakeAction {
        .text(status, jsonType, "{\"error\":\"\(FakeWire.jsonEscape(error))\",\"error_description\":\"fake \(FakeWire.jsonEscape(error))\"}")
    }

    static func html(_ status: Int, _ title: String) -> FakeAction {
        .text(status, "text/html; charset=utf-8", "<!DOCTYPE html><html><head><title>\(title)</title></head><body><h1>\(title)</h1></body></html>")
    }
}
