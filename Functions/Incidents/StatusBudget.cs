using Cordon.Policy;
namespace Cordon.Incidents;

/// <summary>
/// The size the incident's custom status may take. Durable Functions documents 16 KB for a custom status, and
/// on Azure Storage it lives in one table property (64 KB of UTF-16); a status past either freezes the incident.
/// The estimate is an upper bound of the JSON the engine writes (every character that JSON may escape counted
/// at six bytes), cheap enough for every status update of a replay.
/// </summary>
public static class StatusBudget
{
    /// <summary>Estimated bytes the status may take: under 16 KB with room for field names the estimate rounds.</summary>
    public const int Bytes = 14 * 1024;

    /// <summary>One alert digest in the status (<see cref="AlertDigest"/>: 12 characters, quoted, a comma).</summary>
    public const int DigestSize = 16;

    public static int Size(TimelineEntry t) => 50 + L(t.Step) + L(t.Detail);

    public static int Size(AlertSummary a) => 160 + L(a.AlertId) + L(a.Source) + L(a.Severity) + a.Indicators.Sum(i => 4 + L(i));

    public static int Size(string alertKey) => 4 + L(alertKey);

    public static int Estimate(IncidentStatus s)
    {
        int n = 1200 + L(s.Stage) + L(s.Outcome) + L(s.Subject) + L(s.VendorId) + L(s.SiteId) + L(s.ReportName);
        n += s.Exposure.Sum(e => 60 + L(e.Resource) + L(e.Reason));
        n += s.AlertIds.Sum(Size);
        n += s.AlertDigests.Count * DigestSize;
        n += s.Alerts.Sum(Size);
        n += s.PendingApprovals.Sum(p => 160 + L(p.GateId) + L(p.Gate) + p.Approvers.Sum(a => 4 + L(a)) + p.Votes.Sum(v => 90 + L(v.Approver) + L(v.Decision) + L(v.Comment)));
        n += s.Deadlines.Sum(d => 130 + L(d.Name) + L(d.Client) + L(d.ClockStart.Name()));
        n += s.Timeline.Sum(Size);
        n += s.Receipts.Sum(r => 50 + L(r.DecisionId) + L(r.Message));
        n += s.WaitingSteps.Sum(w => 60 + L(w.Step) + L(w.Error)) * 2; // and again as WaitingForOperator
        n += s.Containment is { } c ? 80 + c.RemovedGroups.Sum(g => 4 + L(g)) : 0;
        return n;
    }

    static int L(string? text)
    {
        if (text is null)
        {
            return 4;
        }

        int n = text.Length;
        foreach (char c in text)
        {
            if (c > 126 || c < 32 || c is '"' or '\\' or '<' or '>' or '&' or '\'' or '+' or '`')
            {
                n += 5;
            }
        }

        return n;
    }
}
