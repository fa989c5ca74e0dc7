namespace Cordon.Tests.Incidents;

/// <summary>
/// An acknowledged alert is never dropped: an incident takes merged alerts at every stage (not only while
/// waiting at a gate), with their evidence; once its outcome is final it takes none, and intake, which
/// confirms every merge, places the alert in a new incident.
/// </summary>
public sealed class AlertsAtEveryStageTests
{
    const string Ravi = "ravi.k@vendor.example";

    static string Alert(string alertId, string? severity = null, int? score = null)
    {
        JsonNode alert = JsonNode.Parse(File.ReadAllText(Repo.Path("samples/alerts/critical-bribery.json")))!;
        alert["alertId"] = alertId;
        if (severity is not null)
        {
            alert["severity"] = severity;
            alert["riskScore"] = score;
        }

        return alert.ToJsonString();
    }

    [Fact]
    public async Task A_critical_alert_during_a_false_positive_restore_keeps_the_subject_contained_and_asks_again()
    {
        // Every simulated directory call takes 300 ms: the restore (3 groups, then the account) takes over a second.
        await using TestHost host = await TestHost.StartAsync(directoryLatency: TimeSpan.FromMilliseconds(300));
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1);

        Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"), Decisions.Reject)).Status);
        var (status, placedIn, outcome) = await host.SendAsync(Alert("purview-7f3a92"));

        Assert.Equal(202, status);
        Assert.Equal((id, "merged"), (placedIn, outcome));
        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1
            && d.Timeline.Any(t => t.Step is "restore stopped" or "restore overtaken")
            && d.Timeline.Any(t => t.Step == "evidence preserved" && t.Detail.Contains("purview-7f3a92", StringComparison.Ordinal)), seconds: 60);
        Assert.Contains("purview-irm/purview-7f3a92", d.AlertIds);
        Assert.Equal(2, d.AlertCount);
        Assert.Null(d.Outcome);
        Assert.False(host.Host.Directory.Find(Ravi)!.AccountEnabled);
        Assert.Equal("confirm-2", d.PendingApprovals[0].GateId);
        await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"); // asked again
        Assert.Contains(d.Timeline, t => t.Step == "evidence preserved" && t.Detail.Contains("purview-7f3a92", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_alert_merged_during_vendor_offboarding_is_taken_with_its_evidence()
    {
        string world = TestHost.EditedWorld(w => TestHost.Site(w, "fab-pune-1")["generatedAgents"] = 597); // 600 agents, 30 batches
        await using TestHost host = await TestHost.StartAsync(TestHost.OffboardingPolicy(parallelism: 2), world, directoryLatency: TimeSpan.FromMilliseconds(50));
        host.Host.Directory.EnforceThrottling = false;
        var (_, id, _) = await host.SendSampleAsync();
        await host.EscalateToSecondVendorVoteAsync(id);
        await host.CompleteVendorQuorumAsync();
        await host.WaitForAsync(id, d => d.Stage == Stages.VendorOffboarding);

        var (status, placedIn, outcome) = await host.SendAsync(Alert("purview-offboarding-1", "high", 80));

        Assert.Equal((202, id, "merged"), (status, placedIn, outcome));
        Assert.Equal(Stages.VendorOffboarding, (await host.IncidentAsync(id)).Stage); // it arrived mid-offboarding
        IncidentDetail closed = await host.WaitForAsync(id, d => d.Stage == Stages.Closed, seconds: 120);
        Assert.Equal(Outcomes.ConfirmedInsider, closed.Outcome);
        Assert.Contains("purview-irm/purview-offboarding-1", closed.AlertIds);
        Assert.Contains(closed.Alerts!, a => a.AlertId == "purview-offboarding-1" && a.Severity == "high" && a.RiskScore == 80);
        Assert.Contains(closed.Timeline, t => t.Step == "alert merged" && t.Detail.Contains("at VendorOffboarding", StringComparison.Ordinal));
        string[] evidence = Directory.GetFiles(Path.Combine(host.DataDir, "evidence", id, "items")).Select(Path.GetFileName).ToArray()!;
        Assert.Contains(evidence, f => f.StartsWith("alert-", StringComparison.Ordinal) && f.Contains("purview-offboarding-1", StringComparison.Ordinal));
        using JsonDocument report = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(host.DataDir, "evidence", id, "items", WriteIncidentReport.JsonName)));
        Assert.Equal(2, report.RootElement.GetProperty("alerts").GetArrayLength());
    }

    [Fact]
    public async Task Alerts_sent_while_an_incident_closes_each_land_on_the_incident_intake_names()
    {
        // Ask-first (medium): a rejection closes the incident at once, with nothing to restore.
        await using TestHost host = await TestHost.StartAsync();
        var (_, id, _) = await host.SendSampleAsync("medium-off-hours.json");
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1);
        string sample = File.ReadAllText(Repo.Path("samples/alerts/medium-off-hours.json"));

        Task<(int, string)> decision = host.DecideAsync(await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"), Decisions.Reject);
        var placed = new List<(string Key, string Incident, string Outcome)>();
        for (int i = 0; i < 15; i++)
        {
            JsonNode alert = JsonNode.Parse(sample)!;
            alert["alertId"] = $"closing-{i}";
            var (status, incident, outcome) = await host.SendAsync(alert.ToJsonString());
            Assert.Equal(202, status);
            placed.Add(($"{alert["source"]}/closing-{i}", incident, outcome));
            await Task.Delay(20);
        }

        await decision;
        // Whatever the timing, the incident named by the answer took the alert: merged before the close, or a new one after.
        foreach (var (key, incident, outcome) in placed)
        {
            await host.WaitForAsync(incident, d => d.AlertIds.Contains(key), seconds: 30);
            Assert.True(outcome is "merged" or "started" or "duplicate", outcome);
        }

        IncidentDetail first = await host.WaitForAsync(id, d => d.Stage == Stages.Closed);
        Assert.Equal(Outcomes.FalsePositive, first.Outcome);
    }
}
