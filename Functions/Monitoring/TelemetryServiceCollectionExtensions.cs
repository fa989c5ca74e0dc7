using System.Diagnostics;
using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Cordon.Monitoring;

/// <summary>Telemetry settings: Cordon:Telemetry:Console; Azure Monitor through APPLICATIONINSIGHTS_CONNECTION_STRING.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Cordon:Telemetry";

    /// <summary>Write spans and metrics to the console (local diagnosis; off by default so the host stays quiet).</summary>
    public bool Console { get; set; }
}

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// OpenTelemetry traces (Cordon's intake spans + the Durable Task SDK's orchestration and activity
    /// spans, one W3C trace per incident) and metrics (meter "Cordon"). Exporters: Azure Monitor when
    /// APPLICATIONINSIGHTS_CONNECTION_STRING is set, the console when Cordon:Telemetry:Console is true;
    /// otherwise nothing leaves the process (tests add an in-memory exporter).
    /// </summary>
    public static IServiceCollection AddCordonTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddMetrics();
        services.TryAddSingleton<CordonMetrics>();
        var options = configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        services.Configure<TelemetryOptions>(configuration.GetSection(TelemetryOptions.Section));

        // The Functions host sets FUNCTIONS_WORKER_RUNTIME for its worker: there the host's invocation
        // span (host.json telemetryMode OpenTelemetry) is the parent of intake.
        bool functionsHost = !string.IsNullOrEmpty(configuration["FUNCTIONS_WORKER_RUNTIME"]);
        OpenTelemetryBuilder otel = services.AddOpenTelemetry();
        if (functionsHost)
        {
            otel.UseFunctionsWorkerDefaults();
        }
        else
        {
            otel.ConfigureResource(r => r.AddService("cordon"));
        }

        string? connectionString = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        Action<AzureMonitorExporterOptions>? azureMonitor = null;
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            TokenCredential? credential = IngestionCredential(configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
            azureMonitor = o =>
            {
                o.ConnectionString = connectionString;
                o.Credential = credential;
                // Every trace is kept (the exporter's default keeps 5 traces a second): alerts are rare and
                // an incident's trace is part of the record of how it was handled.
                o.SamplingRatio = 1.0f;
                o.TracesPerSecond = null;
            };
            // Log lines carry their scopes (IncidentId, AlertId) as custom dimensions.
            otel.WithLogging(l => l.AddAzureMonitorLogExporter(azureMonitor), o => o.IncludeScopes = true);
        }

        otel.WithTracing(t =>
            {
                // Kestrel's request spans too: ASP.NET Core starts an activity per request anyway, and an
                // unrecorded one would make the sampler drop intake and everything under it.
                t.AddSource(CordonTelemetry.Name, CordonTelemetry.DurableTaskSource, CordonTelemetry.AspNetCoreSource);
                t.AddProcessor(new IncidentIdSpanProcessor());
                if (azureMonitor is not null)
                {
                    t.AddAzureMonitorTraceExporter(azureMonitor);
                }

                if (options.Console)
                {
                    t.AddConsoleExporter();
                }
            })
            .WithMetrics(m =>
            {
                m.AddMeter(CordonMetrics.MeterName);
                if (azureMonitor is not null)
                {
                    m.AddAzureMonitorMetricExporter(azureMonitor);
                }

                if (options.Console)
                {
                    m.AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 10_000);
                }
            });

        return services;
    }

    /// <summary>
    /// The Application Insights resource accepts Entra ID-authenticated telemetry only (infra/): the
    /// same APPLICATIONINSIGHTS_AUTHENTICATION_STRING the Functions host reads ("ClientId=…;Authorization=AAD").
    /// </summary>
    static ManagedIdentityCredential? IngestionCredential(string? authentication)
    {
        if (string.IsNullOrWhiteSpace(authentication))
        {
            return null;
        }

        var parts = authentication.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Authorization", out string? mode) || !mode.Equals("AAD", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be \"Authorization=AAD\" with an optional \"ClientId=…\" of a user-assigned identity");
        }

        return parts.TryGetValue("ClientId", out string? clientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
    }
}

/// <summary>
/// Gives the Durable Task SDK's spans the incident id tag Cordon's own spans carry (the instance id
/// is the incident id), so one query by cordon.incident_id finds the whole incident.
/// </summary>
internal sealed class IncidentIdSpanProcessor : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data)
    {
        if (data.GetTagItem(CordonTelemetry.IncidentIdTag) is null &&
            data.GetTagItem(CordonTelemetry.DurableTaskInstanceIdTag) is string id && id.StartsWith(Incidents.IncidentIds.Prefix, StringComparison.Ordinal))
        {
            data.SetTag(CordonTelemetry.IncidentIdTag, id);
        }
    }
}
