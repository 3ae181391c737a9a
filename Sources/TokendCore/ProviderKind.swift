/// The provider families tokend can log tokens off from.
public enum ProviderKind: String, Sendable, Codable, CaseIterable, Hashable {
    case fogbugz
    case box
}

/// One wire variant of a provider's logoff call (providers.md §1–§4).
public enum ProviderAPI: String, Sendable, Codable, CaseIterable, Hashable {
    case fogbugzXML = "xml"
    case fogbugzJSON = "json"
    case boxREST = "rest"
    case boxXML = "box-xml"
    case boxSOAP = "soap"
    case boxOAuth2 = "oauth2"

    /// The provider family the variant belongs to.
    public var provider: ProviderKind {
        switch self {
        case .fogbugzXML, .fogbugzJSON: .fogbugz
        case .boxREST, .boxXML, .boxSOAP, .boxOAuth2: .box
        }
    }

    /// The spelling of the `api` key in the config file.
    public var configName: String {
        switch self {
        case .fogbugzXML, .boxXML: "xml"
        case .fogbugzJSON: "json"
        case .boxREST: "rest"
        case .boxSOAP: "soap"
        case .boxOAuth2: "oauth2"
        }
    }

    /// Parses the config file's `api` value for a provider family.
    public init?(provider: ProviderKind, configName: String) {
        switch (provider, configName) {
        case (.fogbugz, "xml"): self = .fogbugzXML
        case (.fogbugz, "json"): self = .fogbugzJSON
        case (.box, "rest"): self = .boxREST
        case (.box, "xml"): self = .boxXML
        case (.box, "soap"): self = .boxSOAP
        case (.box, "oauth2"): self = .boxOAuth2
        default: return nil
        }
    }
}
