using Cordon.Evidence;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Cordon.Alerts;

namespace Cordon.Incidents;

/// <summary>
/// The closing report. Alerts: every alert the incident took (the status keeps only the newest).
/// EvidenceHead: the custody chain's head once every other item (the HTML report too) was stored.
/// </summary>
public sealed record IncidentReport(string IncidentId, RiskAlert Alert, IncidentStatus Status, IReadOnlyList<TimelineEntry> Timeline,
    IReadOnlyList<AlertSummary>? Alerts = null, CustodyHead? EvidenceHead = null);

/// <summary>The stored report's name and the custody chain's head after it: the head the incident records at close.</summary>
public sealed record StoredReport(string Name, CustodyHead? EvidenceHead)
{
    /// <summary>Reads the activity's result; incidents that ran the step before it returned a head have its name only.</summary>
    public static StoredReport Read(System.Text.Json.JsonElement result) => result.ValueKind == System.Text.Json.JsonValueKind.String
        ? new StoredReport(result.GetString()!, null)
        : result.Deserialize<StoredReport>(CordonJson.Options)!;
}

/// <summary>
/// Stores the closing report (JSON for systems, HTML for people) beside the evidence. The JSON report
/// records the custody head before itself, and the activity returns the head after it, which the
/// incident keeps in its status and output and announces in its closing event: records outside the
/// store that the whole evidence set is verified against.
/// </summary>
public sealed class WriteIncidentReport(IEvidenceStore evidence) : TaskActivity<IncidentReport, StoredReport>
{
    public const string JsonName = "incident-report.json";
    public const string HtmlName = "incident-report.html";

    [Function(nameof(WriteIncidentReport))]
    public Task<StoredReport> Run([ActivityTrigger] IncidentReport report) => RunAsync(ActivityContexts.For(nameof(WriteIncidentReport)), report);

    public override async Task<StoredReport> RunAsync(TaskActivityContext context, IncidentReport report)
    {
        CancellationToken ct = CancellationToken.None;
        await evidence.PutAsync(report.IncidentId, HtmlName, Encoding.UTF8.GetBytes(Html(report)), "text/html",
            new CustodyNote("cordon/WriteIncidentReport", "stored readable incident report"), ct);
        // A rerun keeps the report as first written: the head it records has moved on since.
        byte[] bytes = await evidence.GetAsync(report.IncidentId, JsonName, ct)
            ?? JsonSerializer.SerializeToUtf8Bytes(report with { EvidenceHead = await evidence.HeadAsync(report.IncidentId, ct) }, CordonJson.Options);
        await evidence.PutAsync(report.IncidentId, JsonName, bytes, "application/json", new CustodyNote("cordon/WriteIncidentReport", "stored incident report"), ct);
        return new StoredReport(JsonName, await evidence.HeadAsync(report.IncidentId, ct));
    }

    /// <summary>
    /// The head a report file records, to verify an evidence set against a copy of its report kept
    /// elsewhere: after that head only the report's own entries, with the copy's hash, may follow.
    /// </summary>
    public static RecordedHead? HeadOf(byte[] reportJson, string source)
    {
        IncidentReport? report = JsonSerializer.Deserialize<IncidentReport>(reportJson, CordonJson.Options);
        return report?.EvidenceHead is { } head
            ? new RecordedHead(head, source, new Dictionary<string, string> { [JsonName] = Cordon.Evidence.EvidenceChain.Sha256(reportJson) })
            : null;
    }

    static string Html(IncidentReport r)
    {
        static string E(object? o) => WebUtility.HtmlEncode(Convert.ToString(o, CultureInfo.InvariantCulture) ?? "");
        static string T(DateTime? t) => t?.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "—";
        IncidentStatus s = r.Status;
        var b = new StringBuilder();
        b.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Incident ").Append(E(r.IncidentId)).Append("</title>")
         .Append("<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;vertical-align:top}</style></head><body>")
         .Append("<h1>Incident ").Append(E(r.IncidentId)).Append("</h1><table>")
         .Append("<tr><th>Outcome</th><td>").Append(E(s.Outcome)).Append("</td></tr>")
         .Append("<tr><th>Subject</th><td>").Append(E(s.Subject)).Append("</td></tr>")
         .Append("<tr><th>Vendor / site</th><td>").Append(E(s.VendorId)).Append(" / ").Append(E(s.SiteId)).Append("</td></tr>")
         .Append("<tr><th>Severity</th><td>").Append(E(s.Severity)).Append(" (score ").Append(E(s.RiskScore)).Append(")</td></tr>")
         .Append("<tr><th>Opened</th><td>").Append(T(s.OpenedAt)).Append("</td></tr>")
         .Append("<tr><th>Contained</th><td>").Append(T(s.ContainedAt)).Append("</td></tr>")
         .Append("<tr><th>Exposure ends by</th><td>").Append(T(s.ExposureEndsBy)).Append("</td></tr>")
         .Append("<tr><th>Time to contain</th><td>").Append(E(s.Metrics.SecondsToContain?.ToString("0.000", CultureInfo.InvariantCulture) ?? "—")).Append(" s</td></tr>")
         .Append("</table><h2>Residual exposure</h2><table><tr><th>Resource</th><th>Ends by</th><th>Why</th></tr>");
        foreach (ExposureWindow w in s.Exposure)
        {
            b.Append("<tr><td>").Append(E(w.Resource)).Append("</td><td>").Append(T(w.EndsBy)).Append("</td><td>").Append(E(w.Reason)).Append("</td></tr>");
        }

        b.Append("</table><h2>Deadlines</h2><table><tr><th>Deadline</th><th>Client</th><th>Due</th><th>Met</th></tr>");
        foreach (Deadline d in s.Deadlines)
        {
            b.Append("<tr><td>").Append(E(d.Name)).Append("</td><td>").Append(E(d.Client)).Append("</td><td>").Append(T(d.DueAt)).Append("</td><td>")
             .Append(d.MetAt is null ? "not met" : T(d.MetAt) + (d.MetAt > d.DueAt ? " (late)" : "")).Append("</td></tr>");
        }

        b.Append("</table><h2>Timeline</h2><table><tr><th>When</th><th>Step</th><th>Detail</th></tr>");
        foreach (TimelineEntry e in r.Timeline)
        {
            b.Append("<tr><td>").Append(T(e.At)).Append("</td><td>").Append(E(e.Step)).Append("</td><td>").Append(E(e.Detail)).Append("</td></tr>");
        }

        return b.Append("</table></body></html>").ToString();
    }
}
