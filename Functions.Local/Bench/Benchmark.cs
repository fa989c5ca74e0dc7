using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Spectre.Console;

namespace Cordon.Local.Bench;

/// <summary>
/// Runs every scenario on every store, side by side, and returns the figures. Each store runs its latency
/// scenarios and the smaller offboardings on a fresh host, then the behaviour monitor scenario on a fresh host per
/// seed; the largest offboarding runs for every store on hosts of its own (each its own simulated tenant), in the
/// background of the second store's scenarios:
/// it spends almost all its time waiting out Graph's budget, and this keeps the bench near 10 minutes.
/// </summary>
public static class Benchmark
{
    public static async Task<int> RunCommandAsync(IReadOnlyList<string> args)
    {
        BenchOptions options = BenchOptions.Parse(args);
        BenchReport report = await RunAsync(options, AnsiConsole.Console, CancellationToken.None);
        if (options.OutPath is not null)
        {
            await report.WriteAsync(options.OutPath, options.JsonPath!);
        }

        var table = new Table().AddColumn("Measure").AddColumn("Target");
        foreach (StoreFigures s in report.Stores)
        {
            table.AddColumn(s.Store);
        }

        foreach (BenchReport.Row r in report.Rows())
        {
            table.AddRow([Markup.Escape(r.Measure), Markup.Escape(r.Target), .. r.Cells.Select(Markup.Escape)]);
        }

        AnsiConsole.Write(table);
        AnsiConsole.WriteLine(options.OutPath is null
            ? $"not written (--quick writes a report only with --out) ({report.TotalSeconds / 60:0.0} min)"
            : $"written: {options.OutPath}, {options.JsonPath} ({report.TotalSeconds / 60:0.0} min)");
        return 0;
    }

