using System.Globalization;

namespace Cordon.Local.Bench;

/// <summary>How big each scenario is: the full bench, or the short CI smoke run (<c>--quick</c>).</summary>
public sealed record BenchSizes(int SingleAlerts, int OverheadAlerts, IReadOnlyList<int> Bursts, IReadOnlyList<int> OffboardingAgents, BehaviourSizes Behaviour)
{
    public static readonly BenchSizes Full = new(20, 20, [100, 1000], [100, 1000, 5000], new BehaviourSizes(100, 168, 8, [1, 2, 3]))
    {
        BurstRuns = 5, List = new ListSizes(10_000, 1_000, 1_000, 50), CrashRepeats = 3,
    };

    public static readonly BenchSizes Quick = new(5, 5, [10, 25], [20, 60, 100], new BehaviourSizes(40, 72, 4, [1]))
    {
        BurstRuns = 2, List = new ListSizes(200, 50, 50, 10), CrashRepeats = 1,
    };

    /// <summary>Each burst size runs this many times, each on a fresh host: one run is noise on a shared machine.</summary>
    public int BurstRuns { get; init; } = 1;

    public ListSizes List { get; init; } = new(0, 0, 0, 0);

    /// <summary>Kill-and-restart cycles of the crash-resume scenario (Azure Storage only).</summary>
    public int CrashRepeats { get; init; } = 1;

    /// <summary>Distinct subjects needed: every alert of the latency scenarios is for a new agent.</summary>
    public int SubjectPool => 1 + StoreBench.WarmUpAlerts + SingleAlerts + OverheadAlerts + Bursts.Sum() + List.Closed + List.Open + CrashRepeats; // the after-burst alert
}

/// <summary>
/// The list scenario: closed (record-only) and open (contained, waiting for confirmation) incidents in one store, then
/// <see cref="Requests"/> timed GETs of each page kind. Azure Storage seeds <see cref="AzuriteClosed"/> closed ones (Azurite
/// takes seconds per hundred incidents).
/// </summary>
public sealed record ListSizes(int Closed, int AzuriteClosed, int Open, int Requests);

/// <summary>
/// The behaviour monitor scenario: a simulated site of <paramref name="Agents"/> plain agents (plus the declared QA leads,
/// escalation desk and team leads) over <paramref name="Hours"/>, with <paramref name="Insiders"/> bribed insiders at
/// 10, 15, 25 and 60 customers per shift in turn; one fresh host per seed.
/// </summary>
public sealed record BehaviourSizes(int Agents, double Hours, int Insiders, IReadOnlyList<int> Seeds)
{
    /// <summary>Tickets from a feed of their own this far behind the access log (0: with the access events).</summary>
    public TimeSpan TicketLag { get; init; }

    /// <summary>Insiders who dump <see cref="Simulation.SiteSimulation.DumpSize"/> customers before logging off for good.</summary>
    public int Quitters { get; init; } = 1;

    /// <summary>The simulate command's default; batches also end every 10 simulated minutes.</summary>
    public const int BatchSize = 1000;
}

/// <summary>The bench's scenarios, in the order they run on each store.</summary>
public enum BenchScenario { Single, Burst, Overhead, Offboard, List, Crash, Behaviour }

/// <summary><c>bench [--quick] [--stores memory,azurite] [--scenarios ...] [--graph-latency-ms 50] [--bursts 100,1000] [--burst-runs 5] [--list-size 10000,1000] [--out docs/benchmarks.md]</c>.</summary>
public sealed record BenchOptions
{
    /// <summary>What <c>bench --help</c> prints.</summary>
    public const string Help = """
        bench: the benchmark, every scenario on every store, report in docs/benchmarks.md (+ .json beside it)
          --quick                    small sizes (CI smoke run); writes a report only with --out, never into docs/
          --stores memory,azurite    stores to run, in this order (default: both; azurite starts private Azurites)
          --scenarios LIST           comma-separated subset of: single, burst, overhead, offboard, list, crash, behaviour
                                     (default: all; crash runs on azurite only)
          --bursts 100,1000          burst sizes (1..5000 alerts each)
          --burst-runs 5             runs of each burst size, each on a fresh host (1..20)
          --list-size 10000,1000     closed,open incidents seeded for the list scenario (azurite seeds its closed ones
                                     below the workflow; see docs/benchmarks.md)
          --graph-latency-ms 50      simulated Graph latency for the overhead and offboarding scenarios
          --scenario-timeout-min N   a scenario running longer is reported as timed out and the bench goes on
                                     (default: 10 full, 4 quick; the largest offboarding gets its floor on top)
          --out FILE.md              where the report goes (default docs/benchmarks.md; --quick: nowhere unless given)
        Full two-store run: dotnet run -c Release --project Functions.Local -- bench
        """;

    public IReadOnlySet<BenchScenario> Scenarios { get; init; } = Enum.GetValues<BenchScenario>().ToHashSet();

    public bool Runs(BenchScenario s) => Scenarios.Contains(s);

    /// <summary>--list-size: closed and open incidents of the list scenario instead of the chosen size's.</summary>
    public (int Closed, int Open)? ListSize { get; init; }

    /// <summary>Each scenario's time bound (per burst run, per seed); null: the chosen size's default.</summary>
    public TimeSpan? ScenarioTimeout { get; init; }

    public TimeSpan Timeout => ScenarioTimeout ?? (Quick ? TimeSpan.FromMinutes(4) : TimeSpan.FromMinutes(10));

    public bool Quick { get; init; }

