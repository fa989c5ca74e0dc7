using System.Globalization;

namespace Cordon.Local.Bench;

/// <summary>How big each scenario is: the full bench, or the short CI smoke run (<c>--quick</c>).</summary>
public sealed record BenchSizes(int SingleAlerts, int OverheadAlerts, IReadOnlyList<int> Bursts, IReadOnlyList<int> OffboardingAgents, BehaviourSizes Behaviour)
{
    public static readonly BenchSizes Full = new(20, 20, [100, 1000], [100, 1000, 5000], new BehaviourSizes(100, 168, 8, [1, 2, 3]));

    public static readonly BenchSizes Quick = new(5, 5, [10, 25], [20, 60, 100], new BehaviourSizes(40, 72, 4, [1]));

    /// <summary>Distinct subjects needed: every alert of the latency scenarios is for a new agent.</summary>
    public int SubjectPool => 1 + SingleAlerts + OverheadAlerts + Bursts.Sum(); // 1: the warm-up alert
}

/// <summary>
/// The behaviour monitor scenario: a simulated site of <paramref name="Agents"/> plain agents (plus the declared QA leads,
/// escalation desk and team leads) over <paramref name="Hours"/>, with <paramref name="Insiders"/> bribed insiders at
/// 10, 15, 25 and 60 customers per shift in turn; one fresh host per seed.
/// </summary>
public sealed record BehaviourSizes(int Agents, double Hours, int Insiders, IReadOnlyList<int> Seeds)
{
    /// <summary>The simulate command's default; batches also end every 10 simulated minutes.</summary>
    public const int BatchSize = 1000;
}

/// <summary><c>bench [--quick] [--stores memory,azurite] [--graph-latency-ms 50] [--out docs/benchmarks.md]</c>.</summary>
public sealed record BenchOptions
{
    public bool Quick { get; init; }

    public IReadOnlyList<StoreKind> Stores { get; init; } = [StoreKind.Memory, StoreKind.Azurite];

    /// <summary>Simulated Graph latency per request for the overhead and offboarding scenarios.</summary>
    public TimeSpan GraphLatency { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The Markdown table; the raw figures go beside it with a .json extension.</summary>
    public string OutPath { get; init; } = "docs/benchmarks.md";

    /// <summary>Where node_modules/.bin/azurite is looked for (the repository root when run with dotnet run).</summary>
    public string RepositoryRoot { get; init; } = ".";

    public BenchSizes Sizes => Quick ? BenchSizes.Quick : BenchSizes.Full;

    public string JsonPath => Path.ChangeExtension(OutPath, ".json");

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var o = new BenchOptions();
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
                case "--out":
                    string path = Next();
                    o = o with { OutPath = path.EndsWith(".md", StringComparison.OrdinalIgnoreCase) ? path : throw new ArgumentException($"--out must name a .md file (got {path})") };
                    break;
                default: throw new ArgumentException($"bench does not know the option {a}");
            }
        }

        return o;
    }
}
