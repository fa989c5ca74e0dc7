using Cordon.Incidents;
using Microsoft.DurableTask.Client;

namespace Cordon.Tests.Approvals;

/// <summary>When a decision from a link stops waiting for its gate to show on the incident's status.</summary>
[Trait("Category", "Unit")]
public sealed class LinkGateWaitTests
{
    static readonly DateTime Now = new(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc);

    static IncidentStatus Showing(params string[] gateIds) => new()
    {
        PendingApprovals = gateIds.Select(g => new PendingApproval(g, g[..g.IndexOf('-')], ["sam.lead@cordon-customer.example"], Now.AddHours(1), 1, [])).ToList(),
    };

    [Fact]
    public void An_incident_started_but_not_yet_run_is_waited_for_not_taken_as_closed()
    {
        // The flake this reproduces: a link used while the incident was Pending answered "Decision closed" at Triage.
        Assert.False(LinkGateWait.Settled(OrchestrationRuntimeStatus.Pending, new IncidentStatus(), "confirm-1"));
    }

    [Fact]
    public void A_running_incident_not_yet_showing_the_gate_is_waited_for()
    {
        Assert.False(LinkGateWait.Settled(OrchestrationRuntimeStatus.Running, Showing(), "confirm-1"));
        Assert.False(LinkGateWait.Settled(OrchestrationRuntimeStatus.Suspended, Showing(), "confirm-1"));
    }

    [Fact]
    public void The_gate_shown_a_later_gate_shown_or_an_ended_incident_settle_the_wait()
    {
        Assert.True(LinkGateWait.Settled(OrchestrationRuntimeStatus.Running, Showing("confirm-1"), "confirm-1"));
        Assert.True(LinkGateWait.Settled(OrchestrationRuntimeStatus.Running, Showing("notify-2"), "confirm-1"));
        Assert.False(LinkGateWait.Settled(OrchestrationRuntimeStatus.Running, Showing("confirm-1"), "notify-2"));
        foreach (var ended in new[] { OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated })
        {
            Assert.True(LinkGateWait.Settled(ended, Showing(), "confirm-1"));
        }
    }
}
