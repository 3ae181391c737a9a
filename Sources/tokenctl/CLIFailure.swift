import TokendClient

/// A failure that ends tokenctl with a contract exit status after printing `tokenctl: <message>`.
struct CLIFailure: Error {
    var status: ExitStatus
    var message: String

    /// Wraps anything thrown while preparing or sending a request.
    init(_ error: any Error) {
        status = ExitStatus.forError(error)
        switch error {
        case let error as UsageError: message = error.message
        case let error as ControlClientError: message = error.description
        case let error as ControlAPIError: message = error.description
        case let error as CLIFailure: self = error; return
        default: message = "\(error)"
        }
    }

    init(status: ExitStatus, message: String) {
        self.status = status
        self.message = message
    }
}
