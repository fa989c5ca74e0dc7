using Cordon.Policy;
using Cordon.Alerts;
using Cordon.Incidents;

namespace Cordon.Monitoring;

/// <summary>How urgently an incident needs a human, highest first. Closed incidents come last.</summary>
public enum UrgencyTier
{
    /// <summary>A step failed after its retries: nothing moves until an operator retries or closes.</summary>
    WaitingForOperator = 0,
    /// <summary>A regulatory or contract deadline has passed without the notice sent.</summary>
    DeadlineOverdue = 1,
    /// <summary>A deadline is running (nearest first).</summary>
    DeadlineRunning = 2,
    /// <summary>The first approvers did not decide in time: the gate has moved up the chain.</summary>
    GateEscalated = 3,
    /// <summary>Open, and either working on its own or waiting at a gate within its time.</summary>
    Open = 4,
    Closed = 5,
}

/// <summary>
/// The order of the incidents list: what needs a human now comes first. Open incidents by tier (waiting
/// for an operator, deadlines overdue or nearest, gates past escalation, the rest); within a tier the
/// earliest due moment first; closed incidents last, newest first.
/// </summary>
public static class IncidentUrgency
{
    /// <summary>A deadline nearer than this puts the incident on the "needs you" strip.</summary>
    public static readonly TimeSpan NearDeadline = TimeSpan.FromHours(12);

    public static UrgencyTier Tier(IncidentRow r, DateTime now) =>
        r.WaitingForOperator ? UrgencyTier.WaitingForOperator // a failed workflow is closed, and waits for an operator all the same
        : r.Stage == Stages.Closed ? UrgencyTier.Closed
        : r.NextDeadline is { } due && due <= now ? UrgencyTier.DeadlineOverdue
        : r.NextDeadline is not null ? UrgencyTier.DeadlineRunning
        : (r.Approvals ?? []).Any(a => a.Escalations > 0) ? UrgencyTier.GateEscalated
        : UrgencyTier.Open;

    public static IReadOnlyList<IncidentRow> Order(IEnumerable<IncidentRow> rows, DateTime now) => rows
        .Select(r => (Row: r, Tier: Tier(r, now)))
        .OrderBy(x => x.Tier)
        .ThenBy(x => x.Tier == UrgencyTier.Closed ? DateTime.MaxValue : DueMoment(x.Row) ?? DateTime.MaxValue)
        // Open with nothing due: the most severe, then the newest first; closed: the most recently closed first.
        .ThenByDescending(x => x.Tier == UrgencyTier.Closed ? 0 : Severities.Rank(x.Row.Severity))
        .ThenByDescending(x => x.Tier == UrgencyTier.Closed ? x.Row.UpdatedAt : x.Row.OpenedAt)
        .ThenBy(x => x.Row.IncidentId, StringComparer.Ordinal)
        .Select(x => x.Row)
        .ToList();

    /// <summary>
    /// Why an operator should look now, or null when the incident can wait: a failed step, a deadline
    /// overdue or within <see cref="NearDeadline"/>, a gate that escalated.
    /// </summary>
    public static string? NeedsYou(IncidentRow r, DateTime now)
    {
        switch (Tier(r, now))
        {
            case UrgencyTier.WaitingForOperator when r.RuntimeStatus == nameof(OrchestrationRuntimeStatus.Failed):
                return "its workflow failed: nothing more happens on its own; check the subject's access and undo by hand what it changed";
            case UrgencyTier.WaitingForOperator:
                return "a step failed after its retries: retry it or close the incident";
            case UrgencyTier.DeadlineOverdue:
                return $"{DeadlineName(r)} overdue by {DashboardPages.Duration(now - r.NextDeadline!.Value)}" + WaitsOn(r);
            case UrgencyTier.DeadlineRunning when r.NextDeadline!.Value - now <= NearDeadline:
                return $"{DeadlineName(r)} due in {DashboardPages.Duration(r.NextDeadline.Value - now)}" + WaitsOn(r);
            case UrgencyTier.GateEscalated:
                PendingApproval g = r.Approvals!.First(a => a.Escalations > 0);
                return $"{StageLabels.Gate(g.Gate)} escalated to {g.Role ?? "the next approver"}, decide by {DashboardPages.Duration(g.ExpiresAt - now)} from now";
            default:
                return null;
        }
    }

    /// <summary>The moment that orders an incident within its tier: its nearest deadline, else its open gate's step end.</summary>
    static DateTime? DueMoment(IncidentRow r) =>
        r.NextDeadline ?? (r.Approvals is { Count: > 0 } a ? a.Min(g => g.ExpiresAt) : null);