    public static async Task<BenchReport> RunAsync(BenchOptions options, IAnsiConsole console, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        MachineFacts machine = Machine();
        BenchSizes sizes = options.Sizes;
        var perStore = new Dictionary<StoreKind, (ContainmentFigures Single, List<BurstFigures> Bursts, OverheadFigures Overhead, List<OffboardingFigures> Offboarding, BehaviourFigures Behaviour, ListFigures List, CrashFigures? Crash)>();
        int largestSite = sizes.OffboardingAgents[^1];
        string N(int n) => n.ToString("N0", CultureInfo.InvariantCulture);

        await console.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                async Task RunStoreAsync(StoreKind store)
                {
                    string name = store.ToString().ToLowerInvariant();
                    ProgressTask Task(string what, double max) => ctx.AddTask($"{name}: {what}", autoStart: false, maxValue: max);
                    ProgressTask start = Task("start host", 1);
                    ProgressTask single = Task($"{N(sizes.SingleAlerts)} single alerts", sizes.SingleAlerts);
                    var bursts = sizes.Bursts.Select(n => Enumerable.Range(1, sizes.BurstRuns).Select(r => Task($"burst of {N(n)}, run {r} of {sizes.BurstRuns}", n)).ToList()).ToList();
                    int listClosed = store == StoreKind.Azurite ? sizes.List.AzuriteClosed : sizes.List.Closed;
                    ProgressTask listing = Task($"list at {N(listClosed)} closed + {N(sizes.List.Open)} open incidents", listClosed + sizes.List.Open);
                    ProgressTask? crash = store == StoreKind.Azurite ? Task($"crash at the confirmation gate, {sizes.CrashRepeats}×", sizes.CrashRepeats) : null;
                    ProgressTask overhead = Task($"{N(sizes.OverheadAlerts)} alerts at {options.GraphLatency.TotalMilliseconds:0} ms Graph latency", sizes.OverheadAlerts);
                    var offboardings = sizes.OffboardingAgents.SkipLast(1).Select(n => Task($"offboard {N(n)} agents", (n + 19) / 20 * 2)).ToList();
                    var behaviour = sizes.Behaviour.Seeds.Select(seed => Task($"behaviour: {N(sizes.Behaviour.Agents)} agents, {sizes.Behaviour.Hours:0.#} h, seed {seed}", 1)).ToList();

                    start.StartTask();
                    await using StoreBench bench = await StoreBench.StartAsync(store, sizes, options.RepositoryRoot);
                    start.Increment(1);
                    start.StopTask();

                    single.StartTask();
                    ContainmentFigures singleFigures = (await bench.SequentialAsync(sizes.SingleAlerts, TimeSpan.Zero, v => single.Value = v, ct)).Figures;
                    single.StopTask();

                    // Every burst run on a fresh host (and Azurite): no run inherits another's open incidents or queues.
                    var burstFigures = new List<BurstFigures>();
                    TimeSpan burstTimeout = options.Quick ? TimeSpan.FromMinutes(3) : TimeSpan.FromMinutes(10);
                    for (int i = 0; i < sizes.Bursts.Count; i++)
                    {
                        var runs = new List<ContainmentFigures>();
                        foreach (ProgressTask t in bursts[i])
                        {
                            t.StartTask();
                            await using (StoreBench fresh = await StoreBench.StartAsync(store, sizes, options.RepositoryRoot))
                            {
                                runs.Add(await fresh.BurstAsync(sizes.Bursts[i], burstTimeout, v => t.Value = v, ct));
                            }

                            t.StopTask();
                        }

                        burstFigures.Add(new BurstFigures(sizes.Bursts[i], runs));
                    }

                    overhead.StartTask();
                    OverheadFigures overheadFigures = await bench.OverheadAsync(sizes.OverheadAlerts, options.GraphLatency, v => overhead.Value = v, ct);
                    overhead.StopTask();

                    var offboardFigures = new List<OffboardingFigures>();
                    for (int i = 0; i < offboardings.Count; i++)
                    {
                        ProgressTask t = offboardings[i];
                        t.StartTask();
                        offboardFigures.Add(await bench.OffboardAsync(sizes.OffboardingAgents[i], options.GraphLatency, inBackground: false, v => t.Value = v, ct));
                        t.Value = t.MaxValue;
                        t.StopTask();
                    }

                    listing.StartTask();
                    ListFigures listFigures;
                    await using (StoreBench fresh = await StoreBench.StartAsync(store, sizes, options.RepositoryRoot))
                    {
                        listFigures = await fresh.ListAsync(listClosed, sizes.List.Open, sizes.List.Requests, v => listing.Value = v, ct);
                    }

                    listing.Value = listing.MaxValue;
                    listing.StopTask();

                    CrashFigures? crashFigures = null;
                    if (crash is not null)
                    {
                        crash.StartTask();
                        crashFigures = await CrashResumeBench.RunAsync(sizes, options.RepositoryRoot, v => crash.Value = v, ct);
                        crash.StopTask();
                    }

                    BehaviourFigures behaviourFigures = await BehaviourAsync(store, sizes.Behaviour, behaviour, options.RepositoryRoot, ct);
                    perStore[store] = (singleFigures, burstFigures, overheadFigures, offboardFigures, behaviourFigures, listFigures, crashFigures);
                }

                // The first store (memory, which the targets are for) runs alone. Then the largest offboarding starts
                // for every store on hosts of its own, and the other stores' scenarios run while it waits out Graph's budget.
                await RunStoreAsync(options.Stores[0]);

                bool together = options.Stores.Count > 1;
                var largest = options.Stores.ToDictionary(s => s, s => ctx.AddTask(
                    $"{s.ToString().ToLowerInvariant()}: offboard {N(largestSite)} agents{(together ? " (in the background)" : "")}", autoStart: false, maxValue: (largestSite + 19) / 20 * 2));
                var hosts = new List<StoreBench>();
                try
                {
                    foreach (StoreKind store in options.Stores)
                    {
                        hosts.Add(await StoreBench.StartAsync(store, sizes, options.RepositoryRoot));
                    }

                    Task<OffboardingFigures[]> offboarding = System.Threading.Tasks.Task.WhenAll(hosts.Select(async h =>
                    {
                        ProgressTask t = largest[h.Store];
                        t.StartTask();
                        OffboardingFigures f = await h.OffboardAsync(largestSite, options.GraphLatency, together, v => t.Value = v, ct);
                        t.Value = t.MaxValue;
                        t.StopTask();
                        return f;
                    }));
                    foreach (StoreKind store in options.Stores.Skip(1))
                    {
                        await RunStoreAsync(store);
                    }

                    OffboardingFigures[] figures = await offboarding;
                    for (int i = 0; i < hosts.Count; i++)
                    {
                        perStore[hosts[i].Store].Offboarding.Add(figures[i]);
                    }
                }
                finally
                {
                    foreach (StoreBench h in hosts)
                    {
                        await h.DisposeAsync();
                    }
                }
            });

        var stores = options.Stores.Select((s, i) => new StoreFigures(s.ToString().ToLowerInvariant(), perStore[s].Single, perStore[s].Bursts, perStore[s].Overhead, perStore[s].Offboarding,
            RanAlongsideLargestOffboarding: i > 0, perStore[s].Behaviour) { List = perStore[s].List, Crash = perStore[s].Crash }).ToList();
        return new BenchReport(DateTime.UtcNow, options.Quick, options.GraphLatency.TotalMilliseconds, machine, stores, total.Elapsed.TotalSeconds);
    }

    /// <summary>Every seed on a fresh host; on Azurite they share one private Azurite, each in a task hub of its own.</summary>
    static async Task<BehaviourFigures> BehaviourAsync(StoreKind store, BehaviourSizes sizes, IReadOnlyList<ProgressTask> tasks, string repositoryRoot, CancellationToken ct)
    {
        using PrivateAzurite? azurite = store == StoreKind.Azurite ? await PrivateAzurite.StartAsync(repositoryRoot) : null;
        var seeds = new List<BehaviourSeedFigures>();
        for (int i = 0; i < sizes.Seeds.Count; i++)
        {
            tasks[i].StartTask();
            seeds.Add(await BehaviourBench.RunSeedAsync(store, azurite, sizes, sizes.Seeds[i], ct));
            tasks[i].Increment(1);
            tasks[i].StopTask();
        }

        return new BehaviourFigures(sizes.Agents, sizes.Hours, sizes.Insiders, seeds);
    }

    static MachineFacts Machine()
    {
        string cpu = RuntimeInformation.ProcessArchitecture.ToString();
        string load = "n/a";
        if (File.Exists("/proc/cpuinfo"))
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }

        if (File.Exists("/proc/loadavg"))
        {
            load = string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }

        return new MachineFacts(cpu, Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription,
            GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024), GCSettings.IsServerGC, load);
    }
}
