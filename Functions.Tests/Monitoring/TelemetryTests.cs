using Cordon.Intake;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO.Compression;
using Cordon.Containment;
using Cordon.Monitoring;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
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
        var logs = new RecordingLoggerProvider();
        await using TestHost host = await TestHost.StartAsync(configure: s =>
        {
            s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
            s.AddLogging(l => l.AddProvider(logs).AddFilter<RecordingLoggerProvider>("Cordon", LogLevel.Information));
        });
        // Every test's host sends this sample, so its incident id recurs in this process, whose listeners see every
        // host's spans: a fresh alert id marks this alert's trace.
        string alertId = "purview-" + Guid.NewGuid().ToString("N")[..12];
        var (_, id, _) = await host.SendSampleAsync(edit: s => s.Replace("\"purview-7f3a91\"", $"\"{alertId}\"", StringComparison.Ordinal));
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1);
        // The SDK ends the orchestration's span when the orchestration completes: close it as a false positive.
        Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync(SecurityLead, "confirm"), Decisions.Reject)).Status);
        await host.WaitForAsync(id, d => d.Stage == Stages.Closed);
        using (var completion = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await host.Host.Client.WaitForInstanceCompletionAsync(id, completion.Token); // "closed" is announced after the Closed stage
        }

        // Spans are exported as they end, not in order: wait until the orchestration's chain of parents reaches intake.
        List<Activity> trace = await SpansAsync(spans, alertId, all => all.FirstOrDefault(a => a.DisplayName == "orchestration:" + Cordon.Incidents.IncidentWorkflow.Current) is { } o &&
            Ancestors(o, all).Any(a => a.DisplayName == CordonTelemetry.IntakeSpan));

        Activity intake = Assert.Single(trace, a => a.Source.Name == CordonTelemetry.Name && a.DisplayName == CordonTelemetry.IntakeSpan);
        Assert.Equal("started", intake.GetTagItem(CordonTelemetry.IntakeOutcomeTag));
        Activity orchestration = Assert.Single(trace, a => a.DisplayName == "orchestration:" + Cordon.Incidents.IncidentWorkflow.Current);
        // Intake contains first; the incident's step (looking again while intake was at it) then finds it done.
        Activity containAtIntake = Assert.Single(trace, a => a.DisplayName == CordonTelemetry.ContainAtIntakeSpan);
        Assert.Equal(ActivityStatusCode.Unset, containAtIntake.Status);
        var steps = trace.Where(a => a.DisplayName == "activity:ContainSubject" && a.Kind == ActivityKind.Server).OrderBy(a => a.StartTimeUtc).ToList();
        Activity contain = Assert.IsType<Activity>(steps.LastOrDefault());
        Assert.All(trace, a => Assert.Equal(intake.TraceId, a.TraceId));
        Assert.Contains(intake, Ancestors(containAtIntake, trace));
        Assert.All(steps, s => Assert.Contains(orchestration, Ancestors(s, trace)));
        Assert.Contains(intake, Ancestors(orchestration, trace));
        Assert.All([orchestration, contain, containAtIntake], a => Assert.Equal(id, a.GetTagItem(CordonTelemetry.IncidentIdTag)));
        Assert.Contains(trace, a => a.DisplayName == "activity:RestoreAccess");
        // Log lines of intake and of the containment step carry the incident id as a scope.
        Assert.Contains(logs.Records, r => r.Category == typeof(AlertIntake).FullName && r.Scopes.GetValueOrDefault("IncidentId") as string == id);
        Assert.Contains(logs.Records, r => r.Category == typeof(ContainSubject).FullName && r.Scopes.GetValueOrDefault("IncidentId") as string == id);
    }

    [Fact]
    public async Task With_an_Application_Insights_connection_string_spans_and_metrics_go_to_its_ingestion_endpoint()
    {
        await using var ingestion = await IngestionServer.StartAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] =
                $"InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint={ingestion.BaseUrl}/;LiveEndpoint={ingestion.BaseUrl}/",
        }).Build();
        ActivityTraceId traceId;
        await using (ServiceProvider services = new ServiceCollection().AddLogging().AddCordonTelemetry(configuration).BuildServiceProvider())
        {
            TracerProvider tracing = services.GetRequiredService<TracerProvider>();
            MeterProvider metering = services.GetRequiredService<MeterProvider>();
            using (Activity span = CordonTelemetry.Source.StartActivity(CordonTelemetry.IntakeSpan)!)
            {
                span.SetTag(CordonTelemetry.IncidentIdTag, "inc-0123456789ab-1");
                traceId = span.TraceId;
            }

            services.GetRequiredService<CordonMetrics>().Contained(TimeSpan.FromSeconds(0.25), TimeSpan.FromMinutes(90));
            // A flush transmits (shutdown would park the batch in the exporter's offline storage).
            Assert.True(tracing.ForceFlush(10_000));
            Assert.True(metering.ForceFlush(10_000));
        }

        string sent = string.Join("\n", ingestion.Bodies);
        Assert.Contains(CordonTelemetry.IntakeSpan, sent, StringComparison.Ordinal);
        Assert.Contains("inc-0123456789ab-1", sent, StringComparison.Ordinal);
        Assert.Contains(traceId.ToHexString(), sent, StringComparison.Ordinal);
        Assert.Contains(CordonMetrics.TimeToContain, sent, StringComparison.Ordinal);
        Assert.Contains(CordonMetrics.ExposureWindow, sent, StringComparison.Ordinal);
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

    /// <summary>The spans of the alert's trace, once <paramref name="complete"/> holds (spans end asynchronously).</summary>
    static Task<List<Activity>> SpansAsync(List<Activity> spans, string alertId, Func<List<Activity>, bool> complete) =>
        Eventually.Until(() =>
        {
            lock (spans)
            {
                ActivityTraceId? traceId = spans.FirstOrDefault(a => a.DisplayName == CordonTelemetry.IntakeSpan && Equals(a.GetTagItem(CordonTelemetry.AlertIdTag), alertId))?.TraceId;
                return traceId is null ? [] : spans.Where(a => a.TraceId == traceId).ToList();
            }
        }, complete, TimeSpan.FromSeconds(60), $"the spans of alert {alertId}", trace => string.Join(", ", trace.Select(a => a.DisplayName)));

    static IEnumerable<Activity> Ancestors(Activity span, List<Activity> trace)
    {
        for (Activity? a = span; a is not null; a = trace.FirstOrDefault(p => p.SpanId == a.ParentSpanId))
        {
            yield return a;
        }
    }

    sealed record LogRecord(string Category, string Message, IReadOnlyDictionary<string, object?> Scopes);

    /// <summary>Records every log line with the values of its scopes.</summary>
    sealed class RecordingLoggerProvider : ILoggerProvider, ISupportExternalScope
    {
        readonly ConcurrentQueue<LogRecord> records = new();
        IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

        public IReadOnlyList<LogRecord> Records => [.. records];

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

        public void Dispose()
        {
        }

        sealed class Logger(RecordingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner.scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = new Dictionary<string, object?>();
                owner.scopes.ForEachScope((scope, v) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object>> pairs)
                    {
                        foreach (var (k, value) in pairs)
                        {
                            v[k] = value;
                        }
                    }
                }, values);
                owner.records.Enqueue(new LogRecord(category, formatter(state, exception), values));
            }
        }
    }

    /// <summary>Application Insights' ingestion endpoint on 127.0.0.1: records what the exporter posts.</summary>
    sealed class IngestionServer : IAsyncDisposable
    {
        readonly WebApplication app;
        readonly ConcurrentQueue<string> bodies = new();

        IngestionServer(WebApplication app) => this.app = app;

        public string BaseUrl { get; private set; } = "";

        public IReadOnlyList<string> Bodies => [.. bodies];

        public static async Task<IngestionServer> StartAsync()
        {
            IngestionServer? server = null; // set before anyone knows the address
            (WebApplication app, string baseUrl) = await LoopbackServer.StartAsync(ctx => server!.HandleAsync(ctx),
                s => s.AddSingleton(new ActivitySource("Cordon.Tests.Ingestion"))); // its own requests are not traced
            return server = new IngestionServer(app) { BaseUrl = baseUrl };
        }

        async Task HandleAsync(HttpContext context)
        {
            Stream body = context.Request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(context.Request.Body, CompressionMode.Decompress)
                : context.Request.Body;
            using var reader = new StreamReader(body);
            string text = await reader.ReadToEndAsync(context.RequestAborted);
            bodies.Enqueue(text);
            int items = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"itemsReceived":{{items}},"itemsAccepted":{{items}},"errors":[]}""", context.RequestAborted);
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
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
