using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using Cordon.Behaviour;
using Cordon.World;
using Cordon.Adapters.Blob;
using Cordon.Evidence;
using Cordon.Local.Connectors;
using Cordon.Local.Simulation;

namespace Cordon.Local.Bench;

/// <summary>
/// The behaviour monitor scenario: one simulated site's telemetry per seed, each on a fresh host (on Azurite a
/// fresh task hub, behaviour table and evidence container), so no agent's baseline or open alert stream carries
/// over from one seed to the next. Scored with the same run as the <c>simulate</c> command.
/// </summary>
public static class BehaviourBench
{
    const string VendorId = "bench-bpo";
    const string SiteId = "bench-behaviour";

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The reviewers and desks every bench site has besides its plain agents (declared with their roles in the world).</summary>
    static readonly (string Name, string Role)[] RoleAgents =
    [
        ("qa1", AgentRoles.Qa), ("qa2", AgentRoles.Qa),
        ("esc1", AgentRoles.Escalation), ("esc2", AgentRoles.Escalation), ("esc3", AgentRoles.Escalation),
        ("lead1", AgentRoles.TeamLead), ("lead2", AgentRoles.TeamLead), ("lead3", AgentRoles.TeamLead),
    ];

    /// <summary>Agents simulated per seed: the declared role agents and the plain ones.</summary>
    public static int SiteAgents(BehaviourSizes sizes) => RoleAgents.Length + sizes.Agents;

    /// <summary>Two clients; a site in India (IST) with reviewers and an escalation desk declared by role; the default policy.</summary>
    static string WorldJson(int agents) => JsonSerializer.Serialize(new
    {
        clients = new[] { "bench-bank", "bench-pay" }.Select(id => new
        {
            id, name = id, securityContacts = new[] { $"security@{id}.example" }, jurisdictions = new[] { "GDPR" }, contractNoticeHours = 24, sessionLifetimeMinutes = 480,
        }),
        vendors = new[]
        {
            new
            {
                id = VendorId, name = "Bench BPO", contacts = new[] { "vendor-management@bench-bpo.example" },
                sites = new[]
                {
                    new
                    {
                        id = SiteId, name = "Bench behaviour site", timeZone = "Asia/Kolkata", clientIds = new[] { "bench-bank", "bench-pay" },
                        agents = RoleAgents.Select(a => new { userPrincipalName = $"{a.Name}.{SiteId}@vendor.example", displayName = a.Name, groups = new[] { "support-agents" }, role = a.Role }),
                        generatedAgents = agents,
                    },
                },
            },
        },
        approvers = new Dictionary<string, string[]>
        {
            ["securityLead"] = ["lead@bench.example"],
            ["deputy"] = ["deputy@bench.example"],
            ["ciso"] = ["ciso@bench.example"],
            ["legal"] = ["legal@bench.example"],
            ["vendorManagement"] = ["vm1@bench.example", "vm2@bench.example"],
        },
        operators = new[] { "soc@bench.example" },
    }, Json);

    /// <summary>
    /// The site the process warms up on before its first measured seed: big enough (about 50,000 events) that the JIT's
    /// profile-guided tiers have settled, which on 2 busy cores takes tens of thousands of calls (a first seed measured
    /// after a 15,000-event warm-up ran at twice the CPU per event of the next ones).
    /// </summary>
    static readonly BehaviourSizes WarmUp = new(40, 120, 2, [1]);

    /// <summary>Sites of fewer plain agents (the quick run's) are measured cold: the warm-up would only slow them down.</summary>
    const int WarmUpFrom = 80;

    static int warmedUp;

