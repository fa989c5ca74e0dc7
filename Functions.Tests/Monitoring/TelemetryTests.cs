using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Cordon.Approvals;
using Cordon.Incidents;
using Cordon.Monitoring;
using OpenTelemetry.Trace;

namespace Cordon.Tests.Monitoring;

/// <summary>
/// What an operator sees in Application Insights, checked with an in-memory exporter (traces) and a
/// MeterListener bound to the host's own meter factory (other tests' hosts run in the same process).
/// </summary>
public sealed class TelemetryTests
{
    const string SecurityLead = "sam.lead@cordon-customer.example";

    [Fact]
    public async Task Sample_alert_is_one_trace_from_intake_through_the_orchestration_to_containment()
    {
        var spans = new List<Activity>();
        await using TestHost host = await TestHost.StartAsync(configure: s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1);
        // The SDK ends the orchestration's span when the orchestration completes: close it as a false positive.
        Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync(SecurityLead, "confirm"), Decisions.Reject)).Status);
        await host.WaitForAsync(id, d => d.Stage == Stages.Closed);

        List<Activity> trace = await SpansAsync(spans, id, all => all.Any(a => a.DisplayName == "orchestration:RespondToIncident"));

        Activity intake = Assert.Single(trace, a => a.Source.Name == CordonTelemetry.Name && a.DisplayName == CordonTelemetry.IntakeSpan);
        Assert.Equal("started", intake.GetTagItem(CordonTelemetry.IntakeOutcomeTag));
        Activity orchestration = Assert.Single(trace, a => a.DisplayName == "orchestration:RespondToIncident");
        Activity contain = Assert.Single(trace, a => a.DisplayName == "activity:ContainSubject" && a.Kind == ActivityKind.Server);
        Assert.All(trace, a => Assert.Equal(intake.TraceId, a.TraceId));
        Assert.Contains(orchestration, Ancestors(contain, trace));
        Assert.Contains(intake, Ancestors(orchestration, trace));
        Assert.All([orchestration, contain], a => Assert.Equal(id, a.GetTagItem(CordonTelemetry.IncidentIdTag)));
        Assert.Contains(trace, a => a.DisplayName == "activity:RestoreAccess");
    }

    [Fact]
    public async Task Contained_and_notified_incident_records_acceptance_containment_exposure_gates_and_missed_deadlines()
    {
        await using TestHost host = await TestHost.StartAsync();
        using var metrics = new RecordedMetrics(host.Host.Services.GetRequiredService<IMeterFactory>());

        var (refusedStatus, _, _) = await host.SendAsync("""{ "schemaVersion": "1.0" }""");
        // Detected long ago: CERT-In's 6-hour clock (from detection) has run out before any notice can go.
        var (_, id, _) = await host.SendSampleAsync(edit: s => s.Replace("\"detectedAt\": \"2026-11-25T09:12:00Z\"", "\"detectedAt\": \"2026-01-05T09:12:00Z\"", StringComparison.Ordinal));
        IncidentDetail contained = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1);
        Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync(SecurityLead, "confirm"), Decisions.Approve)).Status);
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingNotificationApproval && d.PendingApprovals.Count == 1);
        Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync("lee.legal@cordon-customer.example", "notify"), Decisions.Approve)).Status);
        await host.WaitForAsync(id, d => d.Stage == Stages.Closed);

        Assert.Equal(400, refusedStatus);
        Assert.Equal([("invalid", "http")], metrics.Of(CordonMetrics.AlertsRefused).Select(m => (m.Tag("reason"), m.Tag("channel"))));
        Assert.Equal(["started"], metrics.Of(CordonMetrics.AlertsAccepted).Select(m => m.Tag("outcome")));
        double toContain = Assert.Single(metrics.Of(CordonMetrics.TimeToContain)).Value;
        Assert.Equal(contained.Metrics.SecondsToContain!.Value, toContain, 3);
        double window = Assert.Single(metrics.Of(CordonMetrics.ExposureWindow)).Value;
        Assert.Equal((contained.ExposureEndsBy!.Value - contained.ContainedAt!.Value).TotalSeconds, window, 3);
        Assert.Equal(["confirm", "notify"], metrics.Of(CordonMetrics.GateLatency).Select(m => m.Tag("gate")));
        Assert.Contains("CERT-In", metrics.Of(CordonMetrics.DeadlinesMissed).Select(m => m.Tag("jurisdiction")));
        Assert.DoesNotContain("GDPR", metrics.Of(CordonMetrics.DeadlinesMissed).Select(m => m.Tag("jurisdiction")));
    }

    /// <summary>The spans of the incident's trace, once <paramref name="complete"/> holds (spans end asynchronously).</summary>
    static async Task<List<Activity>> SpansAsync(List<Activity> spans, string incidentId, Func<List<Activity>, bool> complete)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            List<Activity> trace;
            lock (spans)
            {
                ActivityTraceId? traceId = spans.FirstOrDefault(a => a.DisplayName == CordonTelemetry.IntakeSpan && Equals(a.GetTagItem(CordonTelemetry.IncidentIdTag), incidentId))?.TraceId;
                trace = traceId is null ? [] : spans.Where(a => a.TraceId == traceId).ToList();
            }

            if (complete(trace) || DateTime.UtcNow > deadline)
            {
                return trace;
            }

            await Task.Delay(50);
        }
    }

    static IEnumerable<Activity> Ancestors(Activity span, List<Activity> trace)
    {
        for (Activity? a = span; a is not null; a = trace.FirstOrDefault(p => p.SpanId == a.ParentSpanId))
        {
            yield return a;
        }
    }

    sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
    {
        public string? Tag(string name) => Tags.TryGetValue(name, out object? v) ? v?.ToString() : null;
    }

    /// <summary>Every measurement of the host's "Cordon" meter (meters of other hosts in this process are ignored).</summary>
    sealed class RecordedMetrics : IDisposable
    {
        readonly MeterListener listener = new();
        readonly ConcurrentQueue<Measurement> recorded = new();

        public RecordedMetrics(IMeterFactory hostMeters)
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == CordonMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, hostMeters))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
            listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
            listener.Start();
        }

        public List<Measurement> Of(string instrument) => recorded.Where(m => m.Instrument == instrument).ToList();

        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            recorded.Enqueue(new Measurement(instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));

        public void Dispose() => listener.Dispose();
    }
}
