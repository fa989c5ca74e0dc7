using Cordon.Local.Bench;
using Spectre.Console;

namespace Cordon.Tests.Bench;

/// <summary>The quick bench, in-process on the memory store: it completes and writes every row. Timings are never asserted.</summary>
public sealed class BenchSmokeTests
{
    [Fact]
    [Trait("Category", "Unit")]
    public void Quick_bench_writes_a_report_only_when_asked_and_never_into_docs()
    {
        Assert.Null(BenchOptions.Parse(["--quick"]).OutPath);
        Assert.Equal("out/quick.md", BenchOptions.Parse(["--quick", "--out", "out/quick.md"]).OutPath);
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--quick", "--out", "docs/benchmarks.md"]));
        Assert.Equal(BenchOptions.DocsPath, BenchOptions.Parse([]).OutPath);
    }

    [Fact]
    public async Task Quick_bench_on_the_memory_store_writes_a_table_with_every_row_offboards_every_agent_and_scores_every_simulated_event()
    {
        string dir = Directory.CreateTempSubdirectory("cordon-bench-test-").FullName;
        var options = new BenchOptions { Quick = true, Stores = [StoreKind.Memory], OutPath = Path.Combine(dir, "benchmarks.md") };
        using var output = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No, ColorSystem = ColorSystemSupport.NoColors,
        });

        BenchReport report = await Benchmark.RunAsync(options, console, CancellationToken.None);
        await report.WriteAsync(options.OutPath!, options.JsonPath!);

        string[] measures =
        [
            "Time to contain, single alert", "Time to contain, burst of 10 from the burst's start", "Time to contain, burst of 10 from each alert's own send",
            "Time to contain, burst of 25 from the burst's start", "Time to contain, burst of 25 from each alert's own send", "Time to contain, one alert sent right after the burst of 25",
            "Alerts per second sustained", "Residual exposure window", "Orchestration overhead ratio", "Offboarding 20 agents", "Offboarding 60 agents", "Offboarding 100 agents",
            "Peak working set", "CPU time per incident", "Allocated per incident", "Incident list (GET /api/incidents",
            "Behaviour: insiders harvesting 10 customers per shift", "Behaviour: insiders harvesting 15 customers per shift",
            "Behaviour: insiders harvesting 25 customers per shift", "Behaviour: insiders harvesting 60 customers per shift",
            "Behaviour: insiders dumping 40 customers in the ten minutes before logging off for good",
            "Behaviour: innocent agents flagged", "Behaviour: events per second",
        ];
        var rows = File.ReadAllLines(options.OutPath!).Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToList();
        Assert.Equal("| Measure | Target | memory |", rows[0]);
        var body = rows.Skip(1).ToList();
        Assert.True(measures.Length == body.Count, "rows written:\n" + string.Join("\n", body.Select(r => r.Split('|')[1])));
        foreach (string measure in measures)
        {
            string row = Assert.Single(body, r => r.StartsWith("| " + measure, StringComparison.Ordinal));
            string[] cells = row.Split('|', StringSplitOptions.TrimEntries)[1..^1];
            Assert.Equal(3, cells.Length);
            Assert.All(cells, c => Assert.NotEmpty(c));
            Assert.DoesNotContain("n/a", cells[2], StringComparison.Ordinal);
        }

        using JsonDocument json = JsonDocument.Parse(await File.ReadAllTextAsync(options.JsonPath!));
        JsonElement memory = Assert.Single(json.RootElement.GetProperty("stores").EnumerateArray());
        Assert.Equal("memory", memory.GetProperty("store").GetString());
        JsonElement burst = memory.GetProperty("bursts")[1];
        Assert.Equal(2, burst.GetProperty("runs").GetArrayLength());
        Assert.All(burst.GetProperty("runs").EnumerateArray(), r =>
        {
            Assert.Equal(25, r.GetProperty("msFromSend").GetProperty("count").GetInt32());
            // Counted from the burst's start, an alert the producer sent late also waited for its turn.
            Assert.Equal(25, r.GetProperty("msFromBurstStart").GetProperty("count").GetInt32());
            Assert.True(r.GetProperty("msFromBurstStart").GetProperty("p95").GetDouble() >= r.GetProperty("msFromSend").GetProperty("p95").GetDouble());
            Assert.Equal(JsonValueKind.Null, r.GetProperty("timedOut").ValueKind);
            Assert.True(r.GetProperty("nextAlertMs").GetDouble() > 0);
        });
        JsonElement list = memory.GetProperty("list");
        Assert.Equal(200, list.GetProperty("closed").GetInt32());
        Assert.Equal(50 + Cordon.Local.Bench.StoreBench.WarmUpAlerts, list.GetProperty("open").GetInt32()); // the host's warm-up incidents wait for confirmation too
        Assert.All(memory.GetProperty("offboarding").EnumerateArray(), o =>
            Assert.Equal(o.GetProperty("agents").GetInt32(), o.GetProperty("revoked").GetInt32()));
        JsonElement behaviour = memory.GetProperty("behaviour");
        JsonElement seed = Assert.Single(behaviour.GetProperty("seeds").EnumerateArray());
        Assert.Equal(1, seed.GetProperty("seed").GetInt32());
        Assert.Equal(5, seed.GetProperty("insiders").GetInt32()); // one per harvest rate (10, 15, 25 and 60 customers a shift) and a quitter
        Assert.True(seed.GetProperty("events").GetInt32() > 0);
        Assert.Equal(seed.GetProperty("events").GetInt32(), seed.GetProperty("accepted").GetInt32());
        Assert.Equal(seed.GetProperty("recall").GetDouble(), behaviour.GetProperty("meanRecall").GetDouble());
    }

    [Fact]
    [Trait("Category", "Unit")]
    public async Task A_scenario_that_outlives_its_time_is_recorded_as_timed_out_and_the_next_one_runs()
    {
        var failures = new Dictionary<string, string>();
        ListFigures? stuck = await Benchmark.BoundedAsync<ListFigures>("list", TimeSpan.FromMilliseconds(50), failures, async ct =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        }, CancellationToken.None);
        string? next = await Benchmark.BoundedAsync("crash", TimeSpan.FromMinutes(1), failures, _ => Task.FromResult("ran"), CancellationToken.None);

        Assert.Null(stuck);
        Assert.StartsWith("timed out after", failures["list"], StringComparison.Ordinal);
        Assert.Equal("ran", next);
        Assert.False(failures.ContainsKey("crash"));
    }

    [Fact]
    [Trait("Category", "Unit")]
    public async Task A_scenario_that_fails_is_recorded_with_its_error_and_the_report_is_still_written_with_the_reason_in_its_cell()
    {
        var failures = new Dictionary<string, string>();
        await Benchmark.BoundedAsync<ListFigures>("list", TimeSpan.FromMinutes(1), failures, _ => throw new TimeoutException("seeding reached 7,040 of 10,000 closed"), CancellationToken.None);
        await Benchmark.BoundedAsync<OverheadFigures>("overhead", TimeSpan.FromMinutes(1), failures, _ => throw new InvalidOperationException("alert refused with 500"), CancellationToken.None);
        var store = new StoreFigures("memory", null, [], null, [], false, null) { Failures = failures };
        var report = new BenchReport(DateTime.UtcNow, true, 50, new MachineFacts("cpu", 2, "os", "rt", 1, false, "1 1 1", FoldersOnTmpfs: false), [store], 1) { Sizes = BenchSizes.Quick };

        string dir = Directory.CreateTempSubdirectory("cordon-bench-test-").FullName;
        await report.WriteAsync(Path.Combine(dir, "b.md"), Path.Combine(dir, "b.json"));
        string md = await File.ReadAllTextAsync(Path.Combine(dir, "b.md"));

        Assert.Contains("⏱ list: failed: TimeoutException: seeding reached 7,040 of 10,000 closed", md, StringComparison.Ordinal);
        Assert.Contains("⏱ overhead: failed: InvalidOperationException: alert refused with 500", md, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void The_bench_runs_its_command_on_optimized_code_and_the_hosts_it_restarts_as_cordon_runs_them()
    {
        var child = Cordon.Local.Bench.OptimizedCode.Child(["bench", "--quick", "--stores", "azurite"]);
        Assert.Equal([typeof(Cordon.Local.Bench.OptimizedCode).Assembly.Location, "bench", "--quick", "--stores", "azurite"], child.ArgumentList);
        Assert.Equal("0", child.Environment[Cordon.Local.Bench.OptimizedCode.Variable]);

        Cordon.Local.Bench.OptimizedCode.AsCordonRuns(child);
        Assert.False(child.Environment.ContainsKey(Cordon.Local.Bench.OptimizedCode.Variable));
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void Bench_options_choose_scenarios_and_list_size_and_name_what_they_refuse()
    {
        BenchOptions o = BenchOptions.Parse(["--scenarios", "list,burst", "--list-size", "2000,200", "--scenario-timeout-min", "5"]);
        Assert.Equal(new HashSet<BenchScenario> { BenchScenario.List, BenchScenario.Burst }, o.Scenarios);
        Assert.Equal((2000, 2000, 200), (o.Sizes.List.Closed, o.Sizes.List.AzuriteClosed, o.Sizes.List.Open));
        Assert.Equal(TimeSpan.FromMinutes(5), o.Timeout);
        Assert.Contains("single, burst", Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--scenarios", "lists"])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--list-size", "2000"]));
        Assert.Contains("--burst-runs", BenchOptions.Help, StringComparison.Ordinal);
        Assert.Contains("--stores", BenchOptions.Help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_burst_that_runs_out_of_time_returns_its_figures_with_every_alert_not_contained_counted_as_never()
    {
        BenchSizes sizes = BenchSizes.Quick with { Bursts = [300] };
        await using StoreBench bench = await StoreBench.StartAsync(StoreKind.Memory, sizes, Repo.Path(""));

        ContainmentFigures f = await bench.BurstAsync(300, TimeSpan.FromMilliseconds(500), _ => { }, CancellationToken.None);

        Assert.StartsWith("timed out after", f.TimedOut);
        Assert.Equal(300, f.Alerts);
        Assert.Equal(300, f.MsFromBurstStart.Count); // every alert of the burst, contained or not
        Assert.True(f.Contained < 300, $"{f.Contained} of 300 contained within half a second");
        Assert.Equal(double.PositiveInfinity, f.MsFromBurstStart.Max);
    }
}
