using Cordon.Adapters.Events;
using Cordon.Adapters.Tables;
using Cordon.Adapters;
using Cordon.Alerts;
using Cordon.Approvals;
using Cordon.Behaviour;
using Cordon.Configuration;
using Cordon.Intake;
using Cordon.Containment;
using Cordon.Monitoring;
using Cordon.Operators;
using Cordon.Incidents;
using Cordon.Policy;
using Cordon.Roster;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cordon;

/// <summary>One registration per feature; connectors are chosen by each host.</summary>
public static class CordonServiceCollectionExtensions
{
    public static IServiceCollection AddCordonAlerts(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics().TryAddSingleton<CordonMetrics>(); // intake counts what it accepts and refuses
        services.TryAddSingleton<IntakeInFlight>(); // a host may bring its own, shared with its backend
        services.AddSingleton<AlertIntake>();
        services.AddCordonMessageSettlement();
        services.AddSingleton<AlertMessageHandler>();
        return services;
    }

    /// <summary>
    /// How the Service Bus handlers settle messages (<see cref="MessageSettler"/>), with <see cref="MessageRedeliveryOptions"/>
    /// from <c>Cordon:ServiceBus</c> when the host has a configuration (the defaults match infra/modules/servicebus.bicep).
    /// </summary>
    public static IServiceCollection AddCordonMessageSettlement(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics().TryAddSingleton<CordonMetrics>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MessageRedeliveryOptions>, MessageRedeliveryValidation>());
        services.AddOptions<MessageRedeliveryOptions>()
            .Configure<IServiceProvider>((o, sp) => sp.GetService<IConfiguration>()?.GetSection(MessageRedeliveryOptions.Section).Bind(o))
            .ValidateOnStart();
        services.TryAddSingleton<MessageSettler>();
        return services;
    }

    sealed class MessageRedeliveryValidation : IValidateOptions<MessageRedeliveryOptions>
    {
        public ValidateOptionsResult Validate(string? name, MessageRedeliveryOptions options) =>
            options.Validate() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }

    public static IServiceCollection AddCordonApprovals(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSelfValidatingOptions<ApprovalOptions>(configuration.GetSection(ApprovalOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ApprovalTokens>();
        return services;
    }

    /// <summary>Client webhooks (session kill, notices): signed, idempotent, with retries honouring Retry-After.</summary>
    public static IServiceCollection AddCordonWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSelfValidatingOptions<WebhookOptions>(configuration.GetSection(WebhookOptions.Section));
        services.AddHttpClient(SignedWebhook.ClientName).AddStandardResilienceHandler(o =>
        {
            o.Retry.MaxRetryAttempts = 4;
            o.Retry.Delay = TimeSpan.FromMilliseconds(500);
            o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(10);
            o.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(60);
            o.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(30);
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<SignedWebhook>();
        services.AddSingleton<ClientSessionKiller>();
        return services;
    }

    /// <summary>
    /// Behaviour monitoring: access telemetry scored into alerts. Per-agent state in memory, or in
    /// Azure Table Storage with Cordon:Behaviour:Store = table (TableConnection, or TableServiceUri with the managed identity).
    /// </summary>
    public static IServiceCollection AddCordonBehaviour(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSelfValidatingOptions<BehaviourOptions>(configuration.GetSection(BehaviourOptions.Section));
        if (!string.IsNullOrWhiteSpace(configuration[$"{BehaviourOptions.Section}:TableServiceUri"]))
        {
            services.TryAddCordonAzureCredential(configuration);
        }

        services.AddSingleton<BehaviourStateStore>(sp =>
        {
            BehaviourOptions o = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<BehaviourOptions>>().Value;
            if (o.Store != "table")
            {
                return new InMemoryBehaviourStateStore();
            }

            var tables = !string.IsNullOrWhiteSpace(o.TableConnection)
                ? new Azure.Data.Tables.TableServiceClient(o.TableConnection)
                : new Azure.Data.Tables.TableServiceClient(o.TableServiceUri, sp.GetRequiredService<Azure.Core.TokenCredential>());
            return new TableBehaviourStateStore(tables.GetTableClient(o.TableName));
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<TelemetryIntake>();
        services.AddCordonMessageSettlement();
        services.AddSingleton<TelemetryMessageHandler>();
        return services;
    }

    /// <summary>
    /// Contain first: intake applies a new auto-contain incident's first containment itself, so it never queues behind
    /// the backend's backlog (the incident's step then finds it done). Needs the access-control and evidence connectors.
    /// </summary>
    public static IServiceCollection AddCordonContainment(this IServiceCollection services)
    {
        services.TryAddSingleton<ContainSubject>();
        services.AddSingleton<ContainAtIntake>();
        services.AddHostedService(sp => sp.GetRequiredService<ContainAtIntake>()); // a stopping host finishes the records it owes
        return services;
    }

    /// <summary>Everything the workflow needs except the connectors (each host adds its own).</summary>
    public static IServiceCollection AddCordonWorkflow(this IServiceCollection services, IConfiguration configuration) => services
        .AddCordonAlerts()
        .AddCordonContainment()
        .AddCordonConfiguration(configuration)
        .AddCordonApprovals(configuration)
        .AddCordonWebhooks(configuration)
        .AddCordonTelemetry(configuration)
        .AddCordonIncidentEvents(configuration)
        .AddCordonRetention(configuration)
        .AddCordonRoster(configuration)
        .AddCordonTableRoster(configuration)
        .AddHostedService<AdapterReport>()
        .AddCordonOperators(configuration);

    /// <summary>Cordon:Retention: when closed incidents' orchestration history is purged (<see cref="ClosedIncidentPurge"/>).</summary>
    public static IServiceCollection AddCordonRetention(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RetentionOptions>().Bind(configuration.GetSection(RetentionOptions.Section))
            .Validate(o => o.ClosedIncidentHistory >= TimeSpan.Zero, "Cordon:Retention:ClosedIncidentHistory must not be negative")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ClosedIncidentPurge>();
        return services;
    }
}
