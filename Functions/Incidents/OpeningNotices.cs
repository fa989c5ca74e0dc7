using Cordon.Alerts;
using Cordon.Containment;

namespace Cordon.Incidents;

/// <summary>
/// An incident's "opened" and "contained" events as they leave once its first containment is in: from intake, which
/// applied it (<see cref="ContainmentRecord.AnnouncedAtIntake"/>), or from the incident when intake did not. Both build
/// the same details here, so a subscriber cannot tell which of the two announced.
/// </summary>
public static class OpeningNotices
{
    public static string OpenedDetail(RiskAlert alert) => $"alert {alert.AlertId} from {alert.Source}";

    public static string ContainedDetail(DateTime containedAt, DateTime? exposureEndsBy) => $"contained at {containedAt:O}; exposure ends by {exposureEndsBy:O}";

    /// <summary>The pair intake publishes for the incident <paramref name="input"/> starts, contained as <paramref name="record"/> says.</summary>
    public static IReadOnlyList<IncidentEventNotice> AtIntake(IncidentInput input, ResponsePlan plan, ContainmentRecord record, DateTime at)
    {
        RiskAlert alert = input.Alert;
        DateTime endsBy = ExposureWindows.EndsBy(record, plan.Policy.Exposure, plan.Clients);
        IncidentEventNotice Notice(string lifecycleEvent, string detail) => new(input.IncidentId, lifecycleEvent, Stages.Containment, null, alert.Severity,
            alert.Subject.UserPrincipalName, alert.Subject.VendorId, alert.Subject.SiteId, at, detail);
        return [Notice(LifecycleEvents.Opened, OpenedDetail(alert)), Notice(LifecycleEvents.Contained, ContainedDetail(record.ContainedAt, endsBy))];
    }
}
