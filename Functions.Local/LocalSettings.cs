using Azure.Storage.Blobs;
using Cordon.Local.Connectors;
using Cordon.World;
using Cordon.Adapters.Blob;
using Cordon.Evidence;

namespace Cordon.Local;

public enum StoreKind { Memory, Azurite }

/// <summary>Command-line settings of the local host (see README "Configuration").</summary>
public sealed record LocalSettings
{
    public const string AzuriteDevelopment =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";

    public string Urls { get; init; } = "http://127.0.0.1:7071";
    public StoreKind Store { get; init; } = StoreKind.Memory;
    public string StorageConnectionString { get; init; } = AzuriteDevelopment;
    /// <summary>Whether a storage connection string was given; without one, --store azurite starts a private Azurite.</summary>
    public bool StorageConnectionGiven { get; init; }
    public string WorldPath { get; init; } = "samples/world.json";
    public string? PolicyPath { get; init; }
    public string DataDir { get; init; } = ".cordon";
    public string? ServiceBusConnection { get; init; }
    public string ServiceBusQueue { get; init; } = "risk-alerts";
    /// <summary>The access-telemetry queue listened to beside the alert queue when --service-bus is given.</summary>
    public string TelemetryQueue { get; init; } = "access-events";
    /// <summary>Simulated Graph latency per call (benchmarks).</summary>
    public TimeSpan DirectoryLatency { get; init; } = TimeSpan.Zero;
    /// <summary>
    /// The longest wait between polls of an empty queue on the Azure Storage store, as host.json sets it in Azure (1 s).
    /// A message this host sends wakes its poller at once (the provider resets its back-off on every send), so steps of
    /// an incident still follow each other in milliseconds; only a durable timer's message waits up to this long. At
    /// 100 ms the idle host spent 53 ms of CPU a second polling Azurite, at 1 s 7 ms; a burst of 1,000, about 190 s of
    /// follow-up work, paid it on every incident.
    /// </summary>
    public int MaxQueuePollingMs { get; init; } = 1000;
    /// <summary>
    /// Control-queue partitions of a new task hub on the Azure Storage store (--partitions; fixed when the hub is
    /// created). Each partition is polled and dispatched on its own.
    /// </summary>
    public int Partitions { get; init; } = 1;
    /// <summary>
    /// Incident steps (orchestration episodes, and activities, each) the Azure Storage store runs at once
    /// (--follow-up-work-items). Intake contains a new incident itself; everything after (evidence, mail, events,
    /// gates) is follow-up work that, on two shared cores, competed with intake for the CPU: with 256 at once a
    /// burst of 300 was taken at 9 alerts/s, with 8 at 14 alerts/s (p95 5.4 s → 3.2 s); with 2 the follow-up work
    /// fell minutes behind. Azure's own default is 10 per core (host.json maxConcurrent…Functions). Since the
    /// follow-up work yields to intake while it places alerts (EmbeddedBackend), 16 measured better than 8: a burst of
    /// 300 reached its gates in 46 s instead of 93 s at 55–67 ms of CPU per incident instead of 75 (32: 37 s, 64 ms),
    /// a burst of 1,000 in 258–276 s instead of 332–345 s at 84–90 ms instead of 89–103, containment's p95 unchanged.
    /// </summary>
    public int FollowUpWorkItems { get; init; } = DefaultFollowUpWorkItems;
    public const int DefaultFollowUpWorkItems = 16;
    /// <summary>How long closed incidents' orchestration history is kept before the purge (--history-retention-hours).</summary>
    public TimeSpan? HistoryRetention { get; init; }
    /// <summary>
    /// How long a queue message taken by a host that then crashed stays invisible (Azure Storage store).
    /// It bounds how long a restarted host waits for the crashed host's in-flight steps; it must exceed the
    /// longest step, since the embedded sidecar does not renew it. Steps are short (throttling and retries
    /// are waited out on durable timers), so 30 s: a crash costs seconds, not minutes.
    /// </summary>
    public TimeSpan MessageVisibility { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Public base URL for approval links; defaults to the first URL served.</summary>
    public string? BaseUrl { get; init; }
    public bool Quiet { get; init; }
    /// <summary>Durable Task hub name on the Azure Storage provider; one store can hold several hubs side by side.</summary>
    public string TaskHub { get; init; } = "cordon";
    /// <summary>--telemetry console: print spans and metrics (off by default so the host output stays readable).</summary>
    public bool TelemetryConsole { get; init; }

    /// <summary>Container of the evidence store on Azurite (with --store azurite).</summary>
    public const string AzuriteEvidenceContainer = "evidence";

    /// <summary>
    /// Evidence container on Azurite: one per task hub, because incident ids restart in every hub and two hubs
    /// in one store must never write into each other's evidence.
    /// </summary>
    public string EvidenceContainer => TaskHub == "cordon" ? AzuriteEvidenceContainer : $"{AzuriteEvidenceContainer}-{TaskHub.ToLowerInvariant()}";

    /// <summary>The evidence store this host uses: Blob storage on Azurite with --store azurite, else a folder under the data directory.</summary>
    public IEvidenceStore EvidenceStore(TimeProvider time, ILoggerFactory? loggers = null) => Store == StoreKind.Azurite
        ? new BlobEvidenceStore(new BlobContainerClient(StorageConnectionString, EvidenceContainer), time, loggers?.CreateLogger<BlobEvidenceStore>())
        : new FolderEvidenceStore(Path.Combine(DataDir, "evidence"), time);

    /// <summary>Reads --name value options; the rest are positional arguments. <paramref name="given"/> collects the options read, by name.</summary>
    public static (LocalSettings Settings, List<string> Positional) Parse(IReadOnlyList<string> args, ICollection<string>? given = null)
    {
        var s = new LocalSettings();
        var positional = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a value");
            switch (a)
            {
                case "--urls": s = s with { Urls = Next() }; break;
                case "--store":
                    string store = Next();
                    s = s with
                    {
                        Store = store switch
                        {
                            "memory" => StoreKind.Memory,
                            "azurite" => StoreKind.Azurite,
                            _ => throw new ArgumentException($"--store must be memory or azurite (got {store})"),
                        },
                    };
                    if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Contains('=', StringComparison.Ordinal))
                    {
                        s = s with { StorageConnectionString = Next(), StorageConnectionGiven = true };
                    }

                    break;
                case "--storage": s = s with { StorageConnectionString = Next(), StorageConnectionGiven = true }; break;
                case "--world": s = s with { WorldPath = Next() }; break;
                case "--policy": s = s with { PolicyPath = Next() }; break;
                case "--data-dir": s = s with { DataDir = Next() }; break;
                case "--service-bus": s = s with { ServiceBusConnection = Next() }; break;
                case "--queue": s = s with { ServiceBusQueue = Next() }; break;
                case "--telemetry-queue": s = s with { TelemetryQueue = Next() }; break;
                case "--directory-latency-ms": s = s with { DirectoryLatency = TimeSpan.FromMilliseconds(Whole(a, Next())) }; break;
                case "--message-visibility-seconds": s = s with { MessageVisibility = TimeSpan.FromSeconds(Whole(a, Next())) }; break;
                case "--base-url": s = s with { BaseUrl = Next() }; break;
                case "--partitions":
                    string partitions = Next();
                    s = s with
                    {
                        Partitions = int.TryParse(partitions, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pc) && pc is >= 1 and <= 16
                            ? pc : throw new ArgumentException($"--partitions must be 1..16 (got {partitions})"),
                    };
                    break;
                case "--follow-up-work-items":
                    int items = Whole(a, Next());
                    s = s with { FollowUpWorkItems = items is >= 1 and <= 1024 ? items : throw new ArgumentException($"{a} must be 1..1024 (got \"{items}\")") };
                    break;
                case "--history-retention-hours":
                    string hours = Next();
                    s = s with
                    {
                        HistoryRetention = double.TryParse(hours, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double h) && h >= 0
                            ? TimeSpan.FromHours(h) : throw new ArgumentException($"--history-retention-hours must be a number of hours ≥ 0 (got {hours})"),
                    };
                    break;
                case "--quiet": s = s with { Quiet = true }; break;
                case "--task-hub": s = s with { TaskHub = Next() }; break;
                case "--telemetry":
                    string exporter = Next();
                    s = s with { TelemetryConsole = exporter == "console" ? true : exporter == "none" ? false : throw new ArgumentException($"--telemetry must be console or none (got {exporter})") };
                    break;
                default: positional.Add(a); continue;
            }

            given?.Add(a);
        }

        return (s, positional);
    }

    /// <summary>A non-negative whole number, or an error naming the option and the value.</summary>
    static int Whole(string option, string value) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n)
            ? n
            : throw new ArgumentException($"{option} must be a whole number of 0 or more (got \"{value}\")");
}
