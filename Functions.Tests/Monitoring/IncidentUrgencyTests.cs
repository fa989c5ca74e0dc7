using Cordon.Monitoring;

namespace Cordon.Tests.Monitoring;

[Trait("Category", "Unit")]
public sealed class IncidentUrgencyTests
{
    static readonly DateTime Now = new(2026, 11, 30, 3, 0, 0, DateTimeKind.Utc);

    static IncidentRow Row(string id, string stage = Stages.AwaitingConfirmation, bool waiting = false, DateTime? deadline = null,
        PendingApproval? gate = null, DateTime? opened = null, DateTime? updated = null) =>
        new(id, $"{id}@vendor.example", "fabrikam-bpo", "fab-pune-1", "high", stage, stage == Stages.Closed ? Outcomes.ConfirmedInsider : null,
            opened ?? Now.AddHours(-1), updated ?? Now.AddMinutes(-5), null, null, gate is null ? 0 : 1, deadline, "Running", waiting, null,
            gate is null ? [] : [gate], deadline is { } d ? new Deadline("CERT-In", "contoso-pay", d, null, ClockStart.Detected) : null);

    static PendingApproval Gate(string gate, int escalations, DateTime expires, string role = "legal") =>
        new($"{gate}-1", gate, ["lee.legal@cordon-customer.example"], expires, 1, [], Now.AddHours(-2), role, escalations);

    [Fact]
    public void Waiting_for_an_operator_then_overdue_then_nearest_deadline_then_escalated_gates_then_the_rest_then_closed_newest_first()
    {
        IncidentRow[] rows =
        [
            Row("closed-old", Stages.Closed, updated: Now.AddDays(-2)),
            Row("calm-old", opened: Now.AddHours(-5)),
            Row("deadline-later", Stages.AwaitingNotificationApproval, deadline: Now.AddHours(40)),
            Row("escalated", gate: Gate("confirm", 1, Now.AddMinutes(30), "deputy")),
            Row("closed-new", Stages.Closed, updated: Now.AddMinutes(-1)),
            Row("deadline-soon", Stages.AwaitingNotificationApproval, deadline: Now.AddHours(2)),
            Row("overdue", Stages.AwaitingNotificationApproval, deadline: Now.AddHours(-3)),
            Row("calm-new", opened: Now.AddMinutes(-2)),
            Row("operator", Stages.Containment, waiting: true),
        ];

        IReadOnlyList<IncidentRow> ordered = IncidentUrgency.Order(rows, Now);

        Assert.Equal(["operator", "overdue", "deadline-soon", "deadline-later", "escalated", "calm-new", "calm-old", "closed-new", "closed-old"],
            ordered.Select(r => r.IncidentId));
    }

    [Fact]
    public void Needs_you_names_the_reason_with_the_regime_and_who_the_notice_waits_on_and_leaves_calm_incidents_out()
    {
        Assert.Contains("retry it or close", IncidentUrgency.NeedsYou(Row("a", waiting: true), Now));
        Assert.Equal("CERT-In deadline (contoso-pay) overdue by 3 h 0 min; the notice waits on legal",
            IncidentUrgency.NeedsYou(Row("b", Stages.AwaitingNotificationApproval, deadline: Now.AddHours(-3), gate: Gate("notify", 0, Now.AddHours(1))), Now));
        Assert.Equal("CERT-In deadline (contoso-pay) due in 2 h 0 min",
            IncidentUrgency.NeedsYou(Row("c", Stages.AwaitingNotificationApproval, deadline: Now.AddHours(2)), Now));
        Assert.Contains("confirm gate escalated to deputy", IncidentUrgency.NeedsYou(Row("d", gate: Gate("confirm", 1, Now.AddMinutes(30), "deputy")), Now));

        Assert.Null(IncidentUrgency.NeedsYou(Row("far", Stages.AwaitingNotificationApproval, deadline: Now.AddHours(40)), Now));
        Assert.Null(IncidentUrgency.NeedsYou(Row("calm", gate: Gate("confirm", 0, Now.AddHours(1), "securityLead")), Now));
        Assert.Null(IncidentUrgency.NeedsYou(Row("closed", Stages.Closed), Now));
    }

    [Fact]
    public void Every_stage_has_a_short_label()
    {
        foreach (string stage in DashboardFilter.AllStages)
        {
            Assert.InRange(StageLabels.Of(stage).Length, 1, 12);
        }
    }

    [Fact]
    public void Next_step_at_the_notice_gate_waits_on_legal_until_the_earlier_of_the_regulatory_deadline_and_the_gate_step()
    {
        var status = new IncidentStatus
        {
            Stage = Stages.AwaitingNotificationApproval, SiteId = "fab-pune-1",
            PendingApprovals = [Gate("notify", 0, Now.AddHours(2))],
            Deadlines = [new Deadline("CERT-In", "contoso-pay", Now.AddHours(1), null, ClockStart.Detected), new Deadline("GDPR", "northwind-bank", Now.AddHours(70), null, ClockStart.Confirmed)],
        };

        NextStep next = NextStep.Of(status, running: true);

        Assert.Equal(new NextStep("approve the client notice", "legal: lee.legal@cordon-customer.example", Now.AddHours(1)), next);
        Assert.Equal("an operator", NextStep.Of(status with { WaitingForOperator = new StepFailure("ContainSubject", "directory down", Now) }, true).WaitsOn);
        Assert.Null(NextStep.Of(status with { Stage = Stages.Closed, Outcome = Outcomes.FalsePositive }, false).By);
    }
}
