using Cordon.Local.Connectors;
using System.Diagnostics;
using Cordon.Evidence;

namespace Cordon.Tests.Reliability;

/// <summary>
/// A flood of alerts for one subject on the Azure Storage provider (Azurite), where the custom status lives in
/// one table property: the status stays bounded, so the incident stays live, decidable and fully visible.
/// </summary>
[Collection(nameof(AzuriteCollection))]
public sealed class AlertFloodTests(AzuriteFixture azurite, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    // 150 by default, to keep the suite's time: the 1,000 of the issue run by hand (CORDON_FLOOD_ALERTS=1000; about
    // 7 minutes on two loaded cores, figures in docs/benchmarks.md, "Alert flood").
    static readonly int Alerts = int.TryParse(Environment.GetEnvironmentVariable("CORDON_FLOOD_ALERTS"), out int n) ? n : 150;

    [Fact]
    public async Task An_alert_flood_for_one_subject_keeps_the_incident_live_decidable_and_visible()
    {
        string dataDir = Directory.CreateTempSubdirectory("cordon-flood-").FullName;
        // The durable store on Azurite (the subject here); evidence in a folder.
        // The confirm gate's chain must outlast the flood: with the fast policy's three one-minute steps it runs
        // out after three minutes and the incident closes unreviewed (by design) while the flood is still coming.
        await using TestHost host = await TestHost.StartAsync(policyJson: TestHost.FastPolicy.Replace("00:01:00", "01:00:00", StringComparison.Ordinal),
            store: StoreKind.Azurite, storage: azurite.ConnectionString, dataDir: dataDir, taskHub: "flood",
            configure: s => s.AddSingleton<IEvidenceStore>(new FolderEvidenceStore(Path.Combine(dataDir, "evidence"), TimeProvider.System)));
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1, seconds: 60);

        // Long alert ids (128 characters, the most the contract allows) make the worst case for the status.
        string sample = File.ReadAllText(Repo.Path("samples/alerts/critical-bribery.json"));
        var sent = Stopwatch.StartNew();
        var outcomes = new System.Collections.Concurrent.ConcurrentBag<(string Incident, string Outcome)>();
        var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int accepted = 0;
        // Decidable while the flood is still arriving: the approver decides once half of it is in.
        Task<(int Status, TimeSpan At, TimeSpan Took)> decided = DecideAtHalfwayAsync(host, id, halfway.Task, sent);
        await Parallel.ForEachAsync(Enumerable.Range(1, Alerts - 1), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            JsonNode alert = JsonNode.Parse(sample)!;
            alert["alertId"] = $"flood-{i:D6}-".PadRight(128, 'x');
            alert["severity"] = "high";
            alert["riskScore"] = 80;
            var (status, incident, outcome) = await host.SendAsync(alert.ToJsonString());
            Assert.Equal(202, status);
            outcomes.Add((incident, outcome));
            if (Interlocked.Increment(ref accepted) == Alerts / 2)
            {
                halfway.SetResult();
            }
        });
        TimeSpan floodTook = sent.Elapsed;
        output.WriteLine($"{Alerts - 1} alerts accepted in {floodTook.TotalSeconds:0.0} s");
        var first = await host.Host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        string summary = string.Join(", ", outcomes.GroupBy(o => o).Select(g => $"{g.Key.Incident}/{g.Key.Outcome}: {g.Count()}"));
        output.WriteLine($"outcomes: {summary}; {id} is {first!.RuntimeStatus}: {first.FailureDetails?.ErrorMessage}");
        Assert.True(outcomes.All(o => o == (id, "merged")), $"outcomes: {summary}; {id} is {first.RuntimeStatus}: {first.FailureDetails?.ErrorMessage}");

        var decision = await decided;
        output.WriteLine($"decided at {decision.At.TotalSeconds:0.0} s (flood took {floodTook.TotalSeconds:0.0} s); the confirm gate moved on {decision.Took.TotalSeconds:0.0} s later");
        Assert.Contains(decision.Status, new[] { 200, 202 });
        Assert.True(decision.At < floodTook, $"the decision was sent at {decision.At} after the flood had ended ({floodTook})");

        IncidentDetail d = await host.WaitForAsync(id, d => d.AlertCount == Alerts, seconds: 300);
        output.WriteLine($"all {Alerts} alerts on the incident after {sent.Elapsed.TotalSeconds:0.0} s; evidence pending for {d.EvidencePending}");
        var instance = await host.Host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        int bytes = System.Text.Encoding.UTF8.GetByteCount(instance!.SerializedCustomStatus!);
        output.WriteLine($"custom status: {bytes} bytes");
        Assert.InRange(bytes, 1, 16 * 1024);
        Assert.Equal(Stages.AwaitingNotificationApproval, d.Stage);
        Assert.InRange(d.Alerts!.Count, 1, 10);
        Assert.InRange(d.AlertIds.Count, 1, 20);
        Assert.All(d.Alerts!, a => Assert.StartsWith("flood-", a.AlertId, StringComparison.Ordinal));
        Assert.Contains(d.Timeline, t => t.Step == "alert merged");

        // Live: every episode replays the whole history, so a flood must not grow it by more than the alerts
        // themselves. A gate woken by each alert once created a durable timer per wake (and an evidence step per alert).
        string history = (await ((DurableTask.Core.IOrchestrationServiceClient)host.Host.Backend.Service).GetOrchestrationHistoryAsync(id, null))!;
        var events = JsonDocument.Parse(history).RootElement.EnumerateArray().Select(EventType).ToList();
        output.WriteLine($"history: {events.Count} events; " + string.Join(", ", events.GroupBy(e => e).Select(g => $"{g.Key} {g.Count()}")));
        Assert.InRange(events.Count(e => e == "TimerCreated"), 0, 5);

        // Fully visible: every alert is in the evidence and, once closed, in the report.
        var close = await host.Http.PostAsJsonAsync($"/api/incidents/{id}/actions", new { action = "close", @operator = "olga.ops", reason = "flood test done" });
        Assert.Equal(202, (int)close.StatusCode);
        IncidentDetail closed = await host.WaitForAsync(id, d => d.Stage == Stages.Closed && d.ReportName is not null, seconds: 300);
        Assert.Equal(Alerts, closed.AlertCount);
        Assert.Equal(0, closed.EvidencePending);
        string evidence = Path.Combine(dataDir, "evidence", id, "items");
        Assert.Equal(Alerts, Directory.GetFiles(evidence, "alert-*").Length);
        using JsonDocument report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(evidence, WriteIncidentReport.JsonName)));
        Assert.Equal(Alerts, report.RootElement.GetProperty("alerts").GetArrayLength());
        output.WriteLine($"{Directory.GetFiles(evidence).Length} evidence items");
        output.WriteLine($"closed with its report after {sent.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>A history event's type, as the Azure Storage provider serializes it (a number or a name).</summary>
    static string EventType(JsonElement e) =>
        e.TryGetProperty("EventType", out JsonElement t) && t.ValueKind == JsonValueKind.Number ? ((DurableTask.Core.History.EventType)t.GetInt32()).ToString() : t.ToString();

    /// <summary>Once half the flood is in, the security lead approves; returns when the confirm gate has moved on.</summary>
    static async Task<(int Status, TimeSpan At, TimeSpan Took)> DecideAtHalfwayAsync(TestHost host, string id, Task halfway, Stopwatch sent)
    {
        await halfway;
        string link = await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm");
        TimeSpan at = sent.Elapsed;
        int status = (await host.DecideAsync(link, Decisions.Approve)).Status;
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingNotificationApproval, seconds: 300);
        return (status, at, sent.Elapsed - at);
    }
}
