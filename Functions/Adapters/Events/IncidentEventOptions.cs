namespace Cordon.Adapters.Events;

/// <summary>
/// Where incident lifecycle events go, section <c>Cordon:Events</c> (app settings
/// <c>Cordon__Events__FullyQualifiedNamespace</c>, <c>Cordon__Events__Topic</c>, written by infra/main.bicep).
/// Without a topic the events go to the log only (the incident's timeline shows the same steps).
/// </summary>
public sealed class IncidentEventOptions : ISelfValidatingOptions
{
    public const string Section = "Cordon:Events";

    /// <summary>Service Bus topic receiving the CloudEvents, e.g. <c>incident-events</c>.</summary>
    public string? Topic { get; set; }

    /// <summary>Namespace host, e.g. <c>sb-cordon-xxxx.servicebus.windows.net</c>, reached with the managed identity.</summary>
    public string? FullyQualifiedNamespace { get; set; }

    /// <summary>Alternative to the namespace: a connection string (Key Vault reference in Azure).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>CloudEvents <c>source</c> of every event.</summary>
    public string Source { get; set; } = "/cordon/incidents";

    public bool Configured => !string.IsNullOrWhiteSpace(Topic);

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Configured && string.IsNullOrWhiteSpace(FullyQualifiedNamespace) && string.IsNullOrWhiteSpace(ConnectionString))
        {
            problems.Add($"{Section}:Topic is set but neither {Section}:FullyQualifiedNamespace nor {Section}:ConnectionString is: Cordon cannot reach the topic.");
        }

        if (!string.IsNullOrWhiteSpace(ConnectionString) && ConnectionString.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{Section}:ConnectionString is an unresolved Key Vault reference: check the secret URI and the app identity's access to the vault.");
        }

        if (!Uri.TryCreate(Source, UriKind.RelativeOrAbsolute, out _) || string.IsNullOrWhiteSpace(Source))
        {
            problems.Add($"{Section}:Source '{Source}' is not a URI reference (CloudEvents source).");
        }

        return problems;
    }
}
