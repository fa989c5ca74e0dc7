using Microsoft.DurableTask.Client;
using Cordon.Incidents;

namespace Cordon.Tests.Approvals;

/// <summary>
/// On the Azure Storage backend an episode sends its messages before it writes its history and status, so the
/// gate's mail (an activity) can reach an approver while the incident's status does not show the gate yet — under
/// load for seconds (a CI run on Azurite saw a decision refused with 409 this way). The link must still work.
/// </summary>
public sealed class EarlyApprovalLinkTests
{
    const string SecurityLead = "sam.lead@cordon-customer.example";

    /// <summary>Holds every lifecycle event until released: the incident opens its confirm gate only after "opened" is announced.</summary>
    sealed class HeldEvents : IIncidentEventPublisher
    {
        readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => released.TrySetResult();

        public async Task<string> PublishAsync(IncidentEventNotice notice, CancellationToken cancellationToken)
        {
            await released.Task.WaitAsync(cancellationToken);
            return Guid.NewGuid().ToString("N");
        }
    }

    [Fact]
    public async Task A_decision_sent_before_the_status_shows_its_gate_waits_for_the_gate_and_is_recorded()
    {
        var events = new HeldEvents();
        await using TestHost host = await TestHost.StartAsync(configure: s => s.AddSingleton<IIncidentEventPublisher>(events));
        var (_, id, _) = await host.SendSampleAsync();
        var tokens = host.Host.Services.GetRequiredService<ApprovalTokens>();
        string early = "/api/approvals/" + tokens.Create(new ApprovalClaims(id, Gates.Confirm + "-1", tokens.ApproverId(SecurityLead), DateTimeOffset.UtcNow.AddHours(1)));
        Assert.Empty((await host.IncidentAsync(id)).PendingApprovals);

        Task<(int Status, string Page)> decided = host.DecideAsync(early, Decisions.Reject);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Empty((await host.IncidentAsync(id)).PendingApprovals); // still not open while the decision waits
        events.Release();

        var (status, page) = await decided;
        Assert.True(status == 200, page);
        IncidentDetail closed = await host.WaitForAsync(id, d => d.Stage == Stages.Closed);
        Assert.Equal(Outcomes.FalsePositive, closed.Outcome);
    }

    [Fact]
    public async Task A_decision_on_a_suspended_incident_is_delivered_not_called_closed_and_counts_once_resumed()
    {
        await using TestHost host = await TestHost.StartAsync();
        string id = await host.SendSampleToConfirmationAsync();
        string link = await host.ApprovalLinkAsync(SecurityLead, "confirm");
        var client = host.Host.Services.GetRequiredService<DurableTaskClient>();
        await client.SuspendInstanceAsync(id, "operator paused the incident");
        await Eventually.Until(() => client.GetInstanceAsync(id), m => m?.RuntimeStatus == OrchestrationRuntimeStatus.Suspended,
            TimeSpan.FromSeconds(20), "incident suspended");

        var (status, page) = await host.DecideAsync(link, Decisions.Reject);
        Assert.True(status == 202, page); // delivered, not confirmed yet: never "closed"

        await client.ResumeInstanceAsync(id, "operator resumed");
        IncidentDetail closed = await host.WaitForAsync(id, d => d.Stage == Stages.Closed);
        Assert.Equal(Outcomes.FalsePositive, closed.Outcome);
    }

    [Fact]
    public async Task A_link_to_a_gate_already_passed_is_refused_at_once()
    {
        await using TestHost host = await TestHost.StartAsync();
        string id = await host.SendSampleToConfirmationAsync();
        string link = await host.ApprovalLinkAsync(SecurityLead, "confirm");
        Assert.Equal(200, (await host.DecideAsync(link, Decisions.Approve)).Status);
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingNotificationApproval && d.PendingApprovals.Count == 1);

        // The incident waits at a later gate: the confirm link's gate is over, nothing is changed.
        var (status, page) = await host.DecideAsync(link, Decisions.Reject);
        Assert.Equal(409, status);
        Assert.Contains("no longer open", page, StringComparison.Ordinal);
        IncidentDetail after = await host.IncidentAsync(id);
        Assert.Equal(Stages.AwaitingNotificationApproval, after.Stage);
        Assert.DoesNotContain(after.Timeline, t => t.Detail.Contains("rejected", StringComparison.OrdinalIgnoreCase));
    }
}
