import Logging
import TokendAudit
import TokendEngine
import TokendStore
import TokendSystemd

extension Serve {
    /// `audit.syslog = true`: every committed audit row to the journal (structured `TOKEND_AUDIT_*` fields), or
    /// to `/dev/log` as one line when there is no journal. Nil, after an error in the log, when neither exists:
    /// revocation goes on, the database stays the record.
    static func auditForwarder(store: any TokenStore, logger: Logger) -> AuditForwarder? {
        guard let writer = JournalWriter() else {
            logger.error(
                "audit.syslog is on but there is no journal socket (\(JournalWriter.journalSocket)) or \(JournalWriter.syslogSocket): audit events are not forwarded")
            return nil
        }
        logger.info("audit events forwarded", metadata: ["socket": "\(writer.path)"])
        return AuditForwarder(store: store, logger: Logger(label: "tokend.audit-syslog")) { row in
            let fields = JournalFields.fields(row)
            switch writer.kind {
            case .journal:
                return writer.send(JournalFields.datagram(fields))
            case .syslog:
                return writer.send(
                    JournalWriter.syslogLine(
                        tag: JournalFields.identifier, message: JournalFields.message(row),
                        fields: fields.filter { $0.name.hasPrefix("TOKEND_") }))
            }
        }
    }
}
