using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Cordon.World;
using Cordon.Incidents;
using Cordon.Local.Connectors;

namespace Cordon.Local.Bench;

/// <summary>
/// One local host on one store, in a fresh data directory with the bench world, driven over HTTP the way
/// alert producers and operators drive it. Each scenario returns what the incident API says happened.
/// </summary>
public sealed partial class StoreBench : IAsyncDisposable
{
    const string VendorId = "bench-bpo";
    internal const string BurstSite = "bench-burst";
    const string ClientId = "bench-client";
    const int AgentsPerBatch = 20;

    /// <summary>Alert requests a burst keeps in flight, as a producer (or Service Bus trigger) with bounded concurrency would.</summary>
    internal const int SendersInFlight = 32;
    const int BatchesInFlight = 4;

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    readonly LocalHost host;
    readonly HttpClient http;
    readonly string dataDir;
    readonly PrivateAzurite? azurite;
    int subjectsUsed;
    int alertsSent;

    StoreBench(StoreKind store, LocalHost host, string dataDir, PrivateAzurite? azurite)
    {
        Store = store;
        this.host = host;
        this.dataDir = dataDir;
        this.azurite = azurite;
        http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(2) }.SignedInAs("bench", Cordon.Operators.OperatorRoles.Operator);
    }

    public StoreKind Store { get; }

    public string Name => Store.ToString().ToLowerInvariant();

    SimulatedDirectory Directory => host.Directory;

    public static async Task<StoreBench> StartAsync(StoreKind store, BenchSizes sizes, string repositoryRoot)
    {
        PrivateAzurite? azurite = store == StoreKind.Azurite ? await PrivateAzurite.StartAsync(repositoryRoot, inMemory: BenchTuning.AzuriteInMemory) : null;
        string dataDir = BenchScratch.NewFolder("cordon-bench-");
        try
        {
            string baseUrl = $"http://127.0.0.1:{LoopbackPort.Free()}";
            string worldPath = Path.Combine(dataDir, "bench-world.json");
            string policyPath = Path.Combine(dataDir, "bench-policy.json");
            await File.WriteAllTextAsync(worldPath, WorldJson(baseUrl, sizes));
            await File.WriteAllTextAsync(policyPath, PolicyJson);
            var settings = new LocalSettings
            {
                Urls = baseUrl,
                DataDir = dataDir,
                WorldPath = worldPath,
                PolicyPath = policyPath,
                Store = store,
                StorageConnectionString = azurite?.ConnectionString ?? LocalSettings.AzuriteDevelopment,
                Quiet = true,
                Partitions = BenchTuning.Partitions,
                FollowUpWorkItems = BenchTuning.FollowUpWorkItems ?? LocalSettings.DefaultFollowUpWorkItems,
            };
            // The simulated directory keeps its state in memory here: its JSON file (a convenience of local runs,
            // rewritten whole on every change) would make the bench measure the simulator instead of Cordon.
            LocalHost host = await LocalHost.StartAsync(settings, services => services.AddSingleton(sp => new SimulatedDirectory(
                sp.GetRequiredService<IOptions<WorldOptions>>().Value.World, statePath: null, sp.GetRequiredService<TimeProvider>())));
            var bench = new StoreBench(store, host, dataDir, azurite);
            await bench.WarmUpAsync();
            return bench;
        }
        catch
        {
            azurite?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The default policy, except: the offboarding trigger fires on the first confirmed insider, the
    /// gates ask one role (an operator decision answers them quickly), and low alerts are only recorded
    /// (the list scenario's closed incidents).
    /// </summary>
    internal const string PolicyJson = """
        {
          "autoContainAtOrAbove": "high",
          "recordOnlyBelow": "medium",
          "confirm": { "chain": ["securityLead"], "stepTimeout": "01:00:00" },
          "notify": { "chain": ["legal"], "stepTimeout": "02:00:00" },
          "vendorOffboarding": { "chain": ["vendorManagement"], "stepTimeout": "01:00:00", "quorum": 2 },
          "offboardingTrigger": { "confirmedInsiders": 1, "window": "30.00:00:00" },
          "offboardingBatchSize": 20,
          "offboardingParallelism": 4
        }
        """;

    static string SiteOf(int agents) => $"bench-off-{agents}";

    internal static string Agent(string site, int n) => $"agent{n:D5}.{site}@vendor.example";

    internal static string WorldJson(string baseUrl, BenchSizes sizes)
    {
        var sites = new List<object>
        {
            new { id = BurstSite, name = "Bench burst site", clientIds = new[] { ClientId }, generatedAgents = sizes.SubjectPool },
        };
        sites.AddRange(sizes.OffboardingAgents.Select(n => (object)new { id = SiteOf(n), name = $"Bench site of {n}", clientIds = Array.Empty<string>(), generatedAgents = n }));
        var world = new
        {
            clients = new[]
            {
                new
                {
                    id = ClientId, name = "Bench Client", securityContacts = new[] { "security@bench-client.example" }, jurisdictions = new[] { "GDPR" },
                    contractNoticeHours = 24, sessionLifetimeMinutes = 480, sessionKillUrl = $"{baseUrl}/sim/clients/{ClientId}/session-kill",
                },
            },
            vendors = new[] { new { id = VendorId, name = "Bench BPO", contacts = new[] { "vendor-management@bench-bpo.example" }, sites } },
            approvers = new Dictionary<string, string[]>
            {
                ["securityLead"] = ["lead@bench.example"],
                ["legal"] = ["legal@bench.example"],
                ["vendorManagement"] = ["vm1@bench.example", "vm2@bench.example"],
            },
            operators = new[] { "soc@bench.example" },
        };
        return JsonSerializer.Serialize(world, Json);
    }

    string AlertJson(string userPrincipalName, string siteId, bool withClient, bool low = false) =>
        AlertJson(Interlocked.Increment(ref alertsSent), userPrincipalName, siteId, withClient, low);

    internal static string AlertJson(int n, string userPrincipalName, string siteId, bool withClient, bool low = false)
    {
        var alert = new
        {
            schemaVersion = "1.0",
            alertId = $"bench-{n}",
            source = "custom",
            detectedAt = DateTimeOffset.UtcNow,
            subject = new { userPrincipalName, vendorId = VendorId, siteId },
            riskScore = low ? 10 : 95,
            severity = low ? "low" : "critical",
            indicators = new[] { new { kind = "data-exfiltration", detail = "bench: customer records sent to a personal address" } },
            clientIds = withClient ? new[] { ClientId } : [],
            affectedRecords = 100,
        };
        return JsonSerializer.Serialize(alert, Json);
    }

    /// <summary>Posts an alert; the incident id and the moment the 202 arrived.</summary>
    /// <summary>Sends an alert; returns its incident and the moment it was sent (intake contains before it answers).</summary>
    async Task<(string Id, DateTime SentAt)> SendAsync(string alertJson, CancellationToken ct)
    {
        using var content = new StringContent(alertJson, System.Text.Encoding.UTF8, "application/json");
        DateTime sent = DateTime.UtcNow;
        using HttpResponseMessage response = await http.PostAsync("/api/alerts", content, ct);
        string body = await response.Content.ReadAsStringAsync(ct);
        if ((int)response.StatusCode != 202)
        {
            throw new InvalidOperationException($"{Name}: alert refused with {(int)response.StatusCode}: {body}");
        }

        using JsonDocument doc = JsonDocument.Parse(body);
        string outcome = doc.RootElement.GetProperty("outcome").GetString()!;
        return outcome == "started"
            ? (doc.RootElement.GetProperty("incidentId").GetString()!, sent)
            : throw new InvalidOperationException($"{Name}: an alert for a fresh subject was {outcome}, not started");
    }

    async Task<IncidentDetail> DetailAsync(string id, CancellationToken ct) =>
        await http.GetFromJsonAsync<IncidentDetail>($"/api/incidents/{id}", Json, ct) ?? throw new InvalidOperationException($"{Name}: incident {id} not found");

    async Task<IncidentDetail> WaitAsync(string id, Func<IncidentDetail, bool> condition, TimeSpan timeout, TimeSpan poll, CancellationToken ct, Action? tick = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            IncidentDetail d = await DetailAsync(id, ct);
            if (condition(d))
            {
                return d;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name}: incident {id} stayed at {d.Stage} for {timeout.TotalSeconds:0} s; timeline: " +
                    string.Join(" | ", d.Timeline.TakeLast(8).Select(t => $"{t.Step}: {t.Detail}")));
            }

            tick?.Invoke();
            await Task.Delay(poll, ct);
        }
    }

    /// <summary>Contained, evidence kept and the confirmation gate mailed: the incident is idle until a human answers.</summary>
    static bool WaitingForConfirmation(IncidentDetail d) =>
        d.ContainedAt is not null && d.Stage == Stages.AwaitingConfirmation && d.Timeline.Any(t => t.Step == "gate opened");

    string NextSubject() => Agent(BurstSite, Interlocked.Increment(ref subjectsUsed));

    void Simulate(TimeSpan latency, bool throttling)
    {
        Directory.Latency = latency;
        Directory.EnforceThrottling = throttling;
        Directory.ResetWriteBudget();
    }

    /// <summary>Alerts of the warm-up: one producer's worth of concurrent requests.</summary>
    public const int WarmUpAlerts = SendersInFlight;

    /// <summary>
    /// A small burst before any measurement, waited out to its gates: the first alerts of a process pay for JIT
    /// compilation (tier 0, then tier 1 after ~30 calls), cold connections and pools. With one warm-up incident the
    /// first burst of a process ran at ~60 % of the rate of the runs after it (2.98 s against 1.47–2.13 s at p95), so
    /// the runs measured a cold start once and a warm host four times. Every run now measures a warm host, as one in
    /// service is; a host's cold start is what the single-alert scenario's first alerts show.
    /// </summary>
    async Task WarmUpAsync()
    {
        Simulate(TimeSpan.Zero, throttling: false);
        var ids = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, WarmUpAlerts), new ParallelOptions { MaxDegreeOfParallelism = SendersInFlight }, async (_, c) =>
            ids.Add((await SendAsync(AlertJson(NextSubject(), BurstSite, withClient: true), c)).Id));
        foreach (string id in ids)
        {
            await WaitAsync(id, WaitingForConfirmation, TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(20), CancellationToken.None);
        }
    }

    /// <summary>Alerts one at a time on an otherwise idle host: each waits until the previous incident is idle.</summary>
    public async Task<(ContainmentFigures Figures, List<IncidentDetail> Details, List<double> MsFromSend)> SequentialAsync(
        int alerts, TimeSpan latency, Action<int> progress, CancellationToken ct)
    {
        Simulate(latency, throttling: false);
        var details = new List<IncidentDetail>();
        var accepted = new List<DateTime>();
        var watch = Stopwatch.StartNew();
        using var meter = ProcessMeter.Start();
        for (int i = 0; i < alerts; i++)
        {
            var (id, at) = await SendAsync(AlertJson(NextSubject(), BurstSite, withClient: true), ct);
            details.Add(await WaitAsync(id, WaitingForConfirmation, TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(5), ct));
            accepted.Add(at);
            progress(i + 1);
        }

        var ms = details.Zip(accepted, (d, at) => (d.ContainedAt!.Value - at).TotalMilliseconds).ToList();
        return (Figures(details, accepted, watch.Elapsed.TotalSeconds, latency, meter), details, ms);
    }

    /// <summary>
    /// Alerts for distinct subjects all at once, then one more alert right behind them (time to contain behind the
    /// backlog); the open incidents are listed until every one is idle. The run is bounded twice: <paramref name="timeout"/>
    /// from the first send, and <paramref name="ct"/> (the scenario's outer bound). Either way it returns figures over the
    /// incidents contained so far, marked as timed out: a slow run is reported, never lost.
    /// </summary>
    public async Task<ContainmentFigures> BurstAsync(int alerts, TimeSpan timeout, Action<int> progress, CancellationToken ct)
    {
        Simulate(TimeSpan.Zero, throttling: false);
        var subjects = Enumerable.Range(0, alerts).Select(_ => NextSubject()).ToList();
        var bodies = subjects.Select(s => AlertJson(s, BurstSite, withClient: true)).ToList();
        string nextBody = AlertJson(NextSubject(), BurstSite, withClient: true);
        var accepted = new ConcurrentDictionary<string, DateTime>(StringComparer.Ordinal);
        // The earlier runs' hosts are gone but the memory they used stays committed until the GC gives it back: an
        // aggressive collection returns it, so each run's peak is its own (five runs in one process read 519–609 MB where
        // one run alone read 307).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        using var meter = ProcessMeter.Start();
        DateTime firstSend = DateTime.UtcNow;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(timeout);
        string? nextId = null;
        DateTime nextAt = default;
        List<IncidentRow> rows = [];
        string? timedOut = null;
        // Each gate of this policy mails one approver: the burst has reached its gates once the outbox holds a mail more
        // per alert (and one for the alert sent after it) than before it.
        int gateMails = host.Outbox.Count() + alerts + 1;
        try
        {
            await Parallel.ForEachAsync(bodies, new ParallelOptions { MaxDegreeOfParallelism = SendersInFlight, CancellationToken = bounded.Token }, async (body, c) =>
            {
                var (id, at) = await SendAsync(body, c);
                accepted[id] = at;
            });
            (nextId, nextAt) = await SendAsync(nextBody, bounded.Token);
            DateTime listed = DateTime.MinValue;
            while (true)
            {
                // Listing every open incident is work for the host that no incident causes (a read of 1,000 incidents'
                // rows and statuses: ~130 ms of CPU on Azurite, every 5 s of a 200 s burst ~5 ms per incident, and more
                // the longer the burst runs). So the bench lists every 5 s (1 s in memory) once the outbox says the gates' mails are out
                // (the gates show a moment after their mail), and every 30 s before (progress, and a run whose mails never
                // all come); the figures come from containedAt, not from when the bench noticed.
                TimeSpan sinceListed = DateTime.UtcNow - listed;
                if (sinceListed >= TimeSpan.FromSeconds(30) || (sinceListed >= TimeSpan.FromSeconds(Store == StoreKind.Azurite ? 5 : 1) && host.Outbox.Count() >= gateMails))
                {
                    listed = DateTime.UtcNow;
                    rows = (await ListAllAsync("/api/incidents?status=open&pageSize=500", bounded.Token)).Where(r => accepted.ContainsKey(r.IncidentId)).ToList();
                    progress(rows.Count(r => r.ContainedAt is not null));
                    if (rows.Count == alerts && rows.All(r => r.ContainedAt is not null && r.Stage == Stages.AwaitingConfirmation && r.PendingApprovals > 0))
                    {
                        break;
                    }
                }

                await Task.Delay(1000, bounded.Token);
            }
        }
        catch (Exception ex) when (bounded.IsCancellationRequested && ex is OperationCanceledException or HttpRequestException)
        {
            timedOut = $"timed out after {(DateTime.UtcNow - firstSend).TotalMinutes:0.#} min " +
                (accepted.Count < alerts ? $"still sending ({accepted.Count:N0} of {alerts:N0} answered)" : "waiting for every incident to reach its gate");
        }

        meter.Stop();
        double wall = (DateTime.UtcNow - firstSend).TotalSeconds;
        // What happened so far is read within a short budget of its own: the run's bound may already be spent.
        using var finish = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        if (timedOut is not null)
        {
            try
            {
                rows = (await ListAllAsync("/api/incidents?status=open&pageSize=500", finish.Token)).Where(r => accepted.ContainsKey(r.IncidentId)).ToList();
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
            {
                // the last listing taken while the run was going stands
            }
        }

        // Details carry the exposure windows; one the loaded host does not give in time only leaves those figures short.
        var details = new ConcurrentDictionary<string, IncidentDetail>(StringComparer.Ordinal);
        int unread = 0;
        await Parallel.ForEachAsync(rows.Where(r => r.ContainedAt is not null).Select(r => r.IncidentId), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (id, _) =>
            {
                try
                {
                    details[id] = await DetailAsync(id, finish.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
                {
                    Interlocked.Increment(ref unread);
                }
            });
        if (unread > 0 && timedOut is null)
        {
            timedOut = $"{unread:N0} contained incidents' details not read within 20 s";
        }

        var contained = details.Values.Where(d => d.ContainedAt is not null && d.ExposureEndsBy is not null).ToList();
        // A run that ran out of time still reports containment over every incident its last listing showed contained.
        var containedRows = rows.Where(r => r.ContainedAt is not null).ToList();
        ContainmentFigures f = Figures(contained, contained.Select(d => accepted[d.IncidentId]).ToList(), wall, TimeSpan.Zero, meter) with
        {
            Alerts = alerts,
            MsFromSend = Percentiles.Of(containedRows.Select(r => (r.ContainedAt!.Value - accepted[r.IncidentId]).TotalMilliseconds)),
            // Every alert of the burst exists from its start: an alert the producer sent late waited that long too.
            // An alert not contained when the run ended counts as never (∞), so a timed-out run cannot flatter its p95.
            MsFromBurstStart = Percentiles.Of(containedRows.Select(r => (r.ContainedAt!.Value - firstSend).TotalMilliseconds)
                .Concat(Enumerable.Repeat(double.PositiveInfinity, alerts - containedRows.Count))),
            CpuMsPerIncident = containedRows.Count == 0 ? double.NaN : meter.CpuMilliseconds / containedRows.Count,
            AllocatedMbPerIncident = containedRows.Count == 0 ? double.NaN : meter.AllocatedMb / containedRows.Count,
            Gen2Collections = meter.Gen2Collections,
            GcPauseMsPerIncident = containedRows.Count == 0 ? double.NaN : meter.GcPauseMilliseconds / containedRows.Count,
        };
        double lastContained = containedRows.Count == 0 ? double.NaN : (containedRows.Max(r => r.ContainedAt!.Value) - firstSend).TotalSeconds;
        double nextMs = double.NaN;
        if (nextId is not null)
        {
            try
            {
                IncidentDetail next = await DetailAsync(nextId, ct);
                if (next.ContainedAt is null && timedOut is null)
                {
                    next = await WaitAsync(nextId, d => d.ContainedAt is not null, TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(50), ct);
                }

                nextMs = next.ContainedAt is { } c ? (c - nextAt).TotalMilliseconds : double.NaN;
            }
            catch (Exception ex) when (ct.IsCancellationRequested && ex is OperationCanceledException or HttpRequestException)
            {
                // no figure for the alert after the burst: the run's bound ended first
            }
        }

        return f with
        {
            AlertsPerSecond = containedRows.Count / lastContained,
            Contained = containedRows.Count,
            TimedOut = timedOut,
            NextAlertMs = nextMs,
        };
    }

    /// <summary>Every row of a listing, following the answer's Link rel="next" from page to page.</summary>
    async Task<List<IncidentRow>> ListAllAsync(string first, CancellationToken ct)
    {
        var rows = new List<IncidentRow>();
        string? url = first;
        while (url is not null)
        {
            using HttpResponseMessage r = await http.GetAsync(url, ct);
            r.EnsureSuccessStatusCode();
            rows.AddRange((await r.Content.ReadFromJsonAsync<List<IncidentRow>>(Json, ct))!);
            url = NextLink(r);
        }

        return rows;
    }

    static string? NextLink(HttpResponseMessage r) =>
        r.Headers.TryGetValues("Link", out var links)
            ? links.Select(l => NextLinkPattern().Match(l)).FirstOrDefault(m => m.Success)?.Groups["url"].Value
            : null;

    [GeneratedRegex("<(?<url>[^>]+)>;\\s*rel=\"next\"")]
    private static partial Regex NextLinkPattern();

    /// <summary>
    /// <paramref name="closed"/> record-only incidents (closed after their evidence and report) and <paramref name="open"/>
    /// contained ones waiting for confirmation, then timed GETs: the first page of the list (open incidents by urgency),
    /// and the first page of the closed ones (newest first).
    /// </summary>
    public async Task<ListFigures> ListAsync(int closed, int open, int requests, Action<int> progress, CancellationToken ct)
    {
        Simulate(TimeSpan.Zero, throttling: false);
        // Incidents already waiting at a gate (the warm-up's) are counted apart, so seeding is done only when every one
        // of its own open incidents waits too (it used to stop one short when the warm-up filled the count).
        int idleBefore = await CountAsync([Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Running], m => m.SerializedCustomStatus?.Contains("\"gate opened\"", StringComparison.Ordinal) == true, ct);
        var seed = Stopwatch.StartNew();
        var bodies = Enumerable.Range(0, closed).Select(_ => AlertJson(NextSubject(), BurstSite, withClient: true, low: true))
            .Concat(Enumerable.Range(0, open).Select(_ => AlertJson(NextSubject(), BurstSite, withClient: true))).ToList();
        int sent = 0;
        await Parallel.ForEachAsync(bodies, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (body, c) =>
        {
            await SendAsync(body, c);
            progress(Interlocked.Increment(ref sent) / 2);
        });

        int closedNow = 0, openIdle = 0;
        while (true)
        {
            closedNow = await CountAsync([Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Completed], _ => true, ct);
            openIdle = await CountAsync([Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Running], m => m.SerializedCustomStatus?.Contains("\"gate opened\"", StringComparison.Ordinal) == true, ct);
            progress((closedNow + openIdle) / 2 + bodies.Count / 2);
            if (closedNow >= closed && openIdle - idleBefore >= open)
            {
                break;
            }

            try
            {
                await Task.Delay(1000, ct);
            }
            catch (OperationCanceledException)
            {
                // The scenario's time is up: say how far the seeding got (a store losing incidents never gets there).
                throw new TimeoutException($"seeding reached {closedNow:N0} of {closed:N0} closed and {openIdle:N0} of {open:N0} open incidents");
            }
        }

        double seedSeconds = seed.Elapsed.TotalSeconds;
        async Task<List<double>> TimeAsync(string url)
        {
            var ms = new List<double>();
            for (int i = 0; i < requests; i++)
            {
                var w = Stopwatch.StartNew();
                using HttpResponseMessage r = await http.GetAsync(url, ct);
                await r.Content.ReadAsByteArrayAsync(ct);
                r.EnsureSuccessStatusCode();
                ms.Add(w.Elapsed.TotalMilliseconds);
            }

            return ms;
        }

        List<double> first = await TimeAsync("/api/incidents");
        List<double> closedPage = await TimeAsync("/api/incidents?status=closed");
        return new ListFigures(closedNow, openIdle, IncidentListQuery.DefaultPageSize, Percentiles.Of(first), Percentiles.Of(closedPage), seedSeconds);
    }

    async Task<int> CountAsync(Microsoft.DurableTask.Client.OrchestrationRuntimeStatus[] statuses, Func<Microsoft.DurableTask.Client.OrchestrationMetadata, bool> where, CancellationToken ct)
    {
        int n = 0;
        var q = new Microsoft.DurableTask.Client.OrchestrationQuery(Statuses: statuses, InstanceIdPrefix: IncidentIds.Prefix, PageSize: 1000);
        await foreach (var m in host.Client.GetAllInstancesAsync(q).WithCancellation(ct))
        {
            n += where(m) ? 1 : 0;
        }

        return n;
    }

    static ContainmentFigures Figures(IReadOnlyList<IncidentDetail> details, IReadOnlyList<DateTime> accepted, double wallSeconds, TimeSpan latency, ProcessMeter meter)
    {
        var fromSent = details.Zip(accepted, (d, at) => (d.ContainedAt!.Value - at).TotalMilliseconds);
        var server = details.Select(d => (d.Metrics.SecondsToContain ?? double.NaN) * 1000);
        var exposure = details.Select(d => (d.ExposureEndsBy!.Value - d.ContainedAt!.Value).TotalMinutes);
        var client = details.SelectMany(d => d.Exposure.Where(e => e.Resource == $"client-system:{ClientId}").Select(e => (e.EndsBy - d.ContainedAt!.Value).TotalSeconds));
        return new ContainmentFigures(details.Count, latency.TotalMilliseconds, Percentiles.Of(fromSent), Percentiles.Of(server),
            Percentiles.Of(exposure), Percentiles.Of(client), wallSeconds, details.Count / wallSeconds,
            meter.CpuMilliseconds / details.Count, meter.PeakWorkingSetMb);
    }

    /// <summary>Single alerts with the simulated Graph latency: containment time ÷ the latency of its directory calls.</summary>
    public async Task<OverheadFigures> OverheadAsync(int alerts, TimeSpan latency, Action<int> progress, CancellationToken ct)
    {
        var (_, details, ms) = await SequentialAsync(alerts, latency, progress, ct);
        // ContainSubject's directory calls, in sequence: read the subject, revoke sessions, disable, one per group removed.
        var calls = details.Select(d => 3.0 + (d.Containment?.RemovedGroups.Count ?? 0)).ToList();
        var ratios = ms.Zip(calls, (m, c) => m / (c * latency.TotalMilliseconds));
        return new OverheadFigures(alerts, latency.TotalMilliseconds, calls.Average(), Percentiles.Of(ms), Percentiles.Of(ratios));
    }

    /// <summary>
    /// A confirmed insider at a site of <paramref name="agents"/> agents; operator decisions answer the confirmation
    /// and vendor gates; the wall time is the timeline's vendor-gate decision → site offboarded.
    /// </summary>
    public async Task<OffboardingFigures> OffboardAsync(int agents, TimeSpan latency, bool inBackground, Action<int> progress, CancellationToken ct)
    {
        Simulate(latency, throttling: true);
        string site = SiteOf(agents);
        var (id, _) = await SendAsync(AlertJson(Agent(site, 1), site, withClient: false), ct);
        TimeSpan gateWait = TimeSpan.FromMinutes(3);
        await WaitAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count > 0, gateWait, TimeSpan.FromMilliseconds(20), ct);
        await DecideAsync(id, ct);
        await WaitAsync(id, d => d.Stage == Stages.AwaitingVendorApproval && d.PendingApprovals.Count > 0, gateWait, TimeSpan.FromMilliseconds(20), ct);

        int writes = agents * 2;
        int batches = (agents + AgentsPerBatch - 1) / AgentsPerBatch;
        int expectedRequests = batches * 2;
        double throttlingFloor = writes > SimulatedDirectory.WritesPerWindow
            ? (Math.Ceiling((double)writes / SimulatedDirectory.WritesPerWindow) - 1) * SimulatedDirectory.Window.TotalSeconds
            : 0;
        double latencyFloor = Math.Ceiling((double)batches / BatchesInFlight) * 2 * latency.TotalSeconds;

        Directory.ResetWriteBudget(); // the offboarding starts with Graph's whole budget, as the floor assumes
        int requestsBefore = Directory.Requests;
        await DecideAsync(id, ct);
        TimeSpan timeout = TimeSpan.FromSeconds(Math.Max(throttlingFloor, latencyFloor) * 2 + 300);
        IncidentDetail closed = await WaitAsync(id, d => d.Stage == Stages.Closed, timeout, TimeSpan.FromMilliseconds(250), ct,
            () => progress(Math.Min(expectedRequests, Directory.Requests - requestsBefore)));
        progress(expectedRequests);

        DateTime start = closed.Timeline.Single(t => t.Step == "operator decision" && t.Detail.StartsWith("vendorOffboarding:", StringComparison.Ordinal)).At;
        TimelineEntry done = closed.Timeline.SingleOrDefault(t => t.Step == "site offboarded")
            ?? throw new InvalidOperationException($"{Name}: incident {id} closed without offboarding the site: " + string.Join(" | ", closed.Timeline.Select(t => $"{t.Step}: {t.Detail}")));
        Match m = OffboardedDetail().Match(done.Detail);
        int revoked = int.Parse(m.Groups["revoked"].Value, CultureInfo.InvariantCulture);
        int requests = int.Parse(m.Groups["requests"].Value, CultureInfo.InvariantCulture);
        double wall = (done.At - start).TotalSeconds;
        return new OffboardingFigures(agents, wall, requests, writes, throttlingFloor, latencyFloor, wall / Math.Max(throttlingFloor, latencyFloor), revoked, inBackground);
    }

    [GeneratedRegex(@"^(?<revoked>\d+) of \d+ accounts .* \((?<requests>\d+) directory requests\)")]
    private static partial Regex OffboardedDetail();

    /// <summary>
    /// The vendor gate needs two distinct people: two signed-in bench operators approve, one after the other. At a gate of
    /// one, the first vote decides it and the second is answered 409 (no gate open).
    /// </summary>
    async Task DecideAsync(string id, CancellationToken ct)
    {
        bool first = true;
        foreach (string who in new[] { "bench-operator-1", "bench-operator-2" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/incidents/{id}/actions")
            {
                Content = JsonContent.Create(new OperatorActionRequest("decide", "benchmark: answered at once", "approve"), options: Json),
            };
            request.Headers.Remove(Cordon.Operators.OperatorPrincipal.Header);
            request.Headers.Add(Cordon.Operators.OperatorPrincipal.Header,
                Cordon.Operators.OperatorPrincipal.Encode(who, $"{who}@bench.example", [Cordon.Operators.OperatorRoles.Operator], "local"));
            using HttpResponseMessage r = await http.SendAsync(request, ct);
            if (!first && (int)r.StatusCode == 409)
            {
                return; // the first vote decided the gate
            }

            first = false;
            if ((int)r.StatusCode != 202)
            {
                throw new InvalidOperationException($"{Name}: operator decision on {id} refused with {(int)r.StatusCode}: {await r.Content.ReadAsStringAsync(ct)}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await host.DisposeAsync();
        azurite?.Dispose();
        BenchScratch.DeleteLater(dataDir);
    }
}