    public static async Task<BehaviourSeedFigures> RunSeedAsync(StoreKind store, PrivateAzurite? azurite, BehaviourSizes sizes, int seed, CancellationToken ct)
    {
        if (sizes.Agents >= WarmUpFrom && Interlocked.Exchange(ref warmedUp, 1) == 0)
        {
            // A monitor runs for months: its throughput is the compiled code's, not the first minute's (tiered JIT
            // compiles the scorer's hot paths only after thousands of calls). One small unreported run, on a host of
            // its own, warms the process before the first seed, so seed 1 is measured like the others (not for the
            // small sites of the quick run, which the warm-up would only slow down).
            await RunSeedAsync(StoreKind.Memory, null, WarmUp, 0, ct);
        }

        string dataDir = BenchScratch.NewFolder("cordon-bench-behaviour-");
        try
        {
            string worldPath = Path.Combine(dataDir, "bench-world.json");
            await File.WriteAllTextAsync(worldPath, WorldJson(sizes.Agents), ct);
            var settings = new LocalSettings
            {
                Urls = $"http://127.0.0.1:{LoopbackPort.Free()}",
                DataDir = dataDir,
                WorldPath = worldPath,
                Store = store,
                StorageConnectionString = azurite?.ConnectionString ?? LocalSettings.AzuriteDevelopment,
                TaskHub = $"behaviour{seed}",
                Quiet = true,
            };
            await using LocalHost host = await LocalHost.StartAsync(settings, services =>
            {
                services.AddSingleton(sp => new SimulatedDirectory(sp.GetRequiredService<IOptions<WorldOptions>>().Value.World, statePath: null, sp.GetRequiredService<TimeProvider>()));
                if (azurite is not null)
                {
                    // The hub is fresh per seed; the behaviour table and the evidence container must be too (incident ids derive from the subject).
                    services.PostConfigure<BehaviourOptions>(o => o.TableName = $"cordonbehaviour{seed}");
                    services.AddSingleton<IEvidenceStore>(sp => new BlobEvidenceStore(new BlobContainerClient(azurite.ConnectionString, $"evidence-behaviour{seed}"),
                        sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<BlobEvidenceStore>()));
                }
            });
            using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(5) }.SignedInAs("bench", Cordon.Operators.OperatorRoles.Reader);

            // Simulated time ends before now, as in the simulate command: the monitor scores on event time.
            DateTimeOffset start = new(TimeProvider.System.GetUtcNow().UtcDateTime.AddHours(-sizes.Hours).Date, TimeSpan.Zero);
            WorldModel world = WorldModel.Load(worldPath);
            SiteSimulation sim = SiteSimulation.Generate(world, SiteId, SiteAgents(sizes), sizes.Hours, sizes.Insiders, seed, start, quitters: sizes.Quitters);
            // The producer's JSON is made before the clocks start: what is measured is the monitor taking it.
            IReadOnlyList<PreparedBatch> batches = SimulationRun.Prepare(sim, BehaviourSizes.BatchSize, sizes.TicketLag);
            var wall = Stopwatch.StartNew();
            TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            SimulationReport r = await SimulationRun.RunAsync(http, sim, batches, progress: null, ct);
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            var insiders = sim.Agents.Where(a => a.Insider).Select(a =>
            {
                string u = a.UserPrincipalName;
                bool caught = r.Caught.Contains(u);
                DateTimeOffset? detected = r.FirstAlertAt.TryGetValue(u, out DateTimeOffset d) ? d : null;
                DateTimeOffset? contained = r.ContainedAt.TryGetValue(u, out DateTimeOffset c) ? c : null;
                int total = sim.Harvests.TryGetValue(u, out var views) ? views.Count : 0;
                return new InsiderFigures(a.Rate, a.Persona == Persona.Quitter, caught, r.DetectionDelay.TryGetValue(u, out TimeSpan delay) ? delay.TotalHours : null,
                    detected is { } at ? SimulationRun.Harvested(sim, u, at) : total,
                    contained is not null, contained is { } cat ? SimulationRun.Harvested(sim, u, cat) : total, total);
            }).ToList();
            return new BehaviourSeedFigures(seed, r.Events, r.Accepted, r.Insiders.Count, r.Caught.Count, r.FalsePositives.Count, r.Precision, r.Recall,
                r.Caught.Select(u => r.DetectionDelay.TryGetValue(u, out TimeSpan d) ? d.TotalMinutes : double.NaN).ToList(),
                r.EventsPerSecondIntoState, r.Posting.TotalSeconds, wall.Elapsed.TotalSeconds)
            {
                Details = new BehaviourDetails(sim.Agents.Count - insiders.Count, sim.Hours, insiders,
                    r.FalsePositives.Select(u => sim.Agents.First(a => a.UserPrincipalName == u).Persona.ToString()).ToList(), r.InnocentsContained.Count),
                CpuSeconds = cpu,
            };
        }
        finally
        {
            BenchScratch.DeleteLater(dataDir);
        }
    }

    /// <summary>
    /// <c>bench behaviour [--stores memory,azurite] [--seeds 1,2,3] [--agents 100] [--hours 168] [--ticket-lag MINUTES] [--quitters Q] [--out file.md]</c>: the behaviour
    /// scenario alone, one fresh host per seed, printing each seed's detection figures and its events per second into the state
    /// (with the machine's load average, which the throughput depends on and the detection figures do not).
    /// </summary>
    public static async Task<int> RunCommandAsync(IReadOnlyList<string> args)
    {
        try
        {
            return await RunSeedsCommandAsync(args);
        }
        finally
        {
            BenchScratch.DeleteAll();
        }
    }

    static async Task<int> RunSeedsCommandAsync(IReadOnlyList<string> args)
    {
        var stores = new List<StoreKind> { StoreKind.Memory };
        BehaviourSizes sizes = BenchSizes.Full.Behaviour;
        string? outPath = null;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a value");
            int Whole(string v, int max) => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is > 0 && n <= max ? n
                : throw new ArgumentException($"{a} takes whole numbers 1..{max} (got {v})");
            switch (a)
            {
                case "--stores":
                    stores = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s switch
                    {
                        "memory" => StoreKind.Memory,
                        "azurite" => StoreKind.Azurite,
                        _ => throw new ArgumentException($"--stores takes memory and/or azurite, comma-separated (got {s})"),
                    }).Distinct()];
                    break;
                case "--seeds": sizes = sizes with { Seeds = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => Whole(v, 1000))] }; break;
                case "--agents": sizes = sizes with { Agents = Whole(Next(), 10_000) }; break;
                case "--hours": sizes = sizes with { Hours = Whole(Next(), 24 * 60) }; break;
                case "--ticket-lag": sizes = sizes with { TicketLag = TimeSpan.FromMinutes(Whole(Next(), 24 * 60)) }; break;
                case "--quitters": sizes = sizes with { Quitters = Next() is "0" ? 0 : Whole(args[i], 10) }; break;
                case "--out": outPath = Next(); break;
                default: throw new ArgumentException($"bench behaviour does not know the option {a}");
            }
        }

        if (stores.Count == 0 || sizes.Seeds.Count == 0)
        {
            throw new ArgumentException("bench behaviour needs at least one store and one seed");
        }

        var figures = new List<BehaviourFigures>();
        foreach (StoreKind store in stores)
        {
            using PrivateAzurite? azurite = store == StoreKind.Azurite ? await PrivateAzurite.StartAsync(".") : null;
            var seeds = new List<BehaviourSeedFigures>();
            foreach (int seed in sizes.Seeds)
            {
                string loadBefore = LoadAverage();
                BehaviourSeedFigures f = await RunSeedAsync(store, azurite, sizes, seed, CancellationToken.None);
                seeds.Add(f);
                var d = f.Details!;
                Console.WriteLine($"{store} seed {seed}: {f.Events:N0} events ({f.Accepted:N0} accepted) in {f.PostingSeconds:0.0} s posting, {f.WallSeconds:0.0} s wall: " +
                    $"{f.EventsPerSecond:N0} events/s; process CPU {f.CpuSeconds:0.0} s ({1e6 * f.CpuSeconds / Math.Max(1, f.Events):0} µs per event); load average {loadBefore} → {LoadAverage()}");
                Console.WriteLine($"  recall {f.Caught}/{f.Insiders}; innocents flagged {d.InnocentsFlagged.Count} ({string.Join(", ", d.InnocentsFlagged)}), contained {d.InnocentsContained}");
                foreach (InsiderFigures i in d.Insiders)
                {
                    Console.WriteLine($"  {(i.Quits ? $"quitter dumping {i.Rate} before logging off for good" : $"insider at {i.Rate}/shift")}: caught {i.Caught}, delay {(i.DelayHours is { } h ? h.ToString("0.00", CultureInfo.InvariantCulture) + " h" : "n/a")}, " +
                        $"harvested before detection {i.HarvestedBeforeDetection}, contained {i.Contained} after {i.HarvestedBeforeContainment} (of {i.HarvestedTotal})");
                }
            }

            figures.Add(new BehaviourFigures(sizes.Agents, sizes.Hours, sizes.Insiders, seeds));
        }

        if (outPath is not null)
        {
            var lines = new List<string> { $"| Measure | Target | {string.Join(" | ", stores.Select(s => s.ToString().ToLowerInvariant()))} |", $"|---|---|{string.Concat(stores.Select(_ => "---|"))}" };
            lines.AddRange(Rows(figures).Select(r => $"| {r.Measure} | {r.Target} | {string.Join(" | ", r.Cells)} |"));
            await File.WriteAllLinesAsync(outPath, lines);
            Console.WriteLine($"rows written to {outPath}");
        }

        return 0;
    }

    static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    static string F(double v, string format) => double.IsNaN(v) ? "n/a" : v.ToString(format, CultureInfo.InvariantCulture);

    static string Verdict(bool met) => met ? " ✅" : " ❌";

    /// <summary>The behaviour-monitoring rows of the bench table: per harvest rate, innocents, and throughput; one cell per store, spread over seeds.</summary>
    public static IReadOnlyList<BenchReport.Row> Rows(IReadOnlyList<BehaviourFigures> stores)
    {
        var rows = new List<BenchReport.Row>();
        BehaviourFigures first = stores[0];
        if (first.Seeds.Any(s => s.Details is null))
        {
            return rows;
        }

        string seeds = $"seed{(first.Seeds.Count > 1 ? "s" : "")} {string.Join(" / ", first.Seeds.Select(x => x.Seed))}";
        int agents = first.Seeds[0].Details!.Innocents + first.Seeds[0].Details!.Insiders.Count;
        double days = first.Seeds[0].Details!.Hours / 24;
        string site = $"{agents} agents in IST over {F(days, "0.#")} simulated days, {seeds}";
        foreach (var (rate, quits) in first.Seeds.SelectMany(s => s.Details!.Insiders).Select(i => (i.Rate, i.Quits)).Distinct().OrderBy(k => k.Quits).ThenBy(k => k.Rate))
        {
            rows.Add(new BenchReport.Row(
                $"Behaviour: {(quits ? $"insiders dumping {rate} customers in the ten minutes before logging off for good" : $"insiders harvesting {rate} customers per shift")} ({site}): recall · detection delay (p50 / max) · customers harvested before detection · before containment (p50 / max)",
                "recall 1.0; ≤ 50 before containment",
                stores.Select(f =>
                {
                    var all = f.Seeds.SelectMany(s => s.Details!.Insiders).Where(i => i.Rate == rate && i.Quits == quits).ToList();
                    int caught = all.Count(i => i.Caught);
                    Percentiles delay = Percentiles.Of(all.Where(i => i.DelayHours is not null).Select(i => i.DelayHours!.Value));
                    Percentiles before = Percentiles.Of(all.Select(i => (double)i.HarvestedBeforeDetection));
                    Percentiles beforeContainment = Percentiles.Of(all.Select(i => (double)i.HarvestedBeforeContainment));
                    string perSeed = string.Join(" / ", f.Seeds.Select(s => string.Join(",", s.Details!.Insiders.Where(i => i.Rate == rate && i.Quits == quits).Select(i => i.Contained ? i.HarvestedBeforeContainment.ToString(CultureInfo.InvariantCulture) : "not contained"))));
                    return $"{F((double)caught / Math.Max(1, all.Count), "0.00")} ({caught}/{all.Count}) · {F(delay.P50, "0.0")} / {F(delay.Max, "0.0")} h · {F(before.P50, "0")} / {F(before.Max, "0")} · " +
                        $"{F(beforeContainment.P50, "0")} / {F(beforeContainment.Max, "0")} ({all.Count(i => i.Contained)}/{all.Count} contained; per seed {perSeed})" +
                        Verdict(caught == all.Count && all.All(i => i.Contained && i.HarvestedBeforeContainment <= 50));
                }).ToList()));
        }

        rows.Add(new BenchReport.Row(
            $"Behaviour: innocent agents flagged (an incident at the confirmation gate) and contained, per 100 agent-weeks ({site}; QA leads, escalation desk, team leads, night shift, new hires, triple-volume days)",
            "≤ 1 flagged per 100 agent-weeks; 0 contained",
            stores.Select(f =>
            {
                double agentWeeks = f.Seeds.Sum(s => s.Details!.Innocents * s.Details.Hours / (24 * 7));
                int flagged = f.Seeds.Sum(s => s.Details!.InnocentsFlagged.Count);
                int contained = f.Seeds.Sum(s => s.Details!.InnocentsContained);
                string who = string.Join(" / ", f.Seeds.Select(s => s.Details!.InnocentsFlagged.Count == 0 ? "0" : $"{s.Details.InnocentsFlagged.Count} ({string.Join(", ", s.Details.InnocentsFlagged)})"));
                return $"{F(100 * flagged / agentWeeks, "0.00")} flagged ({flagged} in {F(agentWeeks, "0")} agent-weeks; per seed {who}) · {contained} contained" +
                    Verdict(100 * flagged / agentWeeks <= 1 && contained == 0);
            }).ToList()));
        rows.Add(new BenchReport.Row(
            $"Behaviour: events per second into the per-agent state (mean; per seed; {seeds})", "≥ 20,000 /s (memory)",
            stores.Select(f => $"{F(f.MeanEventsPerSecond, "N0")} /s ({string.Join(" / ", f.Seeds.Select(x => F(x.EventsPerSecond, "N0")))}; {F(f.Seeds.Average(x => x.Events), "N0")} events per seed)" +
                (ReferenceEquals(f, first) ? Verdict(f.Seeds.All(x => x.EventsPerSecond >= 20_000)) : "")).ToList()));
        return rows;
    }
}

/// <summary>One planted insider: its rate, whether and when it was caught, and how many customers it had harvested by then.</summary>
public sealed record InsiderFigures(int Rate, bool Quits, bool Caught, double? DelayHours, int HarvestedBeforeDetection, bool Contained, int HarvestedBeforeContainment, int HarvestedTotal);

/// <summary>What the behaviour scenario measures beyond the seed's totals.</summary>
public sealed record BehaviourDetails(int Innocents, double Hours, IReadOnlyList<InsiderFigures> Insiders, IReadOnlyList<string> InnocentsFlagged, int InnocentsContained);
