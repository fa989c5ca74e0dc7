using Cordon.Incidents;
using Cordon.Intake;

namespace Cordon.Tests.Reliability;

/// <summary>
/// An incident's status lists only its newest alerts (20 keys, 256 digests, fewer under the status budget). An older alert
/// delivered again — a producer's retry, a Service Bus redelivery — is found in the evidence the incident preserved for it
/// (found by an attack: merged again, it waited for a status that never listed it and was abandoned on every delivery;
/// while the incident closed it opened a second incident and contained the person again).
/// </summary>
public sealed class RedeliveryOfOlderAlertsTests
{
    const int Alerts = 300;

    static string WithId(string id) => File.ReadAllText(Repo.Path("samples/alerts/critical-bribery.json")).Replace("purview-7f3a91", id, StringComparison.Ordinal);

    /// <summary>The sample's subject with <see cref="Alerts"/> alerts in one incident, sixteen at a time.</summary>
    static async Task<string> ManyAlertsAsync(TestHost host)
    {
        var (status, incident, outcome) = await host.SendAsync(WithId("early-0"));
        Assert.Equal((202, IntakeOutcomes.Started), (status, outcome));
        using var gate = new SemaphoreSlim(16);
        await Task.WhenAll(Enumerable.Range(1, Alerts - 1).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                Assert.Equal((202, incident, IntakeOutcomes.Merged), await host.SendAsync(WithId($"early-{i}")));
            }
            finally
            {
                gate.Release();
            }
        }));
        return incident;
    }

    [Fact]
    public async Task An_early_alert_delivered_again_after_many_merges_is_completed_as_a_duplicate()
    {
        await using TestHost host = await TestHost.StartAsync();
        string incident = await ManyAlertsAsync(host);
        await host.WaitForAsync(incident, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1, seconds: 60);

        var settle = new RecordingSettlement();
        Settlement result = await host.Host.Services.GetRequiredService<AlertMessageHandler>()
            .HandleAsync(RecordingSettlement.FirstDelivery(WithId("early-1")), settle, host.Host.Client, default);

        Assert.Equal(Settlement.Completed, result);
        Assert.Equal(["complete"], settle.Calls);
        Assert.Equal((202, incident, IntakeOutcomes.Duplicate), await host.SendAsync(WithId("early-2")));
    }

    [Fact]
    public async Task An_early_alert_delivered_again_while_its_incident_closes_opens_no_second_incident()
    {
        await using TestHost host = await TestHost.StartAsync();
        string incident = await ManyAlertsAsync(host);
        await host.WaitForAsync(incident, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1, seconds: 60);

        // A false positive: the outcome is final, access is being restored, the incident is closing.
        Task<(int, string)> decision = host.DecideAsync(await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"), Decisions.Reject);
        while ((await host.Host.Client.GetInstanceAsync(incident, getInputsAndOutputs: true))!.ReadCustomStatusAs<IncidentStatus>()!.ClosingAt is null)
        {
            await Task.Delay(5);
        }

        // Its closing steps queued behind other work while the alert comes again.
        await host.Host.Client.SuspendInstanceAsync(incident, "test: closing steps queued");
        await decision;
        var again = await host.SendAsync(WithId("early-1"));
        await host.Host.Client.ResumeInstanceAsync(incident, "test: backlog cleared");

        Assert.Equal((202, incident, IntakeOutcomes.Duplicate), again);
        string second = incident[..(incident.LastIndexOf('-') + 1)] + "2";
        Assert.Null(await host.Host.Client.GetInstanceAsync(second));
    }

    /// <summary>
    /// An operator terminated the subject's incident with a reason (the terminate webhook's reason= is stored as its
    /// output). Intake read every output as an incident's result: each later alert of the person answered 500, for ever
    /// (found by an attack). A terminated incident's output is not read: a new alert opens the next incident, one it took
    /// is a duplicate of it.
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData("ops: stuck, terminated by hand")] // before the fix: 500
    public async Task After_the_subjects_incident_was_terminated_a_new_alert_opens_the_next_and_an_old_one_is_a_duplicate(string? reason)
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, first, _) = await host.SendAsync(WithId("t-a"));
        await host.WaitForAsync(first, d => d.Stage == Stages.AwaitingConfirmation);
        for (int i = 0; i < 25; i++)
        {
            Assert.Equal(IntakeOutcomes.Merged, (await host.SendAsync(WithId($"t-m{i}"))).Outcome);
        }

        await host.Host.Client.TerminateInstanceAsync(first, reason);
        await host.WaitForAsync(first, d => d.RuntimeStatus == "Terminated");

        var fresh = await host.SendAsync(WithId("t-new"));
        var again = await host.SendAsync(WithId("t-m1"));

        Assert.Equal((202, IntakeOutcomes.Started), (fresh.Status, fresh.Outcome));
        Assert.NotEqual(first, fresh.IncidentId);
        Assert.Equal((202, first, IntakeOutcomes.Duplicate), again);
    }

    /// <summary>
    /// The subject's first incident closed, then a second; retention purged the first (its evidence kept). Its alert sent
    /// again — a resubmitted dead letter — is a duplicate of it, while the second is closed or open (found by an attack:
    /// it opened a third incident and contained the person again, or was merged into the open one).
    /// </summary>
    [Theory]
    [InlineData(true)] // before the fix: a third incident, contained
    [InlineData(false)] // before the fix: merged into the second
    public async Task An_alert_of_a_purged_incident_sent_again_after_a_later_incident_is_a_duplicate(bool laterClosed)
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, first, _) = await host.SendAsync(WithId("old-a"));
        await CloseAsync(host, first);
        var (_, second, _) = await host.SendAsync(WithId("new-b"));
        Assert.NotEqual(first, second);
        if (laterClosed)
        {
            await CloseAsync(host, second);
        }
        else
        {
            await host.WaitForAsync(second, d => d.Stage == Stages.AwaitingConfirmation);
        }

        await host.Host.Client.PurgeInstanceAsync(first);

        Assert.Equal((202, first, IntakeOutcomes.Duplicate), await host.SendAsync(WithId("old-a")));
    }

    static async Task CloseAsync(TestHost host, string id)
    {
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation);
        using (HttpResponseMessage r = await host.Http.PostAsJsonAsync($"/api/incidents/{id}/actions", new OperatorAction("close", "op", "test: closed")))
        {
            Assert.Equal(System.Net.HttpStatusCode.Accepted, r.StatusCode);
        }

        await host.WaitForAsync(id, d => d.RuntimeStatus == "Completed");
    }
}

