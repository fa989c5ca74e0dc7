using System.Diagnostics.Metrics;

namespace Cordon.Monitoring;

/// <summary>
/// Cordon's metrics (meter "Cordon"). Recorded by intake, by activities and by the approval
/// endpoint — never by orchestrator code, which replays.
/// </summary>
public sealed class CordonMetrics
{
    public const string MeterName = "Cordon";
    public const string AlertsAccepted = "cordon.alerts.accepted";
    public const string AlertsRefused = "cordon.alerts.refused";
    public const string TimeToContain = "cordon.time_to_contain";
    public const string ExposureWindow = "cordon.exposure_window_seconds";
    public const string GateLatency = "cordon.gate.latency";
    public const string DeadlinesMissed = "cordon.deadlines.missed";
    public const string MessagesDeadLettered = "cordon.messages.dead_lettered";

    readonly Counter<long> accepted;
    readonly Counter<long> refused;
    readonly Histogram<double> timeToContain;
    readonly Histogram<double> exposureWindow;
    readonly Histogram<double> gateLatency;
    readonly Counter<long> deadlinesMissed;
    readonly Counter<long> deadLettered;

    public CordonMetrics(IMeterFactory meters)
    {
        Meter meter = meters.Create(MeterName);
        accepted = meter.CreateCounter<long>(AlertsAccepted, "{alert}", "Alerts taken in, by outcome: started, merged, duplicate");
        refused = meter.CreateCounter<long>(AlertsRefused, "{alert}", "Alerts refused as bad input, by reason and channel");
        // Buckets fit each quantity: containment takes (sub)seconds, exposure lasts minutes to hours, people decide in hours.
        timeToContain = meter.CreateHistogram(TimeToContain, "s", "From alert received to every containment call acknowledged",
            advice: Buckets(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600));
        exposureWindow = meter.CreateHistogram(ExposureWindow, "s", "From containment to the latest moment an already-issued credential could still work (exposureEndsBy - containedAt)",
            advice: Buckets(0, 60, 300, 900, 1800, 3600, 5400, 7200, 14400, 28800, 86400));
        gateLatency = meter.CreateHistogram(GateLatency, "s", "From a gate opening to each accepted human decision at it, by gate",
            advice: Buckets(60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200));
        deadlinesMissed = meter.CreateCounter<long>(DeadlinesMissed, "{deadline}", "Regulatory and contract deadlines whose notice went out late, by jurisdiction");
        deadLettered = meter.CreateCounter<long>(MessagesDeadLettered, "{message}", "Service Bus messages Cordon dead-lettered, by queue and reason (InvalidAlert, InvalidTelemetry, IntakeFailed)");
    }

    static InstrumentAdvice<double> Buckets(params double[] bounds) => new() { HistogramBucketBoundaries = bounds };

    public void AlertAccepted(string outcome) => accepted.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void AlertRefused(string reason, string channel) =>
        refused.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("channel", channel));

    public void Contained(TimeSpan timeToContain, TimeSpan exposureWindow)
    {
        this.timeToContain.Record(Math.Max(0, timeToContain.TotalSeconds));
        this.exposureWindow.Record(Math.Max(0, exposureWindow.TotalSeconds));
    }

    public void GateDecided(string gate, string decision, TimeSpan latency) =>
        gateLatency.Record(Math.Max(0, latency.TotalSeconds), new KeyValuePair<string, object?>("gate", gate), new KeyValuePair<string, object?>("decision", decision));

    public void DeadlineMissed(string jurisdiction) => deadlinesMissed.Add(1, new KeyValuePair<string, object?>("jurisdiction", jurisdiction));

    public void MessageDeadLettered(string queue, string reason) =>
        deadLettered.Add(1, new KeyValuePair<string, object?>("queue", queue), new KeyValuePair<string, object?>("reason", reason));
}

/// <summary>Why intake refused an alert (the metric's reason tag).</summary>
public static class RefusalReasons
{
    public const string Invalid = "invalid";
    public const string TooLarge = "too-large";
}

/// <summary>How an alert arrived (the metric's channel tag).</summary>
public static class AlertChannels
{
    public const string Http = "http";
    public const string ServiceBus = "service-bus";
}
