using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Cordon.Local.Connectors;
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
        if (args.Any(a => a is "--help" or "-h"))
        {
            Console.WriteLine(BenchOptions.Help);
            return 0;
        }

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

    /// <summary>
    /// Runs <paramref name="scenario"/> within <paramref name="timeout"/>: on time-out its token is cancelled and, if it
    /// does not unwind within half a minute, it is left behind; either way the failure is recorded and null returned,
    /// so the bench goes on and the report is written with the scenario marked.
    /// </summary>
    public static async Task<T?> BoundedAsync<T>(string scenario, TimeSpan timeout, IDictionary<string, string> failures, Func<CancellationToken, Task<T>> run, CancellationToken ct)
        where T : class
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        Task<T> task = System.Threading.Tasks.Task.Run(() => run(cts.Token), CancellationToken.None);
        try
        {
            Task done = await System.Threading.Tasks.Task.WhenAny(task, System.Threading.Tasks.Task.Delay(timeout + TimeSpan.FromSeconds(30), ct));
            if (done == task)
            {
                return await task;
            }

            failures[scenario] = $"timed out after {timeout.TotalMinutes:0.#} min (did not stop when asked; left behind)";
            cts.Cancel();
            return null;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            failures[scenario] = cts.IsCancellationRequested && ex is OperationCanceledException or TimeoutException or HttpRequestException
                ? $"timed out after {timeout.TotalMinutes:0.#} min{(ex is TimeoutException ? ": " + First(ex.Message) : "")}"
                : $"failed: {ex.GetType().Name}: {First(ex.Message)}";
            return null;
        }
    }

    static string First(string message) => message.Length > 300 ? message[..300] + "…" : message;

    public static async Task<BenchReport> RunAsync(BenchOptions options, IAnsiConsole console, CancellationToken ct)
    {
        try
        {
            return await RunScenariosAsync(options, console, ct);
        }
        finally
        {
            BenchScratch.DeleteAll();
        }
    }

    static async Task<BenchReport> RunScenariosAsync(BenchOptions options, IAnsiConsole console, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        MachineFacts machine = Machine();
        BenchSizes sizes = options.Sizes;
        var perStore = options.Stores.ToDictionary(s => s, s => new StoreRun());
        int largestSite = sizes.OffboardingAgents[^1];
        TimeSpan timeout = options.Timeout;
        string N(int n) => n.ToString("N0", CultureInfo.InvariantCulture);

        await console.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                async Task RunStoreAsync(StoreKind store)
                {
                    StoreRun run = perStore[store];
                    Dictionary<string, string> failures = run.Failures;
                    string name = store.ToString().ToLowerInvariant();
                    ProgressTask Task(string what, double max) => ctx.AddTask($"{name}: {what}", autoStart: false, maxValue: max);
                    bool single = options.Runs(BenchScenario.Single), overhead = options.Runs(BenchScenario.Overhead), offboard = options.Runs(BenchScenario.Offboard);
                    ProgressTask? startTask = single || overhead || offboard ? Task("start host", 1) : null;
                    ProgressTask? singleTask = single ? Task($"{N(sizes.SingleAlerts)} single alerts", sizes.SingleAlerts) : null;
                    var bursts = options.Runs(BenchScenario.Burst)
                        ? sizes.Bursts.Select(n => Enumerable.Range(1, sizes.BurstRuns).Select(r => Task($"burst of {N(n)}, run {r} of {sizes.BurstRuns}", n)).ToList()).ToList()
                        : [];
                    int listClosed = store == StoreKind.Azurite ? sizes.List.AzuriteClosed : sizes.List.Closed;
                    ProgressTask? listing = options.Runs(BenchScenario.List) ? Task($"list at {N(listClosed)} closed + {N(sizes.List.Open)} open incidents", listClosed + sizes.List.Open) : null;
                    ProgressTask? crash = store == StoreKind.Azurite && options.Runs(BenchScenario.Crash) ? Task($"crash at the confirmation gate, {sizes.CrashRepeats}×", sizes.CrashRepeats) : null;
                    ProgressTask? overheadTask = overhead ? Task($"{N(sizes.OverheadAlerts)} alerts at {options.GraphLatency.TotalMilliseconds:0} ms Graph latency", sizes.OverheadAlerts) : null;
                    var offboardings = offboard ? sizes.OffboardingAgents.SkipLast(1).Select(n => Task($"offboard {N(n)} agents", (n + 19) / 20 * 2)).ToList() : [];
                    var behaviour = options.Runs(BenchScenario.Behaviour)
                        ? sizes.Behaviour.Seeds.Select(seed => Task($"behaviour: {N(sizes.Behaviour.Agents)} agents, {sizes.Behaviour.Hours:0.#} h, seed {seed}", 1)).ToList()
                        : [];

                    StoreBench? bench = null;
                    if (startTask is not null)
                    {
                        startTask.StartTask();
                        bench = await BoundedAsync("start", TimeSpan.FromMinutes(3), failures, _ => StoreBench.StartAsync(store, sizes, options.RepositoryRoot), ct);
                        startTask.Increment(1);
                        startTask.StopTask();
                    }

                    try
                    {
                        if (singleTask is not null && bench is not null)
                        {
                            singleTask.StartTask();
                            run.Single = (await BoundedAsync("single", timeout, failures, async c => (await bench.SequentialAsync(sizes.SingleAlerts, TimeSpan.Zero, v => singleTask.Value = v, c)).Figures, ct));
                            singleTask.StopTask();
                        }

                        // Every burst run on a fresh host (and Azurite): no run inherits another's open incidents or queues.
                        for (int i = 0; i < bursts.Count; i++)
                        {
                            var runs = new List<ContainmentFigures>();
                            for (int r = 0; r < bursts[i].Count; r++)
                            {
                                ProgressTask t = bursts[i][r];
                                t.StartTask();
                                // The run reports its own time-out (counted from its last send) with what it contained; this bound is
                                // for a host that does not start, send or stop.
                                ContainmentFigures? f = await BoundedAsync($"burst of {N(sizes.Bursts[i])}, run {r + 1}", timeout * 2, failures, async c =>
                                {
                                    await using StoreBench fresh = await StoreBench.StartAsync(store, sizes, options.RepositoryRoot);
                                    return await fresh.BurstAsync(sizes.Bursts[i], timeout, v => t.Value = v, c);
                                }, ct);
                                if (f is not null)
                                {
                                    runs.Add(f);
                                }

                                t.StopTask();
                            }

                            run.Bursts.Add(new BurstFigures(sizes.Bursts[i], runs));
                        }

                        if (overheadTask is not null && bench is not null)
                        {
                            overheadTask.StartTask();
                            run.Overhead = await BoundedAsync("overhead", timeout, failures, c => bench.OverheadAsync(sizes.OverheadAlerts, options.GraphLatency, v => overheadTask.Value = v, c), ct);
                            overheadTask.StopTask();
                        }

                        for (int i = 0; i < offboardings.Count && bench is not null; i++)
                        {
                            ProgressTask t = offboardings[i];
                            t.StartTask();
                            OffboardingFigures? f = await BoundedAsync($"offboard {N(sizes.OffboardingAgents[i])}", timeout, failures,
                                c => bench.OffboardAsync(sizes.OffboardingAgents[i], options.GraphLatency, inBackground: false, v => t.Value = v, c), ct);
                            if (f is not null)
                            {
                                run.Offboarding.Add(f);
                            }

                            t.Value = t.MaxValue;
                            t.StopTask();
                        }
                    }
                    finally
                    {
                        if (bench is not null)
                        {
                            await BoundedAsync<object>("stop host", TimeSpan.FromMinutes(1), failures, async _ => { await bench.DisposeAsync(); return new object(); }, ct);
                        }
                    }

                    if (listing is not null)
                    {
                        listing.StartTask();
                        run.List = await BoundedAsync("list", timeout, failures, async c =>
                        {
                            await using StoreBench fresh = await StoreBench.StartAsync(store, sizes, options.RepositoryRoot);
                            return await fresh.ListAsync(listClosed, sizes.List.Open, sizes.List.Requests, v => listing.Value = v, c);
                        }, ct);
                        listing.Value = listing.MaxValue;
                        listing.StopTask();
                    }

                    if (crash is not null)
                    {
                        crash.StartTask();
                        run.Crash = await BoundedAsync("crash", timeout, failures, c => CrashResumeBench.RunAsync(sizes, options.RepositoryRoot, v => crash.Value = v, c), ct);
                        crash.StopTask();
                    }

                    if (behaviour.Count > 0)
                    {
                        run.Behaviour = await BehaviourAsync(store, sizes.Behaviour, behaviour, options.RepositoryRoot, timeout, failures, ct);
                    }
                }

                // The first store (memory, which the targets are for) runs alone. Then the largest offboarding starts
                // for every store on hosts of its own, and the other stores' scenarios run while it waits out Graph's budget.
                await RunStoreAsync(options.Stores[0]);

                bool together = options.Stores.Count > 1;
                var hosts = new List<StoreBench>();
                var offboarding = new List<Task>();
                if (options.Runs(BenchScenario.Offboard))
                {
                    // Graph's budget sets its floor: 10,000 writes take 450 s however fast Cordon is.
                    TimeSpan largestTimeout = timeout + TimeSpan.FromSeconds(Math.Ceiling(largestSite * 2.0 / SimulatedDirectory.WritesPerWindow) * SimulatedDirectory.Window.TotalSeconds);
                    foreach (StoreKind store in options.Stores)
                    {
                        ProgressTask t = ctx.AddTask($"{store.ToString().ToLowerInvariant()}: offboard {N(largestSite)} agents{(together ? " (in the background)" : "")}", autoStart: false, maxValue: (largestSite + 19) / 20 * 2);
                        StoreBench? h = await BoundedAsync($"offboard {N(largestSite)}", TimeSpan.FromMinutes(3), perStore[store].Failures, _ => StoreBench.StartAsync(store, sizes, options.RepositoryRoot), ct);
                        if (h is null)
                        {
                            continue;
                        }

                        hosts.Add(h);
                        offboarding.Add(System.Threading.Tasks.Task.Run(async () =>
                        {
                            t.StartTask();
                            OffboardingFigures? f = await BoundedAsync($"offboard {N(largestSite)}", largestTimeout, perStore[store].Failures,
                                c => h.OffboardAsync(largestSite, options.GraphLatency, together, v => t.Value = v, c), ct);
                            if (f is not null)
                            {
                                perStore[store].LargestOffboarding = f;
                            }

                            t.Value = t.MaxValue;
                            t.StopTask();
                        }));
                    }
                }

                try
                {
                    foreach (StoreKind store in options.Stores.Skip(1))
                    {
                        await RunStoreAsync(store);
                    }

                    await System.Threading.Tasks.Task.WhenAll(offboarding);
                }
                finally
                {
                    foreach (StoreBench h in hosts)
                    {
                        await BoundedAsync<object>("stop host", TimeSpan.FromMinutes(1), perStore[h.Store].Failures, async _ => { await h.DisposeAsync(); return new object(); }, ct);
                    }
                }
            });

        var stores = options.Stores.Select((s, i) =>
        {
            StoreRun r = perStore[s];
            var offboarding = r.LargestOffboarding is { } l ? [.. r.Offboarding, l] : r.Offboarding;
            return new StoreFigures(s.ToString().ToLowerInvariant(), r.Single, r.Bursts, r.Overhead, offboarding, RanAlongsideLargestOffboarding: i > 0, r.Behaviour)
            {
                List = r.List, Crash = r.Crash, Failures = r.Failures,
            };
        }).ToList();
        return new BenchReport(DateTime.UtcNow, options.Quick, options.GraphLatency.TotalMilliseconds, machine, stores, total.Elapsed.TotalSeconds)
        {
            Sizes = sizes, Scenarios = options.Scenarios.Order().Select(x => x.ToString().ToLowerInvariant()).ToList(),
        };
    }

    /// <summary>What one store's scenarios measured so far, and why any did not finish.</summary>
    sealed class StoreRun
    {
        public ContainmentFigures? Single { get; set; }

        public List<BurstFigures> Bursts { get; } = [];

        public OverheadFigures? Overhead { get; set; }

        public List<OffboardingFigures> Offboarding { get; } = [];

        public OffboardingFigures? LargestOffboarding { get; set; }

        public ListFigures? List { get; set; }

        public CrashFigures? Crash { get; set; }

        public BehaviourFigures? Behaviour { get; set; }

        public Dictionary<string, string> Failures { get; } = [];
    }

    /// <summary>Every seed on a fresh host; on Azurite they share one private Azurite, each in a task hub of its own.</summary>
    static async Task<BehaviourFigures?> BehaviourAsync(StoreKind store, BehaviourSizes sizes, IReadOnlyList<ProgressTask> tasks, string repositoryRoot, TimeSpan timeout,
        IDictionary<string, string> failures, CancellationToken ct)
    {
        using PrivateAzurite? azurite = store == StoreKind.Azurite ? await PrivateAzurite.StartAsync(repositoryRoot, inMemory: BenchTuning.AzuriteInMemory) : null;
        var seeds = new List<BehaviourSeedFigures>();
        for (int i = 0; i < sizes.Seeds.Count; i++)
        {
            tasks[i].StartTask();
            int seed = sizes.Seeds[i];
            if (await BoundedAsync($"behaviour seed {seed}", timeout, failures, c => BehaviourBench.RunSeedAsync(store, azurite, sizes, seed, c), ct) is { } f)
            {
                seeds.Add(f);
            }

            tasks[i].Increment(1);
            tasks[i].StopTask();
        }

        return seeds.Count == 0 ? null : new BehaviourFigures(sizes.Agents, sizes.Hours, sizes.Insiders, seeds);
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
            GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024), GCSettings.IsServerGC, load, BenchScratch.OnTmpfs);
    }
}
