import ArgumentParser
import Crypto
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import TokendConfig
import TokendControl
import TokendAudit
import TokendCore
import TokendEngine
import TokendProviders
import TokendPostgres
import TokendSQLite
import TokendStore
import TokendSystemd

#if canImport(Glibc)
import Glibc
#endif

/// `tokend serve`: the daemon. Wires store, providers, scheduler, control server and systemd under one
/// `ServiceGroup`; SIGTERM/SIGINT shut down gracefully, SIGHUP reloads limits and roles, SIGUSR1 sweeps.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon (the default subcommand).")

    @OptionGroup var options: ConfigOption

    @Flag(name: .long, help: "Start in hold mode: no provider calls until `tokenctl resume`.")
    var hold = false

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        let startedAt = Date()
        let configuration = try ConfigFile.load(options.config)
        JournalLogHandler.bootstrap(logLevel: Logger.Level(rawValue: logLevel) ?? .info)
        let logger = Logger(label: "tokend")
        logger.debug("malloc arenas", metadata: ["limit": "\(MallocTuning.arenaLimit)"])
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let key: SymmetricKey
        do {
            key = try MasterKey.load(configuration.daemon.key)
        } catch {
            ConfigFile.failKey(options.config, configuration, error)
        }
        let signer: CheckpointSigner
        do {
            signer = try AuditPublicKey.signer(configuration, create: true)
        } catch {
            ConfigFile.fail("\(options.config): audit.signing_key_file: \(error)")
        }
        // One process per SQLite file; a PostgreSQL database is shared by design.
        var lock: DaemonLock?
        if case .sqlite(let path) = configuration.daemon.store {
            guard let held = try DaemonLock(database: path) else {
                logger.critical("another tokend is using this database", metadata: ["database": "\(path)"])
                throw ExitCode(ExitStatus.busy)
            }
            lock = held
        }
        let store: any TokenStore
        do {
            store = try await StoreOpener.open(
                configuration, sealer: Sealer(masterKey: key), logger: Logger(label: "tokend.store"))
        } catch let error as MasterKey.LoadError {
            ConfigFile.failKey(options.config, configuration, error)
        } catch {
            logger.critical("cannot open the database", metadata: ["database": "\(configuration.daemon.database)", "error": "\(error)"])
            throw ExitCode(ExitStatus.unavailable)
        }

        let notifier = SystemdNotifier()
        let heartbeat = Heartbeat()
        let providers = ProviderClients(accounts: configuration.accounts, logger: Logger(label: "tokend.providers"))
        let scheduler = RevocationScheduler(
            store: store, performer: providers, accounts: configuration.accounts,
            options: {
                var engine = RevocationScheduler.Options(
                    schedule: configuration.schedule, startHeld: hold, auditRetain: configuration.audit.retain)
                engine.auditSigner = signer
                engine.checkpointInterval = configuration.audit.checkpointInterval
                return engine
            }(),
            logger: Logger(label: "tokend.engine"), onLoop: { heartbeat.beat() })
        let api = ControlAPI(
            configuration: configuration, store: store, engine: scheduler, registry: registry,
            logger: Logger(label: "tokend.control"), startedAt: startedAt, version: TokendVersion.current,
            logon: providers, auditSigner: signer)

        let listener: ControlListener
        do {
            // tokend.socket names its fd "control" (FileDescriptorName=); a lone unnamed fd is taken as well.
            let control = try ListenFDs.controlSocket(ListenFDs.adopt(), named: "control")
            listener = .configured(configuration.control, inheritedFD: control)
        } catch {
            logger.critical("bad LISTEN_FDS from the service manager", metadata: ["error": "\(error)"])
            throw ExitCode(ExitStatus.unavailable)
        }
        let settings = api.settings
        let server = ControlServer(
            listener: listener, responder: api.makeRouter().buildResponder(),
            maxConnections: { settings.snapshot.configuration.limits.maxConnections },
            logger: Logger(label: "tokend.control"),
            onReady: {
                logger.notice("ready", metadata: ["socket": "\(configuration.control.socket)", "pid": "\(getpid())"])
                notifier.ready(status: "serving")
            })

        let configPath = options.config
        var services: [any Service] = []
        // First in the group, so it stops last: the pool outlives every service that queries through it.
        if let shared = store as? PostgresTokenStore { services.append(shared) }
        if configuration.audit.syslog, let forwarder = Self.auditForwarder(store: store, logger: logger) {
            services.append(forwarder)
        }
        services += [
            scheduler, server,
            SignalService(signal: SIGUSR1) {
                logger.info("SIGUSR1: sweep")
                scheduler.sweep()
            },
            ReloadSignalService(notifier: notifier, logger: Logger(label: "tokend.reload")) {
                let fresh = try ConfigLoader.load(path: configPath, checkAccount: ProviderClients.validate(account:))
                api.reload(fresh)
                scheduler.reload(accounts: fresh.accounts, schedule: fresh.schedule)
            },
            StatusService(notifier: notifier) {
                guard let counts = try? await store.stateCounts().byState else { return nil }
                let status = scheduler.status()
                var line = "\(counts[.active] ?? 0) active, \(counts[.revoking] ?? 0) revoking, \(counts[.failed] ?? 0) failed"
                if status.hold { line += "; HOLD: \(status.holdReason ?? "")" }
                return line
            },
        ]
        if ProcessInfo.processInfo.environment["TOKEND_TEST_HOOKS"] == "1" {
            // Test hook (inert unless set): SIGUSR2 stalls the scheduler loop, to show the watchdog stops pinging.
            services.append(SignalService(signal: SIGUSR2) { scheduler.stallForTesting(true) })
        }
        if let period = try? Watchdog.period() {
            services.append(WatchdogService(period: period, heartbeat: heartbeat, notifier: notifier))
        }
        services.append(StoppingNotifier(notifier: notifier))

        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // In-flight provider calls end within their account timeout; stay under the unit's TimeoutStopSec=30s.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(25)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            logger.error("stopped with an error", metadata: ["error": "\(error)"])
            try? await providers.shutdown()
            try? await store.flush()
            throw ExitCode(ExitStatus.unavailable)
        }
        try? await providers.shutdown()
        try? await store.flush()
        await store.close()
        withExtendedLifetime(lock) {}
        logger.notice("stopped")
    }
}
