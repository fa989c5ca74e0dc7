namespace Cordon.Behaviour;

/// <summary>Where the monitor keeps per-agent state (Cordon:Behaviour).</summary>
public sealed class BehaviourOptions
{
    public const string Section = "Cordon:Behaviour";

    /// <summary>"memory" (default; lost on restart) or "table" (Azure Table Storage / Azurite).</summary>
    public string Store { get; set; } = "memory";

    /// <summary>Storage connection string for the table store (Azurite locally).</summary>
    public string? TableConnection { get; set; }

    /// <summary>Table service endpoint used with the managed identity when no connection string is set.</summary>
    public Uri? TableServiceUri { get; set; }

    public string TableName { get; set; } = "cordonbehaviour";
}