    public IReadOnlyList<StoreKind> Stores { get; init; } = [StoreKind.Memory, StoreKind.Azurite];

    /// <summary>Simulated Graph latency per request for the overhead and offboarding scenarios.</summary>
    public TimeSpan GraphLatency { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The Markdown table; the raw figures go beside it with a .json extension. The full bench writes docs/benchmarks.md
    /// unless told otherwise; --quick writes only where --out says, never into docs/.
    /// </summary>
    public string? OutPath { get; init; } = DocsPath;

    public const string DocsPath = "docs/benchmarks.md";

    /// <summary>Where node_modules/.bin/azurite is looked for (the repository root when run with dotnet run).</summary>
    public string RepositoryRoot { get; init; } = ".";

    /// <summary>--bursts 200,1000 and --burst-runs 3: other burst sizes or run counts than the chosen size's.</summary>
    public IReadOnlyList<int>? Bursts { get; init; }

    public int? BurstRuns { get; init; }

    public BenchSizes Sizes
    {
        get
        {
            BenchSizes s = Quick ? BenchSizes.Quick : BenchSizes.Full;
            return s with { Bursts = Bursts ?? s.Bursts, BurstRuns = BurstRuns ?? s.BurstRuns, List = ListSize is var (c, op) ? s.List with { Closed = c, AzuriteClosed = c, Open = op } : s.List };
        }
    }

    public string? JsonPath => OutPath is null ? null : Path.ChangeExtension(OutPath, ".json");

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var o = new BenchOptions();
        bool outGiven = false;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a value");
            switch (a)
            {
                case "--quick": o = o with { Quick = true }; break;
                case "--stores":
                    string list = Next();
                    var stores = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s switch
                    {
                        "memory" => StoreKind.Memory,
                        "azurite" => StoreKind.Azurite,
                        _ => throw new ArgumentException($"--stores takes memory and/or azurite, comma-separated (got {s})"),
                    }).Distinct().ToList();
                    o = o with { Stores = stores.Count > 0 ? stores : throw new ArgumentException("--stores needs at least one store") };
                    break;
                case "--graph-latency-ms":
                    string ms = Next();
                    o = o with
                    {
                        GraphLatency = int.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v is > 0 and <= 10_000
                            ? TimeSpan.FromMilliseconds(v)
                            : throw new ArgumentException($"--graph-latency-ms must be a whole number of milliseconds, 1..10000 (got {ms})"),
                    };
                    break;
                case "--bursts":
                    string bursts = Next();
                    o = o with
                    {
                        Bursts = bursts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                            .Select(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is > 0 and <= 5000 ? n
                                : throw new ArgumentException($"--bursts takes burst sizes 1..5000, comma-separated (got {b})")).ToList() is { Count: > 0 } l ? l
                            : throw new ArgumentException("--bursts needs at least one size"),
                    };
                    break;
                case "--burst-runs":
                    string runs = Next();
                    o = o with
                    {
                        BurstRuns = int.TryParse(runs, NumberStyles.None, CultureInfo.InvariantCulture, out int r) && r is > 0 and <= 20 ? r
                            : throw new ArgumentException($"--burst-runs must be 1..20 (got {runs})"),
                    };
                    break;
                case "--scenarios":
                    string names = Next();
                    var chosen = names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n =>
                        Enum.TryParse(n, ignoreCase: true, out BenchScenario sc) && !int.TryParse(n, out _) ? sc
                            : throw new ArgumentException($"--scenarios takes {string.Join(", ", Enum.GetNames<BenchScenario>().Select(x => x.ToLowerInvariant()))}, comma-separated (got {n})")).ToHashSet();
                    o = o with { Scenarios = chosen.Count > 0 ? chosen : throw new ArgumentException("--scenarios needs at least one scenario") };
                    break;
                case "--list-size":
                    string size = Next();
                    int[] counts = size.Split(',', StringSplitOptions.TrimEntries).Select(c => int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 0 and <= 50_000 ? n : -1).ToArray();
                    o = o with
                    {
                        ListSize = counts is [>= 0 and var c, >= 0 and var op] && c + op > 0
                            ? (c, op)
                            : throw new ArgumentException($"--list-size takes closed,open incident counts, each 0..50000 (got {size})"),
                    };
                    break;
                case "--scenario-timeout-min":
                    string min = Next();
                    o = o with
                    {
                        ScenarioTimeout = int.TryParse(min, NumberStyles.None, CultureInfo.InvariantCulture, out int m) && m is > 0 and <= 240 ? TimeSpan.FromMinutes(m)
                            : throw new ArgumentException($"--scenario-timeout-min must be 1..240 (got {min})"),
                    };
                    break;
                case "--out":
                    string path = Next();
                    o = o with { OutPath = path.EndsWith(".md", StringComparison.OrdinalIgnoreCase) ? path : throw new ArgumentException($"--out must name a .md file (got {path})") };
                    outGiven = true;
                    break;
                default: throw new ArgumentException($"bench does not know the option {a}");
            }
        }

        if (o.Quick)
        {
            if (!outGiven)
            {
                o = o with { OutPath = null };
            }
            else if (InDocs(o.OutPath!))
            {
                throw new ArgumentException($"bench --quick never writes into docs/ (got --out {o.OutPath}): the published figures come from the full bench");
            }
        }

        return o;
    }

    static bool InDocs(string path) =>
        Path.GetFullPath(path).Replace('\\', '/').Contains("/docs/", StringComparison.Ordinal) || path.Replace('\\', '/').StartsWith("docs/", StringComparison.Ordinal);
}