    static string DeadlineName(IncidentRow r) =>
        r.NearestDeadline is { } d ? $"{d.Name} deadline ({d.Client})" : "a deadline";

    static string WaitsOn(IncidentRow r) =>
        r.Approvals is { Count: > 0 } a
            ? $"; {(a[0].Gate == Gates.Notify ? "the notice" : "the " + StageLabels.Gate(a[0].Gate))} waits on {a[0].Role ?? string.Join(", ", a[0].Approvers)}"
            : "";
}

/// <summary>Short names for stages and gates, so a row fits a laptop screen.</summary>
public static class StageLabels
{
    public static string Of(string stage) => stage switch
    {
        Stages.Triage => "Triage",
        Stages.Containment => "Containing",
        Stages.AwaitingConfirmation => "Confirm?",
        Stages.Revocation => "Revoking",
        Stages.AwaitingNotificationApproval => "Notice?",
        Stages.ClientNotification => "Notifying",
        Stages.AwaitingVendorApproval => "Offboard?",
        Stages.VendorOffboarding => "Offboarding",
        Stages.Closed => "Closed",
        _ => stage,
    };

    /// <summary>What the stage means, for the label's tooltip and screen readers.</summary>
    public static string Describe(string stage) => stage switch
    {
        Stages.Triage => "triage: the response policy is applied",
        Stages.Containment => "containment: sessions revoked, account disabled",
        Stages.AwaitingConfirmation => "waiting for the incident to be confirmed",
        Stages.Revocation => "revoking the agent's access permanently",
        Stages.AwaitingNotificationApproval => "waiting for approval of the client notice",
        Stages.ClientNotification => "sending the client notices",
        Stages.AwaitingVendorApproval => "waiting for approval of vendor offboarding",
        Stages.VendorOffboarding => "offboarding the vendor site",
        Stages.Closed => "closed",
        _ => stage,
    };

    public static string Gate(string gate) => gate switch
    {
        Gates.Confirm => "confirm gate",
        Gates.Notify => "notice gate",
        Gates.VendorOffboarding => "vendor gate",
        _ => $"{gate} gate",
    };

    public static string Outcome(string? outcome) => outcome switch
    {
        null => "open",
        Outcomes.ConfirmedInsider => "insider",
        Outcomes.FalsePositive => "false positive",
        Outcomes.Unreviewed => "unreviewed",
        _ => outcome,
    };
}

/// <summary>The incident page's first line: what happens next, who it waits on, by when.</summary>
public sealed record NextStep(string What, string WaitsOn, DateTime? By)
{
    public static NextStep Of(IncidentStatus s, bool running)
    {
        Deadline? nearest = s.Deadlines.Where(d => d.MetAt is null).OrderBy(d => d.DueAt).FirstOrDefault();
        if (!running || s.Stage == Stages.Closed)
        {
            return new NextStep($"nothing: closed ({StageLabels.Outcome(s.Outcome ?? Outcomes.Unreviewed)})", "nobody", null);
        }

        if (s.WaitingForOperator is { } f)
        {
            return new NextStep($"retry the failed step {f.Step}, or close the incident", "an operator", nearest?.DueAt);
        }

        if (s.PendingApprovals.Count > 0 && s.PendingApprovals[0] is { } g)
        {
            string what = g.Gate switch
            {
                Gates.Confirm => "confirm the incident (or reject it as a false positive)",
                Gates.Notify => "approve the client notice",
                Gates.VendorOffboarding => $"approve offboarding site {s.SiteId}",
                _ => $"decide at the {g.Gate} gate",
            };
            string who = (g.Role is null ? "" : g.Role + ": ") + (g.Approvers.Count == 0 ? "no eligible approver" : string.Join(", ", g.Approvers)) +
                (g.Quorum > 1 ? $" ({g.Quorum - g.Votes.Count(v => v.Decision != "reject")} more needed)" : "");
            // A regulatory deadline before the gate's step end is the real limit.
            DateTime by = nearest is { } d && g.Gate == Gates.Notify && d.DueAt < g.ExpiresAt ? d.DueAt : g.ExpiresAt;
            return new NextStep(what, who, by);
        }

        string working = s.Stage switch
        {
            Stages.Triage => "triage, then containment",
            Stages.Containment => "containment completes",
            Stages.Revocation => "permanent revocation completes",
            Stages.ClientNotification => "client notices go out",
            Stages.VendorOffboarding => "site offboarding completes",
            _ => StageLabels.Describe(s.Stage),
        };
        return new NextStep(working, "nobody: Cordon is working", nearest?.DueAt);
    }
}
