using Cordon.Alerts;
using Cordon.Incidents;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Cordon.Tests.Incidents;

/// <summary>Triage at intake: containment comes first, and incidents started without a plan still run.</summary>
public sealed class ContainmentFirstTests
{
    [Fact]
    public async Task Critical_alert_is_contained_before_its_evidence_is_preserved_and_its_gate_mailed()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, id, _) = await host.SendSampleAsync();

        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.Timeline.Any(t => t.Step == "gate opened"));

        var steps = d.Timeline.Select(t => t.Step).ToList();
        Assert.Equal(["opened", "triaged", "contained"], steps.Take(3));
        Assert.True(steps.IndexOf("contained") < steps.IndexOf("evidence preserved"));
        Assert.True(steps.IndexOf("evidence preserved") < steps.IndexOf("gate opened"));
    }

    [Fact]
    public async Task Incident_started_without_a_plan_is_triaged_by_the_activity_and_contained()
    {
        await using TestHost host = await TestHost.StartAsync();
        RiskAlert alert = AlertParser.Parse(File.ReadAllBytes(Repo.Path("samples/alerts/critical-bribery.json"))).Alert!;
        string id = IncidentIds.For(alert.Subject.UserPrincipalName, 1);

        await host.Host.Client.ScheduleNewOrchestrationInstanceAsync(new TaskName(IncidentWorkflow.Current),
            new IncidentInput(id, alert, DateTime.UtcNow), new StartOrchestrationOptions(id));

        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.Timeline.Any(t => t.Step == "gate opened"));
        Assert.NotNull(d.ContainedAt);
        Assert.Contains(d.Timeline, t => t.Step == "triaged" && t.Detail.StartsWith("auto-contain", StringComparison.Ordinal));
        Assert.False(host.Host.Directory.Find(alert.Subject.UserPrincipalName)!.AccountEnabled);
    }
}
