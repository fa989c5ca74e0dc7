using Cordon.Intake;
using Cordon.Monitoring;

namespace Cordon.Tests.Incidents;

/// <summary>The incidents list's rules without an engine: query parameters, continuation, urgency order, closed paging.</summary>
[Trait("Category", "Unit")]
public sealed class IncidentListRulesTests
{
    static readonly DateTime T0 = new(2026, 11, 30, 8, 0, 0, DateTimeKind.Utc);

    static IncidentRow Row(string id, DateTime opened, string severity = "high", bool waiting = false, DateTime? deadline = null, bool escalated = false, DateTime? gateEnds = null) =>
        new(id, "s@x", "v", "site", severity, Stages.AwaitingConfirmation, null, opened, opened, null, null, gateEnds is null ? 0 : 1, deadline, "Running", waiting, null,
            gateEnds is { } ends ? [new PendingApproval("confirm-1", "confirm", ["lead@x"], ends, 1, [], opened, "securityLead", escalated ? 1 : 0)] : [],
            deadline is { } d ? new Deadline("CERT-In", "client", d, null, ClockStart.Detected) : null);

    [Fact]
    public void Bad_list_parameters_are_each_named()
    {
        var q = new Dictionary<string, string> { ["status"] = "maybe", ["createdFrom"] = "yesterday", ["pageSize"] = "5000", ["continuation"] = "not-ours" };

        var (_, errors) = IncidentListQuery.Parse(n => q.GetValueOrDefault(n));

        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("status ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("createdFrom ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("pageSize ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("continuation ", StringComparison.Ordinal));
    }

    /// <summary>
    /// A forged continuation with a window of 6,000 years was accepted, and the pager's first empty read grew it eightfold:
    /// the list answered 500 (found by an attack). A window the pager never hands out is refused as not ours.
    /// </summary>
    [Fact]
    public void A_continuation_with_a_window_the_pager_never_hands_out_is_refused()
    {
        string forged = new ListCursor(true, 0, DateTime.MaxValue, null, TimeSpan.FromTicks(2_000_000_000_000_000_000L)).Encode();

        var (_, errors) = IncidentListQuery.Parse(n => n == "continuation" ? forged : null);

        Assert.Contains(errors, e => e.StartsWith("continuation ", StringComparison.Ordinal));
        Assert.NotNull(ListCursor.TryParse(new ListCursor(true, 0, T0, null, ClosedPager.MaxWindow).Encode()));
    }

    [Fact]
    public void Continuation_survives_its_round_trip_and_the_next_link_keeps_the_filters()
    {
        var cursor = new ListCursor(true, 0, T0, "inc-0123456789ab-2", TimeSpan.FromSeconds(7));
        var all = new ListCursor(true, 0, T0, "", TimeSpan.FromSeconds(7));

        Assert.Equal(cursor, ListCursor.TryParse(cursor.Encode()));
        Assert.Equal(all, ListCursor.TryParse(all.Encode()));
        Assert.Equal(ListCursor.OpenStart with { Offset = 300 }, ListCursor.TryParse((ListCursor.OpenStart with { Offset = 300 }).Encode()));
        var (query, errors) = IncidentListQuery.Parse(n => n switch { "status" => "closed", "pageSize" => "20", "createdFrom" => "2026-11-01T00:00:00Z", _ => null });
        Assert.Empty(errors);
        string next = query.NextQueryString(cursor.Encode());
        Assert.Contains("status=closed", next, StringComparison.Ordinal);
        Assert.Contains("pageSize=20", next, StringComparison.Ordinal);
        Assert.Contains("createdFrom=2026-11-01", next, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_incidents_come_in_urgency_order_waiting_for_an_operator_then_deadlines_then_escalated_gates_then_the_rest()
    {
        IncidentRow[] rows =
        [
            Row("rest-old", T0, "high"),
            Row("escalated", T0, escalated: true, gateEnds: T0.AddHours(2)),
            Row("deadline-later", T0, deadline: T0.AddHours(5)),
            Row("waiting", T0, waiting: true),
            Row("rest-critical", T0.AddMinutes(-5), "critical"),
            Row("deadline-overdue", T0, deadline: T0.AddHours(-1)),
        ];

        var order = IncidentUrgency.Order(rows, T0).Select(r => r.IncidentId).ToList();

        Assert.Equal(["waiting", "deadline-overdue", "deadline-later", "escalated", "rest-critical", "rest-old"], order);
    }

    [Fact]
    public async Task Closed_pages_walk_back_newest_first_without_gaps_or_repeats_even_when_thousands_share_a_minute()
    {
        // 3,000 closed incidents: 2,500 created within one second, the rest spread over a week, several at the same instant.
        var store = new List<ListedIncident>();
        for (int i = 0; i < 2500; i++)
        {
            store.Add(Listed($"inc-aaaaaaaaaaaa-{i}", T0.AddTicks(i * 4000)));
        }

        for (int i = 0; i < 500; i++)
        {
            store.Add(Listed($"inc-bbbbbbbbbbbb-{i}", T0.AddMinutes(-(i / 3) * 20)));
        }

        int reads = 0;
        Task<(IReadOnlyList<ListedIncident>, bool)> Read(DateTime from, DateTime to, int max)
        {
            reads++;
            var hit = store.Where(r => r.CreatedAt >= from && r.CreatedAt <= to).OrderBy(r => r.Row.IncidentId.GetHashCode()).ToList();
            return Task.FromResult<(IReadOnlyList<ListedIncident>, bool)>(hit.Count > max ? (hit.Take(max + 1).ToList(), true) : (hit, false));
        }

        var seen = new List<ListedIncident>();
        ListCursor? cursor = ListCursor.ClosedStart(T0.AddMinutes(1));
        int pages = 0;
        while (cursor is not null)
        {
            var (rows, next, _) = await ClosedPager.PageAsync(Read, cursor, ClosedPager.Floor, 100);
            Assert.True(rows.Count <= 100);
            seen.AddRange(rows.Select(r => store.Single(s => s.Row.IncidentId == r.IncidentId)));
            cursor = next is null ? null : ListCursor.TryParse(next.Encode());
            Assert.True(++pages < 100, "the pager must end");
        }

        Assert.Equal(store.Count, seen.Count);
        Assert.Equal(store.Count, seen.Select(s => s.Row.IncidentId).Distinct().Count());
        Assert.Equal(store.OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Row.IncidentId, StringComparer.Ordinal).Select(s => s.Row.IncidentId), seen.Select(s => s.Row.IncidentId));
        Assert.True(reads < pages * 12, $"{reads} reads for {pages} pages");
    }

    [Fact]
    public async Task Polled_first_closed_page_of_ten_thousand_created_in_minutes_reads_few_rows_beyond_the_page()
    {
        // 10,000 incidents closed after a burst: created at 65 a second, the newest two minutes before the page is asked for.
        // Every row a read returns carries the incident's status across the store's API: the pager's cost. A dashboard
        // polls the first page: after the first look, the pager starts where it found the newest ones.
        DateTime newest = T0.AddMinutes(-2);
        var store = Enumerable.Range(0, 10_000).Select(i => Listed($"inc-cccccccccccc-{i}", newest.AddMilliseconds(-i * 1000.0 / 65))).ToList();
        int rowsRead = 0;
        Task<(IReadOnlyList<ListedIncident>, bool)> Read(DateTime from, DateTime to, int max)
        {
            var hit = store.Where(r => r.CreatedAt >= from && r.CreatedAt <= to).OrderBy(r => r.Row.IncidentId.GetHashCode()).ToList();
            var answer = hit.Count > max ? hit.Take(max + 1).ToList() : hit;
            rowsRead += answer.Count;
            return Task.FromResult<(IReadOnlyList<ListedIncident>, bool)>((answer, hit.Count > max));
        }

        var (first, _, hint) = await ClosedPager.PageAsync(Read, ListCursor.ClosedStart(T0.AddMinutes(1)), ClosedPager.Floor, 100);
        int firstLook = rowsRead;
        rowsRead = 0;
        // Two more closed meanwhile, newer than every other.
        store.InsertRange(0, [Listed("inc-dddddddddddd-1", T0.AddSeconds(20)), Listed("inc-dddddddddddd-2", T0.AddSeconds(10))]);
        var (again, next, _) = await ClosedPager.PageAsync(Read, ListCursor.ClosedStart(T0.AddMinutes(1)), ClosedPager.Floor, 100, hint);

        Assert.Equal(store.Skip(2).Take(100).Select(s => s.Row.IncidentId), first.Select(r => r.IncidentId));
        Assert.Equal(store.Take(100).Select(s => s.Row.IncidentId), again.Select(r => r.IncidentId));
        Assert.NotNull(next);
        Assert.True(rowsRead <= 300, $"{rowsRead} rows read for a page of 100 with the hint ({firstLook} at the first look)");
    }

    static ListedIncident Listed(string id, DateTime created) => new(Row(id, created) with { Stage = Stages.Closed, RuntimeStatus = "Completed" }, created);
}

/// <summary>The list over HTTP on the real engine: pages, filters, the Link header, and the purge of closed history.</summary>
public sealed class IncidentListTests
{
    [Fact]
    public async Task Incidents_list_pages_through_the_Link_header_with_open_ones_before_closed_ones()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, open1, _) = await host.SendSampleAsync();
        var (_, open2, _) = await host.SendSampleAsync("cloudevent-high.json");
        var (_, closing, _) = await host.SendSampleAsync("medium-off-hours.json");
        await host.WaitForAsync(open1, d => d.Stage == Stages.AwaitingConfirmation);
        await host.WaitForAsync(open2, d => d.Stage == Stages.AwaitingConfirmation);
        await host.WaitForAsync(closing, d => d.Stage == Stages.AwaitingConfirmation);
        using (HttpResponseMessage close = await host.Http.PostAsJsonAsync($"/api/incidents/{closing}/actions", new OperatorAction("close", "op", "test: closed")))
        {
            Assert.Equal(HttpStatusCode.Accepted, close.StatusCode);
        }

        await host.WaitForAsync(closing, d => d.RuntimeStatus == "Completed");

        var ids = new List<string>();
        string? url = "/api/incidents?pageSize=1";
        while (url is not null)
        {
            using HttpResponseMessage r = await host.Http.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var page = (await r.Content.ReadFromJsonAsync<List<IncidentRow>>())!;
            Assert.True(page.Count <= 1);
            ids.AddRange(page.Select(p => p.IncidentId));
            url = r.Headers.TryGetValues("Link", out var links) ? System.Text.RegularExpressions.Regex.Match(links.First(), "<([^>]+)>").Groups[1].Value : null;
        }

        Assert.Equal(3, ids.Count);
        Assert.Equal(closing, ids[^1]);
        Assert.Equal([closing], (await host.Http.GetFromJsonAsync<List<IncidentRow>>("/api/incidents?status=closed"))!.Select(r => r.IncidentId));
        Assert.Equal(2, (await host.Http.GetFromJsonAsync<List<IncidentRow>>("/api/incidents?status=open"))!.Count);
        Assert.Empty((await host.Http.GetFromJsonAsync<List<IncidentRow>>($"/api/incidents?createdFrom={DateTime.UtcNow.AddMinutes(5):O}"))!);
        using HttpResponseMessage bad = await host.Http.GetAsync("/api/incidents?status=sometimes");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        // A parameter given twice was read as its first value (found by an attack): refused, naming both.
        using HttpResponseMessage twice = await host.Http.GetAsync("/api/incidents?status=open&status=closed");
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        Assert.Contains("open,closed", await twice.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Purge_removes_the_history_of_sealed_closed_incidents_past_retention_and_keeps_open_ones()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, open, _) = await host.SendSampleAsync();
        var (_, closing, _) = await host.SendSampleAsync("medium-off-hours.json");
        await host.WaitForAsync(open, d => d.Stage == Stages.AwaitingConfirmation);
        await host.WaitForAsync(closing, d => d.Stage == Stages.AwaitingConfirmation);
        await host.Http.PostAsJsonAsync($"/api/incidents/{closing}/actions", new OperatorAction("close", "op", "test: closed"));
        IncidentDetail closed = await host.WaitForAsync(closing, d => d.RuntimeStatus == "Completed");
        Assert.NotNull(closed.ReportName);

        var kept = new ClosedIncidentPurge(Microsoft.Extensions.Options.Options.Create(new RetentionOptions { ClosedIncidentHistory = TimeSpan.FromDays(30) }),
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<ClosedIncidentPurge>.Instance);
        Assert.Equal(0, await kept.PurgeAsync(host.Host.Client, default));

        await Task.Delay(50); // the retention below is 10 ms: the closed incident is past it
        var purge = new ClosedIncidentPurge(Microsoft.Extensions.Options.Options.Create(new RetentionOptions { ClosedIncidentHistory = TimeSpan.FromMilliseconds(10) }),
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<ClosedIncidentPurge>.Instance);
        Assert.Equal(1, await purge.PurgeAsync(host.Host.Client, default));

        Assert.Null(await host.Host.Client.GetInstanceAsync(closing));
        Assert.NotNull(await host.Host.Client.GetInstanceAsync(open));
        Assert.Equal([open], (await host.Http.GetFromJsonAsync<List<IncidentRow>>("/api/incidents"))!.Select(r => r.IncidentId));
    }

    [Fact]
    public async Task Local_host_without_a_retention_setting_keeps_closed_incidents_history_for_the_default_30_days()
    {
        // The bench's list scenario lost its first closed incidents a minute after start: the local host handed the
        // configuration a null retention, which bound as zero, and its purge service then purged every sealed incident.
        await using TestHost host = await TestHost.StartAsync();
        Assert.Equal(TimeSpan.FromDays(30), host.Host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RetentionOptions>>().Value.ClosedIncidentHistory);
    }

    [Fact]
    public async Task A_subject_alerted_again_after_its_closed_incident_was_purged_gets_a_new_incident_and_is_contained_again_and_a_resent_alert_stays_a_duplicate()
    {
        // The purge removes a closed incident's orchestration history, not its evidence (kept for years). The next
        // incident of the subject used to take the purged incident's id: its containment then found the old incident's
        // record in the evidence store and reported "contained" without disabling the account.
        const string subject = "ravi.k@vendor.example";
        await using TestHost host = await TestHost.StartAsync();
        var (_, first, _) = await host.SendSampleAsync();
        await host.WaitForAsync(first, d => d.Stage == Stages.AwaitingConfirmation);
        var (status, _) = await host.DecideAsync(await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"), "reject", "test: a false positive");
        Assert.Equal(200, status);
        IncidentDetail closed = await host.WaitForAsync(first, d => d.RuntimeStatus == "Completed" && d.ReportName is not null);
        Assert.True(host.Host.Directory.Find(subject)!.AccountEnabled);

        await Task.Delay(50);
        var purge = new ClosedIncidentPurge(Microsoft.Extensions.Options.Options.Create(new RetentionOptions { ClosedIncidentHistory = TimeSpan.FromMilliseconds(10) }),
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<ClosedIncidentPurge>.Instance);
        Assert.Equal(1, await purge.PurgeAsync(host.Host.Client, default));

        // The same alert sent again (a resubmitted dead letter) is still the closed incident's: nothing is contained again.
        var (resent, sameAs, resentOutcome) = await host.SendSampleAsync();
        Assert.Equal((202, first, IntakeOutcomes.Duplicate), (resent, sameAs, resentOutcome));
        Assert.True(host.Host.Directory.Find(subject)!.AccountEnabled);

        var (again, second, outcome) = await host.SendSampleAsync(edit: a => a.Replace("purview-7f3a91", "purview-months-later", StringComparison.Ordinal));
        Assert.Equal((202, "started"), (again, outcome));
        Assert.NotEqual(first, second);
        IncidentDetail d = await host.WaitForAsync(second, d => d.Stage == Stages.AwaitingConfirmation && d.ContainedAt is not null);
        Assert.True(d.ContainedAt > closed.UpdatedAt, $"contained at {d.ContainedAt:O}, before the first incident closed ({closed.UpdatedAt:O})");
        Assert.False(host.Host.Directory.Find(subject)!.AccountEnabled);
        Assert.Equal(2, host.Host.Directory.EffectCount($"disable:{subject}"));
    }

    [Fact]
    public async Task A_first_alert_that_finds_a_concurrent_first_alerts_evidence_joins_its_incident_instead_of_opening_a_second()
    {
        // Evidence under an id means a purge only when the instance is gone: a concurrent first alert writes its
        // containment snapshot within a few round trips of starting the incident.
        await using TestHost host = await TestHost.StartAsync();
        IServiceProvider sp = host.Host.Services;
        var gated = new GatedHeads(sp.GetRequiredService<Cordon.Evidence.IEvidenceStore>());
        var intake = new AlertIntake(TimeProvider.System, sp.GetRequiredService<Cordon.Monitoring.CordonMetrics>(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<AlertIntake>.Instance, sp.GetRequiredService<Cordon.Configuration.LiveConfiguration>(),
            evidence: gated);
        string sample = await File.ReadAllTextAsync(Repo.Path("samples/alerts/critical-bribery.json"));
        RiskAlert late = AlertParser.Parse(System.Text.Encoding.UTF8.GetBytes(sample.Replace("purview-7f3a91", "purview-second-look", StringComparison.Ordinal))).Alert!;

        Task<IntakeResult> second = intake.SubmitAsync(host.Host.Client, late, CancellationToken.None); // lists: none yet
        await gated.Asked.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var (status, first, _) = await host.SendSampleAsync();
        Assert.Equal(202, status);
        await host.WaitForAsync(first, d => d.ContainedAt is not null);
        gated.Release.SetResult();

        IntakeResult r = await second.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((first, IntakeOutcomes.Merged), (r.IncidentId, r.Outcome));
        var running = new List<string>();
        await foreach (var m in host.Host.Client.GetAllInstancesAsync(new Microsoft.DurableTask.Client.OrchestrationQuery { InstanceIdPrefix = IncidentIds.Prefix }))
        {
            running.Add(m.InstanceId);
        }

        Assert.Equal([first], running);
    }

    /// <summary>The real evidence store, except that the first look for a custody head waits until released.</summary>
    sealed class GatedHeads(Cordon.Evidence.IEvidenceStore inner) : Cordon.Evidence.IEvidenceStore
    {
        public TaskCompletionSource Asked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<Cordon.Evidence.CustodyHead?> HeadAsync(string incidentId, CancellationToken cancellationToken)
        {
            Asked.TrySetResult();
            await Release.Task;
            return await inner.HeadAsync(incidentId, cancellationToken);
        }

        public Task<Cordon.Evidence.EvidenceItem> PutAsync(string incidentId, string name, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken) =>
            inner.PutAsync(incidentId, name, content, contentType, cancellationToken);

        public Task<Cordon.Evidence.EvidenceItem> PutAsync(string incidentId, string name, ReadOnlyMemory<byte> content, string contentType, Cordon.Evidence.CustodyNote custody, CancellationToken cancellationToken) =>
            inner.PutAsync(incidentId, name, content, contentType, custody, cancellationToken);

        public Task<byte[]?> GetAsync(string incidentId, string name, CancellationToken cancellationToken) => inner.GetAsync(incidentId, name, cancellationToken);

        public Task<byte[]?> FindAsync(string incidentId, string name, string contentType, Cordon.Evidence.CustodyNote custody, CancellationToken cancellationToken) =>
            inner.FindAsync(incidentId, name, contentType, custody, cancellationToken);

        public Task<IReadOnlyList<Cordon.Evidence.EvidenceItem>> ListAsync(string incidentId, CancellationToken cancellationToken) => inner.ListAsync(incidentId, cancellationToken);

        public Task<Cordon.Evidence.CustodyEntry> AppendCustodyAsync(string incidentId, string actor, string action, string item, string? itemSha256, CancellationToken cancellationToken) =>
            inner.AppendCustodyAsync(incidentId, actor, action, item, itemSha256, cancellationToken);

        public Task<Cordon.Evidence.EvidenceVerification> VerifyAsync(string incidentId, CancellationToken cancellationToken) => inner.VerifyAsync(incidentId, cancellationToken);

        public Task<Cordon.Evidence.EvidenceVerification> VerifyAsync(string incidentId, Cordon.Evidence.RecordedHead? recorded, CancellationToken cancellationToken) =>
            inner.VerifyAsync(incidentId, recorded, cancellationToken);
    }
}
